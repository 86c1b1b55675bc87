"""Search-based repair on small real projects: what is offered is what the tests prove."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from semcoder_core.config import Settings
from semcoder_core.repair import search
from semcoder_core.repair.mutate import mutants

pytestmark = pytest.mark.timeout(300)


def project(root: Path, files: dict[str, str]) -> Path:
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\ntestpaths = ["tests"]\n')
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def run_pytest(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


ADULT = "def is_adult(age):\n    return age > 18\n"
ADULT_TESTS = (
    "from people import is_adult\n\n\n"
    "def test_eighteen_is_adult():\n    assert is_adult(18) is True\n\n\n"
    "def test_seventeen_is_not():\n    assert is_adult(17) is False\n\n\n"
    "def test_thirty_is():\n    assert is_adult(30) is True\n"
)


def test_a_candidate_that_breaks_a_passing_test_is_never_offered(tmp_path: Path):
    root = project(tmp_path / "p", {"people.py": ADULT, "tests/test_people.py": ADULT_TESTS})
    sandbox = Settings().sandbox(root)
    report = search(sandbox, root, "tests/test_people.py::test_eighteen_is_adult", time_budget_s=120)
    assert report.status == "fixed"
    # `age <= 18` makes the failing test pass and breaks the two others: checked, rejected, not offered
    rejected = [c.edit.after.strip() for c in report.rejected]
    assert "return age <= 18" in rejected
    offered = [c.edit.after.strip() for c in report.candidates]
    assert "return age <= 18" not in offered
    assert offered[0] in ("return age >= 18", "return age > 17")
    # every offered candidate, applied for real, passes every test
    for candidate in report.candidates:
        assert candidate.validated and candidate.tests_passed == candidate.tests_run == 3
        (root / "people.py").write_text(candidate.edit.source)
        assert run_pytest(root).returncode == 0
    (root / "people.py").write_text(ADULT)


def test_looping_and_memory_hungry_mutants_are_cut_off(tmp_path: Path):
    source = "def count_up(n):\n    i = 0\n    out = []\n    while i < n:\n"
    source += "        out.append(i)\n        i += 2\n    return out\n"
    tests = (
        "from counter import count_up\n\n\n"
        "def test_counts_every_number():\n    assert count_up(3) == [0, 1, 2]\n\n\n"
        "def test_nothing_below_zero():\n    assert count_up(0) == []\n"
    )
    root = project(tmp_path / "p", {"counter.py": source, "tests/test_counter.py": tests})
    edits = [e.after.strip() for e in mutants(source, 6)]
    assert "i -= 2" in edits and "pass" in edits  # both loop for ever, growing `out`
    settings = Settings.load(None, {"run": {"memory_mb": 512}})
    report = search(settings.sandbox(root), root, "tests/test_counter.py::test_counts_every_number", 120)
    assert report.status == "fixed", report.message
    assert [c.edit.after.strip() for c in report.candidates][0] == "i += 1"
    cut = report.outcomes.get("timeout", 0) + report.outcomes.get("memory-limit", 0)
    assert cut >= 2, report.outcomes
    assert report.candidate_timeout_s <= 10  # calibrated on the original run, not a fixed long limit
    assert report.duration_s < 120


def test_a_flaky_test_is_reported_as_flaky_never_fixed(tmp_path: Path):
    flaky = (
        "import os\nimport tempfile\n\nfrom calc import double\n\n\n"
        "def test_sometimes():\n"
        "    marker = os.path.join(tempfile.gettempdir(), 'semcoder-flaky-' + str(os.getppid()))\n"
        "    runs = int(open(marker).read()) + 1 if os.path.exists(marker) else 1\n"
        "    open(marker, 'w').write(str(runs))\n"
        "    assert double(2) == 4 and runs % 2 == 1\n"
    )
    root = project(
        tmp_path / "p",
        {"calc.py": "def double(x):\n    return x * 2\n", "tests/test_calc.py": flaky},
    )
    report = search(Settings().sandbox(root), root, "tests/test_calc.py::test_sometimes", 60)
    assert report.status == "not-fixed"
    assert report.flaky == ["tests/test_calc.py::test_sometimes"]
    assert "flaky" in report.message and report.candidates == []


def test_cli_fix_json_contract_and_the_diff_applies(tmp_path: Path):
    root = project(tmp_path / "p", {"people.py": ADULT, "tests/test_people.py": ADULT_TESTS})
    out = subprocess.run(
        ["semcoder", "fix", "tests/test_people.py::test_eighteen_is_adult", "--json", "--time-budget", "120"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["status"] == "fixed"
    first = doc["candidates"][0]
    assert set(first) >= {"diff", "validated", "source", "tests_run", "tests_passed"}
    assert first["validated"] is True and first["source"].startswith("mutation:")
    assert first["diff"].startswith("--- a/people.py\n+++ b/people.py\n")
    assert (root / "people.py").read_text() == ADULT  # fix prints; it never writes
    check = subprocess.run(["git", "apply", "-"], cwd=root, input=first["diff"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert run_pytest(root).returncode == 0
