"""Where the failing run parted from passing runs of the same code: a line only it ran, a branch only it
took, a relation between values (``i < n``) only it had, or an exception only it raised."""

from __future__ import annotations

from typing import Sequence

from ..annotate import is_test_file
from ..tracer.schema import Trace
from .compare import _Q, _quantities, _relations
from .context import _Context
from .replay import INF, _Exec, _Segment
from .reprs import _short
from .result import Step
from .source import _Func


class _Divergence:
    """The failing run of ``ctx`` against the ``passing`` runs, in the functions of the chain
    (``step_funcs``), at the blamed call where that is one of them (``blamed``)."""

    def __init__(
        self,
        ctx: _Context,
        passing: Sequence[Trace],
        step_funcs: list[_Func],
        blamed: tuple[_Func, _Segment | None] | None,
    ) -> None:
        self.ctx, self.passing, self.step_funcs, self.blamed = ctx, list(passing), step_funcs, blamed

    def first(self) -> tuple[Step, str] | None:
        """The first difference, in the first function of the chain (test files aside) that a passing
        test ran too, and the passing test it is shown against."""
        funcs = []
        for func in self.step_funcs:
            if func not in funcs and not is_test_file(func.file):
                funcs.append(func)
        for func in funcs:
            found = self.diverge_in(func)
            if found is not None:
                return found
        return None

    def diverge_in(self, func: _Func) -> tuple[Step, str] | None:
        runs = []
        for doc in self.passing:
            view = self.ctx.view(doc, func)
            if view.executed():
                runs.append((doc, view))
        if not runs:
            return None
        mine = self.ctx.view(self.ctx.doc, func)
        blamed = self.blamed
        segment = blamed[1] if blamed is not None and blamed[0] is func else mine.segment(mine.count or None)
        if segment is None:
            return None
        executed = mine.executed()
        all_lines = self.code_lines(self.ctx.doc)
        runs.sort(
            key=lambda r: (
                len(executed ^ r[1].executed()),
                len(all_lines ^ self.code_lines(r[0])),
            )
        )
        closest = runs[0]
        names = {id(doc): _test_name(doc) for doc, _ in runs}
        passing_lines = set().union(*(v.executed() for _, v in runs))
        passing_raised = set().union(*(v.raised for _, v in runs))
        passing_execs: dict[int, list[tuple[str, dict[str, _Q], _Exec]]] = {}
        relations: dict[int, dict[tuple[str, ...], set[str]]] = {}
        for doc, view in [closest] + runs[1:]:
            for seg in view.segments():
                for line in sorted(view.executed()):
                    for run in seg.executions(line):
                        found = _quantities(func, line, run)
                        passing_execs.setdefault(line, []).append((names[id(doc)], found[0], run))
                        for key, sign in _relations(found).items():
                            relations.setdefault(line, {}).setdefault(key, set()).add(sign)
        timeline: list[tuple[float, int, int, _Exec | None]] = []
        for line in sorted(executed):
            xs = segment.executions(line)
            for index, done in enumerate(xs):
                timeline.append((done.pos, line, index, done))
            if not xs and line in mine.raised:
                timeline.append((INF, line, 0, None))
        timeline.sort(key=lambda item: (item[0], item[1], item[2]))
        closest_name = names[id(closest[0])]
        checked: set[int] = set()
        for _pos, line, _index, x in timeline:
            env = x.env if x is not None else {}
            if line not in checked:
                checked.add(line)
                values = {n: env[n] for n in func.facts(line).reads if n in env}
                if line not in passing_lines:
                    return self.div_step(
                        func, line, values, "runs here, but in none of the passing tests"
                    ), closest_name
                novel = mine.outcomes(line) - set().union(*(v.outcomes(line) for _, v in runs))
                if novel:
                    taken = "True" if True in novel else "False"
                    other = "False" if taken == "True" else "True"
                    text = f"the condition is {taken} here; in the passing tests it was always {other}"
                    return self.div_step(func, line, values, text), closest_name
            if x is None:
                continue
            found = _quantities(func, line, x)
            q = found[0]
            seen = relations.get(line, {})
            for key, sign in _relations(found).items():
                if key in seen and sign not in seen[key]:
                    return self.relation_step(func, line, x, q, key, sign, seen[key], passing_execs.get(line, []))
        for line in sorted(mine.raised & executed):
            if line in passing_lines and line not in passing_raised:
                text = "raised here; the passing tests ran this line without an exception"
                if self.ctx.doc.get("status") == "timeout":  # the test's time limit raised there
                    text = "time ran out here; the passing tests ran this line and went on"
                return self.div_step(func, line, {}, text), closest_name
        return None

    def code_lines(self, doc: Trace) -> set[tuple[str, int]]:
        return {
            (self.ctx.rel(f), int(n))
            for f, lines in (doc.get("lines") or {}).items()
            if not is_test_file(f)
            for n, e in lines.items()
            if e.get("hits")
        }

    def div_step(self, func: _Func, line: int, values: dict[str, str], note: str) -> Step:
        return Step(func.file, line, self.ctx.source(func.file).text(line), values, note)

    def relation_step(
        self,
        func: _Func,
        line: int,
        x: _Exec,
        q: dict[str, _Q],
        key: tuple[str, ...],
        sign: str,
        passing_signs: set[str],
        examples: list[tuple[str, dict[str, _Q], _Exec]],
    ) -> tuple[Step, str]:
        env = {**x.env, **x.state}
        values: dict[str, str] = {}
        for name in key:
            for var in q[name].variables:
                if var in env:
                    values[var] = env[var]
        here = " and ".join(f"`{n} = {_short(q[n].text, 40)}`" for n in key)
        other = key[1] if len(key) > 1 else "0"
        rel_here = f"{key[0]} {sign} {other}"
        if len(passing_signs) == 1:
            rel_there = f"{key[0]} {next(iter(passing_signs))} {other} every time"
        else:
            rel_there = f"{key[0]} was {' or '.join(sorted(passing_signs))} {other}, never {sign}"
        text = f"here {here} ({rel_here}); in the passing tests {rel_there}"
        example = next((e for e in examples if all(n in e[1] for n in key)), None)
        run = examples[0][0] if examples else ""
        if example is not None:
            run = example[0]
            shown = ", ".join(f"`{n} = {_short(example[1][n].text, 40)}`" for n in key)
            text += f" (e.g. {shown} in `{run}`)"
        step = Step(func.file, line, self.ctx.source(func.file).text(line), values, text)
        return step, run


def _test_name(doc: Trace) -> str:
    test = doc.get("test")
    node = test["nodeid"] if test else ""
    return node.rpartition("::")[2] or node or "a passing test"
