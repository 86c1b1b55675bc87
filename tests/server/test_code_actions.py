"""Code actions on a failing test: an explanation document, and a quick fix the tests validated."""

from __future__ import annotations

from lsprotocol import types

from .conftest import Editor
from .test_features import FAILING, STATS, TEST_STATS


def apply(text: str, edit: types.TextEdit) -> str:
    """What an editor does with a line-range TextEdit (our edits start and end at column 0)."""
    lines = text.splitlines(keepends=True)
    start, end = edit.range.start, edit.range.end
    assert start.character == 0 and end.character == 0
    return "".join(lines[: start.line]) + edit.new_text + "".join(lines[end.line :])


async def actions_at(editor: Editor, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    return await editor.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )


async def test_explain_and_fix_a_failing_test(editor: Editor):
    asked = []

    @editor.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def dismiss(ls, params: types.ShowMessageRequestParams):
        asked.append(params)
        return None  # the user closes the question: nothing may be applied

    uri = editor.open(STATS)
    test_uri = editor.uri(TEST_STATS)
    (diag,) = await editor.diagnostics(test_uri, lambda ds: any(d.code == "failing-test" for d in ds))
    actions = await actions_at(editor, test_uri, diag)
    titles = [a.title for a in actions]
    assert titles == ["semcoder: Explain failing test", "semcoder: Suggest fix"]
    assert all(a.kind == types.CodeActionKind.QuickFix for a in actions)
    assert list(actions[0].command.arguments) == [test_uri, FAILING]

    # Explain: markdown that names the failing line and values, opened as a document
    explained = await editor.command("semcoder.explainFailure", test_uri, FAILING)
    assert "IndexError" in explained["markdown"] and "stats.py:40" in explained["markdown"]
    assert explained["path"].endswith(".md") and not explained["path"].startswith(str(editor.root))
    assert [d.uri for d in editor.client.shown_documents] == [f"file://{explained['path']}"]

    # Suggest fix: the search runs on the buffers, the user is asked, and dismissing writes nothing
    on_disk = (editor.root / STATS).read_text()
    found = await editor.command("semcoder.suggestFix", test_uri, FAILING)
    assert found["status"] == "fixed" and found["applied"] is False
    assert found["candidates"][0]["title"].startswith("inventory/stats.py:38")
    assert len(asked) == 1 and asked[0].actions[0].title.startswith("inventory/stats.py:38")
    assert (editor.root / STATS).read_text() == on_disk

    # The validated fix is now a quick fix whose edit is that candidate; applying it makes the test pass.
    actions = await actions_at(editor, test_uri, diag)
    quick = [a for a in actions if a.edit is not None]
    assert quick and quick[0].title.startswith("semcoder: Suggest fix — inventory/stats.py:38")
    assert quick[0].title.endswith("(tests pass)") and quick[0].is_preferred
    (edits,) = quick[0].edit.changes.values()
    fixed = apply(on_disk, edits[0])
    assert "upper = min(lower + 1, len(ordered) - 1)" in fixed
    editor.replace(uri, fixed)
    await editor.diagnostics(test_uri, lambda ds: not ds)
    assert (editor.root / STATS).read_text() == on_disk  # still only the buffer changed
