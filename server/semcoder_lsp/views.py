"""What one open document shows: its project, the selected run, and the line mapping between them."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types
from pygls.workspace import TextDocument

from semcoder_core.annotate import line_notes
from semcoder_core.tracer.schema import FileLines

from .lines import LineMap
from .server import SemcoderServer
from .state import Project, Run


@dataclass
class View:
    project: Project
    path: str
    doc: TextDocument
    run: Run
    lines: LineMap

    @property
    def file_lines(self) -> FileLines:
        return (self.run.doc.get("lines") or {}).get(self.path, {})

    def notes(self) -> dict[int, str]:
        """Run line -> the text shown at its end (cached on the run)."""
        max_values = self.project.settings.annotations.max_values_per_line
        cache = self.run.__dict__.setdefault("_notes", {})
        key = (self.path, max_values)
        if key not in cache:
            source = self.run.texts.get(self.path, self.doc.source)
            cache[key] = line_notes(self.path, source, self.file_lines, self.run.doc.get("calls") or [], max_values)
        return cache[key]


def view_of(server: SemcoderServer, uri: str) -> View | None:
    found = server.locate(uri)
    if found is None:
        return None
    project, path = found
    run = project.run_for(path)
    if run is None:
        return None
    doc = server.workspace.get_text_document(uri)
    return View(project, path, doc, run, project.line_map(path, doc.version or 0, run, doc.source))


def line_range(doc_lines: list[str], line: int, codec) -> types.Range:
    """The range of a line's text without its indentation (0-based ``line``), in the client's units."""
    text = doc_lines[line].rstrip("\r\n") if 0 <= line < len(doc_lines) else ""
    start = len(text) - len(text.lstrip())
    return types.Range(
        start=types.Position(line=line, character=codec.client_num_units(text[:start])),
        end=types.Position(line=line, character=codec.client_num_units(text)),
    )
