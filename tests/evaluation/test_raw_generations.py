"""Raw generations of every shape, scored through ``semcoder eval cruxeval --generations`` (real sandboxed
checks on CRUXEval problems): a raw that carries its prompt is read on the completion only, and a
completion may open its answer with ``ANSWER]`` (no bracket), as a model trained on PyX writes it."""

import json

import pytest

from semcoder_core.evaluation import cruxeval
from semcoder_core.prompts import formats as F
from semcoder_core.prompts.answers import extract_answer

from .conftest import semcoder

PROBLEMS = {p.id: p for p in cruxeval.load_problems()}
# sample_108 returns 0 for f(16): the CoT input prompt's own example answer ``f(16)`` would pass it.
IDS = ["sample_0", "sample_2", "sample_3", "sample_108"]
WRONG = {
    "output": {"sample_0": "[]", "sample_2": '"hbto"', "sample_3": '"q"', "sample_108": "1"},
    "input": {"sample_0": "f([1])", "sample_2": 'f("x")', "sample_3": 'f("a", "b")', "sample_108": "f([1])"},
}
FORWARD = (
    "### Understanding the Function\nThe function builds a new value.\n### Execution Simulation\n"
    "- [L5]: `x` becomes `1`.\n### Conclusion\nThe function returns the value.\n[/MONOLOGUE]\n"
)
BACKWARD = (
    "### Reverse Deduction\n- The output fixes the argument.\n### Conclusion\nOne such input works.\n[/MONOLOGUE]\n"
)
THOUGHT = "Let's execute the code step by step:\n1. The function runs.\n[/THOUGHT]\n"


def _assertion(problem, mode: str, wrong: bool = False) -> str:
    n = F.normalize_quotes
    if mode == "output":
        return f"assert {n(problem.call)} == {WRONG[mode][problem.id] if wrong else n(problem.output)}"
    return f"assert {WRONG[mode][problem.id] if wrong else n(problem.call)} == {n(problem.output)}"


def _right(problem, mode: str) -> str:
    """The answer as scored: quotes restored, so the data's own text for these problems."""
    return problem.output if mode == "output" else problem.call


PREFIXES = {  # what comes before the answer: the prompt sent (or not), then the model's reasoning
    "prompt": lambda prompt, cot, reasoning: prompt + reasoning,
    "BOS + prompt": lambda prompt, cot, reasoning: "<s>" + prompt + reasoning,
    "completion": lambda prompt, cot, reasoning: reasoning,
    "CoT prompt": lambda prompt, cot, reasoning: cot + THOUGHT,
}
TAILS = {  # how the answer is written, given its assertion
    "block": lambda a: f"[ANSWER]\n{a}\n[/ANSWER]",
    "no block": lambda a: "",
    "closing tag only": lambda a: f"{a}\n[/ANSWER]",
    "bare opening": lambda a: f"ANSWER]\n{a}\n[/ANSWER]",
    "bare opening, stopped": lambda a: f"ANSWER]\n{a}\n",
}
# prefix, tail, the answer's assertion wrong?, passed, answer read ("right", "wrong" or None)
MONOLOGUE_SHAPES = [
    ("prompt", "block", False, True, "right"),
    ("prompt", "block", True, False, "wrong"),
    ("prompt", "no block", False, False, None),
    ("prompt", "closing tag only", False, False, None),
    ("prompt", "bare opening", False, True, "right"),
    ("prompt", "bare opening, stopped", False, True, "right"),
    ("BOS + prompt", "block", False, True, "right"),
    ("completion", "block", False, True, "right"),
    ("completion", "bare opening", False, True, "right"),
    ("completion", "no block", False, False, None),
    # the few-shot CoT prompt holds a whole [ANSWER] block: never to be read as the model's answer
    ("CoT prompt", "no block", False, False, None),
    ("CoT prompt", "bare opening", False, True, "right"),
]
# what follows the direct prompt's "[ANSWER]\n" (or, for "completion", the whole raw), passed, answer
DIRECT_SHAPES = [
    ("prompt", "{right}\n", True, "right"),
    ("prompt", "{right}\n[/ANSWER]\n", True, "right"),
    ("prompt", "{wrong}\n", False, "wrong"),
    # the reference reads the last block: a completion that opens another one is read there
    ("prompt", "{wrong}\n\n[ANSWER]\n{right}\n", True, "right"),
    ("completion", "{right}\n", True, "right"),
]


def _expected(problem, mode: str, kind):
    if kind is None:
        return None
    if kind == "right":
        return _right(problem, mode)
    return F.restore_quotes(WRONG[mode][problem.id])


