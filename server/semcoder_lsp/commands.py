"""Commands: `semcoder.traceCall` (trace an expression in a file's module) and `semcoder.selectRun`."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from semcoder_core.errors import SemcoderError
from semcoder_core.sandbox import RunCancelled

from .server import SemcoderServer


def _runs(ls: SemcoderServer, uri: str) -> dict:
    project = ls.project_for(uri)
    path = ls.path_of(uri)
    if project is None or path is None:
        return {"runs": [], "selected": None}
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


def register(server: SemcoderServer) -> None:
    @server.command("semcoder.traceCall")
    async def trace_call(ls: SemcoderServer, uri: str, *rest: str) -> dict:
        """Arguments ``uri, expression[, function]``: trace ``expression`` (e.g. ``median([3, 1, 2])``) in
        the module of ``uri``, with unsaved edits; the file then shows that run. Cancelling the request
        kills the run. Without an expression (a client that cannot prompt), says what to give."""
        expression = rest[0] if rest else ""
        function = rest[1] if len(rest) > 1 else ""
        project = ls.project_for(uri)
        path = ls.path_of(uri)
        if project is None or path is None:
            raise SemcoderError(f"semcoder traces Python files of the workspace; {uri} is not one")
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

    @server.command("semcoder.selectRun")
    def select_run(ls: SemcoderServer, uri: str, *rest: str) -> dict:
        """Arguments ``uri[, run id]``: with a run id, show that run's states in the file; returns the
        file's runs (failing first) and the selected one, for a client to offer a choice."""
        run_id = rest[0] if rest else ""
        project = ls.project_for(uri)
        path = ls.path_of(uri)
        if project is not None and path is not None and run_id:
            if not any(r.id == run_id for r in project.runs_for(path)):
                raise SemcoderError(f"no run {run_id!r} covers {path}")
            project.selected[path] = run_id
            ls.refresh_views()
        return _runs(ls, uri)
