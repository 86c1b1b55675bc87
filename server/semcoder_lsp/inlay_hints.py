"""Inlay hints at line ends: the states of the selected run (`total = 6`, `i = 0 → 1 → 2 … 9 (10×)`), and
the model's predicted states (`≈ total = 6`) where a model is configured."""

from __future__ import annotations

from lsprotocol import types

from . import predictions
from .server import SemcoderServer
from .views import View, view_of


def register(server: SemcoderServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    async def inlay_hints(ls: SemcoderServer, params: types.InlayHintParams) -> list[types.InlayHint]:
        view = await view_of(ls, params.text_document.uri)
        if view is None or not view.project.settings.annotations.enabled:
            return []
        hints = observed_hints(view, params, ls.workspace.position_codec)
        predicted = list((view.project.predictions.get(view.path) or {}).values())  # a snapshot, on the loop
        if predicted:
            key = (view.version, hash(view.text), tuple(p.serial for p in predicted))
            found = await ls.work.run(("predicted", view.uri), key, lambda stop: predicted_states(view, predicted))
            hints.extend(_at_line_ends(view, params, found, ls.workspace.position_codec))
        return hints


def predicted_states(view: View, found: list[predictions.Predicted]) -> list[tuple[int, str, str]]:
    """The model's states (``≈ x = 3``) as (line now, label, tooltip): shown after the observed ones."""
    max_values = view.project.settings.annotations.max_values_per_line
    return predictions.hints(found, view.text, max_values)


def observed_hints(view: View, params: types.InlayHintParams, codec) -> list[types.InlayHint]:
    tooltip = f"semcoder: observed in {view.run.label}"
    notes = [(view.lines.new(run_line), note, tooltip) for run_line, note in sorted(view.notes().items())]
    return _at_line_ends(view, params, notes, codec)


def _at_line_ends(view: View, params: types.InlayHintParams, items: list, codec) -> list[types.InlayHint]:
    """Hints ``(1-based line now or None, label, tooltip)`` placed after the line's text, in the
    requested range, columns in the client's units."""
    lines = view.text_lines
    first, last = params.range.start.line, params.range.end.line
    hints = []
    for line, label, tooltip in items:
        if line is None or not (first <= line - 1 <= last) or line > len(lines):
            continue
        text = lines[line - 1].rstrip("\r\n")
        hints.append(
            types.InlayHint(
                position=types.Position(line=line - 1, character=codec.client_num_units(text)),
                label=label,
                padding_left=True,
                tooltip=tooltip,
            )
        )
    return hints
