"""Self-check of the bug suite in ``examples/bugs`` (format in its README).

Every bug is run for real: a temporary copy of the buggy project and one with the reference fix applied, each
by one pytest process over ``tests`` and ``heldout`` (forks of a driver that has imported pytest once, which
keeps the 60-odd runs to a few seconds of CPU). A small pytest plugin (``PROBE``) records, for the first listed
failing test, the failed comparison and the returns and exceptions of the project's own code, so that the
``explanation`` in ``bug.json`` is checked against what really happened.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

BUGS = Path(__file__).resolve().parents[2] / "examples" / "bugs"
BUG_IDS = sorted(p.name for p in BUGS.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
KINDS = ("single-edit", "multi-edit", "multi-module")
KEYS = {"id", "description", "kind", "category", "failing", "fix", "explanation"}
FIX_KEYS = {"file", "line", "buggy", "fixed"}
EXPLANATION_KEYS = {"file", "line", "expected", "actual", "exception"}
RUN_TIMEOUT_S = 120

PROBE = '''\
"""pytest plugin of the bug-suite self-check: for the test named by BUGSUITE_TARGET, records the first failed
comparison and the returns and exceptions of frames in the project's own code (not tests/ or heldout/)."""
import json
import os
import sys

import pytest

_ROOT = os.path.realpath(os.getcwd())
_TARGET = os.environ.get("BUGSUITE_TARGET", "")
_OUT = os.environ.get("BUGSUITE_OUT", "")
_record = {"compare": None, "returns": [], "exceptions": []}
_files = {}
_active = [False]


def _project_file(filename):
    if filename not in _files:
        path = os.path.realpath(filename)
        rel = None
        if path.startswith(_ROOT + os.sep) and path.endswith(".py"):
            rel = os.path.relpath(path, _ROOT).replace(os.sep, "/")
            if rel.startswith(("tests/", "heldout/")):
                rel = None
        _files[filename] = rel
    return _files[filename]


def _repr(value):
    try:
        return repr(value)
    except Exception as exc:
        return "<repr failed: %s>" % type(exc).__name__


def _local(frame, event, arg):
    if event == "return":
        _record["returns"].append([_project_file(frame.f_code.co_filename), frame.f_lineno, _repr(arg)])
    elif event == "exception":
        _record["exceptions"].append([_project_file(frame.f_code.co_filename), frame.f_lineno, arg[0].__name__])
    return _local


def _global(frame, event, arg):
    return _local if _project_file(frame.f_code.co_filename) else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if item.nodeid != _TARGET:
        yield
        return
    _active[0] = True
    sys.settrace(_global)
    try:
        yield
    finally:
        sys.settrace(None)
        _active[0] = False
        with open(_OUT, "w", encoding="utf-8") as handle:
            json.dump(_record, handle)


def pytest_assertrepr_compare(config, op, left, right):
    if _active[0] and _record["compare"] is None:
        _record["compare"] = [op, _repr(left), _repr(right)]
