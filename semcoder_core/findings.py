"""Facts read off a failing run: where the wrong value came from (terminal, editor and explanations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .annotate import executed_return_line, is_test_file
from .tracer.schema import ExceptionInfo, Trace


@dataclass(frozen=True)
class Origin:
    """The line in the code under test that produced a failure: it ``raised``, or ``returned`` the wrong value."""

    kind: str  # "raised" | "returned"
    file: str
    line: int
    function: str | None
    value: str | None  # the wrong value, or the exception's "Type: message"


def wrong_value_origin(result: Trace, source_of: Callable[[str], str]) -> Origin | None:
    """Where the code under test (not a test file) went wrong in a run; ``source_of(path)`` gives a file's text."""
    exc = result.get("exception")
    test = result.get("test")
    failure = test.get("failure") if test else None
    if exc and exc["type"] != "AssertionError":
        for frame in reversed(exc.get("traceback") or []):
            if not is_test_file(frame["file"]):
                return Origin("raised", frame["file"], frame["line"], frame.get("function"), _exc_text(exc))
        file, line = exc.get("file"), exc.get("line")
        if file and line and not is_test_file(file):
            return Origin("raised", file, line, None, _exc_text(exc))
    actual = failure.get("actual") if failure else None
    if actual is None:
        return None
    lines = result.get("lines") or {}
    # pytest's message names the call that made the value ("where None = get('c')"): prefer it, and
    # never blame a constructor for "returning" None.
    named = (failure.get("full_message") if failure else None) or ""
    calls = [
        c
        for c in result.get("calls") or []
        if not is_test_file(c["file"])
        and not c["qualname"].endswith("__init__")
        and any(r.get("return_repr") == actual for r in c["records"])
    ]
    calls.sort(key=lambda c: f"= {c['qualname'].rsplit('.', 1)[-1]}(" not in named)
    for call in calls:
        line = executed_return_line(source_of(call["file"]), call["line"], lines.get(call["file"], {}))
        return Origin("returned", call["file"], line or call["line"], call["qualname"], actual)
    return None


def _exc_text(exc: ExceptionInfo) -> str:
    message = (exc.get("message") or "").splitlines()
    return exc["type"] + (f": {message[0]}" if message else "")
