"""Open, edit, save, close: each schedules a refresh of the project's runs (debounced while typing)."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from .server import MAX_URI, NAME_MAX, SemcoderServer


def path_problem(uri: str) -> str | None:
    """Why the ``file:`` uri ``uri`` names no file semcoder can use (``SemcoderServer.path_of`` is
    None), or None when it does or is no ``file:`` uri."""
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


def register(server: SemcoderServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SemcoderServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        if ls.path_of(item.uri) is None and (item.language_id == "python" or item.uri.endswith(".py")):
            problem = path_problem(item.uri)
            if problem is not None:  # no line to put a diagnostic on: a message
                uri = item.uri if len(item.uri) <= 200 else item.uri[:200] + "…"
                ls.show_message(f"semcoder leaves {uri} out of runs: {problem}", types.MessageType.Warning)
        project = ls.project_for(item.uri)
        if project is not None:
            ls.runs.schedule(project, delay=0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SemcoderServer, params: types.DidChangeTextDocumentParams) -> None:
        project = ls.project_for(params.text_document.uri)
        if project is not None:
            ls.runs.schedule(project)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SemcoderServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith("/pyproject.toml"):
            ls.reload_settings()
            return
        project = ls.project_for(uri)
        if project is not None:
            ls.runs.schedule(project, delay=0.0)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: SemcoderServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        ls.forget_locations()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SemcoderServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.work.forget(params.text_document.uri)
        project = ls.project_for(params.text_document.uri)
        if project is not None:
            ls.runs.schedule(project)  # the file on disk replaces the closed buffer
