"""A test that passes under the tracer and fails without it, because a ``__repr__`` the tracer calls
changes the program's state (cachetools' ``TTLCache`` drops expired items when asked its size, which
its repr does). `semcoder explain` and the fix search trace it again without the program's reprs.
Real pytest in the sandbox, on a project built in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from semcoder_core.config import Settings
from semcoder_core.testruns import neighbourhood

from ..repair.test_repair import project

pytestmark = pytest.mark.timeout(300)

BOX = """class Box:
    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)

    def purge(self):
        self.items = [i for i in self.items if i >= 0]

    def count(self):
        return len(self.items)

    def __repr__(self):
        self.purge()
        return f"Box({self.items})"
"""
TESTS = """from box import Box


def test_empty():
    assert Box().count() == 0


def test_negative_items_are_not_counted():
    box = Box()
    box.add(-1)
    box.add(2)
    assert box.count() == 1
"""
NODE = "tests/test_box.py::test_negative_items_are_not_counted"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return project(tmp_path / "p", {"box.py": BOX, "tests/test_box.py": TESTS})


def test_the_tracer_changed_the_run_so_it_is_traced_without_reprs(root: Path):
    sandbox = Settings().sandbox(root)
    traced = sandbox.run_tests([NODE], trace=True)
    assert [t["outcome"] for t in traced["tests"]] == ["passed"]  # the repr purged the box
    found = neighbourhood(sandbox, root, NODE)
    assert found.reprs_changed_it
    assert found.failing is not None and found.failing["status"] == "exception"
    assert [d["test"]["nodeid"] for d in found.passing if d.get("test")] == ["tests/test_box.py::test_empty"]


def test_explain_says_so_and_explains_the_real_failure(root: Path):
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", "explain", NODE, "--json", "--no-model", "--time-budget", "0"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["status"] == "ok"
    assert (document["failure"]["expected"], document["failure"]["actual"]) == ("1", "2")
    markdown = document["markdown"]
    assert markdown.startswith(
        f"**`{NODE}` fails.**\n\n*Traced as it is, this test passes, and it fails untraced: a `__repr__` the tracer "
        "called changed the program's state"
    )
    assert "`self = <Box items=[-1, 2]>`" in markdown  # shown by its attributes: the repr was not called


def test_a_test_that_passes_either_way_is_not_traced_again(root: Path):
    found = neighbourhood(Settings().sandbox(root), root, "tests/test_box.py::test_empty")
    assert not found.reprs_changed_it and found.failing is not None and found.failing["status"] == "ok"
