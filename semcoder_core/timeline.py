"""A run as a sequence of steps (file, line, what changed), in execution order, for step-through views.

The tracer keeps, per line, the first states and the last one, each with its global sequence number
(``seq``); ordering every kept state by it gives the run's changes in the order they happened. Past a
line's cap the skipped executions are summarised, not replayed: a step says how many it stands for.
"""

from __future__ import annotations

from typing import Any

from .tracer.schema import Trace


def timeline(doc: Trace, max_steps: int = 2000) -> dict[str, Any]:
    """Steps ``{"seq", "file", "line", "changes": {var: repr}, "hit"}`` and, per step, the variables
    known so far (``"state"``: the last value of every variable of that file seen up to that step)."""
    events: list[tuple[int, str, int, dict[str, str], int]] = []
    for file, lines in (doc.get("lines") or {}).items():
        for line, entry in lines.items():
            states = entry.get("states") or []
            seqs = entry.get("seq") or []
            ats = entry.get("at") or []
            for i, state in enumerate(states):
                if i < len(seqs):
                    events.append((int(seqs[i]), file, int(line), dict(state), int(ats[i]) if i < len(ats) else i + 1))
    events.sort(key=lambda e: e[0])
    truncated = len(events) > max_steps
    events = events[:max_steps]
    known: dict[str, dict[str, str]] = {}
    steps = []
    for seq, file, line_no, changes, hit in events:
        scope = known.setdefault(file, {})
        scope.update(changes)
        steps.append({"seq": seq, "file": file, "line": line_no, "hit": hit, "changes": changes, "state": dict(scope)})
    exc = doc.get("exception") or None
    return {
        "status": doc.get("status"),
        "returnRepr": doc.get("return_repr"),
        "exception": {
            "type": exc.get("type"),
            "message": exc.get("message"),
            "file": exc.get("file"),
            "line": exc.get("line"),
        }
        if exc
        else None,
        "steps": steps,
        "truncated": truncated,
    }
