"""Runs a batch of programs under the reference tracer and under ``TraceSession``, in whatever Python runs it.

Usage: python driver.py AGENT_DIR JOBS.json OUT.jsonl. AGENT_DIR holds the tracer as ``semcoder_tracer``.
A job is ``{"id", "path", "call", "caps": [[max_states, max_calls], ...]}``: the file is imported as a fresh
module (its import-time code traced too), then ``call`` is evaluated in its namespace; once under the
reference, then once per caps under the tracer, each time a fresh module. One JSON line per job.
"""

import contextlib
import gc
import importlib.util
import io
import json
import os
import sys
import threading
import time
import traceback

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import Reference  # noqa: E402
from semcoder_tracer import SafeRepr, TraceSession  # noqa: E402

MAX_REPR = 200


def _render_outcome(run):
    try:
        return {"value": SafeRepr(max_string=MAX_REPR, max_length=max(2 * MAX_REPR, 100))(run())}
    except BaseException as exc:  # noqa: BLE001 - the program's own exception is part of its outcome
        return {"exception": type(exc).__name__, "message": str(exc)[:300]}


def _run(path, call, start, stop):
    """Import ``path`` as a new module and evaluate ``call``, with tracing on from before the import."""
    name = "oracle_program"  # the same each run: class reprs name their module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module

    def body():
        spec.loader.exec_module(module)
        return eval(compile(call, "<oracle-call>", "eval"), module.__dict__)

    sink = io.StringIO()
    start()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            outcome = _render_outcome(body)
    finally:
        stop()
        sys.modules.pop(name, None)
        # What this run left (generators in cycles, frames) is finalized now, untraced, not in the next run.
        gc.collect()
    return outcome


def run_job(job):
    path = os.path.realpath(job["path"])
    render = SafeRepr(max_string=MAX_REPR, max_length=max(2 * MAX_REPR, 100))
    ref = Reference(path, render)
    outcome = _run(path, job["call"], ref.start, ref.stop)
    out = {"id": job["id"], "ref": dict(ref.result(), outcome=outcome), "traces": []}
    for max_states, max_calls in job["caps"]:
        session = TraceSession([path], max_states=max_states, max_calls=max_calls, max_repr=MAX_REPR)
        outcome = _run(path, job["call"], session.start, session.stop)
        lines = {f: v for f, v in session.lines().items() if os.path.realpath(f) == path}
        calls = [c for c in session.calls() if os.path.realpath(c["file"]) == path]
        out["traces"].append(
            {
                "caps": [max_states, max_calls],
                "outcome": outcome,
                "lines": next(iter(lines.values()), {}),
                "calls": calls,
            }
        )
    return out


def main():
    with open(sys.argv[2]) as f:
        jobs = json.load(f)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    gc.freeze()  # the collections between runs then only look at what the programs made
    with open(sys.argv[3], "w") as out:
        for job in jobs:
            start = time.perf_counter()
            try:
                result = run_job(job)
            except BaseException:  # noqa: BLE001 - one broken job must not hide the others
                sys.settrace(None)
                threading.settrace(None)
                result = {"id": job["id"], "error": traceback.format_exc()[-3000:]}
            result["seconds"] = round(time.perf_counter() - start, 4)
            out.write(json.dumps(result, sort_keys=True) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
