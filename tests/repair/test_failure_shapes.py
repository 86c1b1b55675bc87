"""Every test style, every failure shape: a membership assert (pytest's or unittest's assertIn) and an
exception that a ``pytest.raises``/``assertRaises`` block expected and did not get each say what failed
and lead a chain into the code under test."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcoder_core.cli.output import read_text
from semcoder_core.config import Settings
from semcoder_core.tasks.failing import explain_test

from .test_repair import project

pytestmark = pytest.mark.timeout(300)

BAG = (
    "def evens(n):\n"
    "    out = []\n"
    "    for i in range(1, n):\n"  # the bug: range(0, n)
    "        if i % 2 == 0:\n"
    "            out.append(i)\n"
    "    return out\n"
    "\n"
    "\n"
    "def parse_age(text):\n"
    "    value = int(text)\n"
    "    if value < -1:\n"  # the bug: value < 0
    "        raise ValueError('negative age')\n"
    "    return value\n"
)
BAG_TESTS = (
    "import unittest\n\nimport pytest\n\nfrom bag import evens, parse_age\n\n\n"
    "def test_in():\n    assert 0 in evens(5)\n\n\n"
    "def test_raises():\n    with pytest.raises(ValueError):\n        parse_age('-1')\n\n\n"
    "class BagCase(unittest.TestCase):\n"
    "    def test_assert_in(self):\n        self.assertIn(0, evens(5))\n\n"
    "    def test_assert_raises(self):\n        with self.assertRaises(ValueError):\n            parse_age('-1')\n\n"
    "    def test_assert_true(self):\n        self.assertTrue(0 in evens(3))\n"
)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return project(tmp_path_factory.mktemp("shapes") / "p", {"bag.py": BAG, "tests/test_bag.py": BAG_TESTS})


def steps(markdown: str) -> list[str]:
    return markdown.split("**How it came about** (backwards from the failure):\n\n", 1)[1].split("\n\n")[0].splitlines()


@pytest.mark.parametrize(
    ("node", "said"),
    [
        ("test_in", "At `tests/test_bag.py:9` `assert 0 in evens(5)`: `0` is not in `[2, 4]`."),
        ("BagCase::test_assert_in", "At `tests/test_bag.py:19` `self.assertIn(0, evens(5))`: `0` is not in `[2, 4]`."),
    ],
)
def test_membership(root: Path, node: str, said: str):
    found = explain_test(Settings().sandbox(root), root, f"tests/test_bag.py::{node}", read_text)
    assert found.markdown.splitlines()[2] == said
    chain = steps(found.markdown)
    assert chain[0] == "1. `bag.py:6` `return out` — returned `[2, 4]`; `out = [2, 4]`"
    assert any(s.startswith("`bag.py:3` `for i in range(1, n):`", 3) for s in chain), chain


@pytest.mark.parametrize(
    ("node", "line"),
    [
        ("test_raises", "13` `with pytest.raises(ValueError):`"),
        ("BagCase::test_assert_raises", "22` `with self.assertRaises(ValueError):`"),
    ],
)
def test_an_exception_that_was_expected_and_not_raised(root: Path, node: str, line: str):
    found = explain_test(Settings().sandbox(root), root, f"tests/test_bag.py::{node}", read_text)
    assert found.markdown.splitlines()[2] == (
        f"At `tests/test_bag.py:{line}: expected `ValueError` to be raised, but `parse_age()` returned `-1`."
    )
    chain = steps(found.markdown)
    assert chain[0] == "1. `bag.py:13` `return value` — returned `-1`; `value = -1`"
    assert chain[1] == (
        "2. `bag.py:11` `if value < -1:` — decides whether line 12 (`raise ValueError('negative age')`) runs; "
        "it never did: → False"
    )


def test_assert_true_compares_with_true(root: Path):
    found = explain_test(Settings().sandbox(root), root, "tests/test_bag.py::BagCase::test_assert_true", read_text)
    assert found.failure["expected"] == "True" and found.failure["actual"] == "False"


# A suite's own assertion helper in a module pytest does not rewrite (tabulate's ``test/common.py``), called
# with its arguments the other way round; and a module-level table whose text ends up in the output.
SYMBOLS = (
    "PLUS_MINUS = {'pretty': '±', 'latex': r'\\pm', 'plain': '+/-'}\n"  # the bug: r' \pm ' lost its spaces
    "TIMES = {'pretty': '×', 'latex': r' \\times ', 'plain': '*'}\n"
    "\n"
    "\n"
    "def show(value, error, style='plain'):\n"
    "    text = f'{value:.2f}'\n"
    "    text += PLUS_MINUS[style]\n"
    "    text += f'{error:.2f}'\n"
    "    return text\n"
)
HELPERS = "def assert_equal(expected, result):\n    assert expected == result\n"
SYMBOL_TESTS = (
    "from common import assert_equal\nfrom symbols import show\n\n\n"
    "def test_latex():\n"
    "    result = show(1.5, 0.25, 'latex')\n"
    "    expected = r'1.50 \\pm 0.25'\n"
    "    assert_equal(result, expected)\n"
    "\n\n"
    "def test_plain():\n"
    "    assert_equal('1.50+/-0.25', show(1.5, 0.25))\n"
)


@pytest.fixture(scope="module")
def symbols(tmp_path_factory) -> Path:
    files = {"symbols.py": SYMBOLS, "tests/common.py": HELPERS, "tests/test_symbols.py": SYMBOL_TESTS}
    root = project(tmp_path_factory.mktemp("symbols") / "p", files)
    (root / "tests" / "conftest.py").write_text("import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n")
    return root


def test_a_helpers_plain_assert_gives_both_values_the_right_way_round(symbols: Path):
    # pytest does not rewrite tests/common.py: its AssertionError has no values; the helper's frame has them,
    # and the caller's arguments say which is which (`assert_equal(result, expected)`, named against the
    # helper's own parameter names)
    found = explain_test(Settings().sandbox(symbols), symbols, "tests/test_symbols.py::test_latex", read_text)
    assert found.failure["expected"] == repr("1.50 \\pm 0.25")
    assert found.failure["actual"] == repr("1.50\\pm0.25")
    assert found.markdown.splitlines()[2].endswith("expected `'1.50 \\\\pm 0.25'`, got `'1.50\\\\pm0.25'`.")
    # the text of the table's row stands where the output differs: that row, set at import, is the line
    assert found.line is not None and (Path(found.line[0]).name, found.line[1]) == ("symbols.py", 1)
    assert "**Where to look first:** `symbols.py:1`" in found.markdown
    assert "its text `'\\\\pm'`, set at import, stands where the output differs" in found.markdown
