"""Code lens over each function: the run that covers it and its status, and "Trace call…"."""

from __future__ import annotations

import ast

from lsprotocol import types

from semcoder_core.annotate import function_spans
from semcoder_core.tracer.schema import FunctionCalls

from .server import SemcoderServer
from .state import Run


def _short(label: str) -> str:
    return label.rsplit("::", 1)[-1]


def call_guess(run_calls: list[FunctionCalls], path: str, name: str, source: str) -> str | None:
    """A call expression for ``name`` from what the runs observed (its first recorded arguments),
    or ``name()`` when it takes no arguments; None for methods and functions we cannot call alone."""
    for call in run_calls:
        if call["file"] == path and call["qualname"] == name and call["records"]:
            args = call["records"][0].get("args") or {}
            if all(not k.startswith("*") for k in args):
                return f"{name}({', '.join(args.values())})"
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            a = node.args
            if not (a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg):
                return f"{name}()"
    return None


def register(server: SemcoderServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: SemcoderServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        uri = params.text_document.uri
        found = ls.locate(uri)
        if found is None:
            return []
        project, path = found
        doc = ls.workspace.get_text_document(uri)
        source = doc.source
        runs = project.runs_for(path)
        selected = project.run_for(path)
        calls = [c for r in runs for c in (r.doc.get("calls") or [])]
        top_level = {n.name for n in _top_level_functions(source)}
        lenses = []
        for span in function_spans(source):
            covering = [r for r in runs if _covers(project, path, doc, r, span.start, span.end)]
            rng = types.Range(start=types.Position(span.start - 1, 0), end=types.Position(span.start - 1, 0))
            if covering:
                failing = [r for r in covering if r.status != "ok"]
                shown = selected if selected in covering else covering[0]
                mark = "✓" if shown.status == "ok" else "✗"
                title = f"{mark} {_short(shown.label)}"
                if shown.kind == "test":
                    title += " passed" if shown.status == "ok" else f" {_failed_word(shown)}"
                else:
                    title += f" → {shown.doc.get('return_repr') or shown.status}"
                if len(covering) > 1:
                    title += f" · {len(covering)} runs" + (f" ({len(failing)} failing)" if failing else "")
                lenses.append(
                    types.CodeLens(
                        range=rng,
                        command=types.Command(title=title, command="semcoder.selectRun", arguments=[uri, shown.id]),
                    )
                )
            if span.name in top_level:
                guess = call_guess(calls, path, span.name, source)
                lenses.append(
                    types.CodeLens(
                        range=rng,
                        command=types.Command(
                            title="▶ Trace call…",
                            command="semcoder.traceCall",
                            arguments=[uri, guess or f"{span.name}()"] if guess else [uri, "", span.name],
                        ),
                    )
                )
        return lenses


def _failed_word(run: Run) -> str:
    return {"timeout": "timed out", "exception": "failed"}.get(run.status, run.status)


def _top_level_functions(source: str) -> list[ast.FunctionDef]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [n for n in tree.body if isinstance(n, ast.FunctionDef)]


def _covers(project, path: str, doc, run: Run, start: int, end: int) -> bool:
    lines = (run.doc.get("lines") or {}).get(path, {})
    mapping = project.line_map(path, doc.version or 0, run, doc.source)
    for key, entry in lines.items():
        if entry.get("hits"):
            line = mapping.new(int(key))
            if line is not None and start < line <= end:
                return True
    return False
