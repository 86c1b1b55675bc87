"""The model in `semcoder fix` and `semcoder explain`: SemCoder's debug-and-refine prompt goes to a
real OpenAI-compatible server, the proposed code is validated by the same staged test runs as every
mutant, and only what the tests prove is offered. The server replays scripted refine answers (the
6.7B model cannot run here); everything between it and the user is the real path."""

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.test_cli import semcoder
from tests.support.replay_server import ReplayServer

BUGS = Path(__file__).resolve().parents[2] / "examples" / "bugs"
NODE = "tests/test_pagination.py::test_page_count_when_pages_are_full"

ANALYSIS = """### Execution Simulation
1. `page_count(40, 20)` is called; `per_page` is `20`, so no error is raised.
2. The return computes `(40 + 20) // 20`, which is `3`.

### Root Cause Analysis
Adding `per_page` before the floor division adds a whole page when `total` is a multiple of `per_page`.

### Bug Fixing
"""
GOOD = (
    ANALYSIS
    + """[Refined]
```python
def page_count(total: int, per_page: int = DEFAULT_PER_PAGE) -> int:
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return (total + per_page - 1) // per_page
```
[/Refined]
"""
)
# passes the failing test, breaks test_many_page_sizes (41 items, 20 a page -> 2)
WRONG = GOOD.replace("(total + per_page - 1) // per_page", "total // per_page")


@pytest.fixture
def bug(tmp_path):
    dest = tmp_path / "b02"
    shutil.copytree(next(BUGS.glob("b02_*")), dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def _model(server):
    return ["--backend", "openai", "--model-url", server.url]


@pytest.mark.parametrize("answer,validated", [(GOOD, True), (WRONG, False)], ids=["right-fix", "wrong-fix"])
def test_model_fixes_are_validated_before_they_are_offered(bug, answer, validated):
    before = (bug / "pagination.py").read_text()
    with ReplayServer({"def page_count(": answer}) as server:
        out, doc = semcoder("fix", NODE, "--json", "--time-budget", "60", "--samples", "2", *_model(server), cwd=bug)
    assert out.returncode == 0, out.stderr
    prompt = server.requests[0]["prompt"]
    assert prompt.startswith("Debug and Refine the Code: You are given a a problem")
    assert "### Problem\nNumber of pages needed to show ``total`` items, ``per_page`` at a time.\n" in prompt
    assert prompt.endswith("### Failed Test\n```python\nretv = page_count(40, 20)\nassert retv == 2\n```\n")
    assert len(server.requests) == 2 and {r["seed"] for r in server.requests} == {0, 1}
    assert all(r["stop"] == ["[/Refined]"] for r in server.requests)
    from_model = [c for c in doc["candidates"] + doc["rejected"] if c["source"].startswith("model:openai:")]
    assert len(from_model) == 1  # the two samples were the same text: checked once
    assert from_model[0]["validated"] is validated
    if validated:
        assert "+    return (total + per_page - 1) // per_page" in from_model[0]["diff"]
        assert doc["status"] == "fixed"
    else:
        assert from_model[0] in doc["rejected"]  # made the failing test pass, broke another
        assert all(not c["source"].startswith("model:") for c in doc["candidates"])
    assert doc["model"]["notes"] == []
    assert (bug / "pagination.py").read_text() == before  # nothing written


def test_a_dead_model_server_leaves_the_mutation_search_working(bug):
    out, doc = semcoder(
        "fix",
        NODE,
        "--json",
        "--time-budget",
        "60",
        "--backend",
        "openai",
        "--model-url",
        "http://127.0.0.1:9",
        cwd=bug,
    )
    assert out.returncode == 0, out.stderr
    # the mutation search ran as without a model, and found the fix the model's above found too (an
    # off-by-one in the dividend that rounds up)
    assert doc["status"] == "fixed" and doc["checked"] >= 1
    assert all(c["source"].startswith("mutation:") for c in doc["candidates"] + doc["rejected"])
    assert "+    return (total + per_page - 1) // per_page" in doc["candidates"][0]["diff"]
    assert any("http://127.0.0.1:9" in note for note in doc["model"]["notes"]), doc["model"]


def test_explain_adds_the_model_analysis_labelled_as_a_prediction(bug):
    with ReplayServer({"def page_count(": GOOD}) as server:
        out, doc = semcoder("explain", NODE, "--json", *_model(server), cwd=bug)
    assert out.returncode == 0, out.stderr
    markdown = doc["markdown"]
    assert "### The model's analysis (a prediction by `openai:" in markdown
    assert "Adding `per_page` before the floor division adds a whole page" in markdown
    assert "**it is not validated here**" in markdown
    assert doc["model"]["error"] is None
    # the trace-grounded explanation comes first
    assert markdown.index("### The model's analysis") > markdown.index("returned `3`")


def test_explain_with_no_answer_from_the_model_says_so(bug):
    out, doc = semcoder("explain", NODE, "--json", "--backend", "openai", "--model-url", "http://127.0.0.1:9", cwd=bug)
    assert out.returncode == 0, out.stderr
    assert "_The model did not answer:" in doc["markdown"]
    assert "127.0.0.1:9" in doc["model"]["error"]
    assert json.dumps(doc)  # one JSON document
