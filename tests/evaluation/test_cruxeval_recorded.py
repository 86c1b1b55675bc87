"""Scoring the recorded real generations reproduces their published pass@1 to the decimal
(semcoder-model.md): the proof that our answer extraction and scoring are the reference's."""

import json

import pytest

from semcoder_core.evaluation import cruxeval
from semcoder_core.prompts.answers import extract_answer

from .conftest import semcoder

PUBLISHED = {
    "cruxeval_output__semcoder_1030_monologue": 58.5,
    "cruxeval_output__semcoder_1030_direct": 45.0,
    "cruxeval_input__semcoder_1030_monologue": 64.0,
    "cruxeval_input__semcoder_1030_direct": 44.5,
    "cruxeval_output__deepseek-coder-6.7b-base_monologue": 34.0,
    "cruxeval_output__deepseek-coder-6.7b-instruct_monologue": 40.5,
    "cruxeval_input__deepseek-coder-6.7b-base_monologue": 42.0,
    "cruxeval_input__deepseek-coder-6.7b-instruct_monologue": 37.0,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_recorded_generations_score_the_published_pass_at_1(recorded, name):
    mode = name.split("_")[1]
    out, doc = semcoder(
        "eval", "cruxeval", "--mode", mode, "--data", recorded / "cruxeval_renamed.jsonl",
        "--generations", recorded / f"{name}.json", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert round(100 * doc["pass_at_1"], 1) == PUBLISHED[name]
    assert doc["n_samples"] == 200
    assert len(doc["per_sample"]) == 200
    assert all(len(v) == 1 and isinstance(v[0], bool) for v in doc["per_sample"].values())
    assert sum(v[0] for v in doc["per_sample"].values()) == round(2 * PUBLISHED[name])


def test_input_answers_are_read_the_reference_way(recorded):
    """The two samples of the input/direct run that only the reference's rule passes: the model
    restated the function, then asserted a call. Left of the first ``==``, after the first ``assert``."""
    raws = json.loads((recorded / "cruxeval_input__semcoder_1030_direct.json").read_text())
    assert extract_answer(raws["sample_278"][0], "input") == "operation_to_perform([0, 132], [5, 32])"
    # A plain substring: "assertion" in a comment before the real assert counts (and fails the sample).
    assert extract_answer(raws["sample_304"][0], "input") == "ion"
    text = '[ANSWER]\nassert f("a") == ["a", 1]\n[/ANSWER]'
    assert extract_answer(text, "output") == "['a', 1]"


def test_both_data_formats_load_the_same_problems(shared_data, recorded):
    bundled = cruxeval.load_problems()
    shared = cruxeval.load_problems(shared_data / "cruxeval" / "cruxeval.jsonl")
    renamed = {p.id: p for p in cruxeval.load_problems(recorded / "cruxeval_renamed.jsonl")}
    assert bundled == shared and len(bundled) == 800
    assert len(renamed) == 800
    first = renamed["sample_0"]
    assert first.name == "operation_to_perform" and first.call == "operation_to_perform([1, 1, 3, 1, 3, 1])"
    assert first.code == bundled[0].code.replace("def f(", "def operation_to_perform(")
    assert first.output == bundled[0].output


def test_prompts_are_those_of_the_recorded_runs(recorded):
    problems = {p.id: p for p in cruxeval.load_problems(recorded / "cruxeval_renamed.jsonl")}
    for name, mode, style in [
        ("cruxeval_output__semcoder_1030_monologue", "output", "monologue"),
        ("cruxeval_input__semcoder_1030_monologue", "input", "monologue"),
        ("cruxeval_output__semcoder_1030_direct", "output", "direct"),
        ("cruxeval_input__semcoder_1030_direct", "input", "direct"),
    ]:
        raws = json.loads((recorded / f"{name}.json").read_text())
        for ident, raw in raws.items():
            assert raw[0].startswith(cruxeval.build_prompt(problems[ident], mode, style)), (name, ident)
