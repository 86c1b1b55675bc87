"""Finding what to ask the model about: functions, calls, failing calls; comparing values."""

import json
from pathlib import Path

import pytest

from semcoder_core.config import Settings
from semcoder_core.errors import SemcoderError
from semcoder_core.tasks.compare import AGREE, DISAGREE, UNCHECKED, check_states, same_value
from semcoder_core.tasks.model_fix import apply_to_file
from semcoder_core.tasks.targets import call_expression, call_target, failing_call, function_at, functions
from semcoder_core.testruns import with_neighbours

BUGS = Path(__file__).resolve().parents[2] / "examples" / "bugs"

SOURCE = """import math


class Box:
    def area(self, scale: int = 1) -> int:
        return self.w * self.h * scale


def total(values, *, start=0):
    s = start
    for v in values:
        s += v
    return s
"""


def test_functions_and_call_targets():
    found = functions(SOURCE, "m.py")
    assert [(f.qualname, f.first_line, f.last_line) for f in found] == [("Box.area", 5, 6), ("total", 9, 13)]
    assert found[0].code.startswith("def area(self, scale: int = 1) -> int:\n    return")  # dedented
    assert function_at(SOURCE, 11, "m.py").name == "total"
    assert function_at(SOURCE, 2, "m.py") is None
    target = call_target("m.py", SOURCE, " total([1, 2], start=3) ")
    assert (target.function.name, target.call) == ("total", "total([1, 2], start=3)")
    with pytest.raises(SemcoderError, match="defines no function nothere"):
        call_target("m.py", SOURCE, "nothere(1)")
    with pytest.raises(SemcoderError, match="not a call"):
        call_target("m.py", SOURCE, "1 + 2")
    with pytest.raises(SemcoderError, match="not a Python expression"):
        call_target("m.py", SOURCE, "total(")


def test_call_expressions_only_from_literal_arguments():
    code = "def total(values, *rest, start=0, **extra):\n    pass"
    args = {"values": "[1, 2]", "rest": "(3,)", "start": "5", "extra": "{'k': 1}"}
    assert call_expression("total", code, args) == "total([1, 2], *(3,), start=5, **{'k': 1})"
    assert call_expression("total", code, {**args, "values": "<Thing object at 0x7f>"}) is None
    assert call_expression("area", "def area(self):\n    pass", {"self": "<Box>"}) is None


@pytest.mark.parametrize(
    "predicted,observed,verdict",
    [
        ('"a"', "'a'", True),
        ("2", "2.0", False),  # the floor-division bug is exactly this difference
        ("[1, 2]", "[1, 2]", True),
        ("{1, 2}", "{2, 1}", True),
        ("3", "4", False),
        ("3", "<object at 0x1>", None),  # a literal against an object: no safe verdict
        ("<object>", "<object>", True),
        ("3", "'aaaa…'", None),  # a cut repr cannot be compared
    ],
)
def test_same_value(predicted, observed, verdict):
    assert same_value(predicted, observed) is verdict


def test_check_states_against_the_run():
    predicted = {
        1: {"states": [{"values": "[1, 2]"}]},
        2: {"states": [{"s": "0"}]},
        4: {"states": [{"s": "1"}, {"s": "4"}]},
    }
    observed = {"2": {"hits": 1, "states": [{"s": "0"}]}, "4": {"hits": 2, "states": [{"s": "1"}, {"s": "3"}]}}
    checks = check_states(predicted, observed, {"values": "[1, 2]"}, def_line=1)
    assert [(c.line, c.variable, c.predicted, c.verdict) for c in checks] == [
        (1, "values", "[1, 2]", AGREE),
        (2, "s", "0", AGREE),
        (4, "s", "1", AGREE),
        (4, "s", "4", DISAGREE),
    ]
    assert check_states({7: {"states": [{"z": "1"}]}}, observed)[0].verdict == UNCHECKED


def test_apply_model_code_to_a_method_keeps_indentation():
    area = functions(SOURCE, "m.py")[0]
    fixed = "```python\ndef area(self, scale: int = 1) -> int:\n    return self.w * self.h * scale * 2\n```"
    new = apply_to_file(SOURCE, area, fixed.split("\n", 1)[1].rsplit("```", 1)[0])
    assert "    def area(self, scale: int = 1) -> int:\n        return self.w * self.h * scale * 2\n" in new
    assert new.replace(" * 2", "") == SOURCE
    assert apply_to_file(SOURCE, area, "def other():\n    pass") is None  # not the same function
    assert apply_to_file(SOURCE, area, "def area(:\n") is None  # does not parse
    assert apply_to_file(SOURCE, area, area.code) is None  # changes nothing


@pytest.mark.parametrize(
    "bug,call,expected,actual",
    [
        ("b02_page_count", "page_count(40, 20)", "2", "3"),
        ("b05", "from_roman('XXI')", "21", "1"),
    ],
)
def test_failing_call_of_a_failing_test(bug, call, expected, actual):
    project = next(BUGS.glob(bug + "*")).resolve()
    node = json.loads((project / "bug.json").read_text())["failing"][0]
    doc, _ = with_neighbours(Settings().sandbox(project), project, node)
    found = failing_call(doc, lambda p: Path(p).read_text())
    assert (found.call, found.expected, found.actual) == (call, expected, actual)
    assert found.failed_test() == f"retv = {call}\nassert retv == {expected}"


def test_failing_call_through_an_object_falls_back_to_the_test_source():
    project = next(BUGS.glob("b10*")).resolve()
    node = json.loads((project / "bug.json").read_text())["failing"][0]
    doc, _ = with_neighbours(Settings().sandbox(project), project, node)
    found = failing_call(doc, lambda p: Path(p).read_text())
    assert found.function.qualname == "LRUCache.get"  # not __init__, which also "returned" None
    assert found.call is None
    assert found.failed_test().startswith("def test_newest_entry_survives_eviction():\n    cache = LRUCache(2)")
