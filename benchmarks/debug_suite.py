"""Whole-suite speed of `semcoder debug`, and the traced-overhead factor of per-test time limits.

Run from the repository root::

    python benchmarks/debug_suite.py                       # synthetic project + examples/inventory, ~2 min on 2 cores
    python benchmarks/debug_suite.py --rounds 3 --json /tmp/debug_suite.json
    python benchmarks/debug_suite.py --project PATH --python PATH/venv/bin/python   # any project (e.g. a realworld one)

Part 1, whole suite: for each project, side by side and interleaved round by round, the wall time of plain
``python -m pytest -q -p no:cacheprovider`` (T) and of ``semcoder debug PROJECT --json`` (D), best of ``--rounds``.
The target (issue 13) is D <= 1.5 T + 5 s: ``debug`` runs the suite once untraced (no tracer installed, a timer
per test) and traces only the failing tests. U is that untraced pass alone (``Sandbox.run_tests(trace=False)``).

Part 2, the traced-overhead factor: every test of each project run once untraced and once traced in the sandbox
(generous limits), and the ratio traced / untraced of each test's own time (setup + call + teardown; tests under
5 ms untraced are left out, their ratio is noise). testruns.TRACED_OVERHEAD_FACTOR must stay above the slowest
ratio, with room for a noisy machine. Exit status 0 either way (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semcoder_core.sandbox import Limits, Sandbox  # noqa: E402
from semcoder_core.testruns import TRACED_OVERHEAD_FACTOR  # noqa: E402

# A synthetic suite with a known plain time: 40 tests of ordinary Python work (parsing, dicts, recursion, sorting)
# of ~0.1 s each, 10 that wait 0.5 s (I/O), 3 that fail (one of them doing 0.02 s of the same work).
_LIB = """
import json
import re


def tokens(text):
    return re.findall(r"[A-Za-z_]+|\\d+|\\S", text)


def fib(n, memo=None):
    memo = {} if memo is None else memo
    if n < 2:
        return n
    if n not in memo:
        memo[n] = fib(n - 1, memo) + fib(n - 2, memo)
    return memo[n]


def work(rounds):
    total = 0
    for i in range(rounds):
        doc = json.dumps({"id": i, "words": ["alpha", "beta", str(i)], "nested": {"k": i * 2}})
        data = json.loads(doc)
        words = sorted(tokens(" ".join(data["words"])), key=len)
        counts = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        total += len(counts) + data["nested"]["k"] % 7 + fib(i % 30)
    return total


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle]  # bug: even lengths
"""

_TESTS = """
import time

import pytest

from lib import median, work

ROUNDS = {rounds}


@pytest.mark.parametrize("n", range(40))
def test_work(n):
    assert work(ROUNDS + n) > 0


@pytest.mark.parametrize("n", range(10))
def test_waits(n):
    time.sleep(0.5)


def test_median_odd():
    assert median([3, 1, 2]) == 2


def test_median_even():
    assert median([4, 1, 3, 2]) == 2.5


def test_median_pairs():
    assert median([1, 2]) == 1.5


def test_work_is_reproducible():
    assert work(ROUNDS // 10) == work(ROUNDS // 10) + 1
"""


def synthetic_project(base: Path, rounds: int) -> Path:
    project = base / "synthetic"
    (project / "tests").mkdir(parents=True)
    (project / "lib.py").write_text(textwrap.dedent(_LIB).lstrip())
    (project / "tests" / "test_lib.py").write_text(textwrap.dedent(_TESTS.format(rounds=rounds)).lstrip())
    (project / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    return project


def calibrate_rounds(base: Path, python: str) -> int:
    """Rounds of ``work`` that take ~0.1 s on this machine."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); from lib import work; "
        "t = time.perf_counter(); work(2000); print(time.perf_counter() - t)"
    )
    probe = base / "probe"
    probe.mkdir()
    (probe / "lib.py").write_text(textwrap.dedent(_LIB).lstrip())
    seconds = float(subprocess.run([python, "-c", code, str(probe)], capture_output=True, text=True, check=True).stdout)
    shutil.rmtree(probe)
    return max(50, int(2000 * 0.1 / max(seconds, 1e-6)))


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - started, done


def whole_suite(project: Path, python: str, rounds: int) -> dict:
    plain_cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    debug_cmd = [sys.executable, "-m", "semcoder_core.cli", "debug", str(project), "--json", "--python", python]
    plain, debug, untraced = [], [], []
    sandbox = Sandbox(project, python=python)
    report = None
    for _ in range(rounds):
        seconds, done = timed(plain_cmd, project)
        plain.append(seconds)
        started = time.perf_counter()  # debug's first pass alone: the suite in the sandbox, untraced
        sandbox.run_tests(["."], trace=False, total_timeout_s=3600, test_timeout_s=300)
        untraced.append(time.perf_counter() - started)
        seconds, done = timed(debug_cmd, ROOT)
        debug.append(seconds)
        try:
            report = json.loads(done.stdout)
        except ValueError:
            report = {"status": "no report", "stderr": done.stderr[-2000:]}
    t, d = min(plain), min(debug)
    summary = (report or {}).get("summary") or {}
    traced = [x.get("status") for x in (report or {}).get("tests") or []]
    return {
        "project": str(project),
        "plain_s": round(t, 2),
        "debug_s": round(d, 2),
        "untraced_pass_s": round(min(untraced), 2),
        "target_s": round(1.5 * t + 5, 2),
        "within_target": d <= 1.5 * t + 5,
        "debug_over_plain": round(d / t, 2),
        "summary": summary,
        "traced_statuses": traced,
        "debug_status": (report or {}).get("status"),
    }


