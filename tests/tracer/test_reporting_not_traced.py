"""What runs only to report a failure (the reprs in pytest's assertion message, unittest's diff) is
not evidence: the trace does not record it. What the test itself runs (``==``, an explicit ``repr``)
is recorded."""

from __future__ import annotations

from pathlib import Path

from semcoder_core.config import Settings

POINT = (
    "class Point:\n"
    "    def __init__(self, x, y):\n"
    "        self.x, self.y = x, y\n"
    "\n"
    "    def __eq__(self, other):\n"
    "        return (self.x, self.y) == (other.x, other.y)\n"
    "\n"
    "    def __repr__(self):\n"
    "        text = f'Point({self.x}, {self.y})'\n"
    "        return text\n"
    "\n"
    "\n"
    "def mirror(p):\n"
    "    return Point(p.x, p.x)\n"  # the bug: p.y, p.x
)
TESTS = (
    "import unittest\n\n"
    "from point import Point, mirror\n\n\n"
    "def test_mirror_plain_assert():\n    assert mirror(Point(1, 2)) == Point(2, 1)\n\n\n"
    "def test_repr_is_asked_for():\n    assert repr(Point(1, 2)) == 'Point(1, 2)'\n\n\n"
    "class MirrorCase(unittest.TestCase):\n"
    "    def test_mirror_assert_equal(self):\n        self.assertEqual(mirror(Point(1, 2)), Point(2, 1))\n\n"
    "    def test_mirror_in_list(self):\n        self.assertListEqual([mirror(Point(1, 2))], [Point(2, 1)])\n\n"
    "    def test_mirror_assert_in(self):\n        self.assertIn(mirror(Point(1, 2)), [Point(2, 1)])\n"
)


def _hits(test: dict, file: Path) -> dict[int, int]:
    return {int(k): v["hits"] for k, v in test["lines"].get(str(file), {}).items() if v.get("hits")}


def test_reprs_made_for_a_failure_message_are_not_traced(tmp_path: Path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (root / "point.py").write_text(POINT)
    (root / "tests" / "test_point.py").write_text(TESTS)
    run = Settings().sandbox(root).run_tests(["tests/test_point.py"], trace=True)
    tests = {t["nodeid"].rsplit("::", 1)[-1]: t for t in run["tests"]}
    module = (root / "point.py").resolve()
    failing = ["test_mirror_plain_assert", "test_mirror_assert_equal", "test_mirror_in_list", "test_mirror_assert_in"]
    for name in failing:
        assert tests[name]["outcome"] == "failed", name
        hits = _hits(tests[name], module)
        assert hits.get(14) == 1 and hits.get(6), (name, hits)  # mirror() and __eq__ ran: evidence
        assert 9 not in hits and 10 not in hits, (name, hits)  # __repr__ ran only for the message
    # pytest's message still shows the values (the reprs ran, untraced)
    assert "Point(1, 1)" in (tests["test_mirror_plain_assert"]["failure"] or {}).get("full_message", "")
    # A repr the test asks for is the test's doing
    asked = _hits(tests["test_repr_is_asked_for"], module)
    assert tests["test_repr_is_asked_for"]["outcome"] == "passed" and asked.get(9) == 1 and asked.get(10) == 1
