"""Where to look first, by experiment: `semcoder explain` tries the fix search's one-edit changes at
the suspect lines against the failing test and the passing tests that reach the same code. Real
pytest runs in the sandbox, on a project built in tmp_path.

The bug (``- 1`` for no ``- 0``) sits on a line the passing tests run too, so the spectrum points
at the line only the failing test runs (the trimming, which is right)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .test_repair import project

pytestmark = pytest.mark.timeout(300)

STATS = (
    "def mean(values):\n"
    "    if len(values) > 2:\n"
    "        values = sorted(values)[1:-1]\n"
    "    return sum(values) / (len(values) - 1)\n"
)
TESTS = (
    "from stats import mean\n\n\n"
    "def test_two_zeros():\n    assert mean([0, 0]) == 0\n\n\n"
    "def test_opposites():\n    assert mean([-1, 1]) == 0\n\n\n"
    "def test_trimmed():\n    assert mean([1, 2, 3, 10]) == 2.5\n\n\n"
    "def test_trimmed_five():\n    assert mean([1, 2, 3, 4, 10]) == 3.0\n"
)
NODE = "tests/test_stats.py::test_trimmed"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return project(tmp_path / "p", {"stats.py": STATS, "tests/test_stats.py": TESTS})


def _explain(root: Path, *flags: str, node: str = NODE) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", "explain", node, "--json", "--no-model", *flags],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_trace_alone_points_at_the_line_only_the_failing_test_ran(root: Path):
    document = _explain(root, "--time-budget", "0")
    assert document["line"] == {"file": str(root / "stats.py"), "line": 3}
    assert "tried" not in document
    assert (
        "**Where to look first:** `stats.py:3` `values = sorted(values)[1:-1]`, this test ran it and none of the 2 "
        "passing tests that reach this code did." in document["markdown"]
    )


def test_a_change_that_makes_the_test_pass_points_at_the_bug(root: Path):
    document = _explain(root)
    assert document["line"] == {"file": str(root / "stats.py"), "line": 4}
    assert document["origin"] == {"file": str(root / "stats.py"), "line": 4}
    change = "`return sum(values) / (len(values) - 1)` → `return sum(values) / (len(values) - 0)`"
    assert document["tried"] == {
        "file": str(root / "stats.py"),
        "line": 4,
        "change": change,
        "kept_passing": 2,
        "other_failing": 1,  # test_trimmed_five fails too, and the change makes it pass
        "fixed_other_failing": 1,
    }
    assert (
        f"**Where to look first:** `stats.py:4` `return sum(values) / (len(values) - 1)`, changing it ({change}) "
        "makes this test and 1 of the 1 other failing tests near it pass, and the 2 passing tests that reach this "
        "code still pass (one run of each; `semcoder fix` validates a fix against every test)." in document["markdown"]
    )
    assert (root / "stats.py").read_text() == STATS  # tried in the sandbox, never written


def test_a_change_that_breaks_a_passing_test_is_no_evidence(root: Path):
    """With a passing test that only the real fix keeps green, no one-edit change passes both: the
    explanation falls back to the trace's evidence."""
    (root / "tests/test_stats.py").write_text(TESTS + "\n\ndef test_pair():\n    assert mean([2, 4]) == 6\n")
    document = _explain(root)
    assert "tried" not in document
    assert document["line"] == {"file": str(root / "stats.py"), "line": 3}


def test_a_change_that_fixes_this_case_and_none_of_the_others_is_no_evidence(tmp_path: Path):
    """`// 3` makes tax(10) right and tax(40) still wrong: a patch of one case, not where the bug is
    (the rate is wrong: `x * 3 // 10`)."""
    tests = (
        "from tax import tax\n\n\ndef test_zero():\n    assert tax(0) == 0\n\n\n"
        "def test_ten():\n    assert tax(10) == 3\n\n\ndef test_forty():\n    assert tax(40) == 12\n"
    )
    root = project(tmp_path / "tax", {"tax.py": "def tax(x):\n    return x // 4\n", "tests/test_tax.py": tests})
    document = _explain(root, node="tests/test_tax.py::test_ten")
    assert document["status"] == "ok" and "tried" not in document
    assert document["line"] == {"file": str(root / "tax.py"), "line": 2}
