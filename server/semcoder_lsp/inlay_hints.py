"""Inlay hints at line ends: the states of the selected run (`total = 6`, `i = 0 → 1 → 2 … 9 (10×)`)."""

from __future__ import annotations

from lsprotocol import types

from .server import SemcoderServer
from .views import view_of


def register(server: SemcoderServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    def inlay_hints(ls: SemcoderServer, params: types.InlayHintParams) -> list[types.InlayHint]:
        view = view_of(ls, params.text_document.uri)
        if view is None or not view.project.settings.annotations.enabled:
            return []
        lines = view.doc.lines
        codec = view.doc.position_codec
        first, last = params.range.start.line, params.range.end.line
        tooltip = f"semcoder: observed in {view.run.label}"
        hints = []
        for run_line, note in sorted(view.notes().items()):
            line = view.lines.new(run_line)
            if line is None or not (first <= line - 1 <= last) or line > len(lines):
                continue
            text = lines[line - 1].rstrip("\r\n")
            hints.append(
                types.InlayHint(
                    position=types.Position(line=line - 1, character=codec.client_num_units(text)),
                    label=note,
                    padding_left=True,
                    tooltip=tooltip,
                )
            )
        return hints
