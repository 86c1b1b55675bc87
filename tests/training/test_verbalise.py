"""The trace verbaliser against real traces: answers, states read back by the monologue parser, formats."""

from __future__ import annotations

import ast

import pytest
from semcoder_training.execute import Runner
from semcoder_training.verbalise import backward_response, forward_response, refine_response, simulation

from semcoder_core.prompts.answers import extract_answer, extract_code, extract_refined
from semcoder_core.prompts.monologue import canonical_value, extract_states

# name -> (code, args, fraction of the trace's states the parser must read back)
PROGRAMS = {
    "sum_above": (
        "def f(nums, k):\n    total = 0\n    for n in nums:\n        if n > k:\n"
        "            total += n\n    return total\n",
        "[1, 2, 3], 2",
        1.0,
    ),
    "nested_max": (
        "def f(grid):\n    best = None\n    for row in grid:\n        for x in row:\n            if best is None:\n"
        "                best = x\n            elif x > best:\n                best = x\n    return best\n",
        "[[3, 1], [4, 1, 5]]",
        1.0,
    ),
    "string_building": (
        "def f(text):\n    out = ''\n    for i, ch in enumerate(text):\n        if i % 2 == 0:\n"
        "            out += ch.upper()\n        else:\n            out += ch\n    return out\n",
        "'abcd'",
        1.0,
    ),
    "dict_counting": (
        "def f(words):\n    counts = {}\n    for w in words:\n"
        "        counts[w] = counts.get(w, 0) + 1\n    return counts\n",
        "['a', 'b', 'a']",
        1.0,
    ),
    "early_return": (
        "def f(items, target):\n    for index, item in enumerate(items):\n        if item == target:\n"
        "            return index\n    return -1\n",
        "[5, 7, 9], 7",
        1.0,
    ),
    "helper_call": (
        "import math\n\ndef square(x):\n    y = x * x\n    return y\n\ndef f(a, b):\n    s = square(a)\n"
        "    s += square(b)\n    return math.sqrt(s)\n",
        "3, 4",
        0.75,  # square's `y` is set on a line outside loops twice: the parser keeps the first only
    ),
    "while_halving": (
        "def f(n):\n    steps = 0\n    while n > 1:\n        n = n // 2\n        steps += 1\n    return steps\n",
        "10",
        1.0,
    ),
    "comprehension": (
        "def f(nums):\n    evens = [x for x in nums if x % 2 == 0]\n"
        "    result = sum(evens)\n    return result, evens\n",
        "[1, 2, 3, 4]",
        1.0,
    ),
    "recursion": ("def f(n):\n    if n <= 1:\n        return 1\n    r = n * f(n - 1)\n    return r\n", "4", 0.3),
    "swap_pairs": (
        "def f(xs):\n    xs = list(xs)\n    i = 0\n    while i + 1 < len(xs):\n"
        "        xs[i], xs[i + 1] = xs[i + 1], xs[i]\n"
        "        i += 2\n    return xs\n",
        "(1, 2, 3, 4, 5)",
        1.0,
    ),
}


@pytest.fixture(scope="module")
def runner():
    with Runner() as r:
        yield r


def traced(runner: Runner, code: str, args: str):
    outcome = runner.run([("k", code, args)], keep_trace=True)["k"]
    return outcome, str(runner.file_for(code))


def trace_states(trace: dict, file: str, code: str) -> set[tuple[int, str, str]]:
    """The trace's (line, variable, canonical value), without comprehension variables (their own frame)."""
    scoped = {
        n.id
        for comp in ast.walk(ast.parse(code))
        if isinstance(comp, ast.comprehension)
        for n in ast.walk(comp.target)
        if isinstance(n, ast.Name)
    }
    return {
        (int(line), var, canonical_value(value))
        for line, entry in trace["lines"][file].items()
        for state in entry["states"]
        for var, value in state.items()
        if var not in scoped
    }


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_forward_round_trip(runner, name):
    code, args, recall = PROGRAMS[name]
    outcome, file = traced(runner, code, args)
    assert outcome.status == "ok"
    response = forward_response(code, args, outcome.output, outcome.trace, file)
    assert extract_answer(response, "output", restore=False) == outcome.output
    truth = trace_states(outcome.trace, file, code)
    read = {(s.line, s.variable, s.value) for s in extract_states(response, code)}
    assert read <= truth, f"states the trace does not have: {read - truth}"
    assert len(read) >= recall * len(truth), f"missed: {truth - read}"
    assert response == forward_response(code, args, outcome.output, outcome.trace, file)  # deterministic


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_backward_answer_passes(runner, name):
    code, args, _ = PROGRAMS[name]
    outcome, file = traced(runner, code, args)
    response = backward_response(code, args, outcome.output, outcome.trace, file)
    call = extract_answer(response, "input", restore=False)
    assert call == f"f({args})"
    again = runner.run([("again", code, call[len("f(") : -1])])["again"]
    assert (again.status, again.output) == ("ok", outcome.output)


