"""End to end with a real model: SmolLM2-135M (GGUF) through the llama.cpp backend answers 20
CRUXEval problems in each mode. A model this small cannot reason about code; what is checked is
the pipeline - the prompts sent, the answers read (or recorded as missing), the scores computed."""

import json

import pytest

from semcoder_core.evaluation import cruxeval

from .conftest import semcoder

pytestmark = pytest.mark.timeout(600)

# sample_0 of CRUXEval, as the forward monologue prompt sends it (quotes normalised, lines labelled)
SAMPLE_0_OUTPUT_PROMPT = (
    "Simulate the Execution: You are given a Python function and an assertion containing a function input. "
    "Complete the assertion containing the execution output corresponding to the given input in [ANSWER] and "
    "[/ANSWER] tags.\n"
    "[PYTHON]\n"
    "def f(nums): # [L5]\n"
    "    output = [] # [L6]\n"
    "    for n in nums: # [L7]\n"
    "        output.append((nums.count(n), n)) # [L8]\n"
    "    output.sort(reverse=True) # [L9]\n"
    "    return output # [L10]\n"
    "assert f([1, 1, 3, 1, 3, 1]) == ??\n"
    "[/PYTHON]\n"
    "[MONOLOGUE]\n"
)


@pytest.mark.parametrize("mode,style", [("output", "monologue"), ("input", "direct")])
def test_smollm2_answers_twenty_problems(smollm2_gguf, tmp_path, mode, style):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'semcoder[llama]')")
    report = tmp_path / "report"
    saved = tmp_path / "generations.json"
    out, doc = semcoder(
        "eval", "cruxeval", "--mode", mode, "--prompt", style, "--limit", 20,
        "--backend", "llama-cpp", "--model-path", smollm2_gguf, "--max-tokens", 24, "--temperature", 0,
        "--report", report, "--save-generations", saved, "--json",
        env={"SEMCODER_MODEL__THREADS": "1"},  # llama.cpp's spinning threads crawl on a busy 2-core machine
    )  # fmt: skip
    assert out.returncode == 0, out.stderr

    problems = cruxeval.load_problems()[:20]
    ids = [p.id for p in problems]
    assert doc["n_samples"] == 20
    assert list(doc["per_sample"]) == ids
    assert all(len(v) == 1 and isinstance(v[0], bool) for v in doc["per_sample"].values())
    assert doc["pass_at_1"] == sum(v[0] for v in doc["per_sample"].values()) / 20

    full = json.loads((report / "results.json").read_text())
    generations = json.loads(saved.read_text())
    assert list(generations) == ids
    for problem, record in zip(problems, full["problems"]):
        prompt = cruxeval.build_prompt(problem, mode, style)
        assert record["prompt"] == prompt
        (attempt,) = record["attempts"]
        assert attempt["raw"] == generations[problem.id][0] and attempt["raw"].startswith(prompt)
        if attempt["answer"] is None:
            assert attempt["status"] == "missing" and not attempt["passed"]
        else:
            assert attempt["answer"] == cruxeval.extract(attempt["raw"], mode)
            assert attempt["status"] in {"passed", "failed", "error", "timeout", "invalid", "memory-limit", "crashed"}
        assert attempt["passed"] == doc["per_sample"][problem.id][0]
    if mode == "output":
        assert full["problems"][0]["prompt"] == SAMPLE_0_OUTPUT_PROMPT
    else:
        # the direct prompt ends in "[ANSWER]\n": every completion is an answer, read the reference way
        assert all(a is not None for (a,) in doc["answers"].values())
        assert full["problems"][0]["prompt"].endswith(
            "[PYTHON]\ndef f(nums):\n    output = []\n    for n in nums:\n        output.append((nums.count(n), n))\n"
            "    output.sort(reverse=True)\n    return output\n"
            "assert f(??) == [(4, 1), (4, 1), (4, 1), (4, 1), (2, 3), (2, 3)]\n[/PYTHON]\n[ANSWER]\n"
        )
    assert (report / "summary.md").read_text().startswith(f"# cruxeval-{mode}")
    assert (report / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
