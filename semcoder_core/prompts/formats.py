"""SemCoder's prompt formats, byte for byte (semcoder-model.md), and CRUXEval's direct and CoT prompts.

The model was fine-tuned on exactly these bytes, typos included ("a a", the trailing space after
"failure.", the backward monologue's ``PYTHON]`` opening tag): do not tidy them. Tests pin them
against the documented strings and against the prompts of the recorded real generations.
"""

from __future__ import annotations

import re

NL_TO_CODE = (
    "You are an exceptionally intelligent coding assistant that consistently delivers accurate and reliable "
    "<Code> according to <NL_Description>\n"
    "\n"
    "<NL_Description>\n"
    "{instruction}\n"
    "\n"
    "<Code>\n"
)

FORWARD_MONOLOGUE = (
    "Simulate the Execution: You are given a Python function and an assertion containing a function input. "
    "Complete the assertion containing the execution output corresponding to the given input in [ANSWER] and "
    "[/ANSWER] tags.\n"
    "[PYTHON]\n"
    "{code}\n"
    "assert {call} == ??\n"
    "[/PYTHON]\n"
    "[MONOLOGUE]\n"
)

BACKWARD_MONOLOGUE = (
    "Deduce the Semantic Constraints: You are given a Python program and its expected output. Find one input "
    "such that executing the program with the input leads to the given output. Complete the assertion with one "
    "such input in between [ANSWER] and [/ANSWER].\n"
    "{opening}\n"
    "{code}\n"
    "assert {name}(??) == {output}\n"
    "[/PYTHON]\n"
    "\n"
    "[MONOLOGUE]\n"
)

#: The training data opens the backward monologue's code with ``PYTHON]``; the recorded evaluation
#: run (``../shared/data/recorded-generations``) sent ``[PYTHON]``.
TRAINING_OPENING = "PYTHON]"
EVALUATION_OPENING = "[PYTHON]"

DEBUG_REFINE = (
    "Debug and Refine the Code: You are given a a problem to be implemented in Python, and a buggy code that "
    "tries to solve the problem but fails the test case.\n"
    "You should firstly simulate the execution with the buggy code and the failed test to identify the root "
    "cause of the failure. \n"
    "Then, you should fix the bug and wrap the refined code in between [Refined] and [/Refined].\n"
    "### Problem\n"
    "{problem}\n"
    "\n"
    "### Buggy Solution\n"
    "```python\n"
    "{code}\n"
    "```\n"
    "\n"
    "### Failed Test\n"
    "```python\n"
    "{failed_test}\n"
    "```\n"
)

# CRUXEval's own few-shot prompts (facebookresearch/cruxeval), as the recorded run sent them.
_DIRECT_OUTPUT_SHOTS = (
    "You are given a Python function and an assertion containing an input to the function. Complete the assertion with a literal (no unsimplified expressions, no function calls) containing the output when executing the provided code on the given input, even if the function is incorrect or incomplete. Do NOT output any extra information. Provide the full assertion with the correct output in [ANSWER] and [/ANSWER] tags, following the examples.\n"  # noqa: E501
    "\n"
    "[PYTHON]\n"
    "def f(n):\n"
    "    return n\n"
    "assert f(17) == ??\n"
    "[/PYTHON]\n"
    "[ANSWER]\n"
    "assert f(17) == 17\n"
    "[/ANSWER]\n"
    "\n"
    "[PYTHON]\n"
    "def f(s):\n"
    '    return s + "a"\n'
    'assert f("x9j") == ??\n'
    "[/PYTHON]\n"
    "[ANSWER]\n"
    'assert f("x9j") == "x9ja"\n'
    "[/ANSWER]\n"
    "\n"
)
_DIRECT_INPUT_SHOTS = (
    "You will be given a function and an output in the form function(??) == output. Find any input such that executing the function on the input leads to the given output. There may be multiple answers, but you should only output one. In [ANSWER] and [/ANSWER] tags, complete the assertion with one such input that will produce the output when executing the function.\n"  # noqa: E501
    "\n"
    "[PYTHON]\n"
    "def f(my_list):\n"
    "    count = 0\n"
    "    for i in my_list:\n"
    "        if len(i) % 2 == 0:\n"
    "            count += 1\n"
    "    return count\n"
    "assert f(??) == 3\n"
    "[/PYTHON]\n"
    "[ANSWER]\n"
    'assert f(["mq", "px", "zy"]) == 3\n'
    "[/ANSWER]\n"
    "\n"
    "[PYTHON]\n"
    "def f(s1, s2):\n"
    "    return s1 + s2\n"
    'assert f(??) == "banana"\n'
    "[/PYTHON]\n"
    "[ANSWER]\n"
    'assert f("ba", "nana") == "banana"\n'
    "[/ANSWER]\n"
    "\n"
)
_COT_OUTPUT_SHOTS = (
    "You are given a Python function and an assertion containing an input to the function. Complete the assertion with a literal (no unsimplified expressions, no function calls) containing the output when executing the provided code on the given input, even if the function is incorrect or incomplete. Do NOT output any extra information. Execute the program step by step before arriving at an answer, and provide the full assertion with the correct output in [ANSWER] and [/ANSWER] tags, following the examples.\n"  # noqa: E501
    "\n"
    "[PYTHON]\n"
    "def f(s):\n"
    "    s = s + s\n"
    '    return "b" + s + "a"\n'
    'assert f("hi") == ??\n'
    "[/PYTHON]\n"
    "[THOUGHT]\n"
    "Let's execute the code step by step:\n"
    "\n"
    "1. The function f is defined, which takes a single argument s.\n"
    '2. The function is called with the argument "hi", so within the function, s is initially "hi".\n'
    '3. Inside the function, s is concatenated with itself, so s becomes "hihi".\n'
    '4. The function then returns a new string that starts with "b", followed by the value of s (which is now "hihi"), and ends with "a".\n'  # noqa: E501
    '5. The return value of the function is therefore "bhihia".\n'
    "[/THOUGHT]\n"
    "[ANSWER]\n"
    'assert f("hi") == "bhihia"\n'
    "[/ANSWER]\n"
    "\n"
)
_COT_INPUT_SHOTS = (
    "You will be given a function and an output in the form function(??) == output. Your task is to find any input such that executing the function on the input leads to the given output. There may be multiple answers, but only output one. First, think step by step. You MUST surround the answer with [ANSWER] and [/ANSWER] tags. Express your answer as a passing assertion containing the input and the given output.\n"  # noqa: E501
    "\n"
    "[PYTHON]\n"
    "def f(x):\n"
    "    return x + 1\n"
    "assert f(??) == 17\n"
    "[/PYTHON]\n"
    "[THOUGHT]\n"
    "To find an input such that executing f on the input leads to the given output, we can work backwards from the given assertion. We know that f(??) == 17. \n"  # noqa: E501
    "\n"
    "Since the function f(x) returns x + 1, for f(??) to be equal to 17, the value of ?? should be 16. \n"
    "[/THOUGHT]\n"
    "[ANSWER]\n"
    "assert f(16) == 17\n"
    "[/ANSWER]\n"
    "\n"
)

