"""The work behind each ``semcoder`` subcommand; printing is in :mod:`.output`."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from ..config import Settings
from ..errors import SemcoderError, UsageError
from ..project import find_root, parse_target
from ..pysource import parse_module
from ..tasks import CHECK_STATES
from ..testruns import (
    FAILED_TO_RUN,
    UNTRACED_TEST_TIMEOUT_S,
    no_test_found,
    no_test_message,
    test_result,
    traced_tests,
)
from . import output

# Exit codes (design.md): 0 success, 1 the target could not run as asked (FAILED_TO_RUN), 2 usage error.

# The whole untraced suite run of `debug`; each test of it may take UNTRACED_TEST_TIMEOUT_S. The
# failing tests are then traced, each under max(its untraced time x TRACED_OVERHEAD_FACTOR, the
# `run.timeout_seconds` setting) (testruns.traced_limit).
SUITE_TIMEOUT_S = 1800.0


def trace(args, settings: Settings) -> int:
    if args.call is not None:
        if "::" in args.target:
            raise SemcoderError("--call takes a FILE, not a node id")
        file = Path(args.target)
        if not file.is_file():
            raise SemcoderError(f"no such file: {args.target}")
        project = find_root(file)
        result = settings.sandbox(project).trace_call(file, args.call)
        result["target"] = {"file": str(file.resolve()), "call": args.call}
    else:
        target = parse_target(args.target)
        if not target.is_node_id and not target.path.is_file():
            raise SemcoderError('give a FILE with --call "EXPR", or a pytest node id (tests/test_x.py::test_y)')
        result = test_result(settings.sandbox(target.project), target)
        result.setdefault("target", {"node": target.node})
        missing = no_test_found(result)
        if missing is not None:
            missing["message"] = (
                no_test_message(target) if target.is_node_id else no_call_message(args.target, target.path)
            )
        project = target.project
    if args.json:
        print(json.dumps(result))
    else:
        output.print_trace(result, project, settings)
    return 1 if result["status"] in FAILED_TO_RUN else 0


def no_call_message(given: str, file: Path) -> str:
    """For ``trace FILE`` without ``--call`` where FILE has no tests: how to trace a call instead."""
    try:
        tree = parse_module(file.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    names = [n for n in names if not n.startswith("_")] or names
    example = f"{names[0]}(...)" if names else "f(...)"
    text = (
        f'pytest found no test in {given}: to trace a call of its code, give the call with --call "EXPR", '
        f'e.g. semcoder trace {given} --call "{example}"'
    )
    if names:
        text += f" ({file.name} defines: {', '.join(names[:30])}{', …' if len(names) > 30 else ''})"
    return text


def debug(args, settings: Settings) -> int:
    target = parse_target(args.target)
    sandbox = settings.sandbox(target.project)
    report: dict = {"status": "ok", "project": str(target.project), "target": target.node}
    with output.progress(enabled=not args.json) as bar:
        if target.is_node_id:
            failing = [target.node]
            durations = None  # not timed: traced under the floor, timed untraced if it runs out
            report["summary"] = None
        else:
            bar.step(f"Running the tests in {target.node}")
            run = sandbox.run_tests(
                [target.node], trace=False, total_timeout_s=SUITE_TIMEOUT_S, test_timeout_s=UNTRACED_TEST_TIMEOUT_S
            )
            # A test that crashed or ran out of memory is one failing test: the others ran on.
            if run["status"] not in ("ok", "exception", "memory-limit", "crashed") or not run.get("tests"):
                report.update(status=run["status"], exception=run.get("exception"), tests=[])
                report["stderr"] = (run.get("stderr") or "")[-2000:]
                report["collect_errors"] = run.get("collect_errors") or []
                return _finish(args, report, target.project, settings)
            tests = run.get("tests", [])
            failing = [t["nodeid"] for t in tests if t["outcome"] not in ("passed", "skipped")]
            durations = {t["nodeid"]: t["duration_s"] for t in tests if t["outcome"] != "timeout"}
            report["summary"] = _summary(tests)
        bar.start_tests(len(failing))
        traced = traced_tests(sandbox, target.project, failing, bar, durations)
    report["tests"] = traced
    if target.is_node_id and traced and traced[0]["status"] in FAILED_TO_RUN:  # the node id could not run
        missing = no_test_found(traced[0])
        if missing is not None:
            missing["message"] = no_test_message(target)
        report.update(status=traced[0]["status"], exception=traced[0]["exception"], tests=[])
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


def _test_target(text: str, verb: str):
    target = parse_target(text)
    if not target.is_node_id:
        raise SemcoderError(f"{verb} takes the node id of a failing test, e.g. tests/test_x.py::test_y")
    return target


def _backend(settings: Settings, args, required: bool = False):
    """The configured model (loaded once), or None when none is configured or ``--no-model`` was given."""
    if getattr(args, "no_model", False) or not settings.model.configured:
        if required:
            raise UsageError(
                "predict needs a model: configure model.backend (e.g. --backend llama-cpp --model-path x.gguf, "
                "or --backend openai --model-url http://127.0.0.1:8000), or SEMCODER_MODEL__BACKEND"
            )
        return None
    from ..models import shared_backend

    return shared_backend(settings.model)


def fix(args, settings: Settings) -> int:
    """Search for fixes; print them (validated first). Never writes the project's files."""
    from ..tasks.failing import fix_test

    target = _test_target(args.target, "fix")
    sandbox = settings.sandbox(target.project)
    backend = _backend(settings, args)
    with output.progress(enabled=not args.json) as bar:
        fixed = fix_test(
            sandbox,
            target.project,
            target.node,
            output.read_text,
            progress=bar.step,
            time_budget_s=args.time_budget,
            workers=args.workers,
            backend=backend,
            settings=settings,
            samples=args.samples,
        )
    document = fixed.document(target.project)
    if args.json:
        print(json.dumps(document))
    else:
        output.print_fix(document, target.node)
    return 1 if fixed.report.status == "error" else 0


