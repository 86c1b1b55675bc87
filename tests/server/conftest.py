"""A real semcoder-lsp process driven by pytest-lsp under the recorded capabilities of real editors."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Union

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .processes import cmdline, process_tree

SERVER = [sys.executable, "-m", "semcoder_lsp"]
CLIENTS = ["visual-studio-code", "neovim"]


def descendants(pid: int) -> list[str]:
    """Processes below ``pid`` (the server): its sandboxed runs and whatever they started."""
    return [f"{child}: {cmdline(child)}" for child, _ in process_tree(pid)]


@dataclass
class Editor:
    """The client plus the project it opened, with the waits the tests need."""

    client: LanguageClient
    root: Path
    name: str
    versions: dict[str, int] = field(default_factory=dict)
    refreshes: dict[str, int] = field(default_factory=dict)

    def uri(self, rel: str) -> str:
        return (self.root / rel).resolve().as_uri()

    def open(self, rel: str, text: str | None = None) -> str:
        uri = self.uri(rel)
        text = (self.root / rel).read_text() if text is None else text
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        return uri

    def replace(self, uri: str, text: str) -> None:
        """A full-text didChange (the unsaved buffer)."""
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def hints(self, uri: str, until: Callable[[list[types.InlayHint]], bool], timeout: float = 60) -> list:
        """Poll inlay hints (a client without refresh support does the same on scroll and edit)."""
        deadline = asyncio.get_running_loop().time() + timeout
        hints: list[types.InlayHint] = []
        while asyncio.get_running_loop().time() < deadline:
            hints = (
                await self.client.text_document_inlay_hint_async(
                    types.InlayHintParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        range=types.Range(start=types.Position(0, 0), end=types.Position(10_000, 0)),
                    )
                )
                or []
            )
            if until(hints):
                return hints
            await asyncio.sleep(0.2)
        raise AssertionError(f"no matching inlay hints within {timeout} s; last: {[h.label for h in hints]}")

    async def diagnostics(self, uri: str, until: Callable[[list], bool], timeout: float = 60) -> list:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = list(self.client.diagnostics.get(uri, []))
            if until(found):
                return found
            await asyncio.sleep(0.1)
        raise AssertionError(f"diagnostics never matched; last: {self.client.diagnostics.get(uri)}")

    async def hover(self, uri: str, line: int, character: int) -> str | None:
        result = await self.client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character)
            )
        )
        return result.contents.value if result else None

    async def command(self, name: str, *arguments: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments))
        )

    def runs_alive(self) -> list[str]:
        """The server's child processes (its runs)."""
        return descendants(self.client._server.pid)

    async def tracing(self, timeout: float = 20) -> None:
        """Until a traced process of the server runs (not just a probe of the interpreter)."""
        for _ in range(int(timeout / 0.05)):
            if any("semcoder_tracer" in p for p in self.runs_alive()):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no traced process started; alive: {self.runs_alive()}")

    async def no_runs(self, timeout: float = 10) -> None:
        """Until no process of the server has been alive for half a second."""
        quiet = 0
        for _ in range(int(timeout / 0.05)):
            quiet = 0 if self.runs_alive() else quiet + 1
            if quiet >= 10:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"processes of the server's runs are still alive: {self.runs_alive()}")

    def units(self, text: str) -> int:
        """Length of ``text`` in the position encoding this client negotiated."""
        return len(text.encode("utf-8")) if self.name == "neovim" else len(text.encode("utf-16-le")) // 2


async def start(lsp_client: LanguageClient, root: Path, name: str, options: dict | None = None) -> Editor:
    editor = Editor(lsp_client, root, name)

    # What a real editor does on these requests: pull again. Here the tests pull; count them.
    def counter(method: str):
        def refresh(ls, params) -> None:
            editor.refreshes[method] = editor.refreshes.get(method, 0) + 1

        return refresh

    for method in (types.WORKSPACE_CODE_LENS_REFRESH, types.WORKSPACE_INLAY_HINT_REFRESH):
        if method not in lsp_client.protocol.fm.features:
            lsp_client.feature(method)(counter(method))

    # lsprotocol 2025.0.0 reads every code action that has a "command" key as a Command, even when
    # that key holds a Command object (a CodeAction with a command); clients check for a string.
    converter = lsp_client.protocol._converter

    def code_action_or_command(obj: Any, _: type) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], code_action_or_command)

    params = types.InitializeParams(
        capabilities=client_capabilities(name),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options,
    )
    await lsp_client.initialize_session(params)
    return editor


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=CLIENTS)
async def client(lsp_client: LanguageClient):
    """A real semcoder-lsp process and a client with VS Code's or Neovim's recorded capabilities."""
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture
async def editor(client: LanguageClient, request, example_copy: Path) -> Editor:
    """The client, initialised on a private copy of the example project."""
    return await start(client, example_copy, request.node.callspec.params["client"])


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    root = tmp_path / "small"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    return root


@pytest_asyncio.fixture
async def small_editor(client: LanguageClient, request, small_project: Path) -> Editor:
    """The client, initialised on an empty project the test fills in."""
    return await start(client, small_project, request.node.callspec.params["client"])
