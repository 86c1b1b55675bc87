"""The failing-test jobs that `semcoder explain`/`semcoder fix` and the language server's
explainFailure/suggestFix share, run on a real sandbox over a project built in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from semcoder_core.cli.output import read_text
from semcoder_core.config import Settings
from semcoder_core.errors import SemcoderError
from semcoder_core.sandbox import RunCancelled
from semcoder_core.tasks.failing import explain_test, fix_test

pytestmark = pytest.mark.timeout(300)

ADULT = "def is_adult(age):\n    return age > 18\n"
ADULT_TESTS = (
    "from people import is_adult\n\n\n"
    "def test_eighteen_is_adult():\n    assert is_adult(18) is True\n\n\n"
    "def test_seventeen_is_not():\n    assert is_adult(17) is False\n\n\n"
    "def test_thirty_is():\n    assert is_adult(30) is True\n"
)
FAILING = "tests/test_people.py::test_eighteen_is_adult"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\ntestpaths = ["tests"]\n')
    (root / "people.py").write_text(ADULT)
    (root / "tests/test_people.py").write_text(ADULT_TESTS)
    return root


def test_explain_blames_the_line_that_returned_the_wrong_value(root: Path):
    seen: list[str] = []
    explained = explain_test(Settings().sandbox(root), root, FAILING, read_text, progress=seen.append)
    assert explained.status == "ok"
    assert explained.line == (str(root / "people.py"), 2)
    assert explained.failure == {
        "test": FAILING,
        "message": explained.failure["message"],
        "expected": "True",
        "actual": "False",
    }
    assert explained.markdown.startswith(
        f"**`{FAILING}` fails.**\n\nAt `tests/test_people.py:5` `assert is_adult(18) is True`"
    )
    assert "`people.py:2` `return age > 18` — returned `False`" in explained.markdown
    assert explained.model is None and explained.failing is not None
    assert seen == [f"Tracing {FAILING} and the tests that reach the same code"]
    document = explained.document()
    assert list(document) == ["status", "markdown", "failure", "line", "origin"]
    assert document["line"] == {"file": str(root / "people.py"), "line": 2}


def test_explain_compares_with_the_passing_tests_it_traces_beside(root: Path):
    """The failing test is traced with the tests that reach the same code, in both front ends."""
    (root / "signs.py").write_text(
        "def sign(x):\n    if x > 0:\n        return 1\n    if x < 0:\n        return -1\n    return 1\n"
    )
    (root / "tests/test_signs.py").write_text(
        "from signs import sign\n\n\ndef test_positive():\n    assert sign(5) == 1\n\n\n"
        "def test_negative():\n    assert sign(-3) == -1\n\n\ndef test_zero():\n    assert sign(0) == 0\n"
    )
    explained = explain_test(Settings().sandbox(root), root, "tests/test_signs.py::test_zero", read_text)
    assert explained.line == (str(root / "signs.py"), 6)
    assert explained.markdown.endswith(
        "**Compared with passing tests:** `test_negative` passes through the same code; the first difference is at "
        "`signs.py:2` `if x > 0:`: here `x = 0` (x == 0); in the passing tests x was < or > 0, never == "
        "(e.g. `x = -3` in `test_negative`).\n"
    )


def test_the_cli_prints_the_jobs_document(root: Path):
    """`semcoder explain --json` is the job's document, the markdown the server returns too."""
    settings = Settings()
    explained = explain_test(settings.sandbox(root), root, FAILING, read_text, probe_s=settings.repair.probe_seconds)
    assert explained.tried is not None and explained.line == (str(root / "people.py"), 2)
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", "explain", FAILING, "--json", "--no-model"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == explained.document()


def test_the_buffers_are_what_is_explained(root: Path):
    """The server's unsaved buffers replace the files: fixed in the buffer, the test passes."""
    fixed = {str(root / "people.py"): ADULT.replace(">", ">=")}
    explained = explain_test(Settings().sandbox(root), root, FAILING, read_text, overlay=fixed)
    assert (explained.status, explained.markdown, explained.failure) == ("passed", f"`{FAILING}` passes.", None)
    assert explained.document() == {"status": "passed", "markdown": f"`{FAILING}` passes.", "failure": None}


def test_a_test_pytest_does_not_know_says_how_to_list_them(root: Path):
    with pytest.raises(SemcoderError) as caught:
        explain_test(Settings().sandbox(root), root, "tests/test_people.py::test_nope", read_text)
    assert str(caught.value) == (
        "pytest found no test tests/test_people.py::test_nope: list the tests it finds with "
        f"`pytest --collect-only -q tests/test_people.py`, run in {root}"
    )


def test_a_cancelled_job_runs_nothing(root: Path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RunCancelled):
        explain_test(Settings().sandbox(root), root, FAILING, read_text, cancel=cancel)


@pytest.mark.slow
def test_fix_returns_the_validated_fix(root: Path):
    steps: list[str] = []
    fixed = fix_test(Settings().sandbox(root), root, FAILING, read_text, progress=steps.append, time_budget_s=120)
    assert fixed.report.status == "fixed" and fixed.model is None
    first = fixed.report.candidates[0]
    assert first.validated
    document = fixed.document(root)
    assert document["candidates"][0]["diff"] == (
        "--- a/people.py\n+++ b/people.py\n@@ -1,2 +1,2 @@\n def is_adult(age):\n"
        "-    return age > 18\n+    return age >= 18\n"
    )
    assert steps[0] == "Running the tests as they are"
    assert (root / "people.py").read_text() == ADULT  # never written
