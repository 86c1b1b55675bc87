"""Hover: every value a variable took at a line, per execution, with a sparkline for numbers."""

from __future__ import annotations

from lsprotocol import types

from semcoder_core.annotate import sparkline, value_rows, variable_series

from .server import SemcoderServer
from .views import View, view_of

MAX_ROWS = 30


def _cell(value: str) -> str:
    value = value if len(value) <= 80 else value[:79] + "…"
    return "`" + value.replace("`", "ˋ").replace("|", "\\|") + "`"


def _status(view: View) -> str:
    run = view.run
    mark = {"ok": "✓ passed" if run.kind == "test" else "✓ returned"}.get(run.status, f"✗ {run.status}")
    if run.kind == "test" and run.status == "exception":
        mark = "✗ failed"
    return f"observed in `{run.label}` ({mark})"


def hover_markdown(view: View, run_line: int, word: str | None) -> str | None:
    entry = view.file_lines.get(str(run_line))
    if not entry or not entry.get("hits"):
        return None
    hits = entry["hits"]
    series = variable_series(entry)
    names = [word] if word in series else list(series)
    out = [f"**semcoder** · line {run_line} ran {hits}× · {_status(view)}", ""]
    for name in names[:6]:
        rows = value_rows(entry, name)
        out.append(f"**`{name}`**" + (f" — {len(rows)} of {hits} executions kept" if len(rows) < hits else ""))
        out.append("")
        out.append(f"| # | {name} |")
        out.append("|--:|:--|")
        shown = rows if len(rows) <= MAX_ROWS else rows[: MAX_ROWS - 1] + rows[-1:]
        previous = 0
        for at, value in shown:
            if at is not None and previous and at > previous + 1:
                out.append("| … | |")
            out.append(f"| {at if at is not None else '?'} | {_cell(value)} |")
            previous = at or previous
        spark = sparkline([v for _, v in rows])
        if spark:
            out.append("")
            out.append(f"trend `{spark}`")
        out.append("")
    raised = entry.get("raised")
    if raised:
        message = (raised.get("message") or "").splitlines()
        out.append(f"raised **{raised['type']}**" + (f": {message[0]}" if message else ""))
    if not names and not raised:
        out.append("(no variable changed here)")
    return "\n".join(out).rstrip() + "\n"


def register(server: SemcoderServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: SemcoderServer, params: types.HoverParams) -> types.Hover | None:
        view = await view_of(ls, params.text_document.uri)
        if view is None:
            return None
        run_line = view.lines.old(params.position.line + 1)
        if run_line is None:
            return None
        word = view.word_at(params.position, ls.workspace.position_codec)
        text = hover_markdown(view, run_line, word)
        if text is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
