"""What one open document shows: its project, the selected run, and the line mapping between them.

A view is built off the event loop (see work.py) from a snapshot taken on it: the
document's text and version and the run it shows. Views of the same version and
run are shared, so hovers and hints after a keystroke cost one line map.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lsprotocol import types

from semcoder_core.annotate import line_notes
from semcoder_core.pysource import MAX_CHARS
from semcoder_core.tracer.schema import FileLines

from .lines import LineMap
from .server import SemcoderServer
from .state import Project, Run

_WORD_START = re.compile(r"[A-Za-z_0-9]*$")
_WORD_END = re.compile(r"^[A-Za-z_0-9]*")


@dataclass
class View:
    project: Project
    path: str
    uri: str
    text: str  # the buffer as the request saw it
    version: int
    run: Run
    lines: LineMap
    text_lines: list[str]  # ``text`` split into lines, ends kept

    @property
    def file_lines(self) -> FileLines:
        return (self.run.doc.get("lines") or {}).get(self.path, {})

    def notes(self) -> dict[int, str]:
        """Run line -> the text shown at its end (cached on the run)."""
        max_values = self.project.settings.annotations.max_values_per_line
        cache = self.run.__dict__.setdefault("_notes", {})
        key = (self.path, max_values)
        if key not in cache:
            source = self.run.texts.get(self.path, self.text)
            if len(source) > MAX_CHARS:
                source = ""  # too large to parse for branch outcomes: the states alone
            cache[key] = line_notes(self.path, source, self.file_lines, self.run.doc.get("calls") or [], max_values)
        return cache[key]

    def word_at(self, position: types.Position, codec) -> str | None:
        """The identifier under the cursor (``position`` in the client's units), as pygls' ``word_at_position``
        finds it, without splitting the whole document again."""
        if not 0 <= position.line < len(self.text_lines):
            return None
        line = self.text_lines[position.line]
        column = codec.position_from_client_units([line], types.Position(0, position.character)).character
        word = _WORD_START.findall(line[:column])[0] + _WORD_END.findall(line[column:])[-1]
        return word or None


def snapshot(server: SemcoderServer, uri: str) -> tuple[Project, str, str, int, Run] | None:
    """On the event loop: what a view of ``uri`` is built from, or None when the file shows no run."""
    found = server.locate(uri)
    if found is None:
        return None
    project, path = found
    run = project.run_for(path)
    if run is None:
        return None
    doc = server.document(uri)
    if doc is None:
        return None
    return project, path, doc.source, doc.version or 0, run


async def view_of(server: SemcoderServer, uri: str) -> View | None:
    """The view of an open document, with its line map and notes computed off the event loop."""
    taken = snapshot(server, uri)
    if taken is None:
        return None
    project, path, text, version, run = taken

    def build(stop: threading.Event) -> View:
        view = View(
            project, path, uri, text, version, run, project.line_map(path, version, run, text), text.splitlines(True)
        )
        view.notes()
        return view

    return await server.work.run(("view", uri), (version, run.serial, hash(text)), build)


def line_range(doc_lines: list[str], line: int, codec) -> types.Range:
    """The range of a line's text without its indentation (0-based ``line``), in the client's units."""
    text = doc_lines[line].rstrip("\r\n") if 0 <= line < len(doc_lines) else ""
    start = len(text) - len(text.lstrip())
    return types.Range(
        start=types.Position(line=line, character=codec.client_num_units(text[:start])),
        end=types.Position(line=line, character=codec.client_num_units(text)),
    )
