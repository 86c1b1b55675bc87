"""`semcoder predict`: the model's monologue for a call, parsed into states and checked against the
real run of the same call. The model's side is a recorded real SemCoder-1030 generation (CRUXEval
sample 223, in which the model believes `4 <= 2`) served by a real OpenAI-compatible HTTP server."""

import shutil

import pytest

from tests.cli.test_cli import semcoder
from tests.conftest import FIXTURES
from tests.support.replay_server import ReplayServer, recorded_completions

CALL = "count_rises([1, 2, -1, 4], 2)"


@pytest.fixture(scope="module")
def sample_223(shared_data):
    row, completion = recorded_completions(shared_data)["sample_223"]
    assert "count, i = 0, 1" in row["prompt"]
    return completion


@pytest.fixture
def project(tmp_path):
    dest = tmp_path / "predict"
    shutil.copytree(FIXTURES / "predict", dest)
    return dest


def test_predict_shows_states_and_flags_where_the_model_is_wrong(project, sample_223):
    with ReplayServer({"count, i = 0, 1 # [L6]": sample_223}) as server:
        args = ["--backend", "openai", "--model-url", server.url, "--json"]
        out, doc = semcoder("predict", str(project / "counting.py"), "--call", CALL, *args)
    assert out.returncode == 0, out.stderr
    # the prompt: SemCoder's forward monologue, labels from L5, quotes normalised, stop at [/ANSWER]
    request = server.requests[0]
    assert "def count_rises(array, target): # [L5]\n    count, i = 0, 1 # [L6]\n" in request["prompt"]
    assert request["prompt"].endswith(f"assert {CALL} == ??\n[/PYTHON]\n[MONOLOGUE]\n")
    assert request["stop"] == ["[/ANSWER]"] and request["stream"] is True
    file = str(project / "counting.py")
    assert doc["status"] == "ok" and doc["predicted_return"] == "2"
    assert doc["observed_return"] == "1" and doc["return_agrees"] is False
    lines = doc["predicted_lines"][file]
    assert {"count": "0"} in lines["2"]["states"] and {"i": "1"} in lines["2"]["states"]
    assert doc["observed_lines"][file]["4"]["states"] == [{"count": "1"}]
    wrong = {(d["line"], d["variable"], d["predicted"]) for d in doc["disagreements"]}
    assert (4, "count", "2") in wrong  # the model's `4 <= 2` is True
    assert (7, "return", "2") in wrong
    assert doc["agreement"]["agree"] >= 3
    assert "[/MONOLOGUE]" in doc["raw"]


def predict_shout(project, url: str):
    return semcoder("predict", str(project / "counting.py"), "--call", "shout('a')", "--backend", "openai",
                    "--model-url", url, "--json")  # fmt: skip


def test_predict_without_an_answer_block(project):
    with ReplayServer({}) as server:  # answers every prompt with text and no [ANSWER]
        out, doc = predict_shout(project, server.url)
    assert out.returncode == 0, out.stderr
    assert doc["status"] == "no-answer" and doc["predicted_return"] is None
    assert doc["observed_return"] == "'A!'"
    assert doc["disagreements"] == []


def test_predict_with_a_dead_server_still_shows_the_run(project):
    out, doc = predict_shout(project, "http://127.0.0.1:9")
    assert out.returncode == 1
    assert doc["status"] == "error" and "127.0.0.1:9" in doc["error"]
    assert doc["observed_return"] == "'A!'"


def test_predict_needs_a_model(project):
    out, _ = semcoder("predict", str(project / "counting.py"), "--call", "shout('a')", "--backend", "none")
    assert out.returncode == 2
    assert "predict needs a model" in out.stderr


def test_predict_human_output(project, sample_223):
    with ReplayServer({"count, i = 0, 1 # [L6]": sample_223}) as server:
        out, _ = semcoder(
            "predict", str(project / "counting.py"), "--call", CALL, "--backend", "openai", "--model-url", server.url
        )
    assert out.returncode == 0, out.stderr
    assert "✗ count ≈ 2" in out.stdout
    assert "returns ≈ 2   (observed: 1)  ✗" in out.stdout
