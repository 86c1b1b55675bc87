"""A test that hangs is explained like any failing test: where it was looping, and what the loop did
to the values its condition reads (left them as they were, or kept moving them past the stop)."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcoder_core.cli.output import read_text
from semcoder_core.config import Settings
from semcoder_core.tasks.failing import explain_test

from .test_repair import project
from .test_targets import POWER, POWER_TESTS

pytestmark = pytest.mark.timeout(300)

WALK = "def steps_to(n):\n    i = 0\n    while i != n:\n        i += 2\n    return i // 2\n"
WALK_TESTS = (
    "from walk import steps_to\n\n\n"
    "def test_even():\n    assert steps_to(4) == 2\n\n\n"
    "def test_odd():\n    assert steps_to(5) == 3\n"
)


def explained(root: Path, node: str):
    settings = Settings.load(None, {"run": {"timeout_seconds": 2}})  # a hang ends after 2 s
    return explain_test(settings.sandbox(root), root, node, read_text)


def test_a_loop_whose_update_changes_nothing(tmp_path: Path):
    root = project(tmp_path / "p", {"power.py": POWER, "tests/test_power.py": POWER_TESTS})
    found = explained(root, "tests/test_power.py::test_five")
    md = found.markdown
    assert md.startswith("**`tests/test_power.py::test_five` timed out.**")
    assert "it did not finish within 2 s; when time ran out it was running `power.py:3` `while p < n:`" in md
    steps = md.split("**How it came about** (backwards from the failure):\n\n", 1)[1].splitlines()
    assert steps[0].startswith("1. `power.py:3` `while p < n:` — running when time ran out (it ran ")
    assert steps[0].endswith("times); `p = 1`, `n = 5`")
    assert steps[1].startswith("2. `power.py:4` `p = p ** 2` — ran ")
    assert steps[1].endswith(" times and never changed `p`, which the loop's condition reads; `p = 1`")
    assert "time ran out here; the passing tests ran this line and went on" in md
    assert found.origin == (str(root / "power.py"), 3)  # where it was looping
    # where to look first: the loop's update, which only this test ran (test_one never enters the loop)
    assert found.line == (str(root / "power.py"), 4)
    assert "**Where to look first:** `power.py:4` `p = p ** 2`, this test ran it and none of the" in md


def test_a_loop_whose_update_steps_over_the_stop(tmp_path: Path):
    root = project(tmp_path / "p", {"walk.py": WALK, "tests/test_walk.py": WALK_TESTS})
    md = explained(root, "tests/test_walk.py::test_odd").markdown
    steps = md.split("**How it came about** (backwards from the failure):\n\n", 1)[1].splitlines()
    assert steps[0].startswith("1. `walk.py:3` `while i != n:` — running when time ran out")
    assert steps[1].startswith("2. `walk.py:4` `i += 2` — `i` = 2 → 4 → 6 → 8 … ")
    assert steps[1].endswith(": it kept changing and the condition never stopped it")


READ_BACK = (
    "import time\n\n\n"
    "def read_back(data, size, pause=0.0001):\n"
    "    pos = len(data)\n"
    "    out = []\n"
    "    while 0 <= pos:\n"
    "        step = min(size, pos)\n"
    "        pos -= step\n"
    "        out.append(data[pos : pos + step])\n"
    "        time.sleep(pause)  # where time runs out\n"
    "    return out\n\n\n"
    "def total(xs):\n"
    "    return sum(xs)\n"
)
READ_BACK_TESTS = (
    "from chunks import read_back, total\n\n\n"
    "def test_total():\n    assert total([1, 2]) == 3\n\n\n"
    "def test_read_back():\n    assert read_back('abcdef', 4) == ['cdef', 'ab']\n"
)


def test_among_equals_the_loop_it_was_stuck_in_is_where_to_look_first(tmp_path: Path):
    """Only the hanging test runs the function: every line of it ties, and the loop's condition, which
    never became false, is where to look (not whichever line time ran out on)."""
    root = project(tmp_path / "p", {"chunks.py": READ_BACK, "tests/test_chunks.py": READ_BACK_TESTS})
    found = explained(root, "tests/test_chunks.py::test_read_back")
    assert found.origin == (str(root / "chunks.py"), 11)  # sleeping when time ran out
    assert found.line == (str(root / "chunks.py"), 7)
    assert (
        "**Where to look first:** `chunks.py:7` `while 0 <= pos:`, the loop this test was stuck in: its "
        "condition never became false." in found.markdown
    )
