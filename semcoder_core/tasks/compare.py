"""Predicted states against observed ones: which agree, which disagree, which cannot be checked."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Optional

from ..tracer.schema import FileLines, LineEntry

AGREE, DISAGREE, UNCHECKED = "agree", "disagree", "unchecked"


def _literal(text: str) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def same_value(predicted: str, observed: str) -> Optional[bool]:
    """True/False when the two reprs can be compared, None when not (an object repr, a cut repr).

    ``2`` and ``2.0`` differ (the floor-division bug is exactly that), ``'a'`` and ``"a"`` do not."""
    if observed.endswith("…") or "…" in observed:
        return None
    ok_p, p = _literal(predicted)
    ok_o, o = _literal(observed)
    if ok_p and ok_o:
        if repr(p) == repr(o):
            return True
        try:
            return type(p) is type(o) and bool(p == o)
        except Exception:  # noqa: BLE001 - comparing user values
            return False
    if ok_p != ok_o:
        return None  # a literal against an object's repr (or the reverse): no safe verdict
    return " ".join(predicted.split()) == " ".join(observed.split())


@dataclass(frozen=True)
class Check:
    line: int
    variable: str
    predicted: str
    observed: tuple[str, ...]  # the values the variable took at that line in the run
    verdict: str  # agree | disagree | unchecked


def check_states(
    predicted: dict[int, LineEntry], observed: FileLines, arguments: dict[str, str] | None = None, def_line: int = 0
) -> list[Check]:
    """Each predicted (line, variable, value) checked against the run's states at that line; the
    parameters' values count as observed at the ``def`` line."""
    out: list[Check] = []
    for line, entry in sorted(predicted.items()):
        seen: dict[str, list[str]] = {}
        entry_seen = observed.get(str(line))
        for state in entry_seen["states"] if entry_seen else []:
            for name, value in state.items():
                seen.setdefault(name, []).append(value)
        if line == def_line and arguments:
            for name, value in arguments.items():
                seen.setdefault(name, []).append(value)
        for state in entry.get("states", []):
            for name, value in state.items():
                values = seen.get(name, [])
                verdicts = [same_value(value, v) for v in values]
                if any(v is True for v in verdicts):
                    verdict = AGREE
                elif verdicts and all(v is False for v in verdicts):
                    verdict = DISAGREE
                else:
                    verdict = UNCHECKED
                out.append(Check(line, name, value, tuple(dict.fromkeys(values)), verdict))
    return out
