"""Fix the bug, not a test: every failing test that runs the suspect lines is a target, a test that
hangs is a failing test, and a change that leaves some targets failing is labelled partial."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from semcoder_core.config import Settings
from semcoder_core.repair import search

from .test_repair import project, run_pytest

pytestmark = pytest.mark.timeout(300)

CLAMP = (
    "def clamp(x, lo, hi):\n"
    "    if x < lo:\n"
    "        return lo\n"
    "    if x > hi:\n"
    "        return lo\n"  # the bug: hi
    "    return x\n"
)
CLAMP_TESTS = (
    "from clamp import clamp\n\n\n"
    "def test_just_above():\n    assert clamp(11, 0, 10) == 10\n\n\n"
    "def test_far_above():\n    assert clamp(1000, 0, 10) == 10\n\n\n"
    "def test_above_negative_range():\n    assert clamp(5, -10, -1) == -1\n\n\n"
    "def test_inside():\n    assert clamp(5, 0, 10) == 5\n\n\n"
    "def test_below():\n    assert clamp(-3, 0, 10) == 0\n\n\n"
    "def test_at_the_top():\n    assert clamp(10, 0, 10) == 10\n"
)


def test_a_bug_that_fails_three_tests_is_fixed_for_all_three(tmp_path: Path):
    root = project(tmp_path / "p", {"clamp.py": CLAMP, "tests/test_clamp.py": CLAMP_TESTS})
    report = search(Settings().sandbox(root), root, "tests/test_clamp.py::test_far_above", time_budget_s=120)
    assert report.status == "fixed", report.message
    assert report.targets[0] == "tests/test_clamp.py::test_far_above"  # the chosen one first
    assert sorted(report.targets[1:]) == [
        "tests/test_clamp.py::test_above_negative_range",
        "tests/test_clamp.py::test_just_above",
    ]
    best = report.candidates[0]
    assert best.edit.line == 5 and best.edit.after.strip() == "return hi"
    assert best.still_failing == [] and best.document(root)["partial"] is False
    (root / "clamp.py").write_text(best.edit.source)
    assert run_pytest(root).returncode == 0


GRADE = (
    "def grade(score):\n"
    "    if score >= 91:\n"  # two slips: 90 ...
    "        return 'A'\n"
    "    if score >= 81:\n"  # ... and 80
    "        return 'B'\n"
    "    return 'C'\n"
)
GRADE_TESTS = (
    "from grade import grade\n\n\n"
    "def test_ninety_is_an_a():\n    assert grade(90) == 'A'\n\n\n"
    "def test_eighty_is_a_b():\n    assert grade(80) == 'B'\n\n\n"
    "def test_ninety_five_is_an_a():\n    assert grade(95) == 'A'\n\n\n"
    "def test_eighty_five_is_a_b():\n    assert grade(85) == 'B'\n\n\n"
    "def test_fifty_is_a_c():\n    assert grade(50) == 'C'\n"
)


def test_a_change_that_leaves_a_target_failing_is_labelled_partial(tmp_path: Path):
    root = project(tmp_path / "p", {"grade.py": GRADE, "tests/test_grade.py": GRADE_TESTS})
    node = "tests/test_grade.py::test_ninety_is_an_a"
    report = search(Settings().sandbox(root), root, node, time_budget_s=60)
    # One edit cannot fix both slips: 91 -> 90 fixes the chosen test and leaves the other failing.
    assert report.status == "partial", report.message
    assert set(report.targets) == {node, "tests/test_grade.py::test_eighty_is_a_b"}
    best = report.candidates[0]
    assert best.edit.line == 2 and best.edit.after.strip() == "if score >= 90:"
    assert best.still_failing == ["tests/test_grade.py::test_eighty_is_a_b"]
    assert "partial" in report.message
    # The CLI says it too, in the text and the JSON, and still writes nothing.
    out = subprocess.run(
        ["semcoder", "fix", node, "--json", "--time-budget", "60"], cwd=root, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["status"] == "partial"
    first = doc["candidates"][0]
    assert first["partial"] is True and first["still_failing"] == ["tests/test_grade.py::test_eighty_is_a_b"]
    text = subprocess.run(["semcoder", "fix", node, "--time-budget", "60"], cwd=root, capture_output=True, text=True)
    assert "Partial fix" in text.stdout and "test_eighty_is_a_b still fails" in text.stdout, text.stdout
    assert (root / "grade.py").read_text() == GRADE


POWER = (
    "def next_power_of_two(n):\n"
    "    p = 1\n"
    "    while p < n:\n"
    "        p = p ** 2\n"  # the bug: p * 2 (1 ** 2 is 1: the loop never ends)
    "    return p\n"
)
POWER_TESTS = (
    "from power import next_power_of_two\n\n\n"
    "def test_one():\n    assert next_power_of_two(1) == 1\n\n\n"
    "def test_zero():\n    assert next_power_of_two(0) == 1\n\n\n"
    "def test_five():\n    assert next_power_of_two(5) == 8\n\n\n"
    "def test_sixty_four():\n    assert next_power_of_two(64) == 64\n"
)


def test_tests_that_hang_are_failing_tests_and_get_fixed(tmp_path: Path):
    root = project(tmp_path / "p", {"power.py": POWER, "tests/test_power.py": POWER_TESTS})
    budget = 90
    report = search(Settings().sandbox(root), root, "tests/test_power.py::test_five", time_budget_s=budget)
    assert report.status == "fixed", report.message
    assert set(report.targets) == {"tests/test_power.py::test_five", "tests/test_power.py::test_sixty_four"}
    best = report.candidates[0]
    assert best.edit.after.strip() == "p = p * 2" and best.still_failing == []
    assert report.duration_s < budget
    (root / "power.py").write_text(best.edit.source)
    assert run_pytest(root).returncode == 0
