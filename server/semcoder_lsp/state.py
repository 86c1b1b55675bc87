"""What the server knows: per project, the runs that show its files, keyed by content.

A *run* is one execution whose trace can be shown: a pytest test, or a call the
user asked for. Runs of a project's tests are made together (one pytest start-up
per change); each file shows one selected run among those that executed it.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semcoder_core.config import Settings
from semcoder_core.planning import Planner
from semcoder_core.tracer.schema import NO_EXCEPTION, ExceptionInfo, Trace

from .lines import LineMap

SERIALS = itertools.count(1)  # for results computed from a run or a prediction (ids of freed objects repeat)


@dataclass
class Run:
    id: str  # "test:<node id>" or "call:<file>:<expression>"
    kind: str  # "test" | "call"
    label: str  # the node id, or the call expression
    status: str  # the trace document's status: ok, exception, timeout, ...
    doc: Trace  # the trace document (lines, calls, exception, test failure)
    texts: dict[str, str]  # path -> the source text this run executed
    serial: int = field(default_factory=lambda: next(SERIALS))  # unique in the process: a key for caches

    def covers(self, path: str) -> bool:
        """Whether the run executed a line of ``path`` (asked by every request: answered once per file)."""
        covered = self.__dict__.setdefault("_covers", {})
        found = covered.get(path)
        if found is None:
            found = covered[path] = any(e.get("hits") for e in (self.doc.get("lines") or {}).get(path, {}).values())
        return found

    @property
    def failed(self) -> bool:
        return self.status not in ("ok",)

    def summary(self) -> dict:
        exc = self.doc.get("exception") or NO_EXCEPTION
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "status": self.status,
            "message": exc.get("message"),
            "returnRepr": self.doc.get("return_repr"),
        }


@dataclass
class TestBatch:
    """The traced run of a project's planned tests, and what prevented it if it could not run."""

    key: str
    runs: list[Run]
    error: ExceptionInfo | None = None  # {"type", "message", ...} when pytest could not run the tests
    told: bool = False  # the user has been shown the error


@dataclass
class Project:
    root: Path
    settings: Settings
    planner: Planner
    batch: TestBatch | None = None
    calls: dict[str, Run] = field(default_factory=dict)  # path -> its latest traced call
    selected: dict[str, str] = field(default_factory=dict)  # path -> run id the user picked
    syntax_errors: dict[str, dict] = field(default_factory=dict)  # path -> {"line", "column", "message"}
    # the run in flight
    generation: int = 0
    cancel: threading.Event | None = None
    running_key: str | None = None
    timer: asyncio.TimerHandle | None = None
    published: set[str] = field(default_factory=set)  # uris holding our diagnostics
    line_maps: dict[tuple[str, int, int, int], LineMap] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # node id -> (the inputs it was searched on, its validated fixes): offered as quick fixes
    fixes: dict[str, tuple[str, list]] = field(default_factory=dict)
    # path -> function's def line (in the text predicted on) -> the model's prediction (predictions.Predicted)
    predictions: dict[str, dict[int, Any]] = field(default_factory=dict)
    predict_cancel: threading.Event | None = None

    def runs_for(self, path: str) -> list[Run]:
        """Runs that executed ``path``: failing tests first, then passing, then the traced call."""
        runs = [r for r in (self.batch.runs if self.batch else []) if r.covers(path)]
        runs.sort(key=lambda r: not r.failed)
        call = self.calls.get(path)
        return ([call] if call else []) + runs

    def run_for(self, path: str) -> Run | None:
        """The run whose states the file shows: the user's pick, else a traced call, else the first failing test."""
        runs = self.runs_for(path)
        chosen = self.selected.get(path)
        for run in runs:
            if run.id == chosen:
                return run
        return runs[0] if runs else None

    def line_map(self, path: str, version: int, run: Run, text: str) -> LineMap:
        """Lines of the text ``run`` executed -> lines of ``text`` (version ``version`` of the buffer). The runs
        of one batch share their texts, so one map serves them all."""
        key = (path, version, id(run.texts), hash(text))
        with self.lock:  # request work asks from threads
            found = self.line_maps.get(key)
        if found is None:
            found = LineMap(run.texts.get(path, text), text)
            found.texts = run.texts
            with self.lock:
                while len(self.line_maps) >= 16:
                    self.line_maps.pop(next(iter(self.line_maps)))  # the oldest
                self.line_maps[key] = found
        return found
