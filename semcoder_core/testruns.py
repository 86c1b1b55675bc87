"""Traced pytest runs as trace documents: one per test, in the ``trace --json`` shape plus the test's facts."""

from __future__ import annotations

import threading
from pathlib import Path

from .project import Target
from .sandbox import Sandbox

# A run that could not start the tests at all (the exit code 1 of the CLI).
FAILED_TO_RUN = {"syntax-error", "error"}


def test_result(sandbox: Sandbox, target: Target) -> dict:
    """Trace one node id; the trace document of its test, with the run's status."""
    run = sandbox.run_tests([target.node], trace=True)
    tests = run.get("tests") or []
    if run["status"] in FAILED_TO_RUN or not tests:
        return {**run, "return_repr": None, "lines": {}, "test": None}
    return test_document(tests[0], run, len(tests))


def traced_tests(sandbox: Sandbox, project: Path, nodes: list[str], bar) -> list[dict]:  # bar: cli progress
    """Trace the tests in one pytest run (one start-up, which can take seconds). Each test has its
    own time limit inside that run; a test the run never reached (it crashed, or ran out of time
    as a whole) is traced again on its own."""
    if not nodes:
        return []
    bar.step(f"Tracing {len(nodes)} failing test{'s' if len(nodes) != 1 else ''}")
    run = sandbox.run_tests(nodes, trace=True)
    by_id = {t["nodeid"]: t for t in run.get("tests") or []}
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


STATUS_OF_OUTCOME = {"passed": "ok", "skipped": "ok", "timeout": "timeout", "crashed": "crashed"}


def test_document(test: dict, run: dict, tests_run: int) -> dict:
    """The trace document of one test of a pytest run."""
    status = STATUS_OF_OUTCOME.get(test["outcome"], "exception")
    if status == "exception" and (test["exception"] or {}).get("type") == "MemoryError":
        status = "memory-limit"
    exception = test["exception"] or (run.get("exception") if status != "ok" else None)
    return {
        "status": status,
        "return_repr": None,
        "exception": exception if status != "ok" else None,
        "lines": test["lines"],
        "calls": test["calls"],
        "stdout": test["stdout"],
        "duration_s": test["duration_s"],
        "test": {k: v for k, v in test.items() if k not in ("lines", "calls", "stdout")},
        "tests_run": tests_run,
        "isolation": run.get("isolation"),
    }


def with_neighbours(
    sandbox: Sandbox,
    project: Path,
    node: str,
    overlay: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[dict | None, list[dict]]:
    """The traced failing test, and the traced passing tests that reach the modules its test file
    imports (found statically): what explanations and fault localisation compare. One pytest run."""
    from .planning import Planner

    overlay = overlay or {}
    related = Planner(project).neighbours(node, lambda p: overlay.get(str(p)))[:200]
    run = sandbox.run_tests([node, *related], trace=True, overlay=overlay, cancel=cancel)
    tests = run.get("tests") or []
    mine = [t for t in tests if t["nodeid"] == node or t["nodeid"].startswith(node + "[")]
    if not mine:
        return None, []
    doc = test_document(mine[0], run, 1)
    passing = [test_document(t, run, 1) for t in tests if t["outcome"] == "passed" and t not in mine]
    return doc, passing


# Not pytest tests, whatever their names (a test module may import them).
test_result.__test__ = test_document.__test__ = False  # type: ignore[attr-defined]
