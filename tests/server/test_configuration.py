"""Settings from pyproject.toml, initialisation options and workspace/configuration; changes apply live."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import Editor, start
from .test_features import by_line

MODULE = "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"
TEST = "from calc import total\n\n\ndef test_total():\n    assert total([1, 2, 3, 4]) == 10\n"


def write_project(root: Path, max_values: int) -> None:
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["."]\n\n'
        f"[tool.semcoder.annotations]\nmax_values_per_line = {max_values}\n"
    )
    (root / "calc.py").write_text(MODULE)
    (root / "tests" / "test_calc.py").write_text(TEST)


@pytest_asyncio.fixture
async def configured(client: LanguageClient, request, small_project: Path) -> Editor:
    write_project(small_project, max_values=2)
    options = {"annotations": {"maxValuesPerLine": 3}}  # beats the file
    return await start(client, small_project, request.node.callspec.params["client"], options)


def changed(editor: Editor) -> None:
    editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))


async def test_editor_settings_beat_initialisation_options_which_beat_the_file(configured: Editor):
    uri = configured.open("calc.py")
    hints = await configured.hints(uri, lambda hs: 3 in by_line(hs))
    assert by_line(hints)[3] == "s = 1 → 3 … 10 (4×)"  # initialisation options: 3 values
    configured.client.set_configuration({"annotations": {"enabled": False}}, section="semcoder")
    changed(configured)
    assert await configured.hints(uri, lambda hs: not hs) == []
    configured.client.set_configuration({"annotations": {"maxValuesPerLine": 4}}, section="semcoder")
    changed(configured)
    hints = await configured.hints(uri, lambda hs: by_line(hs).get(3) == "s = 1 → 3 → 6 → 10 (4×)")
    configured.client.set_configuration({}, section="semcoder")
    changed(configured)
    await configured.hints(uri, lambda hs: by_line(hs).get(3) == "s = 1 → 3 … 10 (4×)")


async def test_pyproject_changes_apply_on_save(small_editor: Editor):
    write_project(small_editor.root, max_values=2)
    uri = small_editor.open("calc.py")
    await small_editor.hints(uri, lambda hs: by_line(hs).get(3) == "s = 1 … 10 (4×)")
    write_project(small_editor.root, max_values=4)
    pyproject = small_editor.root / "pyproject.toml"
    small_editor.client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=pyproject.as_uri()))
    )
    await small_editor.hints(uri, lambda hs: by_line(hs).get(3) == "s = 1 → 3 → 6 → 10 (4×)")


async def test_invalid_settings_say_so_and_keep_serving(small_editor: Editor):
    write_project(small_editor.root, max_values=2)
    uri = small_editor.open("calc.py")
    await small_editor.hints(uri, lambda hs: 3 in by_line(hs))
    small_editor.client.set_configuration({"run": {"timeoutSeconds": -5}}, section="semcoder")
    changed(small_editor)
    for _ in range(100):
        messages = [m.message for m in small_editor.client.messages]
        if any("invalid semcoder settings" in m for m in messages):
            break
        await asyncio.sleep(0.05)
    assert any("timeout_seconds" in m and "the editor's settings are ignored" in m for m in messages), messages
    # the file's settings still hold, and the server still serves
    hints = await small_editor.hints(uri, lambda hs: 3 in by_line(hs))
    assert by_line(hints)[3] == "s = 1 … 10 (4×)"
