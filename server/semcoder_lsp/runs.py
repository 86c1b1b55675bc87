"""Runs off the event loop: debounced after edits, cached by content, cancelled when stale.

One traced pytest run per project covers the tests planned for every open file
of the project (one interpreter and pytest start-up per change). A new edit
cancels a run whose inputs it changed; a change that leaves every input as it
was (a save of the text already run) costs nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import os
import re
import threading
import traceback
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from lsprotocol import types

from semcoder_core.errors import SemcoderError
from semcoder_core.planning import python_files
from semcoder_core.pysource import MAX_CHARS, Unparsable, compile_module
from semcoder_core.sandbox import RunCancelled
from semcoder_core.testruns import test_document

from .state import Project, Run, TestBatch

if TYPE_CHECKING:
    from .server import SemcoderServer

log = logging.getLogger(__name__)
DEBOUNCE_S = 0.3
T = TypeVar("T")


class RunManager:
    def __init__(self, server: SemcoderServer) -> None:
        self.server = server
        self._verdicts: dict[str, tuple[int, dict | None]] = {}  # path -> (hash of its text, its verdict)
        self._reported: dict[Path, str] = {}  # project root -> the failure last told to the user

    # -- scheduling -------------------------------------------------------------------

    def schedule(self, project: Project, delay: float = DEBOUNCE_S) -> None:
        """Refresh the project's runs after ``delay`` seconds without further changes."""
        if project.timer is not None:
            project.timer.cancel()
        loop = asyncio.get_running_loop()
        project.timer = loop.call_later(delay, lambda: asyncio.ensure_future(self.refresh(project)))

    async def refresh(self, project: Project) -> None:
        """Run the project's planned tests on its open buffers. Whatever goes wrong while preparing
        the run is logged, told to the user once, and leaves the next edit free to run again."""
        project.timer = None
        project.generation += 1
        try:
            await self._refresh(project, project.generation)
        except Exception as exc:  # noqa: BLE001 - any failure: say it once, never stop the runs for good
            self._failed(project, exc)
        else:
            self._reported.pop(project.root, None)

    async def _refresh(self, project: Project, generation: int) -> None:
        server = self.server
        buffers = server.overlay(project)
        overlay, errors = await self.in_thread(lambda: self.runnable(buffers))
        if generation != project.generation:
            return  # a newer change is being handled
        # A buffer that cannot run is left out: the run takes that file from disk, so one half-typed
        # line neither stops the runs nor costs one per keystroke (the key is unchanged).
        if errors != project.syntax_errors:
            project.syntax_errors = errors
            self._publish(project)  # now, not after the run: the user learns why at once
        open_paths = list(buffers)
        plan, key = await self.in_thread(lambda: self._plan(project, open_paths, overlay))
        if generation != project.generation:
            return
        if project.batch is not None and project.batch.key == key:
            self._publish(project)
            return
        if project.running_key == key:
            return  # this very run is in flight
        if project.cancel is not None:
            project.cancel.set()  # a run of older inputs: stop it
        if not plan:
            project.batch = TestBatch(key, [])
            self._publish(project)
            server.refresh_views()
            return
        await self._run_tests(project, plan, key, overlay)

    def runnable(self, buffers: dict[str, str]) -> tuple[dict[str, str], dict[str, dict]]:
        """The buffers a run or a traced call may use, and why each other one is left out (path ->
        ``{"line", "column", "message", "code"}``). The one place that decides it (see :func:`odd_buffer`);
        verdicts are cached by the buffer's text."""
        ok: dict[str, str] = {}
        left_out: dict[str, dict] = {}
        verdicts: dict[str, tuple[int, dict | None]] = {}
        for path, text in buffers.items():
            digest = hash((text, os.path.isfile(path)))  # the verdict says whether the disk file runs instead
            known = self._verdicts.get(path)
            verdict = known[1] if known is not None and known[0] == digest else odd_buffer(path, text)
            verdicts[path] = (digest, verdict)
            if verdict is None:
                ok[path] = text
            else:
                left_out[path] = verdict
        self._verdicts.update(verdicts)
        if len(self._verdicts) > 1000:
            self._verdicts = verdicts
        return ok, left_out

    def _failed(self, project: Project, exc: Exception) -> None:
        """A run could not be prepared (or its result not read): the traceback goes to the log, one
        short message to the user (not again while the same failure repeats); the next edit runs again."""
        log.error("semcoder could not prepare the run of %s", project.root, exc_info=exc)
        if project.cancel is not None and project.running_key is not None:
            project.cancel.set()
        project.cancel = project.running_key = None
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{type(exc).__name__} at {frames[-1].filename}:{frames[-1].lineno}" if frames else repr(exc)
        if self._reported.get(project.root) == where:  # the same failure again (its text may hold temp paths)
            return
        self._reported[project.root] = where
        detail = " ".join(str(exc).split())
        summary = f"{type(exc).__name__}: {detail[:300]}{'…' if len(detail) > 300 else ''}".rstrip(": ")
        self.server.show_message(
            f"semcoder could not prepare the run: {summary}. It tries again after the next edit (details in the log).",
            types.MessageType.Error,
        )

    def _plan(self, project: Project, open_paths: list[str], overlay: dict[str, str]) -> tuple[list[str], str]:
        """Node ids for the open files of the project, and the key of everything the run depends on."""
        read: Callable[[Path], str | None] = lambda p: overlay.get(str(p))  # noqa: E731
        nodes: list[str] = []
        for path in open_paths:
            if len(overlay.get(path, "")) > MAX_CHARS:
                continue
            for node in project.planner.tests_for(Path(path), read):
                if node not in nodes:
                    nodes.append(node)
        digest = hashlib.sha256()
        digest.update(project.settings.model_dump_json().encode())
        digest.update(json.dumps(nodes).encode())
        for path, text in sorted(overlay.items()):
            digest.update(os.fsencode(path) + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
        for file in python_files(project.root):  # files on disk that the run may import
            try:
                stat = file.stat()
            except OSError:
                continue
            digest.update(os.fsencode(file) + f":{stat.st_mtime_ns}:{stat.st_size}\0".encode())
        return nodes, digest.hexdigest()

    async def _run_tests(self, project: Project, plan: list[str], key: str, overlay: dict[str, str]) -> None:
        server = self.server
        cancel = threading.Event()
        project.cancel, project.running_key = cancel, key
        n = len(plan)
        token = await self.progress_begin(f"Tracing {n} test{'s' if n != 1 else ''}", cancel)
        outcome = "cancelled"
        try:
            sandbox = project.settings.sandbox(project.root)
            result = await self.in_thread(
                lambda: sandbox.run_tests(plan, trace=True, overlay=overlay, cancel=cancel, keep_going=True), cancel
            )
            outcome = "done"
        except RunCancelled:
            return
        except SemcoderError as exc:
            outcome = "failed"
            server.show_message(f"semcoder: cannot run the tests: {exc}", types.MessageType.Error)
            return
        finally:
            if project.cancel is cancel:
                project.cancel = project.running_key = None
            self.progress_end(token, outcome)
        runs = []
        for test in result.get("tests") or []:
            doc = test_document(test, result, 1)
            runs.append(Run("test:" + test["nodeid"], "test", test["nodeid"], doc["status"], doc, {}))
        error = None
        if result["status"] != "exception" and result["status"] != "ok" and (not runs or result["status"] == "error"):
            error = dict(result.get("exception") or {"type": result["status"], "message": ""})
            stderr = [line for line in (result.get("stderr") or "").splitlines() if line.strip()]
            if stderr and result["status"] == "crashed":  # the reason is on stderr (e.g. a broken interpreter)
                error["message"] = f"{error.get('message') or ''}: {stderr[-1].strip()}"
        texts = snapshot_texts(runs, overlay)
        for run in runs:
            run.texts = texts
        project.batch = TestBatch(key, runs, error)
        self._publish(project)
        server.refresh_views()
        server.predictions.schedule(project)

    # -- a call the user asked for -------------------------------------------------------

    async def trace_call(self, project: Project, path: str, expr: str) -> Run:
        """Trace ``expr`` in the module of ``path`` with the runnable buffers (as a test run has them)."""
        buffers = self.server.overlay(project)
        overlay, left_out = await self.in_thread(lambda: self.runnable(buffers))
        if path in left_out and not os.path.isfile(path):  # nothing to run in its place
            raise SemcoderError(left_out[path]["message"])
        cancel = threading.Event()
        token = await self.progress_begin(f"Tracing {expr}", cancel)
        outcome = "cancelled"
        try:
            sandbox = project.settings.sandbox(project.root)
            doc = await self.in_thread(lambda: sandbox.trace_call(path, expr, overlay=overlay, cancel=cancel), cancel)
            outcome = "done"
        finally:
            self.progress_end(token, outcome)
        run = Run(f"call:{path}:{expr}", "call", expr, doc["status"], doc, {})
        run.texts = snapshot_texts([run], overlay)
        project.calls[path] = run
        project.selected[path] = run.id
        self.server.refresh_views()
        self.server.predictions.schedule(project)
        return run

    # -- helpers ------------------------------------------------------------------------

    async def in_thread(self, job: Callable[[], T], cancel: threading.Event | None = None) -> T:
        """Run ``job`` on a worker thread. If the awaiting task is cancelled (``$/cancelRequest``),
        set ``cancel`` and wait until the job has stopped, so that its processes are gone."""
        future = self.server.pool.submit(job)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if cancel is not None:
                cancel.set()
                await asyncio.get_running_loop().run_in_executor(None, concurrent.futures.wait, [future])
            raise

    async def progress_begin(self, message: str, cancel: threading.Event) -> str | None:
        server = self.server
        if not server.supports("window", "work_done_progress"):
            return None
        token = f"semcoder-{uuid.uuid4().hex[:12]}"
        try:
            await server.work_done_progress.create_async(token)
        except Exception as exc:  # noqa: BLE001 - the client may refuse; the run goes on without
            log.info("no progress token: %s", exc)
            return None
        server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title="semcoder", message=message, cancellable=True)
        )
        waiter = server.work_done_progress.tokens.get(token)
        if waiter is not None:
            waiter.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)
        return token

    def progress_end(self, token: str | None, outcome: str) -> None:
        if token is None or token not in self.server.work_done_progress.tokens:
            return
        self.server.work_done_progress.tokens.pop(token, None)
        self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))

    def _publish(self, project: Project) -> None:
        from .diagnostics import publish

        publish(self.server, project)