def _score(tmp_path, mode: str, style: str, generations: dict) -> dict:
    path = tmp_path / f"{mode}-{style}.json"
    path.write_text(json.dumps(generations), encoding="utf-8")
    out, doc = semcoder("eval", "cruxeval", "--mode", mode, "--prompt", style, "--generations", path, "--json")
    assert out.returncode == 0, out.stderr
    return doc


@pytest.mark.parametrize("mode", ["output", "input"])
def test_monologue_raws_of_every_shape(tmp_path, mode):
    generations = {}
    for ident in IDS:
        problem = PROBLEMS[ident]
        prompt = cruxeval.build_prompt(problem, mode, "monologue")
        cot = cruxeval.build_prompt(problem, mode, "cot")
        reasoning = FORWARD if mode == "output" else BACKWARD
        generations[ident] = [
            PREFIXES[prefix](prompt, cot, reasoning) + TAILS[tail](_assertion(problem, mode, wrong))
            for prefix, tail, wrong, _, _ in MONOLOGUE_SHAPES
        ]
    doc = _score(tmp_path, mode, "monologue", generations)
    assert list(doc["per_sample"]) == IDS
    for ident in IDS:
        shapes = [shape[:2] for shape in MONOLOGUE_SHAPES]
        expected = [(shape, passed) for shape, (*_, passed, _) in zip(shapes, MONOLOGUE_SHAPES)]
        assert list(zip(shapes, doc["per_sample"][ident])) == expected, ident
        answers = [_expected(PROBLEMS[ident], mode, kind) for *_, kind in MONOLOGUE_SHAPES]
        assert doc["answers"][ident] == answers, ident
    assert doc["statuses"]["missing"] == 4 * len(IDS)
    assert doc["statuses"]["passed"] == 7 * len(IDS)
    assert doc["pass_at_1"] == pytest.approx(7 / len(MONOLOGUE_SHAPES))
    assert doc["notes"] == [
        f"{2 * len(IDS)} generations carry another prompt than the 'monologue' one; their answers were read "
        "after the prompt they carry"
    ]


def test_input_raws_with_the_training_opening(tmp_path):
    """The backward monologue as the training data opens it (``PYTHON]``) is a prompt too."""
    generations = {}
    for ident in IDS:
        problem = PROBLEMS[ident]
        n = F.normalize_quotes
        prompt = F.backward_monologue(n(problem.code), problem.name, n(problem.output))
        assert prompt != cruxeval.build_prompt(problem, "input", "monologue")
        generations[ident] = [
            prompt + BACKWARD + f"ANSWER]\n{_assertion(problem, 'input')}\n[/ANSWER]",
            prompt + BACKWARD,
        ]
    doc = _score(tmp_path, "input", "monologue", generations)
    assert doc["per_sample"] == {ident: [True, False] for ident in IDS}
    assert doc["answers"] == {ident: [PROBLEMS[ident].call, None] for ident in IDS}


@pytest.mark.parametrize("mode", ["output", "input"])
def test_direct_raws_continue_the_block_the_prompt_opened(tmp_path, mode):
    generations = {}
    for ident in IDS:
        problem = PROBLEMS[ident]
        prompt = cruxeval.build_prompt(problem, mode, "direct")
        right, wrong = _assertion(problem, mode), _assertion(problem, mode, wrong=True)
        generations[ident] = [
            (prompt if prefix == "prompt" else "") + text.format(right=right, wrong=wrong)
            for prefix, text, _, _ in DIRECT_SHAPES
        ]
    doc = _score(tmp_path, mode, "direct", generations)
    for ident in IDS:
        assert doc["per_sample"][ident] == [passed for _, _, passed, _ in DIRECT_SHAPES], ident
        assert doc["answers"][ident] == [_expected(PROBLEMS[ident], mode, kind) for *_, kind in DIRECT_SHAPES], ident
    assert doc["notes"] == []


def test_bare_opening_before_a_closing_tag():
    """The released rule (last ``ANSWER]`` anywhere) took the closing tag's and read an empty answer."""
    completion = "### Conclusion\nIt returns 2.\n[/MONOLOGUE]\nANSWER]\nassert f(1) == 2\n[/ANSWER]"
    assert extract_answer(completion, "output") == "2"
    assert extract_answer(completion, "input") == "f(1)"
    assert extract_answer("It returns 2.\nassert f(1) == 2\n[/ANSWER]", "output") is None
    # the last opening counts, whichever form it has
    assert extract_answer('[ANSWER] tags, then\nANSWER]\nassert f("a") == "b"\n', "output") == "'b'"
