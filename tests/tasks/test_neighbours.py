"""The passing tests an explanation compares with: pytest decides what is a test. A node id the static
planner guessed that pytest does not collect is left out of the run instead of failing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcoder_core.cli.output import read_text
from semcoder_core.config import Settings
from semcoder_core.planning import Planner
from semcoder_core.tasks.failing import explain_test
from semcoder_core.testruns import neighbourhood

pytestmark = pytest.mark.timeout(300)

MODULE = "def area(w, h):\n    return w + h\n"  # the bug: w * h
TESTS = (
    "from shapes import area\n\n\n"
    "class TestHelpers:\n"
    "    __test__ = False  # not tests, whatever their names\n\n"
    "    def test_square(self, side):\n        return area(side, side)\n\n\n"
    "def test_area():\n    assert area(2, 3) == 6\n\n\n"
    "def test_zero_width():\n    assert area(0, 0) == 0\n"
)
OTHER = "from shapes import area\n\n\ndef test_unit():\n    assert area(1, 1) != 3\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (root / "shapes.py").write_text(MODULE)
    (root / "tests" / "test_shapes.py").write_text(TESTS)
    (root / "tests" / "test_other.py").write_text(OTHER)
    return root


def test_a_guessed_node_id_pytest_does_not_collect_is_left_out(root: Path):
    node = "tests/test_shapes.py::test_area"
    planned = Planner(root).neighbours(node)
    assert "tests/test_shapes.py::TestHelpers::test_square" in planned  # the planner's guess ...
    found = neighbourhood(Settings().sandbox(root), root, node)
    assert found.failing is not None and found.failing["status"] == "exception"
    names = [doc["test"]["nodeid"] for doc in found.passing]
    # ... is not run; the real tests are, those of the failing test's own file first
    assert names == ["tests/test_shapes.py::test_zero_width", "tests/test_other.py::test_unit"]
    explained = explain_test(Settings().sandbox(root), root, node, read_text)
    assert explained.status == "ok" and explained.line == (str(root / "shapes.py"), 2)