STOP_ANSWER = "[/ANSWER]"
FIRST_LABEL = 5


def normalize_quotes(text: str) -> str:
    """SemCoder's evaluation pre-processing: every ``'`` becomes ``"`` before prompting."""
    return text.replace("'", '"')


def restore_quotes(text: str) -> str:
    """The inverse applied to an extracted answer: ``"`` back to ``'``."""
    return text.replace('"', "'")


def label_code(code: str, first: int = FIRST_LABEL) -> str:
    """Suffix each non-empty line with `` # [L{n}]``; line i (1-based) is ``L{i + first - 1}``."""
    lines = code.split("\n")
    return "\n".join(f"{line} # [L{i + first}]" if line.strip() else line for i, line in enumerate(lines))


_LABEL = re.compile(r"\[L(\d+)\]")


def label_to_line(label: int, first: int = FIRST_LABEL) -> int:
    """The 1-based code line that carries label ``L{label}``."""
    return label - first + 1


def nl_to_code(instruction: str, prefill: str = "") -> str:
    """NL → code; ``prefill`` (e.g. HumanEval's signature) starts the ``<Code>`` block."""
    return NL_TO_CODE.format(instruction=instruction) + prefill


def forward_monologue(code: str, call: str) -> str:
    """Output prediction with a forward monologue; ``call`` is e.g. ``f([1, 2])``."""
    return FORWARD_MONOLOGUE.format(code=label_code(_as_in_training(code)), call=call)


def backward_monologue(code: str, name: str, output: str, opening: str = TRAINING_OPENING) -> str:
    """Input prediction with a backward monologue for function ``name`` and its expected ``output``."""
    return BACKWARD_MONOLOGUE.format(opening=opening, code=_as_in_training(code), name=name, output=output)


def _as_in_training(code: str) -> str:
    """The code as SemCoder's rows hold it before their assertion: without final newlines. A program kept as
    a file's text (the data pipeline's) ends with one, and a blank line before ``assert`` is not the format.
    ``semcoder predict`` sends functions without it already (``targets.functions``)."""
    return code.rstrip("\n")


def failed_test(call: str, expected: str) -> str:
    """The failed test as SemCoder's refine data writes it."""
    return f"retv = {call}\nassert retv == {expected}"


def debug_refine(problem: str, code: str, failed_test: str) -> str:
    return DEBUG_REFINE.format(problem=problem, code=code, failed_test=failed_test)


def direct_output(code: str, call: str) -> str:
    """CRUXEval's direct output prediction (two shots, answer right away)."""
    return f"{_DIRECT_OUTPUT_SHOTS}[PYTHON]\n{code}\nassert {call} == ??\n[/PYTHON]\n[ANSWER]\n"


def direct_input(code: str, name: str, output: str) -> str:
    return f"{_DIRECT_INPUT_SHOTS}[PYTHON]\n{code}\nassert {name}(??) == {output}\n[/PYTHON]\n[ANSWER]\n"


def cot_output(code: str, call: str) -> str:
    """CRUXEval's chain-of-thought output prediction (one shot, ``[THOUGHT]``)."""
    return f"{_COT_OUTPUT_SHOTS}[PYTHON]\n{code}\nassert {call} == ??\n[/PYTHON]\n[THOUGHT]\n"


def cot_input(code: str, name: str, output: str) -> str:
    return f"{_COT_INPUT_SHOTS}[PYTHON]\n{code}\nassert {name}(??) == {output}\n[/PYTHON]\n[THOUGHT]\n"
