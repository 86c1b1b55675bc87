"""Compare one program's trace with the reference's record of the same run (host side, any Python).

What must agree, per line of the program's file:

- ``hits``: the number of line events (comprehension frames are part of their line).
- states, within caps: the reference knows every execution's changed variables. For each code
  object running the line, the tracer examines its first ``max_states`` executions: its kept
  ``states`` must be exactly the non-empty changes of those executions, in execution order (``at``:
  which execution of the line each came from). When the line's last change came after those, the
  tracer adds one more state, the line's true last state: each value it shows must be what the
  line's last change gave the name or the name's value right after the line's last execution, and it
  must show every name that last change changed. (Equal to the last kept state, it may be left out.)
- ``raised``: the exceptions that started at the line: count, type and message of the last.
- ``returns``/``returned``: what ``return`` statements on the line gave back (first ones, then the
  last) and how many times one ran to its end.
- ``branches`` of ``if``/``elif``/``while`` lines: True when the frame's next line is in the body,
  False for any other next line; an execution whose condition raised is neither.
- per function: call count, and for the first ``max_calls`` calls and the last one the arguments,
  the returned value or the exception, and the yields of a finished generator.
- the notes a user sees (``annotate.line_notes``, as the CLI and the editor show them) against notes
  built here from the reference's facts.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from semcoder_core.annotate import line_notes

MAX_VALUES = 5


@dataclass(frozen=True)
class Diff:
    program: str
    line: int | str
    kind: str
    reference: object
    tracer: object

    def __str__(self) -> str:
        where = f"{self.program}:{self.line} [{self.kind}]"
        return f"{where}\n    reference: {self.reference!r}\n    tracer:    {self.tracer!r}"


@dataclass(frozen=True)
class Branch:
    line: int
    first: int  # the body's first line (decorators included)
    last: int


def branch_lines(source: str) -> dict[int, Branch]:
    """``if``/``elif``/``while`` lines whose body starts on a later line (a one-line body is not told by lines)."""
    out = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.If, ast.While)) and node.body:
            head = node.body[0]
            first = min([head.lineno] + [d.lineno for d in getattr(head, "decorator_list", [])])
            if first > node.lineno:
                out[node.lineno] = Branch(node.lineno, first, node.body[-1].end_lineno or node.body[-1].lineno)
    return out


def one_line_branches(source: str) -> set[int]:
    return {
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.If, ast.While)) and node.body and node.body[0].lineno == node.lineno
    }


def return_statements(source: str) -> set[int]:
    return {node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Return)}


def expected_branches(ref_line: dict, branch: Branch) -> dict[str, int]:
    taken = not_taken = 0
    for nxt, count in ref_line["nexts"].items():
        if nxt == "raised":
            continue
        if nxt != "end" and branch.first <= int(nxt) <= branch.last:
            taken += count
        else:
            not_taken += count
    return {"True": taken, "False": not_taken}


def _kept(ref_line: dict, max_states: int) -> list[tuple[int, int, dict]]:
    """(seq, at, changed) of the non-empty changes among each code object's first ``max_states`` executions."""
    items = []
    for _count, execs in ref_line["execs"].values():
        for seq, at, changed in execs[:max_states]:
            if changed:  # None: still running when the run ended
                items.append((seq, at, changed))
    items.sort(key=lambda item: item[0])
    return items


def expected_states(ref_line: dict, max_states: int) -> tuple[list[dict], list[int], dict | None, bool]:
    """Kept states, their ``at``, the last state (or None) and whether it must be shown."""
    kept = _kept(ref_line, max_states)
    states = [c for _, _, c in kept]
    last = ref_line["last_change"]
    if last is None:
        return states, [a for _, a, _ in kept], None, False
    last_seq, last_state = last
    beyond = last_seq not in {seq for seq, _, _ in kept}
    if not beyond:
        return states, [a for _, a, _ in kept], None, False
    required = not states or last_state != states[-1]
    return states, [a for _, a, _ in kept], last_state, required


