"""The server object: workspace state and the wiring of one module per LSP feature."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from semcoder_core.config import Settings, deep_merge, snake_keys
from semcoder_core.errors import SemcoderError
from semcoder_core.planning import Planner
from semcoder_core.project import find_root

from . import __version__
from .protocol import LINE_LIMIT, SemcoderProtocol, open_reader, open_writer, read_messages
from .state import Project
from .work import Work

log = logging.getLogger(__name__)
MAX_URI = 3 * 4096  # PATH_MAX bytes, percent-encoded
NAME_MAX = 255  # bytes in one file name (Linux, macOS, Windows)


class SemcoderServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("semcoder-lsp", __version__, protocol_cls=SemcoderProtocol)
        self.projects: dict[Path, Project] = {}
        self._project_of: dict[str, Project | None] = {}  # uri -> project: didChange bursts must stay cheap
        self.init_options: dict[str, Any] = {}
        self.editor_settings: dict[str, Any] = {}  # the `semcoder` section of workspace/configuration
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="semcoder")
        self.work = Work()  # what requests compute, off the event loop
        from .runs import RunManager

        self.runs = RunManager(self)
        from .predictions import PredictionManager

        self.predictions = PredictionManager(self)

    def start_io(self, stdin=None, stdout=None) -> int:
        """stdio through our frame reader (protocol.py), not pygls'; returns the exit status."""
        self._stop_event = threading.Event()
        out = stdout or sys.stdout.buffer
        self.protocol.set_writer(StdoutWriter(out))

        async def serve() -> int:
            writer = await open_writer(out)
            if writer is not None:
                self.protocol.set_writer(writer)
            reader = await open_reader(stdin or sys.stdin.buffer)
            status = await read_messages(self._stop_event, reader, self.protocol)
            if writer is not None:
                await writer.drain()
            return status

        status = 1
        try:
            status = asyncio.run(serve())
        except BrokenPipeError:
            log.error("lost the connection to the client; shutting down")
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()
        return status

    def start_tcp(self, host: str, port: int) -> int:
        """One client over TCP, through the same frame reader as stdio; returns the exit status."""
        self._stop_event = threading.Event()
        status = 1

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal status
            self.protocol.set_writer(writer)
            try:
                status = await read_messages(self._stop_event, reader, self.protocol)
                await writer.drain()  # the last answers, before the loop ends
                writer.close()
            except ConnectionError as exc:
                log.error("lost the connection to the client (%s); shutting down", exc)
            self.shutdown()  # closes the listener: serve_forever ends

        async def serve() -> None:
            self._server = await asyncio.start_server(connection, host, port, limit=LINE_LIMIT)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(serve())
        except (asyncio.CancelledError, KeyboardInterrupt):
            pass
        return status

    def shutdown(self) -> None:
        self.work.shutdown()  # computations for requests no one will read
        super().shutdown()

    # -- documents and projects -------------------------------------------------------

    @staticmethod
    def path_of(uri: str) -> str | None:
        """The resolved file system path of a ``file:`` uri (cached: every request asks); None for other
        uris and for those no file can have (path_problem says why)."""
        if len(uri) > MAX_URI:
            return None  # longer than any path the system can open; and the cache would keep it
        return _resolved_path(uri)

    @staticmethod
    def uri_of(path: str) -> str:
        return from_fs_path(path) or path

    def document(self, uri: str) -> TextDocument | None:
        """The open document of ``uri``, or None (pygls keys documents by the unquoted uri: ``%20``, ``c%3A``)."""
        return self.workspace.text_documents.get(unquote(uri))

    def open_text(self, path: str) -> str | None:
        """The editor's buffer of ``path`` if it is open."""
        doc = self.document(self.uri_of(path))
        return doc.source if doc is not None else None

    def text_of(self, path: str) -> str:
        """What a run would execute for ``path``: the buffer if open, else the file on disk."""
        text = self.open_text(path)
        if text is not None:
            return text
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def overlay(self, project: Project) -> dict[str, str]:
        """Open buffers inside ``project`` (they replace the files on disk in runs)."""
        out = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            path = self.path_of(uri)
            if path and path.endswith(".py") and Path(path).is_relative_to(project.root):
                out[path] = doc.source
        return out

    def project_for(self, uri: str) -> Project | None:
        """The project of a Python file; None for files we do not run (not Python, outside the workspace)."""
        if uri in self._project_of:
            return self._project_of[uri]
        project = self._project_for(uri)
        if project is None and self.path_of(uri) is None:
            return None  # no file (not cached: long uris would fill the cache, and path_of is quick for them)
        if len(self._project_of) > 10_000:
            self._project_of.clear()
        self._project_of[uri] = project
        return project

    def locate(self, uri: str) -> tuple[Project, str] | None:
        """The project and the path of a Python file of the workspace, or None."""
        project = self.project_for(uri)
        path = self.path_of(uri)
        return (project, path) if project is not None and path is not None else None

    def forget_locations(self) -> None:
        """Workspace folders changed: which files belong to which project is worked out again."""
        self._project_of.clear()

    def _project_for(self, uri: str) -> Project | None:
        path = self.path_of(uri)
        if path is None or not path.endswith(".py"):
            return None
        folders = [Path(self.path_of(f.uri) or "/") for f in self.workspace.folders.values()]
        if folders and not any(Path(path).is_relative_to(f) for f in folders):
            return None  # e.g. a library file opened by "go to definition"
        root = find_root(Path(path))
        project = self.projects.get(root)
        if project is None:
            project = Project(root=root, settings=self.load_settings(root), planner=Planner(root))
            self.projects[root] = project
        return project

    # -- settings -------------------------------------------------------------------

    def load_settings(self, root: Path) -> Settings:
        """Defaults < ``[tool.semcoder]`` < environment < initialisation options < editor settings."""
        overrides = deep_merge(snake_keys(self.init_options), snake_keys(self.editor_settings))
        try:
            return Settings.load(root, overrides)
        except SemcoderError as exc:
            self.show_message(f"semcoder: {exc}; the editor's settings are ignored", types.MessageType.Warning)
        try:
            return Settings.load(root)
        except SemcoderError as exc:
            self.show_message(f"semcoder: {exc}; using the defaults", types.MessageType.Warning)
            return Settings()

    def reload_settings(self) -> None:
        for project in self.projects.values():
            project.settings = self.load_settings(project.root)
            project.batch = None  # settings change what a run shows: run again
            project.calls.clear()
            project.predictions.clear()
            self.runs.schedule(project, delay=0.0)

    # -- to the client ---------------------------------------------------------------

    def show_message(self, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=text))

    def supports(self, *path: str) -> bool:
        node: Any = self.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return False
        return bool(node)

    def refresh_views(self) -> None:
        """Ask the client to pull inlay hints and code lenses again (where it said it can)."""
        if self.supports("workspace", "inlay_hint", "refresh_support"):
            self.workspace_inlay_hint_refresh(None)
        if self.supports("workspace", "code_lens", "refresh_support"):
            self.workspace_code_lens_refresh(None)


