"""Code run at import is evidence too: a wrong row of a module-level table is traced (the imports before
the first test), the explanation follows the value back to that row, and the search mutates it."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcoder_core.cli.output import read_text
from semcoder_core.config import Settings
from semcoder_core.project import parse_target
from semcoder_core.repair import search
from semcoder_core.tasks.failing import explain_test
from semcoder_core.testruns import test_result

from .test_repair import project, run_pytest

pytestmark = pytest.mark.timeout(300)

PLURAL = (
    "import re\n"
    "\n"
    "RULES = [\n"
    '    (r"(x|ch|ss|sh)$", r"\\1es"),\n'
    '    (r"([^aeiouy])y$", r"\\1ies"),\n'
    '    (r"s$", r"s"),\n'
    '    (r"$", r"z"),\n'  # the bug: r"s"
    "]\n"
    "\n"
    "\n"
    "def pluralize(word):\n"
    "    for rule, replacement in RULES:\n"
    "        if re.search(rule, word):\n"
    "            return re.sub(rule, replacement, word)\n"
    "    return word\n"
)
PLURAL_TESTS = (
    "from plural import pluralize\n\n\n"
    "def test_box():\n    assert pluralize('box') == 'boxes'\n\n\n"
    "def test_word():\n    assert 'words' == pluralize('word')\n\n\n"
    "def test_cat():\n    assert pluralize('cat') == 'cats'\n"
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return project(tmp_path / "p", {"plural.py": PLURAL, "tests/test_plural.py": PLURAL_TESTS})


def test_the_imports_are_traced(root: Path):
    doc = test_result(Settings().sandbox(root), parse_target(str(root / "tests/test_plural.py::test_box")))
    imported = doc["import_lines"][str(root / "plural.py")]
    assert imported["3"]["hits"] == 1 and imported["11"]["hits"] == 1  # RULES = [...], def pluralize
    assert "12" not in imported  # the function's body runs in the test, not at import
    assert doc["lines"][str(root / "plural.py")]["12"]["hits"] == 1


def test_the_explanation_blames_the_row_the_value_came_from(root: Path):
    found = explain_test(Settings().sandbox(root), root, "tests/test_plural.py::test_word", read_text)
    assert found.line == (str(root / "plural.py"), 7)
    assert '**Where to look first:** `plural.py:7` `(r"$", r"z"),`, the row of `RULES` the value came from.' in (
        found.markdown
    )
    assert '`plural.py:7` `(r"$", r"z"),` — set at import, in `RULES` (module level)' in found.markdown


def test_the_search_fixes_the_row(root: Path):
    report = search(Settings().sandbox(root), root, "tests/test_plural.py::test_word", time_budget_s=90)
    assert report.status == "fixed", report.message
    best = report.candidates[0]
    assert best.edit.line == 7 and best.edit.after.strip() == '(r"$", r"s"),'
    (root / "plural.py").write_text(best.edit.source)
    assert run_pytest(root).returncode == 0


IRREGULAR = (
    "PLURALS = []\n"
    "\n"
    "\n"
    "def _irregular(singular, plural):\n"
    '    """Register an irregular plural: as written, and capitalised when it keeps the first letter."""\n'
    "    PLURALS.insert(0, (singular, plural))\n"
    "    if singular[0] != plural[0]:\n"  # the bug: ==
    "        PLURALS.insert(0, (singular.title(), plural.title()))\n"
    "\n"
    "\n"
    "_irregular('person', 'people')\n"
    "_irregular('child', 'children')\n"
    "_irregular('cow', 'kine')\n"
    "\n"
    "\n" + "def filler():\n    return 0\n\n\n" * 12 + "def pluralize(word):\n"
    "    for singular, plural in PLURALS:\n"
    "        if word == singular:\n"
    "            return plural\n"
    "    return word + 's'\n"
)
IRREGULAR_TESTS = (
    "from words import pluralize\n\n\n"
    "def test_dog():\n    assert pluralize('dog') == 'dogs'\n\n\n"
    "def test_person():\n    assert pluralize('person') == 'people'\n\n\n"
    "def test_capital_person():\n    assert pluralize('Person') == 'People'\n\n\n"
    "def test_capital_child():\n    assert pluralize('Child') == 'Children'\n\n\n"
    "def test_capital_cow():\n    assert pluralize('Cow') == 'Cows'\n"
)


def test_a_function_that_fills_a_table_at_import_is_searched(tmp_path: Path):
    """`_irregular` runs only at import, so every test ran it alike and the spectrum ranks it low; it
    changes `PLURALS`, which the line the failing test ran reads: its lines are tried after the top ones."""
    root = project(tmp_path / "w", {"words.py": IRREGULAR, "tests/test_words.py": IRREGULAR_TESTS})
    node = "tests/test_words.py::test_capital_person"
    report = search(Settings().sandbox(root), root, node, time_budget_s=90)
    assert report.status == "fixed", report.message
    best = report.candidates[0]
    assert best.edit.line == 7 and best.edit.after.strip() == "if singular[0] == plural[0]:"
    (root / "words.py").write_text(best.edit.source)
    assert run_pytest(root).returncode == 0
