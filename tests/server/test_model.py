"""The editor with a model configured: predicted states as their own hints, disagreements flagged,
"Explain execution" streamed, and a cache so that nothing is asked twice.

The model is the real SemCoder-1030's recorded generation for CRUXEval sample 223 (it believes
`4 <= 2` and predicts `count = 2`; the run gives 1), served by a real OpenAI-compatible HTTP server
in this process; the language server is the real `semcoder-lsp` under VS Code's and Neovim's
recorded capabilities."""

from __future__ import annotations

import asyncio
import shutil

import pytest
import pytest_asyncio
from lsprotocol import types

from tests.conftest import FIXTURES
from tests.support.replay_server import ReplayServer, recorded_completions

from .conftest import Editor, start

CALL = "count_rises([1, 2, -1, 4], 2)"


@pytest.fixture
def replay(shared_data):
    _, completion = recorded_completions(shared_data)["sample_223"]
    with ReplayServer({"count, i = 0, 1 # [L6]": completion}, chunk_chars=8) as server:
        yield server


def project(tmp_path):
    root = tmp_path / "predict"
    shutil.copytree(FIXTURES / "predict", root)
    return root


@pytest_asyncio.fixture
async def model_editor(client, request, tmp_path, replay) -> Editor:
    options = {"model": {"backend": "openai", "url": replay.url, "maxTokens": 4096}}
    return await start(client, project(tmp_path), request.node.callspec.params["client"], options)


def predicted(hints: list[types.InlayHint]) -> dict[int, str]:
    return {h.position.line: h.label for h in hints if isinstance(h.label, str) and h.label.startswith("≈")}


async def told(editor: Editor, text: str, timeout: float = 15) -> types.ShowMessageParams:
    """The one message the server showed containing ``text`` (waiting for it)."""
    for _ in range(int(timeout / 0.1)):
        if any(text in m.message for m in editor.client.messages):
            break
        await asyncio.sleep(0.1)
    (message,) = [m for m in editor.client.messages if text in m.message]
    return message


async def code_actions(editor: Editor, uri: str, line: int) -> list[types.CodeAction]:
    return await editor.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(line, 4), types.Position(line, 4)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )


async def test_predicted_states_are_distinct_and_disagreements_flagged(model_editor: Editor, replay):
    uri = model_editor.open("counting.py")
    hints = await model_editor.hints(uri, lambda hs: 6 in predicted(hs))
    guesses = predicted(hints)
    observed = {h.position.line: h.label for h in hints if not str(h.label).startswith("≈")}
    assert observed[1] == "count = 0, i = 1"
    assert guesses[1] == "≈ count = 0; i = 1"
    assert guesses[3].startswith("≈ count = 1 → 2 ✗ ran: 1")  # the model's wrong step, marked
    assert guesses[6] == "≈ returns 2 ✗ ran: 1"
    assert all("a prediction, not an observation" in h.tooltip for h in hints if str(h.label).startswith("≈"))
    # the observed hint and the predicted one sit at the same line end, observed first
    line3 = [h.label for h in hints if h.position.line == 3]
    assert line3[0] == observed[3] and line3[-1] == guesses[3]

    diagnostics = await model_editor.diagnostics(uri, lambda ds: len(ds) >= 2)
    info = sorted((d.range.start.line, d.message) for d in diagnostics if d.code == "prediction-disagrees")
    assert all(d.severity == types.DiagnosticSeverity.Information for d in diagnostics)
    assert info[0][0] == 3 and "the model predicted count = 2, the run gave 1" in info[0][1]
    assert info[-1][0] == 6 and "the model predicted returns 2, the run gave 1" in info[-1][1]
    asked = len(replay.requests)
    assert asked == 1  # one function ran with literal arguments

    # explain execution: a code action inside the function; the answer comes from the cache
    (action,) = [a for a in await code_actions(model_editor, uri, 2) if "Explain execution" in a.title]
    assert action.title == f"semcoder: Explain execution of {CALL}"
    result = await model_editor.command(action.command.command, *action.command.arguments)
    assert result["status"] == "ok" and result["call"] == CALL
    markdown = result["markdown"]
    assert f"### `{CALL}` — the model's prediction" in markdown
    assert "Predicted return: `2` ✗ the real run returned `1`" in markdown
    assert "| 4 | `count` | `2` | `1` |" in markdown
    assert f"### `{CALL}` — what really ran" in markdown
    assert result["prediction"]["disagreements"]
    assert result["path"].endswith(".md") and not result["path"].startswith(str(model_editor.root))
    # same prompt, same model, same decoding: the cache answered, the server was not asked again
    assert len(replay.requests) == asked

    # re-opening the file shows the predictions again without a model call
    model_editor.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    uri = model_editor.open("counting.py")
    await model_editor.hints(uri, lambda hs: 3 in predicted(hs))
    assert len(replay.requests) == asked
    # no "Explain execution" in a test file
    test_uri = model_editor.open("tests/test_counting.py")
    assert not [a for a in await code_actions(model_editor, test_uri, 4) if "Explain execution" in a.title]


