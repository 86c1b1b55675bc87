"""Commands: `semcoder.traceCall`, `semcoder.selectRun`, `semcoder.explainExecution`,
`semcoder.explainFailure` and `semcoder.suggestFix`."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable

from lsprotocol import types

from semcoder_core.errors import SemcoderError
from semcoder_core.models import Decoding
from semcoder_core.sandbox import RunCancelled
from semcoder_core.tasks import CHECK_STATES

from .code_actions import explanation_path, fix_actions
from .server import SemcoderServer


def _runs(ls: SemcoderServer, uri: str) -> dict:
    found = ls.locate(uri)
    if found is None:
        return {"runs": [], "selected": None}
    project, path = found
    selected = project.run_for(path)
    return {
        "runs": [r.summary() for r in project.runs_for(path)],
        "selected": selected.id if selected else None,
    }


def follow_cancellation(ls: SemcoderServer) -> None:
    """Let ``$/cancelRequest`` of a ``workspace/executeCommand`` cancel the command's coroutine.

    pygls 2.1 runs executeCommand as a generator: a cancel notification cancels that request's
    future (the client gets -32800) but not the coroutine doing the work, which would run on.
    """
    protocol = ls.protocol
    context = getattr(protocol, "_ctx_msg_id", None)
    msg_id = context.get(None) if context is not None else None
    outer = getattr(protocol, "_request_futures", {}).get(msg_id) if msg_id is not None else None
    task = asyncio.current_task()
    if outer is None or task is None:
        return
    loop = asyncio.get_running_loop()
    outer.add_done_callback(lambda f: loop.call_soon_threadsafe(task.cancel) if f.cancelled() else None)


def _failing(ls: SemcoderServer, uri: str, node_id: str):
    project = ls.project_for(uri)
    if project is None:
        raise SemcoderError(f"semcoder works on Python files of the workspace; {uri} is not one")
    for run in project.batch.runs if project.batch else []:
        if run.label == node_id and run.status != "ok":
            return run
    raise SemcoderError(f"{node_id} is not a failing test of the last run")


async def _offer(ls: SemcoderServer, project, run, report) -> bool:
    """Ask whether to apply a validated fix now; apply the one picked (the user's choice is the consent)."""
    node_id = run.label
    actions = fix_actions(ls, project, run, [])
    if not actions or not ls.supports("window", "show_message"):
        if not actions:
            ls.show_message(f"semcoder: no validated fix for {node_id}: {report.message}", types.MessageType.Info)
        return False
    titles = [a.title.split(" — ", 1)[-1] for a in actions[:3]]
    try:
        choice = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Info,
                message=f"semcoder found {len(actions)} fix(es) for {node_id} that the tests validate. Apply one?",
                actions=[types.MessageActionItem(title=t) for t in titles],
            )
        )
    except Exception:  # noqa: BLE001 - a client without this request: the quick fixes remain
        return False
    if choice is None or choice.title not in titles:
        return False
    action = actions[titles.index(choice.title)]
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=action.edit, label=action.title))
    return bool(result and result.applied)


class _Streamer:
    """Streams a model's text into work-done progress reports (at most ~10 a second)."""

    def __init__(self, ls: SemcoderServer, token: str | None, loop) -> None:
        self.ls, self.token, self.loop = ls, token, loop
        self.text = ""
        self.pieces = 0
        self.sent = 0.0

    def __call__(self, piece: str) -> None:
        self.text += piece
        self.pieces += 1
        now = time.monotonic()
        if self.token is None or now - self.sent < 0.1:
            return
        self.sent = now
        tail = " ".join(self.text[-200:].split())[-80:]
        report = types.WorkDoneProgressReport(message=f"… {tail}")
        self.loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token, report)


def _reporter(ls: SemcoderServer, token: str | None, loop) -> Callable[[str], None]:
    """A job's ``progress(text)``, from its worker thread: a work-done progress report."""

    def progress(text: str) -> None:
        if token is not None:
            value = types.WorkDoneProgressReport(message=text)
            loop.call_soon_threadsafe(ls.work_done_progress.report, token, value)

    return progress


async def _show_markdown(ls: SemcoderServer, path, markdown: str) -> bool:
    """Write ``markdown`` to ``path`` (a temp file, never the workspace) and ask the client to open it."""
    path.write_text(markdown, encoding="utf-8")
    if not ls.supports("window", "show_document"):
        return False
    try:
        result = await ls.window_show_document_async(types.ShowDocumentParams(uri=path.as_uri(), take_focus=True))
    except Exception:  # noqa: BLE001 - the document is still returned
        return False
    return bool(result and result.success)


