"""What an explanation reads: the failing run's trace, the source texts, and the failure they show."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..annotate import is_test_file
from ..tracer.schema import NO_EXCEPTION, NO_FAILURE, NO_TEST, ExceptionInfo, Failure, TestInfo, Trace
from .replay import _View
from .source import _Func, _Source


class _Context:
    """The failing run ``doc``, the texts of its files (read once) and the functions and views made of
    them (made once), with ``file:line`` references relative to ``project``."""

    def __init__(self, doc: Trace, source_of: Callable[[str], str], project: Path) -> None:
        self.doc, self.source_of = doc, source_of
        self.project = Path(project)
        self._sources: dict[str, _Source] = {}
        self._funcs: dict[tuple[str, int], _Func | None] = {}
        self._views: dict[tuple[int, str, int], _View] = {}
        self.test: TestInfo = doc.get("test") or NO_TEST
        self.failure: Failure = self.test["failure"] or NO_FAILURE
        self.exception: ExceptionInfo = doc.get("exception") or self.test["exception"] or NO_EXCEPTION

    def source(self, path: str) -> _Source:
        if path not in self._sources:
            try:
                text = self.source_of(path)
            except (OSError, UnicodeError, KeyError, ValueError):
                text = ""
            self._sources[path] = _Source(path, text or "")
        return self._sources[path]

    def rel(self, path: str) -> str:
        try:
            return Path(path).resolve().relative_to(self.project.resolve()).as_posix()
        except (ValueError, OSError):
            return path

    def where(self, path: str, line: int) -> str:
        return f"`{self.rel(path)}:{line}`"

    def func_at(self, path: str, line: int) -> _Func | None:
        found = self.source(path).function_at(line)
        if found is None:
            return None
        key = (path, found[0])
        if key not in self._funcs:
            self._funcs[key] = _Func(path, found[0], found[1])
        return self._funcs[key]

    def view(self, doc: Trace, func: _Func) -> _View:
        key = (id(doc), func.file, func.first)
        if key not in self._views:
            self._views[key] = _View(doc, func)
        return self._views[key]

    # -- failure ---------------------------------------------------------------------------------

    def failure_dict(self) -> dict:
        exc = self.exception
        message = self.failure.get("message") or exc.get("message") or ""
        if exc.get("type") and exc["type"] != "AssertionError" and self.doc.get("status") != "timeout":
            first = (exc.get("message") or "").splitlines()
            message = exc["type"] + (f": {first[0]}" if first else "")
        return {
            "test": self.failure["test"] or self.test["nodeid"] or None,
            "message": message or None,
            "expected": self.failure.get("expected"),
            "actual": self.failure.get("actual"),
        }

    def test_line(self) -> tuple[str, int] | None:
        file, line = self.failure["file"], self.failure["line"]
        if file and line and is_test_file(file):
            return file, int(line)
        for frame in reversed(self.exception.get("traceback") or []):
            if is_test_file(frame["file"]):
                return frame["file"], int(frame["line"])
        # No traceback (a timeout): the last line the test function ran, where it has no loops.
        name = (self.test.get("nodeid") or "").rpartition("::")[2].partition("[")[0]
        for call in self.doc.get("calls") or []:
            if name and call.get("name") == name and is_test_file(call["file"]):
                func = self.func_at(call["file"], call["line"])
                if func is not None and func.first == call["line"] and not func.loop:
                    ran = self.view(self.doc, func).executed()
                    if ran:
                        return call["file"], max(ran)
        return None