async def test_explain_execution_streams_progress(model_editor: Editor, replay):
    uri = model_editor.open("counting.py")
    await model_editor.hints(uri, lambda hs: 3 in predicted(hs))
    replay.delay_s = 0.01  # a slow model: the answer arrives over a few seconds
    replay.recordings = {"count, i = 0, 1 # [L6]": "Let me think step by step. " * 30}  # and no [ANSWER]
    result = await model_editor.command("semcoder.explainExecution", uri, 1, "count_rises([1, 2], 5)")
    assert result["status"] == "ok" and result["call"] == "count_rises([1, 2], 5)"
    assert "The completion has no `[ANSWER]` block" in result["markdown"]
    assert "Returned `1`." in result["markdown"]  # what really ran
    assert result["streamed"] >= 2
    if model_editor.client.capabilities.window and model_editor.client.capabilities.window.work_done_progress:
        reports = [
            r.message
            for values in model_editor.client.progress_reports.values()
            for r in values
            if isinstance(r, types.WorkDoneProgressReport) and r.message and r.message.startswith("…")
        ]
        # the text as it grows: the first pieces, then the tail of what has come so far
        assert len(reports) >= 2 and reports[0].startswith("… Let me"), reports
        assert "think step by step. Let me think" in reports[-1], reports


async def test_a_dead_model_server_is_reported_and_the_editor_keeps_working(client, request, tmp_path):
    options = {"model": {"backend": "openai", "url": "http://127.0.0.1:9", "retries": 0}}
    editor = await start(client, project(tmp_path), request.node.callspec.params["client"], options)
    uri = editor.open("counting.py")
    hints = await editor.hints(uri, lambda hs: any(str(h.label).startswith("count = 0") for h in hs))
    assert not predicted(hints)
    message = await told(editor, "the model did not answer")
    assert "127.0.0.1:9" in message.message and message.type == types.MessageType.Warning
    assert "count" in (await editor.hover(uri, 1, 4))


@pytest.mark.parametrize(
    "failure,expected",
    [
        ({"fail_status": 500}, "HTTP 500"),
        ({"stall_s": 3.0}, "1 s"),  # slower than model.timeoutSeconds
    ],
)
async def test_a_failing_model_server_is_reported_and_the_editor_keeps_working(
    client, request, tmp_path, failure, expected
):
    with ReplayServer({}, **failure) as server:
        options = {"model": {"backend": "openai", "url": server.url, "retries": 1, "timeoutSeconds": 1}}
        editor = await start(client, project(tmp_path), request.node.callspec.params["client"], options)
        uri = editor.open("counting.py")
        hints = await editor.hints(uri, lambda hs: any(str(h.label).startswith("count = 0") for h in hs))
        assert not predicted(hints)
        message = await told(editor, "the model did not answer")
        assert expected in message.message and server.url in message.message
        assert "count" in (await editor.hover(uri, 1, 4))
        result = await editor.command("semcoder.explainExecution", uri, 1, CALL)
        assert "**The model did not answer:**" in result["markdown"] and "Returned `1`." in result["markdown"]
    if "fail_status" in failure:
        assert len(server.requests) >= 2  # retried once before the first token