def register(server: SemcoderServer) -> None:
    @server.command("semcoder.traceCall")
    async def trace_call(ls: SemcoderServer, uri: str, *rest: str) -> dict:
        """Arguments ``uri, expression[, function]``: trace ``expression`` (e.g. ``median([3, 1, 2])``) in
        the module of ``uri``, with unsaved edits; the file then shows that run. Cancelling the request
        kills the run. Without an expression (a client that cannot prompt), says what to give."""
        expression = rest[0] if rest else ""
        function = rest[1] if len(rest) > 1 else ""
        found = ls.locate(uri)
        if found is None:
            raise SemcoderError(f"semcoder traces Python files of the workspace; {uri} is not one")
        project, path = found
        if not expression.strip():
            example = f"{function}(...)" if function else "median([3, 1, 2])"
            ls.show_message(f"semcoder.traceCall needs a call expression, e.g. {example}", types.MessageType.Info)
            return {"status": "error", "message": "no expression given"}
        follow_cancellation(ls)
        try:
            run = await ls.runs.trace_call(project, path, expression)
        except RunCancelled:
            return {"status": "cancelled"}
        return run.summary() | {"runId": run.id}

    @server.command("semcoder.explainFailure")
    async def explain_failure(ls: SemcoderServer, uri: str, node_id: str) -> dict:
        """Arguments ``uri, node id``: explain why that failing test fails, from its trace (and the
        passing runs of the same code), traced again on the buffers; the markdown opens as a document.
        Returns it too. Cancelling the request kills the runs."""
        from semcoder_core.tasks.failing import explain_test

        follow_cancellation(ls)
        project = ls.project_for(uri)
        _failing(ls, uri, node_id)
        assert project is not None
        overlay, _ = ls.runs.runnable(ls.overlay(project))  # what a test run would use (runs.odd_buffer)
        backend = ls.predictions.backend(project)
        cancel = threading.Event()
        token = await ls.runs.progress_begin(f"Explaining {node_id.rsplit('::', 1)[-1]}", cancel)
        loop = asyncio.get_running_loop()
        stream = _Streamer(ls, token, loop)
        sandbox = project.settings.sandbox(project.root)
        outcome = "cancelled"
        try:
            explained = await ls.runs.in_thread(
                lambda: explain_test(
                    sandbox,
                    project.root,
                    node_id,
                    ls.text_of,
                    overlay=overlay,
                    cancel=cancel,
                    progress=_reporter(ls, token, loop),
                    load_backend=lambda: backend,
                    settings=project.settings,
                    on_text=stream,
                    probe_s=project.settings.repair.probe_seconds,
                ),
                cancel,
            )
            outcome = "done"
        except RunCancelled:
            return {"status": "cancelled"}
        finally:
            ls.runs.progress_end(token, outcome)
        path = explanation_path(project, node_id)
        shown = await _show_markdown(ls, path, explained.markdown)
        return {
            "status": "ok",
            "markdown": explained.markdown,
            "path": str(path),
            "shown": shown,
            "model": explained.model,
        }

    @server.command("semcoder.explainExecution")
    async def explain_execution(ls: SemcoderServer, uri: str, line: int, *rest: str) -> dict:
        """Arguments ``uri, line[, expression]`` (0-based line inside a function): explain one call of
        that function — the given expression, else a call the selected run made. What really ran,
        always; with a model, its forward monologue streamed as progress and checked against the run.
        The markdown opens as a document and is returned."""
        from semcoder_core.tasks.explain_execution import explain_execution as explain
        from semcoder_core.tasks.targets import CallTarget, call_target, function_at, observed_calls

        follow_cancellation(ls)
        found = ls.locate(uri)
        if found is None:
            raise SemcoderError(f"semcoder explains Python files of the workspace; {uri} is not one")
        project, path = found
        text = ls.text_of(path)
        expression = rest[0].strip() if rest and rest[0] else ""
        run = project.run_for(path)

        def find_target() -> CallTarget | str:
            """The call to explain, or the name of the function no run called (parses: off the loop)."""
            if expression:
                return call_target(path, text, expression)
            function = function_at(text, int(line) + 1, path)
            if function is None:
                raise SemcoderError("put the cursor inside a function to explain one of its calls")
            calls = []
            if run is not None:
                ran = function_at(run.texts.get(path, text), int(line) + 1, path)
                if ran is not None and ran.name == function.name:
                    calls = observed_calls(ran, run.doc.get("calls") or [])
            return CallTarget(function, calls[0][0]) if calls else function.name

        target = await ls.runs.in_thread(find_target)
        if isinstance(target, str):
            ls.show_message(
                f"semcoder: no run called {target}() with literal arguments; give a call, "
                f"e.g. semcoder.explainExecution with {target}(...)",
                types.MessageType.Info,
            )
            return {"status": "error", "message": f"no observed call of {target}()"}
        backend = ls.predictions.backend(project)
        cancel = threading.Event()
        who = backend.name.rsplit("/", 1)[-1] if backend is not None else "the tracer"
        token = await ls.runs.progress_begin(f"Explaining {target.call} ({who})", cancel)
        stream = _Streamer(ls, token, asyncio.get_running_loop())
        sandbox = project.settings.sandbox(project.root, max_states=CHECK_STATES)
        overlay, _ = ls.runs.runnable(ls.overlay(project))  # what a test run would use (runs.odd_buffer)
        decoding = Decoding.from_settings(project.settings.model)
        outcome = "cancelled"
        try:
            result = await ls.runs.in_thread(
                lambda: explain(target, sandbox, backend, decoding, overlay, cancel, stream), cancel
            )
            outcome = "done"
        except RunCancelled:
            return {"status": "cancelled"}
        finally:
            ls.runs.progress_end(token, outcome)
        path_md = explanation_path(project, f"execution::{target.call}")
        shown = await _show_markdown(ls, path_md, result.markdown)
        prediction = result.prediction.document() if result.prediction is not None else None
        return {
            "status": "ok",
            "call": target.call,
            "markdown": result.markdown,
            "path": str(path_md),
            "shown": shown,
            "prediction": prediction,
            "streamed": stream.pieces,
        }

    @server.command("semcoder.suggestFix")
    async def suggest_fix(ls: SemcoderServer, uri: str, node_id: str) -> dict:
        """Arguments ``uri, node id``: search fixes (the unsaved buffers are the code to fix); each
        validated fix becomes a quick fix on the test's diagnostics, and the user is asked whether to
        apply one now. Nothing is written unless the user picks a fix. Cancelling stops the search."""
        from semcoder_core.tasks.failing import fix_test

        follow_cancellation(ls)
        project = ls.project_for(uri)
        run = _failing(ls, uri, node_id)
        assert project is not None
        overlay, _ = ls.runs.runnable(ls.overlay(project))  # what a test run would use (runs.odd_buffer)
        cancel = threading.Event()
        token = await ls.runs.progress_begin(f"Searching fixes for {node_id.rsplit('::', 1)[-1]}", cancel)
        progress = _reporter(ls, token, asyncio.get_running_loop())
        sandbox = project.settings.sandbox(project.root)
        budget = project.settings.repair.time_budget_seconds
        backend = ls.predictions.backend(project)
        outcome = "cancelled"
        try:
            fixed = await ls.runs.in_thread(
                lambda: fix_test(
                    sandbox,
                    project.root,
                    node_id,
                    ls.text_of,
                    overlay=overlay,
                    cancel=cancel,
                    progress=progress,
                    time_budget_s=budget,
                    backend=backend,
                    settings=project.settings,
                ),
                cancel,
            )
            outcome = fixed.report.message
        except RunCancelled:
            return {"status": "cancelled", "candidates": []}
        finally:
            ls.runs.progress_end(token, outcome)
        project.fixes[node_id] = ("", fixed.report.candidates)
        document = fixed.document(project.root)
        document["applied"] = await _offer(ls, project, run, fixed.report)
        return document

    @server.command("semcoder.runTimeline")
    def run_timeline(ls: SemcoderServer, uri: str, *rest: str) -> dict:
        """Arguments ``uri[, run id]``: the selected (or given) run of the file as steps in execution
        order — ``{run, status, returnRepr, exception, steps: [{seq, uri, line, currentLine, hit,
        changes, state}], truncated}`` — for a step-through view. ``line`` is 1-based in the text the
        run executed; ``currentLine`` is where that line is in the editor now (null if edited away)."""
        from semcoder_core.timeline import timeline

        found = ls.locate(uri)
        if found is None:
            raise SemcoderError(f"semcoder shows runs of Python files of the workspace; {uri} is not one")
        project, path = found
        run_id = rest[0] if rest else ""
        runs = project.runs_for(path)
        run = next((r for r in runs if r.id == run_id), None) if run_id else project.run_for(path)
        if run is None:
            raise SemcoderError(f"no run covers {path}" + (f" with id {run_id!r}" if run_id else ""))
        result = timeline(run.doc)
        maps = {}
        for step in result["steps"]:
            file = step.pop("file")
            step["uri"] = ls.uri_of(file)
            if file not in maps:
                doc = ls.document(step["uri"])
                maps[file] = project.line_map(file, doc.version or 0, run, doc.source) if doc else None
            line_map = maps[file]
            step["currentLine"] = line_map.new(step["line"]) if line_map is not None else step["line"]
        return {"run": run.summary(), **result}

    @server.command("semcoder.selectRun")
    def select_run(ls: SemcoderServer, uri: str, *rest: str) -> dict:
        """Arguments ``uri[, run id]``: with a run id, show that run's states in the file; returns the
        file's runs (failing first) and the selected one, for a client to offer a choice."""
        run_id = rest[0] if rest else ""
        found = ls.locate(uri)
        if found is not None and run_id:
            project, path = found
            if not any(r.id == run_id for r in project.runs_for(path)):
                raise SemcoderError(f"no run {run_id!r} covers {path}")
            project.selected[path] = run_id
            ls.refresh_views()
        return _runs(ls, uri)