def _final_ok(shown: dict, ref_line: dict) -> bool:
    last_change = ref_line["last_change"][1]
    after = ref_line["last_exec"][1] if ref_line["last_exec"] else {}
    if not set(last_change) <= set(shown):
        return False
    return all(value in (last_change.get(name), after.get(name)) for name, value in shown.items())


def expected_returns(ref_line: dict, cap: int) -> list[str]:
    values = ref_line["returns"]
    n = ref_line["nreturns"]
    if n <= cap:
        return values[:n]
    return values[:cap] + [values[-1]]


def compare_program(
    program: str, source: str, ref: dict, trace: dict, max_states: int, max_calls: int, path: str
) -> list[Diff]:
    diffs: list[Diff] = []

    def diff(line, kind, r, t):
        diffs.append(Diff(program, line, kind, r, t))

    if ref["outcome"] != trace["outcome"]:
        diff("-", "outcome", ref["outcome"], trace["outcome"])
    rlines, tlines = ref["lines"], trace["lines"]
    branches = branch_lines(source)
    for key in sorted(set(rlines) | set(tlines), key=int):
        r = rlines.get(key)
        t = tlines.get(key, {})
        line = int(key)
        rhits = r["hits"] if r else 0
        if rhits != t.get("hits", 0):
            diff(line, "hits", rhits, t.get("hits", 0))
        if r is None:
            continue
        # states within caps
        states, at, last, required = expected_states(r, max_states)
        shown = t.get("states", [])
        n = len(states)
        if shown[:n] != states:
            diff(line, "states", states, shown[:n])
        else:
            rest = shown[n:]
            if len(rest) > 1 or (required and not rest):
                diff(line, "last state", last, rest)
            elif rest and (last is None or not _final_ok(rest[0], r)):
                diff(line, "last state", last, rest[0])
            elif len(r["execs"]) == 1 and t.get("at", [])[:n] != at:
                diff(line, "at", at, t.get("at", [])[:n])
        # exceptions
        rr, tr = r["raised"], t.get("raised")
        if rr != tr:
            diff(line, "raised", rr, tr)
        # returns
        if r["nreturns"] or "returned" in t or "returns" in t:
            if r["nreturns"] != t.get("returned", 0):
                diff(line, "returned", r["nreturns"], t.get("returned", 0))
            want = expected_returns(r, max_calls)
            if want != t.get("returns", []):
                diff(line, "returns", want, t.get("returns", []))
        # branches
        if line in branches:
            want = expected_branches(r, branches[line])
            got = t.get("branches")
            if got is not None and {k: v for k, v in got.items() if v} != {k: v for k, v in want.items() if v}:
                diff(line, "branches", want, got)
    diffs.extend(_compare_calls(program, ref["codes"], trace["calls"], max_calls))
    diffs.extend(_compare_notes(program, source, ref, trace, max_states, max_calls, path))
    return diffs


