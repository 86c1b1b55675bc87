"""Runs off the event loop: debounced after edits, cached by content, cancelled when stale.

One traced pytest run per project covers the tests planned for every open file
of the project (one interpreter and pytest start-up per change). A new edit
cancels a run whose inputs it changed; a change that leaves every input as it
was (a save of the text already run) costs nothing.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import hashlib
import json
import logging
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from lsprotocol import types

from semcoder_core.errors import SemcoderError
from semcoder_core.planning import python_files
from semcoder_core.sandbox import RunCancelled
from semcoder_core.testruns import test_document

from .state import Project, Run, TestBatch

if TYPE_CHECKING:
    from .server import SemcoderServer

log = logging.getLogger(__name__)
DEBOUNCE_S = 0.3
MAX_PLANNED_CHARS = 2_000_000  # larger buffers are neither parsed nor planned
T = TypeVar("T")


class RunManager:
    def __init__(self, server: SemcoderServer) -> None:
        self.server = server

    # -- scheduling -------------------------------------------------------------------

    def schedule(self, project: Project, delay: float = DEBOUNCE_S) -> None:
        """Refresh the project's runs after ``delay`` seconds without further changes."""
        if project.timer is not None:
            project.timer.cancel()
        loop = asyncio.get_running_loop()
        project.timer = loop.call_later(delay, lambda: asyncio.ensure_future(self.refresh(project)))

    async def refresh(self, project: Project) -> None:
        project.timer = None
        project.generation += 1
        generation = project.generation
        server = self.server
        overlay = server.overlay(project)
        errors = await self.in_thread(lambda: syntax_errors(overlay))
        if generation != project.generation:
            return  # a newer change is being handled
        project.syntax_errors = errors
        # A buffer that does not parse is left out: the run takes that file from disk, so one
        # half-typed line neither stops the runs nor costs one per keystroke (the key is unchanged).
        open_paths = list(overlay)
        overlay = {path: text for path, text in overlay.items() if path not in errors}
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

    def _plan(self, project: Project, open_paths: list[str], overlay: dict[str, str]) -> tuple[list[str], str]:
        """Node ids for the open files of the project, and the key of everything the run depends on."""
        read: Callable[[Path], str | None] = lambda p: overlay.get(str(p))  # noqa: E731
        nodes: list[str] = []
        for path in open_paths:
            if len(overlay.get(path, "")) > MAX_PLANNED_CHARS:
                continue
            for node in project.planner.tests_for(Path(path), read):
                if node not in nodes:
                    nodes.append(node)
        digest = hashlib.sha256()
        digest.update(project.settings.model_dump_json().encode())
        digest.update(json.dumps(nodes).encode())
        for path, text in sorted(overlay.items()):
            digest.update(path.encode() + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
        for file in python_files(project.root):  # files on disk that the run may import
            try:
                stat = file.stat()
            except OSError:
                continue
            digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}\0".encode())
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
                lambda: sandbox.run_tests(plan, trace=True, overlay=overlay, cancel=cancel), cancel
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
        overlay = self.server.overlay(project)
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


def syntax_errors(overlay: dict[str, str]) -> dict[str, dict]:
    """Path -> the first syntax error of each buffer that does not parse."""
    errors = {}
    for path, text in overlay.items():
        if len(text) > MAX_PLANNED_CHARS:
            continue  # not code anyone runs tests on; parsing it would only cost time
        if "\x00" in text:
            errors[path] = {"line": 1, "column": 0, "message": "not Python source: it contains null bytes (binary?)"}
            continue
        try:
            ast.parse(text, filename=path)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 1
            column = (getattr(exc, "offset", None) or 1) - 1
            errors[path] = {"line": line, "column": column, "message": getattr(exc, "msg", str(exc))}
    return errors


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