LEFT_OUT = "left-out-of-runs"  # the diagnostic code of a buffer left out for a reason other than its syntax
_SURROGATE = re.compile("[\ud800-\udfff]")


def odd_buffer(path: str, text: str) -> dict | None:
    """Why the buffer of ``path`` cannot be run, or None when it can: ``{"line", "column", "message",
    "code"}``, with a 1-based line. A syntax error is one reason (code ``syntax-error``); text that is
    not Unicode, or too deep for Python's parser, are others (code ``left-out-of-runs``). Never raises."""
    found = _SURROGATE.search(text)
    if found is not None:
        line, column = _position(text, found.start())
        what = f"line {line} holds a lone surrogate (U+{ord(found.group()):04X}), which is not valid Unicode"
        return _left_out(path, line, column, what)
    if len(text) > MAX_CHARS:
        return None  # not code anyone runs tests on; parsing it would only cost time
    if "\x00" in text:
        return {
            "line": 1,
            "column": 0,
            "message": "not Python source: it contains null bytes (binary?)",
            "code": "syntax-error",
        }
    try:
        compile_module(text, path)
    except Unparsable as exc:
        if "nested" in exc.msg:
            return _left_out(path, _longest_line(text), 0, f"it is {exc.msg}")
        return _left_out(path, 1, 0, exc.msg)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = (exc.offset or 1) - 1
        return {"line": line, "column": column, "message": exc.msg, "code": "syntax-error"}
    except Exception as exc:  # noqa: BLE001 - whatever else the compiler raises leaves the buffer out, with why
        return _left_out(path, 1, 0, f"Python's parser failed on it ({type(exc).__name__}: {str(exc)[:200]})")
    return None


def _left_out(path: str, line: int, column: int, what: str) -> dict:
    instead = "the file on disk is run instead" if os.path.isfile(path) else "until then no run sees this file"
    message = f"semcoder leaves this buffer out of runs: {what}; {instead}"
    return {"line": line, "column": column, "message": message, "code": LEFT_OUT}


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and 0-based column (in characters) of ``offset``."""
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - start


def _longest_line(text: str) -> int:
    """The 1-based number of the longest line: where a generated, deeply nested expression sits."""
    lines = text.split("\n")
    return max(range(len(lines)), key=lambda n: len(lines[n])) + 1


def snapshot_texts(runs: list[Run], overlay: dict[str, str]) -> dict[str, str]:
    """The text of every file the runs executed, as they executed it."""
    texts: dict[str, str] = {}
    for run in runs:
        for path in run.doc.get("lines") or {}:
            if path not in texts:
                if path in overlay:
                    texts[path] = overlay[path]
                else:
                    try:
                        texts[path] = Path(path).read_text(encoding="utf-8", errors="replace")
                    except OSError:
                        texts[path] = ""
    return texts
