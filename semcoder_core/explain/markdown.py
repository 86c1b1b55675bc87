"""The explanation as markdown: the failure, how it came about, and how it differs from passing tests."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

from ..annotate import is_test_file
from ..spectrum import localize
from ..tracer.schema import Trace
from .chain import _Chain
from .context import _Context
from .divergence import _Divergence
from .origins import _Origins, text_literal
from .reprs import _differences, _pairs, _short
from .result import Explanation, Step, Tried


def explain_failure(
    doc: Trace,
    source_of: Callable[[str], str],
    project: Path,
    passing: Sequence[Trace] = (),
    tried: Optional[Tried] = None,
) -> Explanation:
    """Explain the failing test traced in ``doc`` (a ``testruns.test_document``).

    ``source_of(path)`` gives a traced file's text; ``project`` is the root that ``file:line``
    references are relative to; ``passing`` are trace documents of passing tests of the same code,
    compared with the failing run to find where they part; ``tried``, a change that made the test
    pass (``repair.probe``), makes its line the one to look at first.
    """
    ctx = _Context(doc, source_of, project)
    return _render(ctx, _Chain(ctx), passing, tried)


def _render(ctx: _Context, chain: _Chain, passing: Sequence[Trace], tried: Optional[Tried]) -> Explanation:
    """The markdown: the failure, the chain built backwards from it, the first divergence."""
    failure = ctx.failure_dict()
    md: list[str] = []
    name = failure["test"] or "the test"
    status = ctx.doc.get("status")
    md.append(f"**`{name}` {'timed out' if status == 'timeout' else 'fails'}.**")
    md.append("")
    md.append(_failure_text(ctx, failure, chain.origins))
    code_ran = any(
        not is_test_file(f) and any(e.get("hits") for e in lines.values())
        for f, lines in (ctx.doc.get("lines") or {}).items()
    )
    blamed = chain.build_chain()
    chain.ordered_steps()
    line = (blamed[1], blamed[2]) if blamed is not None and blamed[0] != "asserted" else None
    if line is None:
        line = next(((s.file, s.line) for s in chain.steps if not is_test_file(s.file)), None)
    origin = line
    line, why = _look_first(ctx, chain, origin, passing)
    if tried is not None:
        line = (tried.file, tried.line)
        also = ""
        if tried.others:
            also = f" and {tried.fixed_others} of the {tried.others} other failing tests near it"
        kept = f", and the {tried.kept} passing tests that reach this code still pass" if tried.kept else ""
        why = (
            f"changing it ({tried.title}) makes this test{also} pass{kept} (one run of each; `semcoder fix` "
            f"validates a fix against every test)"
        )
    look_first = ""
    if line is not None and (line != origin or tried is not None):
        text = ctx.source(line[0]).text(line[1])
        look_first = f"**Where to look first:** {ctx.where(*line)} `{_short(text, 100)}`, {why}."
    if not (ctx.doc.get("lines") or {}):
        md.append("")
        md.append("The trace recorded no lines, so there is nothing more to show.")
    elif not code_ran:
        md.append("")
        md.append("No code under test ran in this test (only the test's own lines were traced).")
    if look_first:
        md.append("")
        md.append(look_first)
    if chain.steps:
        md.append("")
        md.append("**How it came about** (backwards from the failure):")
        md.append("")
        shown: set[tuple[str, str]] = set()
        for index, step in enumerate(chain.steps, 1):
            md.append(f"{index}. {_step_text(ctx, step, shown)}")
    divergence = None
    found = _Divergence(ctx, passing, chain.step_funcs, chain.blamed).first() if chain.steps else None
    if found is not None:
        divergence, run = found
        md.append("")
        where = ctx.where(divergence.file, divergence.line)
        md.append(
            f"**Compared with passing tests:** `{run}` passes through the same code; the first difference is at "
            f"{where} `{divergence.text}`: {divergence.note}."
        )
    return Explanation("\n".join(md).rstrip() + "\n", failure, line, list(chain.steps), divergence, origin, tried)


def _look_first(
    ctx: _Context, chain: _Chain, origin: tuple[str, int] | None, passing: Sequence[Trace]
) -> tuple[tuple[str, int] | None, str]:
    """The line most likely wrong, and why: the row of a module-level table the wrong value came from;
    else the line the passing tests that reach this code ran least for what this test ran (Ochiai),
    where the loop a test that ran out of time was stuck in, the line the failure came from, then the
    chain's lines, then the nearest, win ties; the
    line the failure came from when no passing test reaches the code."""
    if chain.literal_origin is not None:
        file, row, table = chain.literal_origin
        return (file, row), f"the row of `{table}` the value came from"
    literal = text_literal(ctx)
    if literal is not None:
        file, row, text = literal
        return (file, row), f"its text `{_short(repr(text), 40)}`, set at import, stands where the output differs"
    if not passing or origin is None:
        return origin, ""
    suspects = [s for s in localize([ctx.doc], list(passing)) if not is_test_file(s.file)]
    if not suspects:
        return origin, ""
    best = suspects[0].score
    tied = [(s.file, s.line) for s in suspects if s.score >= best - 1e-9]
    stuck = chain.stuck_loop
    if stuck is not None and ctx.doc.get("status") == "timeout" and (stuck[0], stuck[1]) in tied:
        ended = "its condition never became false" if stuck[2] == "while" else "what it iterates over never ran out"
        return (stuck[0], stuck[1]), f"the loop this test was stuck in: {ended}"
    if origin in tied:
        return origin, ""
    on_chain = [(s.file, s.line) for s in chain.steps if (s.file, s.line) in tied]
    pick = on_chain[0] if on_chain else min(tied, key=lambda w: (w[0] != origin[0], abs(w[1] - origin[1])))
    ran_by = next(s for s in suspects if (s.file, s.line) == pick).passing
    reach = f"{ran_by} of the {len(passing)} passing tests" if ran_by else f"none of the {len(passing)} passing tests"
    return pick, f"this test ran it and {reach} that reach this code did"


def _failure_text(ctx: _Context, failure: dict, origins: _Origins) -> str:
    where = ctx.test_line()
    at = ""
    if where is not None:
        text = ctx.source(where[0]).text(where[1])
        at = f"At {ctx.where(*where)}" + (f" `{text}`" if text else "") + ": "
    status = ctx.doc.get("status")
    exc = ctx.exception
    if status == "timeout":
        message = (failure.get("message") or "did not finish in time").split("; it was running")[0]
        place = ""
        file, line = exc["file"], exc["line"]
        if file and line:
            text = ctx.source(file).text(int(line))
            place = f"; when time ran out it was running {ctx.where(file, int(line))}"
            place += f" `{text}`" if text else ""
        return f"{at}it {message}{place}." if at else f"It {message}{place}."
    expected_exception = origins.not_raised()
    if expected_exception is not None:
        quiet = origins.quiet_call()
        func = ctx.func_at(quiet[1], quiet[2]) if quiet is not None else None
        instead = f", but `{func.name}()` returned `{_short(quiet[3] or '')}`" if quiet and func else ""
        return f"{at}expected `{expected_exception}` to be raised{instead}."
    compare = ctx.test.get("compare")
    if compare is not None and compare.get("op") in ("in", "not in"):
        verb = "is not in" if compare["op"] == "in" else "is in"
        return f"{at}`{_short(compare['left'], 200)}` {verb} `{_short(compare['right'], 200)}`."
    if failure.get("expected") is not None and failure.get("actual") is not None:
        text = f"{at}expected `{_short(failure['expected'], 200)}`, got `{_short(failure['actual'], 200)}`."
        diffs = _differences(failure["expected"], failure["actual"])
        if diffs:
            parts = []
            for key, exp, act in diffs[:4]:
                if act is None:
                    parts.append(f"`{key}` is missing (expected `{_short(exp or '')}`)")
                elif exp is None:
                    parts.append(f"`{key}` is not expected (got `{_short(act)}`)")
                else:
                    parts.append(f"`{key}`: expected `{_short(exp)}`, got `{_short(act)}`")
            text += " Differences: " + "; ".join(parts) + "."
        return text
    message = failure.get("message") or exc.get("type") or status or "failed"
    text = f"{at}{message}"
    file, line = exc["file"], exc["line"]
    if file and line and not is_test_file(file):
        function = next((f.get("function") for f in reversed(exc.get("traceback") or [])), None)
        text += f", raised at {ctx.where(file, int(line))}" + (f" in `{function}()`" if function else "")
    return text + "."


def _step_text(ctx: _Context, step: Step, shown: set[tuple[str, str]]) -> str:
    """A chain step; values an earlier step showed already, and objects whose fields are shown, left out."""
    text = f"{ctx.where(step.file, step.line)} `{_short(step.text, 100)}`"
    if step.note:
        text += f" — {step.note}"
    bases = {k.partition(".")[0] for k in step.values if "." in k}
    func = ctx.func_at(step.file, step.line)
    own: set[str] = set()
    if func is not None:
        own = set(func.params) if step.line == func.first else set(func.facts(step.line).bound)
    values = {k: v for k, v in step.values.items() if k in own or ((k, v) not in shown and k not in bases)}
    shown.update(step.values.items())
    if values:
        text += ("; " if step.note else " — ") + _pairs(values)
    return text
