"""A fix that leaves some of the bug's failing tests failing is offered as partial, never as preferred."""

from __future__ import annotations

from lsprotocol import types

from tests.repair.test_targets import GRADE, GRADE_TESTS

from .conftest import Editor
from .test_code_actions import actions_at

NODE = "tests/test_grade.py::test_ninety_is_an_a"


async def test_a_partial_fix_says_so_in_its_quick_fix_title(small_editor: Editor):
    asked = []

    @small_editor.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def dismiss(ls, params: types.ShowMessageRequestParams):
        asked.append(params)
        return None  # nothing may be applied

    (small_editor.root / "grade.py").write_text(GRADE)
    (small_editor.root / "tests" / "test_grade.py").write_text(GRADE_TESTS)
    small_editor.open("grade.py")
    test_uri = small_editor.open("tests/test_grade.py")
    diagnostics = await small_editor.diagnostics(test_uri, lambda ds: sum(d.code == "failing-test" for d in ds) == 2)
    (diag,) = [d for d in diagnostics if d.range.start.line == 4]  # grade(90) == 'A'
    found = await small_editor.command("semcoder.suggestFix", test_uri, NODE)
    assert found["status"] == "partial" and found["applied"] is False
    assert found["candidates"][0]["partial"] is True
    assert found["candidates"][0]["still_failing"] == ["tests/test_grade.py::test_eighty_is_a_b"]
    quick = [a for a in await actions_at(small_editor, test_uri, diag) if a.edit is not None]
    assert quick[0].title == (
        "semcoder: Suggest fix — grade.py:2 `if score >= 91:` → `if score >= 90:` "
        "(partial: 1 other failing test still fails)"
    )
    assert not quick[0].is_preferred
    assert (small_editor.root / "grade.py").read_text() == GRADE
