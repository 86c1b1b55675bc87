"""The work behind each ``semcoder`` subcommand; printing is in :mod:`.output`."""

from __future__ import annotations

import json
from pathlib import Path

from ..config import Settings
from ..errors import SemcoderError
from ..project import Target, find_root, parse_target
from ..sandbox import Sandbox
from . import output

# Exit codes (design.md): 0 success, 1 the target could not run as asked, 2 usage error.
_FAILED_TO_RUN = {"syntax-error", "error"}
# The whole suite run of `debug` (each test also has its own limit, the `run.timeout_seconds` setting).
SUITE_TIMEOUT_S = 600.0


def make_sandbox(project: Path, settings: Settings) -> Sandbox:
    return Sandbox(
        project,
        python=settings.python,
        limits=settings.run.limits(),
        isolation_mode=settings.run.isolation,
        caps=settings.trace.caps(),
    )


def trace(args, settings: Settings) -> int:
    if args.call is not None:
        if "::" in args.target:
            raise SemcoderError("--call takes a FILE, not a node id")
        file = Path(args.target)
        if not file.is_file():
            raise SemcoderError(f"no such file: {args.target}")
        project = find_root(file)
        result = make_sandbox(project, settings).trace_call(file, args.call)
        result["target"] = {"file": str(file.resolve()), "call": args.call}
    else:
        target = parse_target(args.target)
        if not target.is_node_id and not target.path.is_file():
            raise SemcoderError('give a FILE with --call "EXPR", or a pytest node id (tests/test_x.py::test_y)')
        result = test_result(make_sandbox(target.project, settings), target)
        project = target.project
    if args.json:
        print(json.dumps(result))
    else:
        output.print_trace(result, project, settings)
    return 1 if result["status"] in _FAILED_TO_RUN else 0


def test_result(sandbox: Sandbox, target: Target) -> dict:
    """Trace one node id; the trace document of its test, with the run's status."""
    run = sandbox.run_tests([target.node], trace=True)
    tests = run.get("tests") or []
    if run["status"] in _FAILED_TO_RUN or not tests:
        return {**run, "return_repr": None, "lines": {}, "test": None}
    return _test_document(tests[0], run, len(tests))


def traced_tests(sandbox: Sandbox, project: Path, nodes: list[str], bar) -> list[dict]:
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
            out.append(_test_document(test, run, 1))
        else:
            bar.step(f"Tracing {node}")
            out.append(test_result(sandbox, Target(project, project / node.partition("::")[0], node)))
        bar.advance()
    return out


_STATUS_OF_OUTCOME = {"passed": "ok", "skipped": "ok", "timeout": "timeout", "crashed": "crashed"}


def _test_document(test: dict, run: dict, tests_run: int) -> dict:
    status = _STATUS_OF_OUTCOME.get(test["outcome"], "exception")
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


def debug(args, settings: Settings) -> int:
    target = parse_target(args.target)
    sandbox = make_sandbox(target.project, settings)
    report: dict = {"status": "ok", "project": str(target.project), "target": target.node}
    with output.progress(enabled=not args.json) as bar:
        if target.is_node_id:
            failing = [target.node]
            report["summary"] = None
        else:
            bar.step(f"Running the tests in {target.node}")
            run = sandbox.run_tests([target.node], trace=False, total_timeout_s=SUITE_TIMEOUT_S)
            if run["status"] not in ("ok", "exception"):
                report.update(status=run["status"], exception=run.get("exception"), tests=[])
                report["stderr"] = (run.get("stderr") or "")[-2000:]
                return _finish(args, report, target.project, settings)
            tests = run.get("tests", [])
            failing = [t["nodeid"] for t in tests if t["outcome"] not in ("passed", "skipped")]
            report["summary"] = _summary(tests)
        bar.start_tests(len(failing))
        traced = traced_tests(sandbox, target.project, failing, bar)
    report["tests"] = traced
    return _finish(args, report, target.project, settings)


def _summary(tests: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for test in tests:
        counts[test["outcome"]] = counts.get(test["outcome"], 0) + 1
    return {"total": len(tests), **counts}


def _finish(args, report: dict, project: Path, settings: Settings) -> int:
    if args.json:
        print(json.dumps(report))
    else:
        output.print_debug(report, project, settings)
    return 0 if report["status"] == "ok" else 1
