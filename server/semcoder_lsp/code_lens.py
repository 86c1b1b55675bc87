"""Code lens over each function: the run that covers it and its status, and "Trace call…".

Computed off the event loop, once per document version and set of runs (see work.py), in time
linear in the file: one parse (shared by content), one pass over each run's lines.
"""

from __future__ import annotations

import bisect
import threading

from lsprotocol import types

from semcoder_core.annotate import function_spans, top_level_functions
from semcoder_core.pysource import MAX_CHARS
from semcoder_core.tracer.schema import FunctionCalls

from .server import SemcoderServer
from .state import Project, Run
from .work import check


def _short(label: str) -> str:
    return label.rsplit("::", 1)[-1]


def _call_expressions(run_calls: list[FunctionCalls], path: str) -> dict[str, str]:
    """Function name -> a call expression with the first arguments the runs observed for it
    (functions of ``path`` called with positional or keyword arguments only)."""
    out: dict[str, str] = {}
    for call in run_calls:
        name = call["qualname"]
        if call["file"] == path and call["records"] and name not in out:
            args = call["records"][0].get("args") or {}
            if all(not k.startswith("*") for k in args):
                out[name] = f"{name}({', '.join(args.values())})"
    return out


def lenses(
    project: Project,
    path: str,
    uri: str,
    text: str,
    version: int,
    runs: list[Run],
    selected: Run | None,
    stop: threading.Event,
) -> list[types.CodeLens]:
    """The lenses of ``text`` (version ``version`` of ``path``): the runs covering each function, and a call."""
    spans = function_spans(text)
    top_level = top_level_functions(text)
    observed = _call_expressions([c for r in runs for c in (r.doc.get("calls") or [])], path)
    covered = {run.id: _covered_lines(project, path, version, run, text) for run in runs}
    out = []
    for n, span in enumerate(spans):
        if n % 64 == 0:
            check(stop)
        covering = [r for r in runs if _any_between(covered[r.id], span.start, span.end)]
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
            out.append(
                types.CodeLens(
                    range=rng,
                    command=types.Command(title=title, command="semcoder.selectRun", arguments=[uri, shown.id]),
                )
            )
        if span.name in top_level:
            guess = observed.get(span.name) or (f"{span.name}()" if top_level[span.name] else None)
            out.append(
                types.CodeLens(
                    range=rng,
                    command=types.Command(
                        title="▶ Trace call…",
                        command="semcoder.traceCall",
                        arguments=[uri, guess] if guess else [uri, "", span.name],
                    ),
                )
            )
    return out


def register(server: SemcoderServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    async def code_lens(ls: SemcoderServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        uri = params.text_document.uri
        found = ls.locate(uri)
        doc = ls.document(uri)
        if found is None or doc is None:
            return []
        project, path = found
        text, version = doc.source, doc.version or 0
        if len(text) > MAX_CHARS:
            return []  # not code anyone runs tests on; its tree alone would take hundreds of MB
        runs = project.runs_for(path)
        selected = project.run_for(path)
        key = (version, hash(text), tuple(r.serial for r in runs), selected.serial if selected else None)
        return await ls.work.run(
            ("lens", uri), key, lambda stop: lenses(project, path, uri, text, version, runs, selected, stop)
        )


def _failed_word(run: Run) -> str:
    return {"timeout": "timed out", "exception": "failed"}.get(run.status, run.status)


def _covered_lines(project: Project, path: str, version: int, run: Run, text: str) -> list[int]:
    """The lines of ``text`` (sorted, 1-based) that ``run`` executed, through the line map."""
    mapping = project.line_map(path, version, run, text)
    lines = (run.doc.get("lines") or {}).get(path, {})
    now = (mapping.new(int(key)) for key, entry in lines.items() if entry.get("hits"))
    return sorted(line for line in now if line is not None)


def _any_between(lines: list[int], start: int, end: int) -> bool:
    """Whether a line in sorted ``lines`` lies in ``(start, end]`` (the body of a function)."""
    index = bisect.bisect_right(lines, start)
    return index < len(lines) and lines[index] <= end
