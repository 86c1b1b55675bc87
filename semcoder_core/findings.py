"""Facts read off a failing run: where the wrong value came from (terminal, editor and explanations)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
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


def _relative(path: str, project: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project).as_posix()
    except ValueError:
        return path


def exception_line(exc: ExceptionInfo | None) -> str:
    if not exc:
        return ""
    cause = collection_cause(exc)
    if cause is not None:
        return f"{cause['type']}: {cause['message']}" if cause["message"] else cause["type"]
    message = (exc.get("message") or "").splitlines()
    if exc["type"] == "UsageError" and message:  # a message of ours (e.g. no such test): it says it all
        return message[0]
    return f"{exc['type']}: {message[0]}" if message else exc["type"]


def exception_summary(exc: ExceptionInfo | None, project: Path) -> str:
    """One line: the exception (a collection error's cause) and where it was raised."""
    line = exception_line(exc)
    cause = collection_cause(exc) or exc or {}
    file, number = cause.get("file"), cause.get("line")
    if file and number:
        path = file if Path(file).is_absolute() else str(project / file)
        line += f" (at {_relative(path, project)}:{number})"
    return line


_E_LINE = re.compile(r"^E {1,3}(.*)$")
_RAISED = re.compile(r"^([A-Za-z_][\w.]*): ?(.*)$|^([A-Za-z_][\w.]*)$")
_FILE_LINE = re.compile(r'^\s*File "(.+)", line (\d+)')
_LOCATION = re.compile(r"^(\S.*?):(\d+): in \S")


def collection_cause(exc: ExceptionInfo | None) -> dict | None:
    """The exception behind a collection error (pytest's report, as the run gives it in the
    message): ``{type, message, file, line, source}`` with the file and line it points at (the
    line with the syntax error, or the innermost line of the import that raised); None when ``exc``
    is not a collection error or the report names no exception."""
    if not exc or exc.get("type") != "CollectionError":
        return None
    report = (exc.get("message") or "").splitlines()
    e_at = [i for i, text in enumerate(report) if _E_LINE.match(text)]
    if not e_at:
        return None
    block: list[int] = [e_at[-1]]  # the last run of E lines: the exception pytest reports
    while block[0] - 1 in e_at:
        block.insert(0, block[0] - 1)
    texts = [_E_LINE.match(report[i]).group(1) for i in block]  # type: ignore[union-attr]
    at = next((i for i, text in enumerate(texts) if _RAISED.match(text)), None)  # the first line not indented
    if at is None:
        return None
    raised = _RAISED.match(texts[at])
    assert raised is not None
    cause: dict = {
        "type": raised.group(1) or raised.group(3),
        "message": raised.group(2) or "",
        "file": None,
        "line": None,
        "source": None,
    }
    for index, text in enumerate(texts[:at]):
        where = _FILE_LINE.match(text)
        if where:  # a SyntaxError: its own file and line, then the line of code and the caret
            cause.update(file=where.group(1), line=int(where.group(2)))
            shown = [t for t in texts[index + 1 : at] if t.strip()]
            cause["source"] = "\n".join(shown) if shown else None
            return cause
    for index in range(block[0] - 1, -1, -1):
        where = _LOCATION.match(report[index])
        if where:
            cause.update(file=where.group(1), line=int(where.group(2)))
            code = report[index + 1].strip() if index + 1 < block[0] else ""
            cause["source"] = code or None
            break
    return cause