'''


DRIVER = """\
import json, os, signal, sys, traceback

import pytest  # imported once: every run is a fork of this warm process, so it does not pay for the import

jobs_file, workers, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(jobs_file, encoding="utf-8") as handle:
    jobs = json.load(handle)
running, codes = {}, {}


def reap():
    pid, status = os.wait()
    codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)


for name, job in jobs.items():
    while len(running) >= workers:
        reap()
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            signal.alarm(timeout)
            os.chdir(job["cwd"])
            os.environ.update(job["env"])
            log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(log, 1)
            os.dup2(log, 2)
            code = int(pytest.main(job["args"]))
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    running[pid] = name
while running:
    reap()
print(json.dumps(codes))
"""


@dataclass
class Run:
    """One pytest run of a bug folder copy: outcome per node id, the output, and what the probe saw."""

    returncode: int
    outcomes: dict[str, str]
    output: str
    probe: dict | None

    def visible(self) -> dict[str, str]:
        return {node: outcome for node, outcome in self.outcomes.items() if node.startswith("tests/")}

    def heldout(self) -> dict[str, str]:
        return {node: outcome for node, outcome in self.outcomes.items() if node.startswith("heldout/")}


@dataclass
class Results:
    buggy: Run
    fixed: Run | None
    fix_error: str | None


def load(bug_id: str) -> dict:
    return json.loads((BUGS / bug_id / "bug.json").read_text(encoding="utf-8"))


def apply_fix(root: Path, fix: list[dict]) -> None:
    """Replace each ``buggy`` line by ``fixed`` (several lines when it contains newlines), keeping the indentation."""
    for entry in sorted(fix, key=lambda e: (e["file"], -e["line"])):  # bottom-up: line numbers stay valid
        path = root / entry["file"]
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        original = lines[entry["line"] - 1]
        if original.strip() != entry["buggy"]:
            raise AssertionError(f"{entry['file']}:{entry['line']} is {original.strip()!r}, not {entry['buggy']!r}")
        indent = original[: len(original) - len(original.lstrip())]
        lines[entry["line"] - 1] = "".join(indent + part + "\n" for part in entry["fixed"].split("\n"))
        path.write_text("".join(lines), encoding="utf-8")


def parse_outcomes(output: str) -> dict[str, str]:
    """Node id -> outcome, from the ``-rA`` short test summary."""
    outcomes: dict[str, str] = {}
    in_summary = False
    for line in output.splitlines():
        if "short test summary info" in line:
            in_summary = True
        elif in_summary:
            word, _, rest = line.partition(" ")
            if word in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"):
                outcomes[rest.split(" - ", 1)[0].strip()] = word.lower()
    return outcomes


@pytest.fixture(scope="session")
def suite(tmp_path_factory) -> dict[str, Results]:
    """Runs every bug twice, as it is and with its reference fix, each run a pytest process in a temporary copy.

    The runs are forks of one driver process that has imported pytest (two at a time on two cores).
    """
    if not hasattr(os, "fork"):
        pytest.skip("the runs are forks of a warm driver process")
    root = tmp_path_factory.mktemp("bugsuite")
    (root / "probe").mkdir()
    (root / "probe" / "_bugsuite_probe.py").write_text(PROBE, encoding="utf-8")
    args = ["-q", "-rA", "-p", "no:cacheprovider", "-p", "_bugsuite_probe", "tests", "heldout"]
    jobs: dict[str, dict] = {}
    fix_errors: dict[str, str | None] = {}
    for bug_id in BUG_IDS:
        ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
        for variant in ("buggy", "fixed"):
            shutil.copytree(BUGS / bug_id, root / bug_id / variant, ignore=ignore)
        fix_errors[bug_id] = None
        try:
            bug = load(bug_id)
            apply_fix(root / bug_id / "fixed", bug["fix"])
            target = bug["failing"][0]
        except (AssertionError, OSError, ValueError, IndexError, KeyError, TypeError) as exc:
            fix_errors[bug_id] = f"{type(exc).__name__}: {exc}"
            target = ""
        for variant in ("buggy", "fixed"):
            if variant == "fixed" and fix_errors[bug_id]:
                continue
            base = root / bug_id / variant
            jobs[f"{bug_id}/{variant}"] = {
                "cwd": str(base),
                "args": args,
                "log": str(base.with_suffix(".log")),
                "env": {"BUGSUITE_TARGET": target, "BUGSUITE_OUT": str(base.with_suffix(".probe.json"))},
            }
    (root / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(root / "probe"), os.environ.get("PYTHONPATH")])),
    )
    workers = max(2, os.cpu_count() or 2)
    driver = subprocess.run(
        [sys.executable, "-c", DRIVER, str(root / "jobs.json"), str(workers), str(RUN_TIMEOUT_S)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert driver.returncode == 0, driver.stdout + driver.stderr
    codes = json.loads(driver.stdout.strip().splitlines()[-1])

    def run(name: str) -> Run | None:
        if name not in jobs:
            return None
        log, probe = Path(jobs[name]["log"]), Path(jobs[name]["env"]["BUGSUITE_OUT"])
        output = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        data = json.loads(probe.read_text(encoding="utf-8")) if probe.exists() else None
        return Run(codes[name], parse_outcomes(output), output, data)

    return {bug_id: Results(run(f"{bug_id}/buggy"), run(f"{bug_id}/fixed"), fix_errors[bug_id]) for bug_id in BUG_IDS}


def project_modules(bug_id: str) -> list[Path]:
    folder = BUGS / bug_id
    return [
        p
        for p in sorted(folder.rglob("*.py"))
        if p.relative_to(folder).parts[0] not in ("tests", "heldout") and p.name != "__init__.py"
    ]


def test_suite_composition():
    bugs = [load(bug_id) for bug_id in BUG_IDS]
    kinds = Counter(bug["kind"] for bug in bugs)
    assert len(bugs) >= 25
    assert kinds["single-edit"] >= 18, kinds
    assert kinds["multi-edit"] >= 4, kinds
    assert kinds["multi-module"] >= 3, kinds
    assert sum(1 for bug in bugs if bug["explanation"]["exception"]) >= 3
    assert len({bug["id"] for bug in bugs}) == len(bugs)
    readme = (BUGS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{bug_id}`" in readme for bug_id in BUG_IDS), "every bug is listed in examples/bugs/README.md"


@pytest.mark.parametrize("bug_id", BUG_IDS)
def test_metadata(bug_id):
    folder = BUGS / bug_id
    bug = load(bug_id)
    assert set(bug) == KEYS
    assert bug["id"] == bug_id
    assert bug["kind"] in KINDS
    assert isinstance(bug["category"], str) and bug["category"]
    assert isinstance(bug["description"], str) and bug["description"].endswith(".")
    pyproject = (folder / "pyproject.toml").read_text(encoding="utf-8")
    assert 'pythonpath = ["."]' in pyproject and 'testpaths = ["tests"]' in pyproject
    assert (folder / "heldout" / "test_heldout.py").is_file()

    assert bug["failing"] and all(node.startswith("tests/") and "::" in node for node in bug["failing"])
    assert all((folder / node.split("::")[0]).is_file() for node in bug["failing"])

    assert bug["fix"]
    for entry in bug["fix"]:
        assert set(entry) == FIX_KEYS
        lines = (folder / entry["file"]).read_text(encoding="utf-8").splitlines()
        assert isinstance(entry["line"], int) and 1 <= entry["line"] <= len(lines)
        assert lines[entry["line"] - 1].strip() == entry["buggy"], entry
        assert entry["fixed"] != entry["buggy"]
    edited_lines = len(bug["fix"]) + sum(entry["fixed"].count("\n") for entry in bug["fix"])
    if bug["kind"] == "single-edit":
        assert edited_lines == 1, "a single-edit fix replaces one line by one line"
    elif bug["kind"] == "multi-edit":
        assert edited_lines > 1, "a multi-edit fix changes several lines or inserts statements"

    explanation = bug["explanation"]
    assert set(explanation) == EXPLANATION_KEYS
    lines = (folder / explanation["file"]).read_text(encoding="utf-8").splitlines()
    assert 1 <= explanation["line"] <= len(lines) and lines[explanation["line"] - 1].strip()
    assert isinstance(explanation["expected"], str)
    assert (explanation["actual"] is None) != (explanation["exception"] is None), "a wrong value or an exception"
    if bug["kind"] == "multi-module":
        # The failing test sees the caller; the fix is in another module.
        assert any(entry["file"] != explanation["file"] for entry in bug["fix"])

    for module in project_modules(bug_id):
        assert 10 <= len(module.read_text(encoding="utf-8").splitlines()) <= 80, module


@pytest.mark.parametrize("bug_id", BUG_IDS)
def test_buggy_code_fails_exactly_the_listed_tests(suite, bug_id):
    run = suite[bug_id].buggy
    assert run.returncode == 1, run.output
    visible = run.visible()
    failed = {node for node, outcome in visible.items() if outcome != "passed"}
    assert failed == set(load(bug_id)["failing"]), run.output
    assert sum(1 for outcome in visible.values() if outcome == "passed") >= 2


@pytest.mark.parametrize("bug_id", BUG_IDS)
def test_explanation_matches_the_failure(suite, bug_id):
    explanation = load(bug_id)["explanation"]
    where = [explanation["file"], explanation["line"]]
    res = suite[bug_id]
    probe = res.buggy.probe
    assert probe is not None, res.buggy.output
    if explanation["exception"]:
        raised = [event for event in probe["exceptions"] if event[0]]
        assert raised and raised[0] == [*where, explanation["exception"]], raised[:3]
    else:
        assert probe["compare"] is not None, "the test fails in an assert comparison"
        _op, left, right = probe["compare"]
        assert (left, right) == (explanation["actual"], explanation["expected"])
        assert [*where, explanation["actual"]] in probe["returns"], "the line returned the wrong value"
    # With the fix the code under test returns the expected value in the same test.
    assert res.fixed is not None and res.fixed.probe is not None, res.fix_error
    assert explanation["expected"] in {event[2] for event in res.fixed.probe["returns"]}


@pytest.mark.parametrize("bug_id", BUG_IDS)
def test_reference_fix_passes_every_test(suite, bug_id):
    res = suite[bug_id]
    assert res.fix_error is None, res.fix_error
    assert res.fixed is not None
    assert res.fixed.returncode == 0, res.fixed.output
    assert res.fixed.outcomes and set(res.fixed.outcomes.values()) == {"passed"}, res.fixed.output
    assert res.fixed.visible().keys() == res.buggy.visible().keys()
    assert 3 <= len(res.fixed.heldout()) <= 6, res.fixed.heldout()


def test_heldout_tests_catch_most_bugs(suite):
    caught = [bug_id for bug_id in BUG_IDS if "failed" in suite[bug_id].buggy.heldout().values()]
    missed = sorted(set(BUG_IDS) - set(caught))
    assert len(caught) >= 20, f"held-out tests pass on the buggy code of {missed}"
