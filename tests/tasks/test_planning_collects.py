"""Planning names what pytest collects as tests: never a fixture that is named like a test, nor a Test* class
pytest skips; unittest TestCases whatever their name, with the tests they inherit from mixins of the module;
checked against pytest's own collection of the same file (benchmarks/realworld/reading.py does it on the
pinned libraries)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from semcoder_core.planning import Planner

TESTS = """import unittest

import pytest

from calc import double


@pytest.fixture
def test_data():
    return [1, 2, 3]


@pytest.fixture(scope="module")
def testing_value():
    return 2


def test_double(test_data):
    assert [double(x) for x in test_data] == [2, 4, 6]


class TestCalc:
    def test_zero(self, testing_value):
        assert double(0) == 0


class CacheMixin:  # not a test class itself; its tests run in the TestCase below
    def test_from_mixin(self):
        assert double(1) == 2


class DoubleTests(unittest.TestCase, CacheMixin):  # a TestCase: collected whatever its name
    def test_one(self):
        self.assertEqual(double(1), 2)


class TestHelper:  # not collected: it has an __init__
    def __init__(self):
        self.x = 1

    def test_never(self):
        assert False
"""


def test_only_what_pytest_collects(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (tmp_path / "calc.py").write_text("def double(x):\n    return x * 2\n")
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)
    planned = Planner(tmp_path).tests_for(tmp_path / "calc.py")
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert planned == [
        "tests/test_calc.py::test_double",
        "tests/test_calc.py::TestCalc::test_zero",
        "tests/test_calc.py::DoubleTests::test_one",
        "tests/test_calc.py::DoubleTests::test_from_mixin",
    ]
    assert set(planned) == {line for line in collected if "::" in line}