def _compare_calls(program: str, codes: list[dict], calls: list[dict], max_calls: int) -> list[Diff]:
    diffs = []
    groups: dict[tuple[int, str], list] = {}
    for code in codes:
        groups.setdefault((code["line"], code["name"]), []).append(code)
    tgroups: dict[tuple[int, str], list] = {}
    for call in calls:
        tgroups.setdefault((call["line"], call["name"]), []).append(call)
    for key in sorted(set(groups) | set(tgroups)):
        rs, ts = groups.get(key, []), tgroups.get(key, [])
        where = f"{key[1]}@{key[0]}"
        if len(rs) != len(ts):
            diffs.append(Diff(program, where, "functions", [c["count"] for c in rs], [c["count"] for c in ts]))
            continue
        for r, t in zip(rs, ts):
            if r["qualname"] is not None and r["qualname"] != t["qualname"]:
                diffs.append(Diff(program, where, "qualname", r["qualname"], t["qualname"]))
            if r["count"] != t["count"]:
                diffs.append(Diff(program, where, "call count", r["count"], t["count"]))
                continue
            want = [dict(c, at=i) for i, c in enumerate(r["calls"][:max_calls], 1)]
            if r["count"] > max_calls:
                want.append(dict(r["last"], at=r["count"]))
            for w, g in zip(want, t["records"]):
                w = dict(w)
                finished = w.pop("finished")
                got = {k: g.get(k) for k in ("at", "args", "return_repr", "exception")}
                if "yields" in g or "yields" in w:
                    got["yields"] = g.get("yields")
                    w.setdefault("yields", None)
                if not finished:
                    # a generator never run to its end (or a frame still open): no return to compare
                    got.pop("return_repr")
                    w.pop("return_repr")
                if w != got:
                    diffs.append(Diff(program, f"{where} call {w['at']}", "call record", w, got))
            if len(want) != len(t["records"]):
                diffs.append(Diff(program, where, "call records kept", len(want), len(t["records"])))
    return diffs


# -- the notes a user sees ------------------------------------------------------------------------


def _format_values(values: list[str], count: int) -> str:
    """The display rule of the notes: the first values, an ellipsis where values are left out, the last."""
    if len(values) > MAX_VALUES:
        values = values[: MAX_VALUES - 1] + ["…", values[-1]]
    elif count > len(values) + 1 and len(values) > 1:
        values = values[:-1] + ["…", values[-1]]
    return " → ".join(values).replace("→ … →", "…")


def expected_note(
    line: int,
    ref_line: dict,
    max_states: int,
    max_calls: int,
    branch: Branch | None,
    is_return: bool,
) -> str:
    hits = ref_line["hits"]
    states, _, last, required = expected_states(ref_line, max_states)
    if last is not None and (required or True) and (not states or last != states[-1]):
        states = states + [last]
    series: dict[str, list[str]] = {}
    for state in states:
        for name, value in state.items():
            series.setdefault(name, []).append(value)
    text = ", ".join(f"{name} = {_format_values(values, hits)}" for name, values in series.items())
    if hits > 1 and text:
        text += f" ({hits}×)"
    raised = ref_line["raised"]
    if raised:
        message = (raised["message"] or "").splitlines()
        exc = f"raised {raised['type']}" + (f": {message[0]}" if message else "")
        text = f"{text}; {exc}" if text else exc
    if len(text) > 120:
        text = text[:119] + "…"
    parts = [text]
    if branch is not None:
        b = expected_branches(ref_line, branch)
        total = b["True"] + b["False"]
        if total == 1:
            parts.append("→ True" if b["True"] else "→ False")
        elif total:
            parts.append("→ " + ", ".join(f"{k} {v}×" for k, v in b.items() if v))
    if is_return and ref_line["nreturns"]:
        parts.append("⟵ returns " + _format_values(expected_returns(ref_line, max_calls), ref_line["nreturns"]))
    return "  ".join(p for p in parts if p)


def _compare_notes(
    program: str, source: str, ref: dict, trace: dict, max_states: int, max_calls: int, path: str
) -> list[Diff]:
    diffs = []
    notes = line_notes(path, source, {k: v for k, v in trace["lines"].items()}, trace["calls"], MAX_VALUES)
    branches = branch_lines(source)
    returns = return_statements(source)
    for key, r in ref["lines"].items():
        line = int(key)
        if not r["hits"] and not r["raised"]:
            continue
        want = expected_note(line, r, max_states, max_calls, branches.get(line), line in returns)
        got = notes.get(line, "")
        if want != got:
            diffs.append(Diff(program, line, "note", want, got))
    for line, note in notes.items():
        if str(line) not in ref["lines"]:
            diffs.append(Diff(program, line, "note", "", note))
    return diffs
