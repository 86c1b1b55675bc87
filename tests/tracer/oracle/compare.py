"""Compare one program's trace with the reference's record of the same run (host side, any Python).

What must agree, per line of the program's file:

- ``hits``: the number of line events (comprehension frames are part of their line).
- states, within caps: the reference knows every execution's changed variables. For each code
  object running the line, the tracer examines its first ``max_states`` executions: its kept
  ``states`` must be exactly the non-empty changes of those executions, in the order they ended (``at``:
  which execution of the line each came from, by start). When the line's last execution that changed
  or bound something (a ``for`` line binds only when an iteration starts) is not one of those, the
  tracer adds one more state, the line's true last state: it shows every name that execution changed
  or bound, as it left them (other names the line changed before may be shown with their values at
  that moment). Equal to the last kept state, it may be left out. A name the tracer lists in the line's
  ``unrecorded`` (it cannot know the value without examining every execution) may be missing from
  it; the note then ends that name's values with an ellipsis instead of presenting the last kept one
  as the last.
- ``raised``: the exceptions that started at the line: count, type and message of the last.
- ``returns``/``returned``: what ``return`` statements on the line gave back (the first ``max_states``,
  then the last) and how many times one ran to its end.
- ``branches`` of ``if``/``elif``/``while`` lines: True when the frame's next line after the test is in
  the body (for ``if c: return x`` on one line: when that ``return`` ran), False for any other next line
  or an implicit return; an execution whose test raised is neither. Other one-line bodies are not judged
  (no line event tells), so the tracer must not report them either.
- ``seq``: the kept states of all lines in the order their executions ended (``(line, index)`` pairs shown).
- per function: call count, and for the first ``max_calls`` calls and the last one the arguments,
  the returned value or the exception, and the yields of a finished generator.
- the notes a user sees (``annotate.line_notes``, as the CLI and the editor show them) against notes
  built here from the reference's facts.
"""

from __future__ import annotations

import ast
import functools
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


@functools.lru_cache(maxsize=64)
def return_statements(source: str) -> frozenset[int]:
    return frozenset(node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Return))


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
    at = [a for _, a, _ in kept]
    last = ref_line["last_exec"]
    if last is None:
        return states, at, None, False
    examined = {seq for _, execs in ref_line["execs"].values() for seq, _, _ in execs[:max_states]}
    last_seq, after, must = last
    if last_seq in examined:
        return states, at, None, False
    last_state = {name: after[name] for name in must}
    # Already what the last kept state shows (an alias changed with it, say): nothing more to show.
    shown_already = bool(states) and all(states[-1].get(name) == value for name, value in last_state.items())
    return states, at, last_state, not shown_already


def _final_ok(shown: dict, ref_line: dict, unrecorded: frozenset = frozenset()) -> bool:
    """The last state shown: the names the line's last changing or binding execution changed or bound (at
    least, but for names declared unrecorded), as that execution left them; other names the line changed
    before may be shown as they were then."""
    _, after, must = ref_line["last_exec"]
    return set(must) - unrecorded <= set(shown) and all(after.get(name) == value for name, value in shown.items())


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
        unrecorded = frozenset(t.get("unrecorded", ()))
        n = len(states)
        if shown[:n] != states:
            diff(line, "states", states, shown[:n])
        else:
            rest = shown[n:]
            if len(rest) > 1 or (required and not rest and not set(last or ()) <= unrecorded):
                diff(line, "last state", last, rest)
            elif rest and (r["last_exec"] is None or not _final_ok(rest[0], r, unrecorded)):
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
            want = expected_returns(r, max_states)
            if want != t.get("returns", []):
                diff(line, "returns", want, t.get("returns", []))
        # branches
        want = {k: v for k, v in r["branches"].items() if v}
        got = {k: v for k, v in (t.get("branches") or {}).items() if v}
        if want != got:
            diff(line, "branches", want, got)
    diffs.extend(_compare_order(program, rlines, tlines, max_states))
    diffs.extend(_compare_calls(program, ref["codes"], trace["calls"], max_calls))
    diffs.extend(_compare_notes(program, source, ref, trace, max_states, max_calls, path))
    return diffs


