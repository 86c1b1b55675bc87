"""Predicted states read out of forward monologues: hand-checked real samples of the recorded SemCoder
generations (../shared/data/recorded-generations), edge cases, and the measured quality against real
traces (benchmarks/monologue_states.py, loaded by path)."""

import importlib.util
import time
from pathlib import Path

import pytest

from semcoder_core.prompts.monologue import (
    PredictedState,
    canonical_value,
    extract_states,
    predicted_lines,
    predicted_return,
    simulation_section,
)

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "monologue_states.py"
SEMCODER = "cruxeval_output__semcoder_1030_monologue.json"
DEEPSEEK = "cruxeval_output__deepseek-coder-6.7b-instruct_monologue.json"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("monologue_states_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load_benchmark()


def _samples(bench, shared_data, name):
    generations = shared_data / "recorded-generations"
    loaded = bench.load_samples(generations / name, generations / "cruxeval_renamed.jsonl")
    return {sample["id"]: sample for sample in loaded}


@pytest.fixture(scope="module")
def semcoder(bench, shared_data):
    return _samples(bench, shared_data, SEMCODER)


def triples(states):
    return [(s.step, s.line, s.variable, s.value) for s in states]


def states_of(sample, code=True):
    return extract_states(sample["completion"], sample["code"] if code else None)


def test_a_dict_literal_with_repeated_keys_is_canonicalised_as_python_evaluates_it(semcoder):
    """sample_100: the model writes ``res = {"1": "a", 1: "a", 1: "b", "1": "b"}``. The value is what
    that literal evaluates to, ``{'1': 'b', 1: 'b'}`` (Python keeps the last value of a repeated key),
    which is exactly what ``d.copy()`` holds in the real run; ``raw`` keeps the text as written."""
    states = states_of(semcoder["sample_100"])
    assert triples(states) == [
        (0, 1, "d", "{'1': 'b', 1: 'b'}"),
        (0, 1, "rm", "[1]"),
        (1, 2, "res", "{'1': 'b', 1: 'b'}"),
        (2, 5, "res", "{'1': 'b'}"),  # "`res` becomes `{"1": "a", "1": "b"}`" after ``del res[k]``
    ]
    assert states[2].raw == '{"1": "a", 1: "a", 1: "b", "1": "b"}'
    assert canonical_value('{"1": "a", 1: "a", 1: "b", "1": "b"}') == "{'1': 'b', 1: 'b'}"
    assert canonical_value("not a literal") == "not a literal"


def test_an_unrolled_for_loop_gives_one_state_per_iteration(semcoder):
    """sample_582: "**Iteration 1**: `i = 1`" under the ``for`` line's label, then "[L8]: ... Now,
    `arr = [5, 5]`": the loop variable at the for line, the list at the append line."""
    got = triples(states_of(semcoder["sample_582"]))
    assert got[:3] == [(0, 1, "k", "7"), (0, 1, "j", "5"), (1, 2, "arr", "[]")]
    expected_loop = []
    for i in range(7):
        expected_loop.append((2 + 2 * i, 3, "i", str(i)))
        expected_loop.append((3 + 2 * i, 4, "arr", str([5] * (i + 1))))
    assert got[3:] == expected_loop


def test_iteration_headings_name_the_loop_variable_and_a_deeper_label_does_not_carry_over(semcoder):
    """sample_84: "**Second Iteration (item = 'mef')**" follows a bullet citing [L12] (``item +=
    'day'``, line 8); the heading belongs to the ``for`` (line 4). "[L12]: ... Now, `result = [...]`"
    cites line 8, which does not touch ``result``: its line is the ``append`` (line 9)."""
    assert triples(states_of(semcoder["sample_84"])) == [
        (0, 1, "text", "'nwv mef ofme bdryl'"),
        (1, 2, "arr", "['nwv', 'mef', 'ofme', 'bdryl']"),
        (2, 4, "item", "'nwv'"),
        (3, 9, "result", "['nwvday']"),
        (4, 4, "item", "'mef'"),
        (5, 9, "result", "['nwvday', 'mefday']"),
        (6, 4, "item", "'ofme'"),
        (7, 9, "result", "['nwvday', 'mefday', 'ofmeday']"),
        (8, 4, "item", "'bdryl'"),
        (9, 9, "result", "['nwvday', 'mefday', 'ofmeday', 'bdrylday']"),
    ]


def test_without_labels_an_increment_points_at_the_augmented_assignment(semcoder):
    """sample_45 cites no label: "it is added: `counts = {...}`" is ``counts[char] = 1`` (line 5),
    "its count is incremented: `counts = {...}`" is ``counts[char] += 1`` (line 7)."""
    got = triples(states_of(semcoder["sample_45"]))
    assert got[:8] == [
        (0, 2, "counts", "{}"),
        (1, 5, "counts", "{'z': 1}"),
        (2, 5, "counts", "{'z': 1, 'a': 1}"),
        (3, 5, "counts", "{'z': 1, 'a': 1, '1': 1}"),
        (4, 5, "counts", "{'z': 1, 'a': 1, '1': 1, 'f': 1}"),
        (5, 5, "counts", "{'z': 1, 'a': 1, '1': 1, 'f': 1, 'd': 1}"),
        (6, 7, "counts", "{'z': 1, 'a': 1, '1': 2, 'f': 1, 'd': 1}"),
        (7, 7, "counts", "{'z': 1, 'a': 2, '1': 2, 'f': 1, 'd': 1}"),
    ]
    assert len(got) == 25 and {line for _, line, _, _ in got} == {2, 5, 7}


def test_without_labels_the_literal_and_the_order_of_execution_pick_the_line(semcoder):
    """sample_759: "`index` is initialized to `[]`" is ``index = []`` (line 2), "`starting` is
    initialized to `0`" is ``starting = 0`` (line 3), "`starting` is updated to `-1`" cannot be that
    line (it assigns 0) and is the next assignment in execution order, ``text.find`` (line 5).
    "called with `sub = "good"` and `starting = 0`": ``sub`` is a parameter (the def line), and
    ``starting = 0`` is no change."""
    assert triples(states_of(semcoder["sample_759"])) == [
        (0, 2, "index", "[]"),
        (1, 3, "starting", "0"),
        (2, 1, "sub", "'good'"),
        (3, 5, "starting", "-1"),
    ]


def test_a_parameter_rebound_in_the_body_and_a_comprehension_variable(semcoder):
    """sample_384: "`text` is initialized to `["a", ...]`" is not the input (the call passes a string)
    but ``text = list(text)`` (line 3). sample_58: ``i`` is both a comprehension's variable and the
    ``for``'s; the prose cannot tell which it means, so no state of ``i`` is taken."""
    assert triples(states_of(semcoder["sample_384"])) == [
        (0, 3, "text", "['a', 's', 'f', 'd', 'e', 'l', 'l', 'o', 's']"),
        (1, 2, "chars", "['T', 'a']"),
        (2, 4, "new_text", "['a', 's', 'f', 'd', 'e', 'l', 'l', 'o', 's']"),
        (3, 7, "new_text", "['s', 'f', 'd', 'e', 'l', 'l', 'o', 's']"),
    ]
    assert triples(states_of(semcoder["sample_58"])) == [(0, 1, "nums", "[-1, 0, 0, 1, 1]"), (1, 2, "count", "5")]


def test_without_the_code_lines_come_from_the_labels_only(semcoder):
    """sample_582 without the program: the inputs are stated before any label (line None); the rest
    cite labels."""
    got = triples(states_of(semcoder["sample_582"], code=False))
    assert got[:3] == [(0, None, "k", "7"), (0, None, "j", "5"), (1, 2, "arr", "[]")]
    assert got[3:] == triples(states_of(semcoder["sample_582"]))[3:]


def test_garbage_and_a_text_without_a_simulation_give_nothing():
    assert extract_states("") == []
    assert extract_states("lorem ipsum `x` dolor [L7] sit amet, 42 == 42 `y` becomes", "def f(x):\n    y = x") == []
    assert extract_states("\x00\ufffd[ANSWER]assert f(1) == 2[/ANSWER]") == []
    assert simulation_section("just words") == "just words"
    assert simulation_section("### Execution Simulation\nA\n### Conclusion\nB") == "\nA\n"
    assert predicted_return("no answer here") is None


CODE = "def f(a):\n    b = a + 1\n    c = [b]\n    return c"


def test_a_label_beyond_the_code_is_not_a_line():
    """[L42] does not exist in a 4-line program. With the code, the label is ignored: a variable the
    program does not bind is dropped, one it binds gets the line that binds it. Without the code the
    label cannot be checked, and gives line 38."""
    completion = (
        "### Execution Simulation\n"
        "1. [L5]: The function is called with `a = 1`.\n"
        "2. [L42]: `z` becomes `5`.\n"
        "3. [L42]: `b` becomes `2`.\n"
        "### Conclusion\n"
    )
    assert triples(extract_states(completion, CODE)) == [(0, 1, "a", "1"), (1, 2, "b", "2")]
    assert triples(extract_states(completion)) == [(0, 1, "a", "1"), (1, 38, "z", "5"), (2, 38, "b", "2")]


def test_values_that_are_not_literals_or_are_truncated_are_not_states():
    completion = (
        "### Execution Simulation\n"
        "- [L6]: `b` becomes `a + 1`.\n"
        "- [L7]: `c` becomes `[2, 3, ...]`.\n"
        "- [L7]: Before that, `c = [0]`.\n"
        "- [L7]: `c` becomes `[2]`.\n"
    )
    assert triples(extract_states(completion, CODE)) == [(0, 3, "c", "[2]")]


def test_predicted_lines_has_the_shape_of_a_traces_lines(semcoder):
    lines = predicted_lines(states_of(semcoder["sample_582"]), line_offset=10)
    assert sorted(lines) == [11, 12, 13, 14]
    assert lines[11] == {"hits": 1, "states": [{"k": "7", "j": "5"}]}
    assert lines[12] == {"hits": 1, "states": [{"arr": "[]"}]}
    assert lines[13] == {"hits": 7, "states": [{"i": str(i)} for i in range(7)]}
    assert lines[14]["hits"] == 7 and lines[14]["states"][-1] == {"arr": "[5, 5, 5, 5, 5, 5, 5]"}
    no_line = [PredictedState(0, None, "x", "1", "1"), PredictedState(1, 2, "y", "2", "2")]
    assert predicted_lines(no_line) == {2: {"hits": 1, "states": [{"y": "2"}]}}


def test_predicted_return_is_the_canonical_answer(semcoder):
    assert predicted_return(semcoder["sample_100"]["completion"]) == "{'1': 'b'}"
    assert predicted_return(semcoder["sample_582"]["raw"]) == "[5, 5, 5, 5, 5, 5, 5]"
    assert predicted_return("[ANSWER]\nassert f(1) == foo(2)\n[/ANSWER]") is None


def test_cruxeval_style_prose_degrades_gracefully(bench, shared_data):
    """deepseek's CoT has no labels and no inline code: with the program, bare names it binds are
    read ("s is initially "not it""), lines inferred; without it, nothing."""
    deepseek = _samples(bench, shared_data, DEEPSEEK)
    assert triples(states_of(deepseek["sample_697"])) == [(0, 1, "s", "'not it'")]
    assert states_of(deepseek["sample_697"], code=False) == []
    for sample in deepseek.values():
        n_lines = len(sample["code"].split("\n"))
        for state in states_of(sample):
            assert state.line is None or 1 <= state.line <= n_lines


def test_quality_against_real_traces(bench, shared_data):
    """All 200 SemCoder samples traced for real; the targets hold on the samples whose answer is right
    (value precision >= 98%, line precision >= 85%, states in >= 90% of them), and the scoring
    reproduces the published pass@1 (58.5% = 117)."""
    started = time.perf_counter()
    result = bench.measure(shared_data / "recorded-generations" / SEMCODER)
    elapsed = time.perf_counter() - started
    assert result["samples"] == 200 and result["traced_ok"] == 200
    assert result["correct"] == 117
    ours = result["ours"]["correct"]
    assert ours["value_precision"] >= 0.98, ours
    assert ours["line_precision"] >= 0.85, ours
    assert ours["sample_coverage"] >= 0.90, ours
    assert ours["line_precision"] > result["naive"]["correct"]["line_precision"] + 0.3
    assert elapsed < 60, elapsed