def build() -> SemcoderServer:
    """The server with every feature registered."""
    from . import code_actions, code_lens, commands, configuration, diagnostics, documents, hover, inlay_hints

    server = SemcoderServer()
    features = (configuration, documents, inlay_hints, hover, diagnostics, code_lens, code_actions, commands)
    for feature in features:
        feature.register(server)
    return server


@functools.lru_cache(maxsize=4096)
def _resolved_path(uri: str) -> str | None:
    if not uri.startswith("file:") or path_problem(uri) is not None:
        return None
    try:
        return str(Path(to_fs_path(uri)).resolve())
    except (ValueError, OSError, RuntimeError):  # resolved a moment ago: the file system changed meanwhile
        return None


def path_problem(uri: str) -> str | None:
    """Why the ``file:`` uri ``uri`` names no file semcoder can use (then ``SemcoderServer.path_of`` is
    None), or None when it does or is no ``file:`` uri. The one place that decides it."""
    if not uri.startswith("file:"):
        return None
    if len(uri) > MAX_URI:
        return f"it is longer ({len(uri)} characters) than any path a file can have"
    try:
        path = to_fs_path(uri)
    except Exception:  # noqa: BLE001 - whatever pygls makes of a malformed uri
        return "it is not a valid file uri"
    if not path:
        return "it names no file"
    if not os.path.isabs(path):
        return "it is a relative uri; an editor names files by absolute uris (file:///…)"
    if "\x00" in path:
        return "its path holds a NUL character, which no file name can hold"
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        return "its path holds a lone surrogate, which no file name can hold"
    longest = max(Path(path).parts, key=len, default="")
    if len(os.fsencode(longest)) > NAME_MAX:
        return f"a name in its path is longer ({len(longest)} characters) than a file name can be"
    try:
        Path(path).resolve()
    except (ValueError, OSError, RuntimeError) as exc:
        return f"its path cannot be resolved ({exc})"
    return None
