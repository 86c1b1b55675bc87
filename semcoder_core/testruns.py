"""Traced pytest runs as trace documents: one per test, in the ``trace --json`` shape plus the test's facts."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from .annotate import is_test_file
from .project import Target
from .sandbox import Sandbox
from .sandbox.runner import STARTUP_S
from .tracer.schema import ExceptionInfo, Failure, FunctionCalls, PytestRun, TestInfo, TestResult, Trace

# A run that could not start the tests at all (the exit code 1 of the CLI).
FAILED_TO_RUN = {"syntax-error", "error"}

# A traced test's time limit is max(its untraced time x this factor, the run's timeout_s), at most
# TRACED_TEST_MAX_S. The tracer's per-test slowdown, measured with benchmarks/debug_suite.py (traced /
# untraced time of each test, Python 3.11, 2 busy cores, 2026-12): tests of ordinary Python work (json,
# regexes, dicts, memoised recursion) of 0.03-0.1 s untraced: median 62-96x, max 95-120x over three
# runs; realworld libraries, tests of 5 ms or more: more-itertools median 13x (max 178x on a 24 ms
# test), boltons 9x (111x on 6 ms), cachetools 15x, tabulate 1x (36x on 7 ms; its one test over 0.1 s:
# 2.8x). The ratios of short tests include the fixed cost of a traced test, which the floor covers
# (10 s at 200x is 50 ms untraced); the factor must cover longer tests, where the worst was 120x;
# 200 leaves room for a noisier machine. (benchmarks/tracer_overhead.py's loop of small ints is ~10x:
# state reprs of dicts and lists on every line are what make real code slower.)
TRACED_OVERHEAD_FACTOR = 200.0
TRACED_TEST_MAX_S = 900.0
# The untraced run of a whole suite must not fail a healthy slow test: each test may take this long
# (the whole run has its own limit, commands.SUITE_TIMEOUT_S).
UNTRACED_TEST_TIMEOUT_S = 300.0


def traced_limit(sandbox: Sandbox, untraced_s: float | None) -> float:
    """The time limit of a traced test that took ``untraced_s`` untraced (None: not known)."""
    floor = sandbox.limits.timeout_s
    return max(min((untraced_s or 0.0) * TRACED_OVERHEAD_FACTOR, TRACED_TEST_MAX_S), floor)


def test_result(sandbox: Sandbox, target: Target) -> Trace:
    """Trace one node id; the trace document of its test, with the run's status. A test that runs
    out of time traced is timed untraced, then traced again under its calibrated limit."""
    run = sandbox.run_tests([target.node], trace=True)
    tests = run.get("tests") or []
    if any(t["outcome"] == "timeout" for t in tests):
        plain = sandbox.run_tests([target.node], trace=False, test_timeout_s=UNTRACED_TEST_TIMEOUT_S)
        timed = {t["nodeid"]: t["duration_s"] for t in plain.get("tests") or [] if t["outcome"] != "timeout"}
        limits = {n: traced_limit(sandbox, d) for n, d in timed.items()}
        if any(limit > sandbox.limits.timeout_s for limit in limits.values()):
            total = STARTUP_S + sum(limits.values())
            run = sandbox.run_tests([target.node], trace=True, test_timeouts=limits, total_timeout_s=total)
            tests = run.get("tests") or []
    if run["status"] in FAILED_TO_RUN or not tests:
        # The run's own document (its tests, collection errors, output) in the shape of a trace.
        return cast(Trace, {**run, "return_repr": None, "lines": {}, "test": None, "exception": run.get("exception")})
    return test_document(tests[0], run, len(tests))


def traced_tests(
    sandbox: Sandbox, project: Path, nodes: list[str], bar, durations: dict[str, float] | None = None
) -> list[Trace]:  # bar: cli progress
    """Trace the tests in one pytest run (one start-up, which can take seconds). Each test has its
    own time limit inside that run, calibrated on its untraced time (``durations``, seconds by node
    id; see :func:`traced_limit`); a test the run never reached (it ran out of time as a whole) is
    traced again on its own. A test without an untraced time that times out traced is timed
    untraced, then traced again under the calibrated limit."""
    if not nodes:
        return []
    durations = dict(durations or {})
    bar.step(f"Tracing {len(nodes)} failing test{'s' if len(nodes) != 1 else ''}")
    limits = {n: traced_limit(sandbox, durations.get(n)) for n in nodes}
    run = sandbox.run_tests(nodes, trace=True, test_timeouts=limits)
    by_id = {t["nodeid"]: t for t in run.get("tests") or []}
    uncalibrated = [n for n in nodes if n not in durations and n in by_id and by_id[n]["outcome"] == "timeout"]
    if uncalibrated:
        bar.step(f"Timing {len(uncalibrated)} test{'s' if len(uncalibrated) != 1 else ''} untraced")
        plain = sandbox.run_tests(uncalibrated, trace=False, test_timeout_s=UNTRACED_TEST_TIMEOUT_S)
        timed = {t["nodeid"]: t["duration_s"] for t in plain.get("tests") or [] if t["outcome"] != "timeout"}
        if timed:
            limits = {n: traced_limit(sandbox, d) for n, d in timed.items()}
            again = sandbox.run_tests(list(timed), trace=True, test_timeouts=limits)
            by_id.update({t["nodeid"]: t for t in again.get("tests") or []})
    out = []
    for node in nodes:
        test = by_id.get(node)
        if test is not None:
            out.append(test_document(test, run, 1))
        else:
            bar.step(f"Tracing {node}")
            out.append(test_result(sandbox, Target(project, project / node.partition("::")[0], node)))
        bar.advance()
    return out


STATUS_OF_OUTCOME = {
    "passed": "ok",
    "skipped": "ok",
    "timeout": "timeout",
    "crashed": "crashed",
    "memory-limit": "memory-limit",
}


def test_document(test: TestResult, run: PytestRun, tests_run: int) -> Trace:
    """The trace document of one test of a pytest run."""
    status = STATUS_OF_OUTCOME.get(test["outcome"], "exception")
    own = test["exception"]
    if status == "exception" and own is not None and own["type"] == "MemoryError":
        status = "memory-limit"
    exception = test["exception"] or (run.get("exception") if status != "ok" else None)
    info = cast(TestInfo, {k: v for k, v in test.items() if k not in ("lines", "calls", "stdout")})
    failure = info.get("failure")
    if failure:
        info["failure"] = program_side(failure, test["calls"])
    return {
        "status": status,
        "return_repr": None,
        "exception": exception if status != "ok" else None,
        "lines": test["lines"],
        "calls": test["calls"],
        "stdout": test["stdout"],
        "duration_s": test["duration_s"],
        "test": info,
        "tests_run": tests_run,
        "isolation": run.get("isolation", ""),
        "import_lines": run.get("import_lines") or {},
    }


NOT_PASSED = ("failed", "error", "timeout", "crashed", "memory-limit")  # a test's outcomes that are a failure


@dataclass
class Neighbourhood:
    """One traced run around a failing test: the test, the passing tests that reach the same code,
    and the other failing tests that were asked for (by node id)."""

    failing: Trace | None
    passing: list[Trace] = field(default_factory=list)
    others: dict[str, Trace] = field(default_factory=dict)
    # Traced with the program's own reprs the test passed, untraced it failed: a ``__repr__`` the tracer
    # called changed the program's state, so the run was traced again showing objects by their attributes.
    reprs_changed_it: bool = False
    # The planned neighbours that failed too (node id -> seconds): the tests a bug fails besides this one.
    failing_near: dict[str, float] = field(default_factory=dict)


def neighbourhood(
    sandbox: Sandbox,
    project: Path,
    node: str,
    overlay: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    failing: Sequence[str] = (),
    test_timeouts: dict[str, float] | None = None,
    total_timeout_s: float | None = None,
) -> Neighbourhood:
    """Trace ``node``, the passing tests that reach the modules its test file imports (found
    statically; those of its own file and class first) and the other ``failing`` tests, in one
    pytest run. ``test_timeouts`` shortens the limit of tests known to hang; ``total_timeout_s``
    bounds the run (the tests are run in the order above, so the ones cut off are the farthest)."""
    from .planning import Planner

    overlay = overlay or {}
    others = [n for n in failing if n != node]
    related = [n for n in Planner(project).neighbours(node, lambda p: overlay.get(str(p))) if n not in others]
    related = sorted(related, key=lambda n: node_distance(node, n))[:200]

    def traced(sandbox: Sandbox) -> PytestRun:
        return sandbox.run_tests(
            [node, *others, *related],
            trace=True,
            overlay=overlay,
            cancel=cancel,
            test_timeouts=test_timeouts,
            total_timeout_s=total_timeout_s,
            select=True,  # a planned node id that names no test is left out, not an error of the run
        )

    def mine(run: PytestRun) -> list[TestResult]:
        return [t for t in run.get("tests") or [] if t["nodeid"] == node or t["nodeid"].startswith(node + "[")]

    run = traced(sandbox)
    found = mine(run)
    changed = False
    if found and found[0]["outcome"] == "passed":
        # Passing under the trace: did the tracer change the run? Untraced, once; if it fails there,
        # traced again without calling the program's own __repr__ (the likely culprit).
        plain = sandbox.run_tests([found[0]["nodeid"]], trace=False, overlay=overlay, cancel=cancel)
        if any(t["outcome"] in NOT_PASSED for t in plain.get("tests") or []):
            quiet = traced(sandbox.with_caps(own_reprs=False))
            if any(t["outcome"] in NOT_PASSED for t in mine(quiet)):
                run, found, changed = quiet, mine(quiet), True
    if not found:
        return Neighbourhood(None)
    tests = run.get("tests") or []
    wanted = set(others)
    return Neighbourhood(
        test_document(found[0], run, 1),
        [test_document(t, run, 1) for t in tests if t["outcome"] == "passed" and t not in found],
        {t["nodeid"]: test_document(t, run, 1) for t in tests if t["nodeid"] in wanted and t not in found},
        changed,
        {
            t["nodeid"]: t["duration_s"]
            for t in tests
            if t["outcome"] in NOT_PASSED and t not in found and t["nodeid"] not in wanted
        },
    )


def node_distance(node: str, other: str) -> int:
    """0: the same test function (another parametrization), 1: the same class, 2: the same file, 3: elsewhere."""
    base, mine = node.partition("[")[0], other.partition("[")[0]
    if base == mine:
        return 0
    if mine.rpartition("::")[0] == base.rpartition("::")[0] and base.count("::") > 1:
        return 1
    return 2 if mine.partition("::")[0] == base.partition("::")[0] else 3


def program_side(failure: Failure, calls: list[FunctionCalls]) -> Failure:
    """The failure with ``expected`` and ``actual`` the right way round, by the trace: the actual value
    is the one the code under test produced. When the value the tracer took for the expected one is
    what a function of the code under test returned in this test and the other is not, they swap
    (``tripled = 4; doubled = double(2); assert tripled == doubled``: the operands' form says nothing,
    the trace does). Otherwise the tracer's reading of the assertion stands."""
    expected, actual = failure.get("expected"), failure.get("actual")
    if failure.get("op") != "==" or expected is None or actual is None or expected == actual:
        return failure
    returned = {r.get("return_repr") for call in calls if not is_test_file(call["file"]) for r in call["records"]}
    if expected in returned and actual not in returned:
        return cast(Failure, {**failure, "expected": actual, "actual": expected})
    return failure


def with_neighbours(
    sandbox: Sandbox,
    project: Path,
    node: str,
    overlay: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Trace | None, list[Trace]]:
    """The traced failing test, and the traced passing tests that reach the modules its test file
    imports (found statically): what explanations and fault localisation compare. One pytest run."""
    found = neighbourhood(sandbox, project, node, overlay, cancel)
    return found.failing, found.passing


def no_test_found(result: Trace) -> ExceptionInfo | None:
    """The run's exception when it collected no test for its node id or file (and nothing failed to
    import), else None."""
    exception = result.get("exception")
    if result["status"] == "error" and exception and exception["type"] == "UsageError":
        return None if result.get("collect_errors") else exception
    return None


def no_test_message(target: Target) -> str:
    """For a node id pytest does not know: what to run to see the ones it does."""
    file = target.node.partition("::")[0]
    return (
        f"pytest found no test {target.node}: list the tests it finds with "
        f"`pytest --collect-only -q {file}`, run in {target.project}"
    )


# Not pytest tests, whatever their names (a test module may import them).
test_result.__test__ = test_document.__test__ = False  # type: ignore[attr-defined]
