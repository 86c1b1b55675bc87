"""Open, edit, save, close: each schedules a refresh of the project's runs (debounced while typing)."""

from __future__ import annotations

from lsprotocol import types

from .server import SemcoderServer, path_problem


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