def explain(args, settings: Settings) -> int:
    """Why a test fails, from its trace and the passing runs of the same code."""
    from ..tasks.failing import explain_test

    target = _test_target(args.target, "explain")
    sandbox = settings.sandbox(target.project)
    with output.progress(enabled=not args.json) as bar:
        explained = explain_test(
            sandbox,
            target.project,
            target.node,
            output.read_text,
            progress=bar.step,
            load_backend=lambda: _backend(settings, args),
            settings=settings,
            probe_s=settings.repair.probe_seconds if args.time_budget is None else args.time_budget,
        )
    document = explained.document()
    if args.json:
        print(json.dumps(document))
    else:
        output.print_markdown(document["markdown"])
    return 0


def predict(args, settings: Settings) -> int:
    """The model's predicted return and line states of a call, beside the real run's."""
    from ..models import Decoding
    from ..tasks.predict import predict_call
    from ..tasks.targets import call_target

    file = Path(args.target)
    if "::" in args.target or not file.is_file():
        raise SemcoderError(f"predict takes the FILE that defines the function, not {args.target!r}")
    file = file.resolve()
    target = call_target(str(file), output.read_text(str(file)), args.call)
    backend = _backend(settings, args, required=True)
    sandbox = None if args.no_run else settings.sandbox(find_root(file), max_states=CHECK_STATES)
    streamed = not args.json and output.console.is_terminal
    prediction = predict_call(
        backend,
        target,
        Decoding.from_settings(settings.model),
        sandbox,
        on_text=(lambda piece: output.console.print(piece, end="", markup=False)) if streamed else (lambda piece: None),
    )
    document = prediction.document()
    if args.json:
        print(json.dumps(document))
    else:
        output.print_prediction(document, streamed)
    return 0 if prediction.status != "error" else 1


def evaluate(args, settings: Settings) -> int:
    """``semcoder eval BENCHMARK``: pass@k of a model or of stored generations (evaluation/command.py)."""
    from ..evaluation.command import run_evaluation
    from ..evaluation.report import summary_markdown

    if args.samples < 1 or (args.limit is not None and args.limit < 1):
        raise UsageError("--samples and --limit take a positive number")
    with output.progress(enabled=not args.json) as bar:
        result = run_evaluation(args, settings, bar)
    if args.json:
        print(json.dumps(result.document()))
    else:
        output.print_markdown(summary_markdown(result))
    return 0
