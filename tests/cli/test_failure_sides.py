"""Which side of a failed comparison is the program's: decided by what each side is, not by its place, for
plain asserts in either order and for unittest's assertEqual (whose message, "4 != 6", names neither)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_cli import semcoder

MODULE = """from dataclasses import dataclass
from datetime import date


@dataclass
class Pair:
    a: int
    b: int


def double(x):
    y = x * 3
    return y


def pair(x):
    return Pair(x, double(x))


def day(x):
    return date(2000, 1, double(x))
"""
TESTS = """import unittest

from datetime import date

from calc import Pair, day, double, pair


def test_actual_first():
    assert double(2) == 4


def test_expected_first():
    assert 4 == double(2)


def test_named_expected_first():
    expected = 4
    result = double(2)
    assert expected == result


def test_named_actual_first():
    got, want = double(2), 4
    assert got == want


def test_unnamed_expected_first():
    tripled = 4  # as inflection's suite writes it: assert camel == inflection.camelize(underscore)
    assert tripled == double(2)


def test_unnamed_actual_first():
    doubled = 4
    assert double(2) == doubled


def test_both_named_expected_first():
    tripled = 4
    doubled = double(2)  # neither the names nor the operands' form tell: the trace does
    assert tripled == doubled


def test_stdlib_value_second():
    stamp = day(2)  # as dateutil's suite writes it: assert dt_after == datetime(2011, 12, 31, tzinfo=APIA)
    assert stamp == date(2000, 1, 4)


def test_value_object_second():
    made = pair(2)
    assert made == Pair(2, 4)


def test_value_object_first():
    made = pair(2)
    assert Pair(2, 4) == made


class TestCalc(unittest.TestCase):
    def test_unittest_actual_first(self):
        self.assertEqual(double(2), 4)

    def test_unittest_expected_first(self):
        self.assertEqual(4, double(2))

    def test_unittest_lists(self):
        self.assertListEqual([double(1)], [2])
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sides")
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "sides"\nversion = "0"\n')
    (root / "calc.py").write_text(MODULE)
    (root / "tests" / "test_calc.py").write_text(TESTS)
    return root


@pytest.mark.parametrize(
    "test",
    [
        "test_actual_first",
        "test_expected_first",
        "test_named_expected_first",
        "test_named_actual_first",
        "test_unnamed_expected_first",
        "test_unnamed_actual_first",
        "TestCalc::test_unittest_actual_first",
        "TestCalc::test_unittest_expected_first",
        "test_both_named_expected_first",
    ],
)
def test_expected_and_actual_whatever_the_order(project: Path, test: str):
    out, doc = semcoder("trace", f"tests/test_calc.py::{test}", "--json", cwd=project)
    failure = doc["test"]["failure"]
    assert (failure["expected"], failure["actual"]) == ("4", "6"), out.stdout[-2000:]


@pytest.mark.parametrize("test", ["test_value_object_second", "test_value_object_first"])
def test_an_object_built_from_literals_is_the_expected_side(project: Path, test: str):
    out, doc = semcoder("trace", f"tests/test_calc.py::{test}", "--json", cwd=project)
    failure = doc["test"]["failure"]
    assert (failure["expected"], failure["actual"]) == ("Pair(a=2, b=4)", "Pair(a=2, b=6)"), out.stdout[-2000:]


def test_a_stdlib_value_built_from_literals_is_the_expected_side(project: Path):
    out, doc = semcoder("trace", "tests/test_calc.py::test_stdlib_value_second", "--json", cwd=project)
    failure = doc["test"]["failure"]
    assert (failure["expected"], failure["actual"]) == ("datetime.date(2000, 1, 4)", "datetime.date(2000, 1, 6)")


def test_unittest_failures_explain_like_asserts(project: Path):
    out, doc = semcoder("trace", "tests/test_calc.py::TestCalc::test_unittest_lists", "--json", cwd=project)
    assert (doc["test"]["failure"]["expected"], doc["test"]["failure"]["actual"]) == ("[2]", "[3]")
    out, _ = semcoder("explain", "tests/test_calc.py::TestCalc::test_unittest_expected_first", cwd=project)
    assert "expected `4`, got `6`" in out.stdout
    assert "`calc.py:12` `y = x * 3` — `y = 6`, `x = 2`" in out.stdout  # the chain reaches the wrong line