GOLDEN = """### Understanding the Function
The function `f` takes 2 parameters: `nums`, `k`. It initializes `total` to `0`, then loops over `nums` with `n`, \
checking `n > k`, then returns `total`.
### Key Properties and Constraints
- `nums` is a list in this call (`[1, 2, 3]`).
- `k` is an integer in this call (`2`).
- The `for` loop visits the items of `nums` in order.
- The result is an integer here.
### Execution Simulation
Let's simulate the execution of `f([1, 2, 3], 2)` step by step.
- **[L6]:** `total` is initialized to `0`.
- **[L7]:** First Iteration (`n = 1`):
  - **[L8]:** The condition `n > k` is false.
- **[L7]:** Second Iteration (`n = 2`):
  - **[L8]:** The condition `n > k` is false.
- **[L7]:** Third Iteration (`n = 3`):
  - **[L8]:** The condition `n > k` is true.
  - **[L9]:** `total` becomes `3`.
- **[L7]:** The loop ends.
- **[L10]:** The function returns `3`.
### Conclusion
The function returns `3` for the input `[1, 2, 3], 2`.
[/MONOLOGUE]
[ANSWER]
assert f([1, 2, 3], 2) == 3
[/ANSWER]"""


def test_forward_golden(runner):
    code, args, _ = PROGRAMS["sum_above"]
    outcome, file = traced(runner, code, args)
    assert forward_response(code, args, outcome.output, outcome.trace, file) == GOLDEN


def test_helper_and_while_prose(runner):
    code, args, _ = PROGRAMS["helper_call"]
    outcome, file = traced(runner, code, args)
    text = simulation(code, args, outcome.trace, file)
    assert "- **[L12]:** `s` is initialized to `9`." in text  # square(a) ran twice: no "returns" note
    assert text.endswith("- **[L14]:** The function returns `5.0`.")
    code, args, _ = PROGRAMS["while_halving"]
    outcome, file = traced(runner, code, args)
    text = simulation(code, args, outcome.trace, file)
    assert "- **[L7]:** Third Iteration: the condition `n > 1` is true.\n  - **[L8]:** `n` becomes `1`." in text
    assert "Fourth Iteration" not in text


def test_early_return_inside_loop(runner):
    code, args, _ = PROGRAMS["early_return"]
    outcome, file = traced(runner, code, args)
    text = simulation(code, args, outcome.trace, file)
    assert text.split("\n")[-2:] == [
        "  - **[L7]:** The condition `item == target` is true.",
        "  - **[L8]:** The function returns `1`.",
    ]


def section_order(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith("### ")]


def test_section_headers_in_order(runner):
    code, args, _ = PROGRAMS["dict_counting"]
    outcome, file = traced(runner, code, args)
    forward = forward_response(code, args, outcome.output, outcome.trace, file)
    backward = backward_response(code, args, outcome.output, outcome.trace, file)
    head = ["### Understanding the Function", "### Key Properties and Constraints"]
    assert section_order(forward) == [*head, "### Execution Simulation", "### Conclusion"]
    assert section_order(backward) == [*head, "### Reverse Deduction", "### Conclusion"]
    assert backward.endswith("[/MONOLOGUE]\n[ANSWER]\nassert f(['a', 'b', 'a']) == {'a': 2, 'b': 1}\n[/ANSWER]")
    assert "- So `counts` must be `{'a': 2, 'b': 1}` at the end; it was last changed by " in backward


BUGGY = (
    "def f(nums, k):\n    total = 0\n    for n in nums:\n        if n >= k:\n            total += n\n    return total"
)
FIXED = BUGGY.replace("n >= k", "n > k")


def test_refine_response(runner):
    outcome, file = traced(runner, BUGGY, "[1, 2, 3], 2")
    assert outcome.output == "5"
    text = refine_response(BUGGY, "[1, 2, 3], 2", "3", outcome.output, outcome.trace, file, 4, FIXED)
    assert section_order(text) == ["### Execution Simulation", "### Root Cause Analysis", "### Bug Fixing"]
    assert extract_refined(text) == FIXED and extract_code(text) == FIXED
    assert "but the buggy code returns `5`. The bug is on line 4: `if n >= k:`." in text
    assert "Line 4, `if n >= k:`, becomes `if n > k:`." in text
    assert "- `total += n`: `total` becomes `5`." in text  # the simulation quotes code, the prompt has no labels


def test_refine_of_a_raising_run(runner):
    buggy = "def f(xs):\n    return sum(xs) / len(xs)"
    fixed = "def f(xs):\n    return sum(xs) / len(xs) if xs else 0.0"
    outcome, file = traced(runner, buggy, "[]")
    assert outcome.status == "exception"
    text = refine_response(buggy, "[]", "0.0", outcome.message, outcome.trace, file, 2, fixed)
    assert "- `return sum(xs) / len(xs)`: An exception is raised: `ZeroDivisionError: division by zero`." in text
    assert "the buggy code raises `ZeroDivisionError: division by zero`" in text
    assert extract_refined(text) == fixed
    with pytest.raises(ValueError, match="does not change line 1"):
        refine_response(buggy, "[]", "0.0", outcome.message, outcome.trace, file, 1, fixed)


def test_capped_trace_is_refused():
    code = "def f(s):\n    for c in s:\n        x = c\n    return x\n"
    with Runner(max_states=4) as small:
        outcome, file = traced(small, code, "'abcdefgh'")
        with pytest.raises(ValueError, match="past the trace's cap of 4"):
            forward_response(code, "'abcdefgh'", outcome.output, outcome.trace, file, max_states=4)
        with pytest.raises(ValueError, match="past the trace's cap"):
            backward_response(code, "'abcdefgh'", outcome.output, outcome.trace, file, max_states=4)
        short, file = traced(small, code, "'abc'")  # within the cap: every state is there
        assert "Third Iteration (`c = 'c'`)" in simulation(code, "'abc'", short.trace, file, max_states=4)
