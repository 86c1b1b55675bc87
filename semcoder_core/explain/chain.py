"""The chain: from the blamed line back along the data and the conditions that made its values."""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass

from ..annotate import branch_lines, branch_note, format_values, is_test_file
from ..tracer.schema import CallRecord
from .context import _Context
from .origins import _Origins, record_index, return_line
from .replay import INF, _Exec, _Segment, _View
from .reprs import _differences, _fields, _length, _normal, _number, _short, _value_of
from .result import Step
from .source import _Facts, _facts_of, _field_sources, _Func, _unique

MAX_STEPS = 10  # chain steps shown
MAX_DEPTH = 5  # data dependencies followed back from the blamed line


@dataclass
class _Item:
    """Names to trace back in one call, from ``pos``; ``focus``: they hold the wrong value itself."""

    segment: _Segment
    names: list[str]
    pos: float
    depth: int
    exclude: int
    focus: bool


class _Chain:
    """The chain of steps that led to the failure, built backwards from the blamed line: the lines
    that set the values it read, the conditions that decided what ran, the calls that returned them."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.origins = _Origins(ctx)
        self.steps: list[Step] = []
        self.step_pos: list[float] = []
        self.step_funcs: list[_Func] = []
        self.seen: set[tuple[str, int]] = set()
        self.blamed: tuple[_Func, _Segment | None] | None = None
        # The row of a module-level literal that holds a value the chain read (the wrong value's source)
        self.literal_origin: tuple[str, int, str] | None = None
        # The loop a test that ran out of time was stuck in: (file, its first line, "while" or "for")
        self.stuck_loop: tuple[str, int, str] | None = None

    def add(self, func: _Func, line: int, values: dict[str, str], note: str, pos: float) -> Step | None:
        """Add a chain step (``pos``: when the line ran, for the order of the chain)."""
        if (func.file, line) in self.seen or len(self.steps) >= MAX_STEPS:
            return None
        self.seen.add((func.file, line))
        step = Step(func.file, line, self.ctx.source(func.file).text(line), values, note)
        self.steps.append(step)
        self.step_pos.append(pos)
        self.step_funcs.append(func)
        return step

    def ordered_steps(self) -> None:
        """The blamed line first, then the others from the latest to the earliest run."""
        if len(self.steps) > 1:
            rest = sorted(range(1, len(self.steps)), key=lambda i: -self.step_pos[i])
            order = [0] + rest
            self.steps = [self.steps[i] for i in order]
            self.step_pos = [self.step_pos[i] for i in order]
            self.step_funcs = [self.step_funcs[i] for i in order]

    def suspicious(self, func: _Func, line: int, env: dict[str, str], kind: str) -> tuple[list[str], str]:
        """The names at the blamed line that hold the wrong value, and a note on why (from the values)."""
        facts = func.facts(line)
        exc_type = self.ctx.exception.get("type")
        if kind == "raised" and exc_type == "IndexError":
            for container, index in facts.subscripts:
                length, at = _length(env.get(container)), _number(env.get(index))
                if length is not None and at is not None and not -length <= at < length:
                    note = f"`{index} = {env[index]}` but `{container}` has {length} item{'s' if length != 1 else ''}"
                    note += f" (indexes 0–{length - 1})" if length else ""
                    return [index], note
        if kind == "raised" and exc_type == "ZeroDivisionError":
            zero = [n for n in facts.divisors if _number(env.get(n)) == 0]
            if zero:
                return zero, f"the divisor `{zero[0]} = {env[zero[0]]}`"
        if kind == "raised" and exc_type == "KeyError":
            key = (self.ctx.exception.get("message") or "").strip()
            for container, index in facts.subscripts:
                if index in env and _normal(env[index]) == _normal(key):
                    return [index, container], f"`{index} = {env[index]}` is not a key of `{container}`"
        if kind == "raised" and exc_type in ("TypeError", "AttributeError"):
            nones = [n for n in facts.reads if env.get(n) == "None"]
            if nones:
                return nones, f"`{nones[0]} = None`"
        if kind == "running":
            return facts.reads, ""
        if kind == "returned":
            hint = self.origins.field_hint
            fields = [d[0] for d in _differences(self.ctx.failure.get("expected"), self.ctx.failure.get("actual"))]
            if hint:
                fields = [hint]
            sources = _field_sources(func.starts.get(line))
            names = _unique(n for f in fields for n in sources.get(f, []))
            if names:
                return names, ""
        return [n for n in facts.reads if n in env], ""

    def build_chain(self) -> tuple[str, str, int] | None:
        origin = self.origins.origin()
        if origin is None:
            return None
        kind, file, line, value = origin
        func = self.ctx.func_at(file, line)
        if func is None:
            self.add_plain(file, line, kind, value)
            return kind, file, line
        line = func.head(line)
        view = self.ctx.view(self.ctx.doc, func)
        k = record_index(view, kind, value)
        segment = view.segment(k)
        self.blamed = (func, segment)
        note = self.blamed_note(kind, value, view, line)
        if segment is None:
            self.add(func, line, {}, note, INF)
            return kind, file, line
        env = segment.env_before(INF)
        facts = func.facts(line)
        follow, why = self.suspicious(func, line, env, kind)
        shown = {n: env[n] for n in _unique(facts.reads) if n in env}
        for base, attr in facts.attrs:
            fields = _fields(env.get(base))
            if fields and attr in fields:
                shown[f"{base}.{attr}"] = fields[attr]
        if why:
            note = f"{note}: {why}" if note else why
        if kind == "running" and facts.bound:
            series = self.series_note(segment, line, facts, view.stale(line, INF), count=False)
            note += f"; {series}" if series.startswith("`") else ""
        self.add(func, line, shown, note, INF)
        loop = func.loop.get(line)
        if isinstance(func.starts.get(line), ast.While):  # running its own condition
            loop = func.starts[line]
        if kind == "running" and loop is not None:  # the loop it was stuck in
            self.stuck_loop = (func.file, loop.lineno, "while" if isinstance(loop, ast.While) else "for")
            self.loop_step(segment, loop)
            follow = _unique(follow + func.facts(loop.lineno).reads)
        first = _Item(segment, follow, INF, 1, line, True)
        queue: deque[_Item] = deque()
        if not (kind == "returned" and value and self.hop(facts, [value], first, queue)):
            queue.append(first)
        self.callees(segment, line, env, INF, most=2)
        if kind == "returned":
            self.other_returns(segment, line, first, queue)
        reached: list[_Segment] = []
        while queue and len(self.steps) < MAX_STEPS:
            self.follow(queue.popleft(), queue, reached)
        for seg in reached:
            pos = (seg.events[0].seq if seg.events else 0.0) - 0.5
            self.add(
                seg.func, seg.func.first, dict(seg.args), f"the arguments of this call of `{seg.func.name}()`", pos
            )
        return kind, file, line

    def blamed_note(self, kind: str, value: str | None, view: _View, line: int) -> str:
        exc = self.ctx.exception
        if kind == "raised":
            first = (exc.get("message") or "").splitlines()
            return f"raised {exc.get('type')}" + (f": {first[0]}" if first else "")
        if kind == "returned":
            return f"returned `{_short(value or '')}`"
        if kind == "running":
            hits = view.hits.get(line)
            return f"running when time ran out (it ran {hits:,} times)" if hits else "running when time ran out"
        return ""

    def add_plain(self, file: str, line: int, kind: str, value: str | None) -> None:
        text = self.ctx.source(file).text(line)
        note = f"returned `{_short(value)}`" if kind == "returned" and value else ""
        if (file, line) not in self.seen:
            self.seen.add((file, line))
            self.steps.append(Step(file, line, text, {}, note))
            self.step_pos.append(INF)

    def follow(self, item: _Item, queue: deque[_Item], reached: list[_Segment]) -> None:
        """Data dependencies: for each name, the line that set it last before ``item.pos``."""
        if item.depth > MAX_DEPTH:
            return
        segment, func = item.segment, item.segment.func
        found: list[tuple[str, int, _Exec]] = []
        for name in item.names:
            writer = segment.writer(name, item.pos, item.exclude)
            if writer is None:
                if name in func.params and name in segment.args and segment not in reached:
                    reached.append(segment)
                elif name not in func.params and not func.writers(name):
                    self.module_value(func, name, item)
                continue
            found.append((name, writer[0], writer[1]))
            if item.focus:
                self.never_ran(segment, name, item, queue)
        for _name, line, x in sorted(found, key=lambda f: -f[2].pos):
            if (func.file, line) in self.seen:
                continue
            facts = func.facts(line)
            stale = segment.view.stale(line, item.pos)
            env_after = {**x.env, **x.state}
            values: dict[str, str] = {}
            if not stale:
                values = {n: env_after[n] for n in facts.bound if n in env_after}
                for n in facts.reads:
                    if n in x.env and n not in values:
                        values[n] = x.env[n]
                for base, attr in facts.attrs:
                    fields = _fields(x.env.get(base))
                    if fields and attr in fields:
                        values[f"{base}.{attr}"] = fields[attr]
            if self.add(func, line, values, self.series_note(segment, line, facts, stale), x.pos) is None:
                return
            assigned = [env_after[n] for n in facts.writes if n in env_after]
            hopped = not stale and self.hop(facts, assigned, item, queue)
            if (item.focus or item.depth <= 2) and not hopped and not stale:
                self.callees(segment, line, x.env, x.pos)
            stmt = func.guard.get(line)
            if stmt is not None and (item.focus or len(segment.view.outcomes(stmt.lineno)) == 2):
                at = self.guard_step(segment, stmt, line, x.pos, never=False)
                if at is not None:
                    queue.append(_Item(segment, func.facts(stmt.lineno).reads, at, item.depth + 1, 0, False))
            if not hopped:
                queue.append(_Item(segment, facts.reads, x.pos, item.depth + 1, line, False))

    def module_value(self, func: _Func, name: str, item: _Item) -> None:
        """``name`` is a global of the module that the function only reads: where the import set it
        (a table, a constant, a registry). When the statement spans lines, the line of its literal
        that holds a value the reading line got (the row of the table) is the step."""
        source = self.ctx.source(func.file)
        if source.tree is None:
            return
        ran = (self.ctx.doc.get("import_lines") or {}).get(func.file) or {}
        for stmt in source.tree.body:
            if name not in _module_names(stmt):
                continue
            first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
            if not any(str(n) in ran and ran[str(n)].get("hits") for n in range(first, last + 1)):
                continue  # not run at import (under an if, or the trace has no imports)
            line = first
            shown = next((s for s in self.steps if s.file == func.file and s.line == item.exclude), None)
            wanted = {v for v in (shown.values.values() if shown else []) if _distinctive(v)}
            for node in ast.walk(stmt):
                if isinstance(node, ast.Constant) and repr(node.value) in wanted and first < node.lineno:
                    line = node.lineno
                    if self.literal_origin is None:
                        self.literal_origin = (func.file, line, name)
                    break
            where = "at import" if line == first else f"at import, in `{name}`"
            self.add(func, line, {}, f"set {where} (module level): the value read as `{name}`", -1.0)
            return

    def callees(self, segment: _Segment, line: int, env: dict[str, str], pos: float, most: int = 1) -> None:
        """Functions of the project that ``line`` calls (or passes by name): where they returned what."""
        func = segment.func
        facts = func.facts(line)
        names = set(facts.calls) | set(facts.reads)
        shown = 0
        for call in self.ctx.doc.get("calls") or []:
            if shown >= most or call.get("name") not in names or is_test_file(call["file"]):
                continue
            callee = self.ctx.func_at(call["file"], call["line"])
            if callee is None or callee.first != call["line"] or callee is func:
                continue
            records = [r for r in call["records"] if self.same_arguments(facts, callee, r, env)]
            if not records:
                continue
            where = "here" if len(records) < len(call["records"]) else "in this test"
            view = self.ctx.view(self.ctx.doc, callee)
            last = records[-1]
            ret = return_line(view, last.get("at"), last.get("return_repr")) or callee.first
            results = [r.get("return_repr") for r in records if r.get("exception") is None]
            if not results or any(v is None for v in results):
                continue
            if len(records) == 1:
                note = f"`{callee.name}()` returned `{_short(str(results[0]))}`" + (
                    " (its only call in this test)" if where != "here" else ""
                )
                values = dict(last.get("args") or {})
            else:
                shown_calls = "; ".join(
                    f"({_short(', '.join(f'{k}={v}' for k, v in (r.get('args') or {}).items()), 60)}) → "
                    f"`{_short(str(r.get('return_repr')), 30)}`"
                    for r in records[:3]
                )
                more = f"; … ({len(records)} calls)" if len(records) > 3 else ""
                note = f"`{callee.name}()` was called {where} with {shown_calls}{more}"
                values = {}
            if self.add(callee, ret, values, note, pos - 0.1) is not None:
                shown += 1

    def same_arguments(self, facts: _Facts, callee: _Func, record: CallRecord, env: dict[str, str]) -> bool:
        """Could ``record`` be a call made at this line? Its arguments agree with the values known here."""
        args = record.get("args") or {}
        nodes = [
            node
            for node in facts.call_nodes
            if (node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None))
            == callee.name
        ]
        if not nodes:  # passed by name (``key=sort_key``): any call may be one of its
            return True
        for node in nodes:
            params = callee.params
            offset = 1 if isinstance(node.func, ast.Attribute) and params[:1] in (["self"], ["cls"]) else 0
            agree = True
            for index, arg in enumerate(node.args):
                if isinstance(arg, ast.Starred):
                    break
                if isinstance(arg, ast.Name) and arg.id in env and index + offset < len(params):
                    agree = agree and args.get(params[index + offset], env[arg.id]) == env[arg.id]
            for keyword in node.keywords:
                if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id in env:
                    agree = agree and args.get(keyword.arg, env[keyword.value.id]) == env[keyword.value.id]
            if agree:
                return True
        return False

    def loop_step(self, segment: _Segment, loop: ast.stmt) -> None:
        func, view = segment.func, segment.view
        env = segment.env_before(INF)
        facts = func.facts(loop.lineno)
        values = {n: env[n] for n in facts.reads if n in env}
        hits = view.hits.get(loop.lineno, 0)
        note = "the loop it was in" + (f" (this line ran {hits:,} times)" if hits else "")
        self.add(func, loop.lineno, values, note, INF - 1)
        self.loop_updates(segment, loop)

    def loop_updates(self, segment: _Segment, loop: ast.stmt) -> None:
        """Why a loop that ran out of time did not end: the lines in it that set what its condition
        reads, and what they did to those values — left them as they were, or kept moving them
        (``i = 2 → 4 → 6 … 8263624``) past where the condition would have stopped."""
        if not isinstance(loop, ast.While):
            return
        func, view = segment.func, segment.view
        first, last = loop.lineno, loop.end_lineno or loop.lineno
        reads = func.facts(loop.lineno).reads
        before = segment.env_before(INF)
        moved: list[tuple[int, dict[str, str], str]] = []
        for name in reads:
            for line in sorted(func.writers(name)):
                if not first < line <= last or not view.hits.get(line):
                    continue
                hits = view.hits[line]
                series = [e.state[name] for e in segment.events if e.line == line and name in e.state]
                if not series and hits > 1:
                    value = before.get(name)
                    note = f"ran {hits:,} times and never changed `{name}`, which the loop's condition reads"
                    stuck = (line, {name: value} if value else {}, note)
                    moved.insert(0, stuck)
                elif len(series) > 1:
                    shown = format_values(series, hits)
                    moved.append((line, {}, f"`{name}` = {shown}: it kept changing and the condition never stopped it"))
        for line, values, note in moved[:2]:
            self.add(func, line, values, note, INF - 1.5)

    def other_returns(self, segment: _Segment, line: int, item: _Item, queue: deque[_Item]) -> None:
        """The function returned at ``line``: the conditions that kept its other returns from running."""
        func, view = segment.func, segment.view
        shown = 0
        for other in sorted(func.starts):
            stmt = func.guard.get(other)
            ends = isinstance(func.starts[other], (ast.Return, ast.Raise))  # the ways out it did not take
            if shown >= 2 or other == line or not ends or stmt is None:
                continue
            if view.hits.get(other) or not view.hits.get(stmt.lineno):
                continue
            at = self.guard_step(segment, stmt, other, INF, never=True)
            if at is not None:
                shown += 1
                queue.append(_Item(segment, func.facts(stmt.lineno).reads, at, item.depth + 1, 0, False))

    def never_ran(self, segment: _Segment, name: str, item: _Item, queue: deque[_Item]) -> None:
        """Another line that would have set ``name`` never ran: show the condition that kept it out."""
        func, pos = segment.func, item.pos
        for line in sorted(func.writers(name)):
            stmt = func.guard.get(line)
            if segment.view.hits.get(line) or stmt is None or not segment.view.hits.get(stmt.lineno):
                continue
            at = self.guard_step(segment, stmt, line, pos, never=True)
            if at is not None:
                queue.append(_Item(segment, func.facts(stmt.lineno).reads, at, item.depth + 1, 0, False))
            return

    def guard_step(self, segment: _Segment, stmt: ast.stmt, line: int, pos: float, never: bool) -> float | None:
        """The ``if``/``while`` that decided whether ``line`` ran, with its outcomes and values; when it
        was added, where it ran (for tracing its own values back)."""
        func = segment.func
        if (func.file, stmt.lineno) in self.seen:
            return None
        facts = func.facts(stmt.lineno)
        runs = [x for x in segment.executions(stmt.lineno) if x.pos < pos]
        if runs:
            env, at = runs[-1].env, runs[-1].pos
        else:  # the values the line it guards saw, less those its body may have changed
            body_writes = {n for s in ast.walk(stmt) if isinstance(s, ast.stmt) for n in _facts_of(s).bound}
            x = segment.last_before(line, pos)
            env = {k: v for k, v in (x.env if x else {}).items() if k not in body_writes}
            at = (x.pos if x else pos) - 0.25
        values = {n: env[n] for n in facts.reads if n in env}
        for base, attr in facts.attrs:
            fields = _fields(env.get(base))
            if fields and attr in fields:
                values[f"{base}.{attr}"] = fields[attr]
        view = segment.view
        branches = branch_lines("\n".join(self.ctx.source(func.file).lines))
        text = self.ctx.source(func.file).text(line)
        note = f"decides whether line {line} (`{_short(text, 60)}`) runs"
        if never:
            note += "; it never did"
        if stmt.lineno in branches:
            kind, _ = branches[stmt.lineno]
            taken, not_taken = view.branch.get(stmt.lineno, (0, 0))
            if taken + not_taken:
                note += ": " + branch_note(kind, taken + not_taken, taken)
                note += " over the whole test" if not segment.single else ""
        every = segment.executions(stmt.lineno)
        if 1 < len(every) <= 6:
            series = []
            for n in facts.reads + [f"{b}.{a}" for b, a in facts.attrs]:
                seq = [_value_of(r.env, n) for r in every]
                if all(v is not None and len(v) <= 40 for v in seq):
                    series.append(f"`{n}` = {' → '.join(v or '' for v in seq)}")
            if series:
                note += " (" + ", ".join(series) + ")"
        if self.add(func, stmt.lineno, values, note, at) is None:
            return None
        self.callees(segment, stmt.lineno, env, at)
        return at

    def series_note(self, segment: _Segment, line: int, facts: _Facts, stale: bool, count: bool = True) -> str:
        own = [e for e in segment.events if e.line == line]
        hits = segment.view.hits.get(line, 0)
        parts = []
        for name in facts.bound:
            series = [e.state[name] for e in own if name in e.state]
            if len(series) > 1 and all(len(v) <= 40 for v in series):
                parts.append(f"`{name}` = {format_values(series, len(series))}" + (" → …" if stale else ""))
        text = ", ".join(parts)
        if hits > 1 and segment.single and count:
            text += f" (ran {hits:,}×)" if text else f"ran {hits:,}×"
        if stale:
            text += "; the values of its later runs were not recorded"
        return text.strip()

    def hop(self, facts: _Facts, assigned: list[str], item: _Item, queue: deque[_Item]) -> bool:
        """``x = g(...)`` (or ``return g(...)``): follow into ``g`` when one of its calls returned the value
        ``x`` got."""
        if not assigned or not facts.calls:
            return False
        for call in self.ctx.doc.get("calls") or []:
            if call.get("name") not in facts.calls:
                continue
            for record in reversed(call["records"]):
                if record.get("return_repr") is None or record["return_repr"] not in assigned:
                    continue
                func = self.ctx.func_at(call["file"], call["line"])
                if func is None:
                    continue
                view = self.ctx.view(self.ctx.doc, func)
                ret = return_line(view, record.get("at"), record["return_repr"])
                inner = view.segment(record.get("at"))
                if ret is None or inner is None:
                    return False
                env = inner.env_before(INF)
                reads = [n for n in func.facts(ret).reads if n in env]
                note = f"`{func.name}()` returned `{_short(record['return_repr'])}`"
                pos = (inner.events[-1].seq if inner.events else item.pos) + 0.5
                if self.add(func, ret, {n: env[n] for n in reads}, note, pos) is not None:
                    queue.append(_Item(inner, reads, INF, item.depth + 1, ret, item.focus))
                return True
        return False


def _module_names(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement binds."""
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    else:
        return set()
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _distinctive(value: str) -> bool:
    """A value that points at one literal: not 0, 1, True, None, '' and the like."""
    return len(value) >= 3 and value not in ("None", "True", "False", "...")