def overhead(project: Path, python: str, nodes: list[str]) -> dict:
    """Traced / untraced time of each test of ``nodes`` of ``project`` (in the sandbox, generous limits)."""
    sandbox = Sandbox(project, python=python, limits=Limits(timeout_s=600, memory_mb=4096))
    plain = sandbox.run_tests(nodes, trace=False, total_timeout_s=3600)
    traced = sandbox.run_tests(nodes, trace=True, total_timeout_s=3600)
    before = {t["nodeid"]: t["duration_s"] for t in plain.get("tests") or []}
    ratios = []
    for test in traced.get("tests") or []:
        untraced = before.get(test["nodeid"])
        if untraced and untraced >= 0.005 and test["outcome"] != "timeout":
            ratios.append((test["duration_s"] / untraced, test["nodeid"], untraced, test["duration_s"]))
    ratios.sort()
    if not ratios:
        return {"project": str(project), "tests": 0}
    values = [r[0] for r in ratios]
    worst = ratios[-1]
    # Where the factor matters: tests long enough that untraced x factor passes the floor (10 s at 20x: 0.5 s).
    long = [r[0] for r in ratios if r[2] >= 0.1]
    return {
        "project": str(project),
        "tests": len(values),
        "median": round(statistics.median(values), 2),
        "p90": round(values[int(0.9 * (len(values) - 1))], 2),
        "max": round(worst[0], 2),
        "long_tests": len(long),
        "long_max": round(max(long), 2) if long else None,
        "slowest": {"nodeid": worst[1], "untraced_s": worst[2], "traced_s": worst[3]},
        "untraced_suite_s": round(sum(before.values()), 2),
        "fits_floor": sum(1 for r in ratios if r[3] <= 10.0),
        "traced_suite_s": round(sum(t["duration_s"] for t in traced.get("tests") or []), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of plain vs debug (best of)")
    parser.add_argument("--project", action="append", help="a project to measure instead of the defaults")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of --project (its venv)")
    parser.add_argument("--no-overhead", action="store_true", help="skip part 2")
    parser.add_argument("--no-suite", action="store_true", help="skip part 1")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="semcoder-debug-suite-"))
    try:
        if args.project:
            projects = [(Path(p).resolve(), args.python) for p in args.project]
        else:
            rounds = calibrate_rounds(base, sys.executable)
            example = base / "inventory"
            shutil.copytree(ROOT / "examples" / "inventory", example)
            projects = [(synthetic_project(base, rounds), sys.executable), (example, sys.executable)]
        results: dict = {"factor": TRACED_OVERHEAD_FACTOR, "suites": [], "overhead": []}
        print(
            f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; "
            f"TRACED_OVERHEAD_FACTOR = {TRACED_OVERHEAD_FACTOR:g}"
        )
        print("\n1. whole suite: plain pytest (T) vs semcoder debug (D), best of", args.rounds)
        print(f"{'project':<16} {'T s':>7} {'U s':>7} {'D s':>7} {'1.5T+5':>7} {'D/T':>6}  target  summary")
        for project, python in [] if args.no_suite else projects:
            row = whole_suite(project, python, args.rounds)
            results["suites"].append(row)
            mark = "PASS" if row["within_target"] else "MISS"
            print(
                f"{project.name:<16} {row['plain_s']:>7.2f} {row['untraced_pass_s']:>7.2f} {row['debug_s']:>7.2f} "
                f"{row['target_s']:>7.2f} "
                f"{row['debug_over_plain']:>6.2f}  {mark:<6}  {row['summary']} traced: {row['traced_statuses']}"
            )
        if not args.no_overhead:
            print("\n2. traced / untraced time per test (tests >= 5 ms untraced)")
            print(f"{'project':<16} {'tests':>5} {'median':>7} {'p90':>6} {'max':>6} {'>=0.1s':>6} {'max':>6}  slowest")
            for project, python in projects:
                # The synthetic suite's work tests all do the same work (each ~10 s traced): 8 of them.
                synthetic = project.name == "synthetic" and not args.project
                nodes = [f"tests/test_lib.py::test_work[{n}]" for n in range(0, 40, 5)] if synthetic else ["."]
                row = overhead(project, python, nodes)
                results["overhead"].append(row)
                if not row["tests"]:
                    print(f"{project.name:<16} {0:>5}")
                    continue
                slow = row["slowest"]
                mark = "PASS" if row["max"] < TRACED_OVERHEAD_FACTOR else "MISS"
                print(
                    f"{project.name:<16} {row['tests']:>5} {row['median']:>7.2f} {row['p90']:>6.2f} {row['max']:>6.2f} "
                    f"{row['long_tests']:>6} {row['long_max'] or 0:>6.2f}  "
                    f"{slow['nodeid']} ({slow['untraced_s']:.3f} s -> {slow['traced_s']:.3f} s)  max < factor: {mark}"
                )
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
