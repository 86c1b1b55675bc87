"""The prompts are the model's input protocol: pinned to the documented bytes and to the prompts of
real recorded generations (semcoder-model.md, ../shared/data/recorded-generations)."""

import json

import pytest

from semcoder_core.prompts import formats as F
from semcoder_core.prompts.answers import answer_block, extract_answer, extract_code, extract_refined

DOC_FORWARD = (
    "Simulate the Execution: You are given a Python function and an assertion containing a function input. "
    "Complete the assertion containing the execution output corresponding to the given input in [ANSWER] and "
    "[/ANSWER] tags.\n[PYTHON]\n"
    "def f(a): # [L5]\n"
    "    b = a + 1 # [L6]\n"
    "\n"
    "    return b # [L8]\n"
    'assert f("x") == ??\n[/PYTHON]\n[MONOLOGUE]\n'
)

DOC_BACKWARD = (
    "Deduce the Semantic Constraints: You are given a Python program and its expected output. Find one input such "
    "that executing the program with the input leads to the given output. Complete the assertion with one such "
    "input in between [ANSWER] and [/ANSWER].\nPYTHON]\ndef f(a):\n    return a\nassert f(??) == 3\n[/PYTHON]\n\n"
    "[MONOLOGUE]\n"
)

DOC_REFINE = (
    "Debug and Refine the Code: You are given a a problem to be implemented in Python, and a buggy code that tries "
    "to solve the problem but fails the test case.\nYou should firstly simulate the execution with the buggy code "
    "and the failed test to identify the root cause of the failure. \nThen, you should fix the bug and wrap the "
    "refined code in between [Refined] and [/Refined].\n### Problem\nAdd one.\n\n### Buggy Solution\n```python\n"
    "def f(a):\n    return a\n```\n\n### Failed Test\n```python\nretv = f(1)\nassert retv == 2\n```\n"
)

DOC_NL = (
    "You are an exceptionally intelligent coding assistant that consistently delivers accurate and reliable <Code> "
    "according to <NL_Description>\n\n<NL_Description>\nAdd one.\n\n<Code>\n"
)


def test_forward_monologue_labels_non_empty_lines_from_five():
    code = "def f(a):\n    b = a + 1\n\n    return b"
    assert F.forward_monologue(code, 'f("x")') == DOC_FORWARD
    assert F.label_to_line(8) == 4


def test_monologues_of_code_kept_as_a_files_text_have_no_blank_line_before_the_assertion():
    """The data pipeline keeps a program as a file's text, final newline included; SemCoder's rows have no
    blank line before ``assert``, so code with and without final newlines gives the same bytes."""
    assert F.forward_monologue("def f(a):\n    b = a + 1\n\n    return b\n\n", 'f("x")') == DOC_FORWARD
    assert F.backward_monologue("def f(a):\n    return a\n", "f", "3") == DOC_BACKWARD


def test_backward_monologue_keeps_the_training_quirk():
    assert F.backward_monologue("def f(a):\n    return a", "f", "3") == DOC_BACKWARD
    evaluation = F.backward_monologue("def f(a):\n    return a", "f", "3", opening=F.EVALUATION_OPENING)
    assert evaluation == DOC_BACKWARD.replace("\nPYTHON]\n", "\n[PYTHON]\n")


def test_debug_refine_and_nl_to_code_are_byte_exact():
    failed = F.failed_test("f(1)", "2")
    assert failed == "retv = f(1)\nassert retv == 2"
    assert F.debug_refine("Add one.", "def f(a):\n    return a", failed) == DOC_REFINE
    assert F.nl_to_code("Add one.") == DOC_NL
    assert F.nl_to_code("Add one.", prefill="```python\ndef f(a):\n").endswith("<Code>\n```python\ndef f(a):\n")


def test_quote_normalisation_round_trip():
    assert F.normalize_quotes("f('a', \"b\")") == 'f("a", "b")'
    assert F.restore_quotes('["a", "b"]') == "['a', 'b']"


BUILDERS = {
    ("output", "semcoder_1030_monologue"): lambda s, n: F.forward_monologue(n(s["prompt"]), _call(s, n)),
    ("input", "semcoder_1030_monologue"): lambda s, n: F.backward_monologue(
        n(s["prompt"]), s["entry_point"], n(s["output"]), opening=F.EVALUATION_OPENING
    ),
    ("output", "semcoder_1030_direct"): lambda s, n: F.direct_output(n(s["prompt"]), _call(s, n)),
    ("input", "semcoder_1030_direct"): lambda s, n: F.direct_input(n(s["prompt"]), s["entry_point"], n(s["output"])),
    ("output", "deepseek-coder-6.7b-base_monologue"): lambda s, n: F.cot_output(n(s["prompt"]), _call(s, n)),
    ("input", "deepseek-coder-6.7b-instruct_monologue"): lambda s, n: F.cot_input(
        n(s["prompt"]), s["entry_point"], n(s["output"])
    ),
}


def _call(sample, n):
    return f"{sample['entry_point']}({n(sample['input'])})"


@pytest.mark.parametrize("mode,model", sorted(BUILDERS))
def test_builders_reproduce_every_recorded_prompt(shared_data, mode, model):
    folder = shared_data / "recorded-generations"
    samples = {}
    for line in (folder / "cruxeval_renamed.jsonl").read_text().splitlines():
        row = json.loads(line)
        samples[row["task_id"].replace("CRUXEval/", "sample_")] = row
    recorded = json.loads((folder / f"cruxeval_{mode}__{model}.json").read_text())
    build = BUILDERS[(mode, model)]
    mismatched = [
        key for key, raws in recorded.items() if not raws[0].startswith(build(samples[key], F.normalize_quotes))
    ]
    assert len(recorded) == 200
    assert mismatched == []


def test_answer_extraction_takes_the_last_answer_block():
    text = 'in [ANSWER] and [/ANSWER] tags\n[ANSWER]\nassert f("a") == ["a", 1]\n[/ANSWER]\n'
    assert answer_block(text).strip() == 'assert f("a") == ["a", 1]'
    assert extract_answer(text, "output") == "['a', 1]"
    assert extract_answer(text, "input") == "f('a')"
    assert extract_answer(text, "input", restore=False) == 'f("a")'
    # no closing tag (generation stopped at it): up to the end
    assert extract_answer("[ANSWER]\nassert f(1) == 2\n", "output") == "2"
    # only "ANSWER]" survives
    assert extract_answer("ANSWER]\nassert f(1) == 3", "output") == "3"
    assert extract_answer("no answer here", "output") is None
    with pytest.raises(ValueError):
        extract_answer("[ANSWER]x", "sideways")


def test_code_extraction_takes_the_first_python_block():
    text = "Some words\n```python\ndef f():\n    return 1\n```\nthen\n```python\nother\n```"
    assert extract_code(text) == "def f():\n    return 1"
    refine = (
        "### Execution Simulation\n```python\nretv = f(1)\n```\n"
        "[Refined]\n```python\ndef f(a):\n    return a + 1\n```\n[/Refined]"
    )
    assert extract_refined(refine) == "def f(a):\n    return a + 1"
    assert extract_code("no code") is None
    # an unterminated block (generation cut by max_tokens) still yields what was written
    assert extract_code("```python\ndef g():\n    pass") == "def g():\n    pass"
