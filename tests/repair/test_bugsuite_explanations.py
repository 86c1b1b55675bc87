"""An explanation for every bug of the suite, from real traces: the right line, the right values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from semcoder_core.config import Settings
from semcoder_core.explain import explain_failure
from semcoder_core.testruns import with_neighbours

BUGS = Path(__file__).resolve().parents[2] / "examples" / "bugs"


def _bugs() -> list[Path]:
    return sorted(p for p in BUGS.iterdir() if (p / "bug.json").is_file())


def test_the_suite_is_there():
    assert len(_bugs()) >= 25


@pytest.mark.parametrize("bug", _bugs(), ids=lambda p: p.name)
def test_explanation_names_the_line_and_the_values(bug: Path, tmp_path: Path):
    meta = json.loads((bug / "bug.json").read_text())
    root = tmp_path / bug.name
    shutil.copytree(bug, root, ignore=shutil.ignore_patterns("__pycache__", "heldout"))
    node = meta["failing"][0]
    failing, passing = with_neighbours(Settings().sandbox(root), root, node)
    assert failing is not None and failing["status"] != "ok"
    explanation = explain_failure(failing, lambda p: Path(p).read_text(), root, passing)
    want = meta["explanation"]
    assert explanation.origin == (str(root / want["file"]), want["line"])  # where the failure came from
    assert f"{want['file']}:{want['line']}" in explanation.markdown
    if want["actual"] is not None:
        assert explanation.failure["actual"] == want["actual"]
        assert explanation.failure["expected"] == want["expected"]
        assert f"`{want['actual']}`" in explanation.markdown
    if want["exception"]:
        assert want["exception"] in explanation.markdown