def _compare_order(program: str, rlines: dict, tlines: dict, max_states: int) -> list[Diff]:
    """``seq`` ranks the kept states of the whole run: the kept states of all lines must come in the order
    their executions ended (the timeline a reader steps through)."""
    ref_order, trace_seq = [], {}
    for key, r in rlines.items():
        kept = _kept(r, max_states)
        t = tlines.get(key, {})
        if t.get("states", [])[: len(kept)] != [c for _, _, c in kept] or len(t.get("seq", [])) < len(kept):
            continue  # already a states difference
        for index, (seq, _, _) in enumerate(kept):
            ref_order.append((seq, (int(key), index)))
            trace_seq[(int(key), index)] = t["seq"][index]
    want = [item for _, item in sorted(ref_order)]
    got = sorted(want, key=lambda item: trace_seq[item])
    if want == got:
        return []
    first = next(i for i, (a, b) in enumerate(zip(want, got)) if a != b)
    return [Diff(program, want[first][0], "order", want[first : first + 4], got[first : first + 4])]


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
    is_return: bool,
    shown_last: dict | None = None,
    unrecorded: frozenset = frozenset(),
) -> str:
    hits = ref_line["hits"]
    states, _, last, required = expected_states(ref_line, max_states)
    if shown_last is not None and ref_line["last_exec"] is not None and _final_ok(shown_last, ref_line, unrecorded):
        states = states + [shown_last]  # the last state as the tracer showed it, when that is right
    elif required:
        known = {name: value for name, value in (last or {}).items() if name not in unrecorded}
        states = states + ([known] if known else [])
    series: dict[str, list[str]] = {}
    for state in states:
        for name, value in state.items():
            series.setdefault(name, []).append(value)
    text = ", ".join(
        f"{name} = " + (" → ".join(values[:MAX_VALUES]) + " …" if name in unrecorded else _format_values(values, hits))
        for name, values in series.items()
    )
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
    if ref_line["branches"]:
        b = {"True": ref_line["branches"].get("True", 0), "False": ref_line["branches"].get("False", 0)}
        total = b["True"] + b["False"]
        if total == 1:
            parts.append("→ True" if b["True"] else "→ False")
        elif total:
            parts.append("→ " + ", ".join(f"{k} {v}×" for k, v in b.items() if v))
    if is_return and ref_line["nreturns"]:
        values = expected_returns(ref_line, max_states)
        parts.append(RETURNS.strip() + " " + _format_values(values, ref_line["nreturns"]))
    return "  ".join(p for p in parts if p)


RETURNS = "  ⟵ returns "


def _returns_shown_ok(text: str, ref_line: dict) -> bool:
    """How many first values a note shows is the note's choice: they must be the first values returned,
    followed by an ellipsis and the last one when values were left out, or every value."""
    shown = text.replace(" … ", " → … → ").split(" → ")
    values, count = ref_line["returns"], ref_line["nreturns"]
    if "…" not in shown:
        return len(shown) == count and shown == values[:count]
    k = shown.index("…")
    return k >= 1 and shown[:k] == values[:k] and shown[k + 1 :] == values[-1:] and k + 1 < count


def _compare_notes(
    program: str, source: str, ref: dict, trace: dict, max_states: int, max_calls: int, path: str
) -> list[Diff]:
    diffs = []
    notes = line_notes(path, source, {k: v for k, v in trace["lines"].items()}, trace["calls"], MAX_VALUES)
    returns = return_statements(source)
    for key, r in ref["lines"].items():
        line = int(key)
        if not r["hits"] and not r["raised"]:
            continue
        states, _, _, _ = expected_states(r, max_states)
        shown = trace["lines"].get(key, {}).get("states", [])
        shown_last = shown[len(states)] if len(shown) == len(states) + 1 else None
        unrecorded = frozenset(trace["lines"].get(key, {}).get("unrecorded", ()))
        want = expected_note(line, r, max_states, max_calls, line in returns, shown_last, unrecorded)
        got = notes.get(line, "")
        want_head, _, want_returns = ("  " + want if want.startswith("⟵") else want).partition(RETURNS)
        got_head, _, got_returns = ("  " + got if got.startswith("⟵") else got).partition(RETURNS)
        if want_head != got_head or bool(want_returns) != bool(got_returns):
            diffs.append(Diff(program, line, "note", want, got))
        elif got_returns and not _returns_shown_ok(got_returns, r):
            diffs.append(Diff(program, line, "note: returns", want, got))
    for line, note in notes.items():
        if str(line) not in ref["lines"]:
            diffs.append(Diff(program, line, "note", "", note))
    return diffs
