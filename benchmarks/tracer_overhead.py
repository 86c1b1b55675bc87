"""Tracer overhead benchmark: semcoder's line tracer on every Python found, against untraced runs and PySnooper.

Run from the repository root::

    python benchmarks/tracer_overhead.py                 # every ~/.pyenv Python >= 3.9, plus this one
    python benchmarks/tracer_overhead.py --quick         # 2 rounds instead of 3, fewer extras
    python benchmarks/tracer_overhead.py --pythons 3.12,3.13 --json /tmp/overhead.json
    python benchmarks/tracer_overhead.py --tracer /tmp/patched/semcoder_tracer   # measure a modified copy

For each interpreter, a subprocess of that interpreter imports a copy of ``semcoder_core/tracer`` as the
top-level package ``semcoder_tracer`` (the way the sandbox loads it) and measures, best of N with
``time.perf_counter``, the variants of one workload interleaved round by round so that machine noise hits them alike:

1. loop-heavy: a function whose 3-line loop runs 10**6 times, untraced vs traced (``TraceSession``, default caps),
   plus the "floor": a hook that sees every line and does nothing (settrace before 3.12, sys.monitoring after);
2. call-heavy: a small function called 2*10**5 times from a loop, untraced vs traced;
   2b. the same loop at the top of a 450-line function: the cost of a line event should not grow with the function;
3. PySnooper (installed with pip into that interpreter when missing, unless ``--no-install`` or ``--quick``) on the
   same loop with 20,000 iterations, against our tracer on the same n;
4. in fresh processes, peak RSS (``ru_maxrss``) of a traced vs untraced 10**6 loop, the size of the trace as
   JSON, and whether hit counts and the accumulator's last state are exact.

Targets are printed with PASS/MISS for reference; the exit status is 0 either way (a benchmark, not a test).
This file is also the child process (``--child``), so it must stay importable on Python 3.9.
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACER_SRC = os.path.join(REPO, "semcoder_core", "tracer")
PYENV_VERSIONS = os.path.expanduser("~/.pyenv/versions")
MIN_VERSION = (3, 9)

LOOP_N = 10**6
CALLS_N = 2 * 10**5
BIG_N = 10**4
SNOOP_N = 20_000

# Targets (see shared/docs/platform-notes.md, "Tracing costs").
LOOP_RATIO_NEW = 5.0  # 3.12+ (sys.monitoring)
LOOP_RATIO_OLD = 10.0  # 3.9-3.11 (sys.settrace)
SNOOP_SPEEDUP = 50.0
MEM_FACTOR, MEM_SLACK_MB = 2.0, 50.0
JSON_LIMIT = 1_000_000  # bytes

# The trace target. Line numbers are looked up by text, so edits here need no other change.
WORKLOAD = """\
def loop(n):
    total = 0
    for i in range(n):
        x = i * 2
        total += x
    return total


def small(a, b):
    return a + b


def calls(n):
    acc = 0
    for i in range(n):
        acc = small(acc, i)
    return acc
"""
WORKLOAD_MODULE = "tracer_bench_workload"

# The same loop at the top of a long function (450 more lines, 150 more locals, none of them run): the cost of
# one line event should not depend on the size of the function around it. A file of its own, so that parsing it
# does not weigh on the other workloads.
BIG_BLOCKS = 150
BIG_WORKLOAD = (
    "def big(n):\n    total = 0\n    for i in range(n):\n        x = i * 2\n        total += x\n    if n < 0:\n"
    + "".join(f"        v{k} = n + {k}\n        if v{k} > 3:\n            v{k} += 1\n" for k in range(BIG_BLOCKS))
    + "    return total\n"
)
BIG_MODULE = "tracer_bench_big"


def _lineno(text: str) -> int:
    for number, line in enumerate(WORKLOAD.splitlines(), 1):
        if line.strip() == text:
            return number
    raise ValueError(text)


FOR_LINE = _lineno("for i in range(n):")  # the first one: loop()
X_LINE = _lineno("x = i * 2")
TOTAL_LINE = _lineno("total += x")


def loop_total(n: int) -> int:
    return n * (n - 1)  # sum(2 * i for i in range(n))


# ---------------------------------------------------------------------------------------------------------------------
# Child side: runs inside the interpreter under test, prints one JSON line.
# ---------------------------------------------------------------------------------------------------------------------


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _traced(TraceSession, target: str, fn, core: str = "auto"):
    session = TraceSession([target], core=core)
    t0 = time.perf_counter()
    session.start()
    try:
        result = fn()
    finally:
        session.stop()
    return time.perf_counter() - t0, session, result


def _file_lines(session, target: str) -> dict:
    lines = session.lines()
    want = os.path.realpath(target)
    for path, per_line in lines.items():
        if os.path.realpath(path) == want:
            return per_line
    return {}


def _maxrss_mb() -> float:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def _check_loop(session, target: str, n: int) -> dict:
    per_line = _file_lines(session, target)

    def hits(lineno: int):
        return per_line.get(str(lineno), {}).get("hits")

    def last_state(lineno: int) -> dict:
        states = per_line.get(str(lineno), {}).get("states") or [{}]
        return states[-1]

    out = {
        "for_hits": hits(FOR_LINE),
        "x_hits": hits(X_LINE),
        "total_hits": hits(TOTAL_LINE),
        "total_last": last_state(TOTAL_LINE).get("total"),
        "total_expected": repr(loop_total(n)),
        "x_last": last_state(X_LINE).get("x"),
        "x_expected": repr(2 * (n - 1)),
    }
    out["hits_exact"] = out["x_hits"] == n and out["total_hits"] == n
    out["last_state_exact"] = out["total_last"] == out["total_expected"] and out["x_last"] == out["x_expected"]
    return out


def _bare_hook(code, fn) -> None:
    """The floor: the cheapest hook that sees every line of ``code`` (settrace before 3.12, sys.monitoring after)."""
    mon = getattr(sys, "monitoring", None)
    if mon is None:

        def local(frame, event, arg):
            return local

        def hook(frame, event, arg):
            return local if frame.f_code is code else None

        sys.settrace(hook)
        try:
            fn()
        finally:
            sys.settrace(None)
        return
    tool = next(t for t in (5, 4, 3, 2, 1, 0) if mon.get_tool(t) is None)
    mon.use_tool_id(tool, "bench-floor")
    mon.register_callback(tool, mon.events.LINE, lambda code, line: None)
    mon.set_local_events(tool, code, mon.events.LINE)
    try:
        fn()
    finally:
        mon.set_local_events(tool, code, 0)
        mon.register_callback(tool, mon.events.LINE, None)
        mon.free_tool_id(tool)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def child_timing(cfg: dict) -> dict:
    """Untraced, bare-hook and traced runs interleaved round by round, so machine noise hits them alike."""
    import importlib

    from semcoder_tracer import TraceSession

    wl = importlib.import_module(WORKLOAD_MODULE)
    target = wl.__file__
    rounds = cfg["repeats"]
    loop_n, calls_n, snoop_n = cfg["loop_n"], cfg["calls_n"], cfg["snoop_n"]
    res: dict = {"python": platform.python_version(), "executable": sys.executable}
    has_monitoring = hasattr(sys, "monitoring")
    res["core"] = "monitoring" if has_monitoring else "settrace"
    last: dict = {}

    def traced(fn, core="auto", target=target):
        def run():
            last["elapsed"], last["session"], last["result"] = _traced(TraceSession, target, fn, core)

        return run

    # 1. loop-heavy. Untraced runs before any tracing first: on 3.12+ tracing instruments the code object.
    loop = lambda: wl.loop(loop_n)  # noqa: E731
    loop()  # warm-up
    res["loop_untraced_fresh"] = _best(loop, rounds)
    variants = {
        "loop_untraced": loop,
        "loop_floor": lambda: _bare_hook(wl.loop.__code__, loop),
        "loop_traced": traced(loop),
    }
    if has_monitoring and not cfg.get("quick"):
        variants["loop_traced_settrace"] = traced(loop, core="settrace")
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, fn in variants.items():
            best[name] = min(best[name], _timed(fn))
            if name == "loop_traced":
                session, result = last["session"], last["result"]
    res.update(best)
    t0 = time.perf_counter()
    payload = json.dumps({"lines": session.lines(), "calls": session.calls()})
    res["loop_export"] = time.perf_counter() - t0
    res["loop_json_bytes"] = len(payload.encode())
    res["loop_result_ok"] = result == loop_total(loop_n)
    res["loop_check"] = _check_loop(session, target, loop_n)
    del session, payload, last["session"]

    # 2. call-heavy.
    calls = lambda: wl.calls(calls_n)  # noqa: E731
    calls()
    res["calls_untraced"] = res["calls_traced"] = float("inf")
    for _ in range(rounds):
        res["calls_untraced"] = min(res["calls_untraced"], _timed(calls))
        res["calls_traced"] = min(res["calls_traced"], _timed(traced(calls)))
    small = [c for c in last["session"].calls() if c["name"] == "small"]
    res["calls_count"] = small[0]["count"] if small else None
    res["calls_count_exact"] = res["calls_count"] == calls_n
    res["calls_result_ok"] = last["result"] == wl.calls(calls_n)
    final = small[0]["records"][-1] if small else {}
    res["calls_last_return_ok"] = final.get("return_repr") == repr(last["result"])
    del last["session"]

    # 2b. the same loop inside a long function.
    big_n = cfg["big_n"]
    bw = importlib.import_module(BIG_MODULE)
    big = lambda: bw.big(big_n)  # noqa: E731
    big()
    variants = {
        "big_fixed": traced(lambda: bw.big(0), target=bw.__file__),  # session start/stop, parsing the file
        "big_untraced": big,
        "big_floor": lambda: _bare_hook(bw.big.__code__, big),
        "big_traced": traced(big, target=bw.__file__),
    }
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, fn in variants.items():
            best[name] = min(best[name], _timed(fn))
    res.update(best)
    res["big_result_ok"] = last["result"] == loop_total(big_n)
    res["big_events"] = sum(rec["hits"] for rec in _file_lines(last["session"], bw.__file__).values())
    del last["session"]

    # 3. PySnooper vs ours on the same, smaller loop.
    res["snoop_n"] = snoop_n
    short = lambda: wl.loop(snoop_n)  # noqa: E731
    res["snoop_untraced"] = _best(short, rounds)
    res["snoop_ours"] = min(_timed(traced(short)) for _ in range(rounds))
    res["snoop_events"] = sum(rec["hits"] for rec in _file_lines(last["session"], target).values())
    res["session_fixed"] = min(_timed(traced(lambda: wl.loop(0))) for _ in range(rounds))
    del last["session"]
    try:
        import pysnooper
    except ImportError as exc:
        res["pysnooper"] = None
        res["pysnooper_note"] = f"not importable: {exc}"
    else:
        res["pysnooper"] = getattr(pysnooper, "__version__", "?")
        with open(os.devnull, "w") as sink:  # a stream, not a path: PySnooper re-opens a path on every write
            snooped = pysnooper.snoop(output=sink, color=False)(wl.loop)
            snooped(100)
            res["snoop_pysnooper"] = _best(lambda: snooped(snoop_n), rounds)
    return res


def child_memory(cfg: dict) -> dict:
    import importlib

    from semcoder_tracer import TraceSession

    wl = importlib.import_module(WORKLOAD_MODULE)
    n = cfg["loop_n"]
    res: dict = {"rss_start_mb": _maxrss_mb()}
    if cfg["traced"]:
        t, session, result = _traced(TraceSession, wl.__file__, lambda: wl.loop(n))
        res["rss_after_run_mb"] = _maxrss_mb()
        payload = json.dumps({"lines": session.lines(), "calls": session.calls()})
        res["json_bytes"] = len(payload.encode())
        res["check"] = _check_loop(session, wl.__file__, n)
    else:
        t0 = time.perf_counter()
        result = wl.loop(n)
        t = time.perf_counter() - t0
        res["rss_after_run_mb"] = _maxrss_mb()
    res["seconds"] = t
    res["result_ok"] = result == loop_total(n)
    gc.collect()
    res["rss_peak_mb"] = _maxrss_mb()
    return res


def child_main(cfg: dict) -> None:
    kind = cfg["kind"]
    res = child_timing(cfg) if kind == "timing" else child_memory(cfg)
    print("@@RESULT@@" + json.dumps(res))


# ---------------------------------------------------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------------------------------------------------


def _version_of(python: str):
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return tuple(int(p) for p in out.stdout.strip().split("."))


def find_pythons(wanted: list[str] | None) -> list[tuple[tuple[int, ...], str]]:
    """(version, path) for this interpreter and every ~/.pyenv Python >= 3.9, one per version, oldest first."""
    explicit = [w for w in wanted or () if os.path.sep in w]  # paths given with --pythons come first
    candidates = explicit + [sys.executable] + sorted(glob.glob(os.path.join(PYENV_VERSIONS, "*", "bin", "python")))
    found: dict[tuple[int, ...], str] = {}
    for path in candidates:
        if not os.path.exists(path):
            continue
        version = _version_of(path)
        if version is None or version[:2] < MIN_VERSION or version in found:
            continue
        found[version] = path
    result = sorted(found.items())
    if wanted:

        def keep(version, path) -> bool:
            text = ".".join(map(str, version))
            for w in wanted:
                if os.path.sep in w:
                    if os.path.realpath(w) == os.path.realpath(path):
                        return True
                elif text == w or text.startswith(w + "."):
                    return True
            return False

        result = [(v, p) for v, p in result if keep(v, p)]
    return result


def ensure_pysnooper(python: str, install: bool) -> str | None:
    """None when PySnooper imports in ``python`` (installing it with pip if allowed), else a note."""
    probe = [python, "-c", "import pysnooper"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return None
    if not install:
        return "PySnooper not installed (--no-install)"
    try:
        pip = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "pysnooper"],
            capture_output=True,
            text=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        return "pip install pysnooper timed out"
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return None
    tail = (pip.stderr or pip.stdout).strip().splitlines()[-1:] or ["?"]
    return f"pip install pysnooper failed: {tail[0][:100]}"


def make_sandbox(tracer_src: str = TRACER_SRC) -> str:
    """A temp dir holding ``semcoder_tracer`` (a copy of semcoder_core/tracer) and the workload modules."""
    root = tempfile.mkdtemp(prefix="semcoder-tracer-bench-")
    shutil.copytree(tracer_src, os.path.join(root, "semcoder_tracer"), ignore=shutil.ignore_patterns("__pycache__"))
    for module, text in ((WORKLOAD_MODULE, WORKLOAD), (BIG_MODULE, BIG_WORKLOAD)):
        with open(os.path.join(root, module + ".py"), "w") as f:
            f.write(text)
    return root


def run_child(python: str, sandbox: str, cfg: dict, timeout: float = 300) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = sandbox
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [python, os.path.abspath(__file__), "--child", json.dumps(cfg)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=sandbox, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("@@RESULT@@"):
            return json.loads(line[len("@@RESULT@@") :])
    err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {proc.returncode}: {err[:200]}"}


def _verdict(ok) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def _ratio(a, b):
    return a / b if a is not None and b else None


def _x(value, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec) + "x"


def _ms(seconds, spec: str = ".1f") -> str:
    return "-" if seconds is None else format(seconds * 1e3, spec)


def _table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows if i < len(r)]) for i, h in enumerate(headers)]
    out = [title, "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    return "\n".join(out)


def summarize(results: list[dict], config: dict) -> tuple[str, list[dict]]:
    """The printed report, and one PASS/MISS/n/a entry per target and Python."""
    checks: list[dict] = []

    def check(version: str, name: str, value: str, limit: str, ok) -> str:
        checks.append({"python": version, "target": name, "value": value, "limit": limit, "result": _verdict(ok)})
        return _verdict(ok)

    loop_rows, call_rows, big_rows, snoop_rows, mem_rows, exact_rows = [], [], [], [], [], []
    for r in results:
        v = r["version"]
        t = r["timing"]
        if "error" in t:
            loop_rows.append([v, "error: " + t["error"]])
            check(v, "timing run", t["error"], "no error", False)
        else:
            base = min(t["loop_untraced"], t["loop_untraced_fresh"])
            ratio = t["loop_traced"] / base
            limit = LOOP_RATIO_NEW if tuple(map(int, v.split(".")[:2])) >= (3, 12) else LOOP_RATIO_OLD
            loop_rows.append(
                [
                    v,
                    t["core"],
                    _ms(base),
                    _ms(t["loop_traced"]),
                    _x(ratio),
                    f"<= {limit:g}x",
                    check(v, "loop-heavy traced/untraced", _x(ratio), f"<= {limit:g}x", ratio <= limit),
                    _x(t["loop_floor"] / base),
                    _x(_ratio(t["loop_traced"], t["loop_floor"])),
                    _x(_ratio(t.get("loop_traced_settrace"), base)) if "loop_traced_settrace" in t else "",
                    _ms(t["loop_export"]),
                ]
            )
            cratio = t["calls_traced"] / t["calls_untraced"]
            per_call = (t["calls_traced"] - t["calls_untraced"]) / config["calls_n"] * 1e6
            call_rows.append([v, _ms(t["calls_untraced"]), _ms(t["calls_traced"]), _x(cratio), f"{per_call:.2f}"])

            small_us = (t["loop_traced"] - t["loop_untraced"]) / (3 * config["loop_n"]) * 1e6
            big_us = (t["big_traced"] - t["big_fixed"] - t["big_untraced"]) / t["big_events"] * 1e6
            floor_us = (t["big_floor"] - t["big_untraced"]) / t["big_events"] * 1e6
            big_rows.append(
                [
                    v,
                    _ms(t["big_untraced"], ".2f"),
                    _ms(t["big_floor"], ".1f"),
                    _ms(t["big_traced"], ".1f"),
                    _x(t["big_traced"] / t["big_untraced"], ".1f"),
                    f"{floor_us:.3f}",
                    f"{big_us:.3f}",
                    f"{small_us:.3f}",
                    _x(big_us / small_us, ".1f"),
                    "yes" if t["big_result_ok"] else "NO",
                ]
            )

            events = t["snoop_events"] or 1
            row = [v, f"{t['snoop_n']:,}", f"{events:,}", _ms(t["snoop_untraced"], ".2f"), _ms(t["snoop_ours"], ".2f")]
            row.append(f"{t['snoop_ours'] / events * 1e6:.3f}")
            row.insert(5, _ms(t["session_fixed"], ".2f"))
            if t.get("pysnooper"):
                speed = t["snoop_pysnooper"] / t["snoop_ours"]
                row += [
                    _ms(t["snoop_pysnooper"], ".0f"),
                    f"{t['snoop_pysnooper'] / events * 1e6:.2f}",
                    _x(t["snoop_pysnooper"] / t["snoop_untraced"], ".0f"),
                    _x(speed, ".0f"),
                    check(v, "ours vs PySnooper speedup", _x(speed, ".0f"), f">= {SNOOP_SPEEDUP:g}x", speed >= 50),
                ]
            else:
                note = r.get("pysnooper_note") or t.get("pysnooper_note") or "PySnooper unavailable"
                row += ["-", "-", "-", "-", check(v, "ours vs PySnooper speedup", note, f">= {SNOOP_SPEEDUP:g}x", None)]
                row[-1] += f" ({note})"
            snoop_rows.append(row)

            c = t["loop_check"]
            calls_ok = t["calls_count_exact"] and t["calls_last_return_ok"]
            exact_rows.append(
                [
                    v,
                    f"{c['x_hits']:,} / {c['total_hits']:,}",
                    f"{c['for_hits']:,}",
                    check(v, "loop hit counts exact", f"{c['x_hits']}/{c['total_hits']}", "== n", c["hits_exact"]),
                    str(c["total_last"]),
                    check(v, "last states exact", str(c["total_last"]), c["total_expected"], c["last_state_exact"]),
                    f"{t['calls_count']:,}" if t["calls_count"] is not None else "-",
                    check(v, "call count and last return exact", str(t["calls_count"]), "== calls", calls_ok),
                    "yes" if t["loop_result_ok"] and t["calls_result_ok"] else "NO",
                ]
            )

        m_un, m_tr = r["mem_untraced"], r["mem_traced"]
        if "error" in m_un or "error" in m_tr:
            error = str(m_un.get("error") or m_tr.get("error"))
            mem_rows.append([v, "error: " + error])
            check(v, "memory run", error, "no error", False)
            continue
        limit_mb = MEM_FACTOR * m_un["rss_peak_mb"] + MEM_SLACK_MB
        size = m_tr["json_bytes"]
        c = m_tr["check"]
        mem_rows.append(
            [
                v,
                f"{m_un['rss_peak_mb']:.1f}",
                f"{m_tr['rss_peak_mb']:.1f}",
                f"{limit_mb:.1f}",
                check(
                    v,
                    "peak RSS",
                    f"{m_tr['rss_peak_mb']:.1f} MB",
                    f"<= {limit_mb:.1f} MB",
                    m_tr["rss_peak_mb"] <= limit_mb,
                ),
                f"{size:,}",
                check(v, "trace JSON size", f"{size:,} B", f"< {JSON_LIMIT:,} B", size < JSON_LIMIT),
                "yes" if c["hits_exact"] and c["last_state_exact"] and m_tr["result_ok"] else "NO",
            ]
        )

    n, calls_n, rounds = config["loop_n"], config["calls_n"], config["repeats"]
    parts = [
        _table(
            f"1. Loop-heavy: 3-line loop x {n:,}, best of {rounds} interleaved rounds (ms). floor = a hook that does"
            " nothing (settrace local tracer < 3.12, sys.monitoring LINE callback on 3.12+)",
            [
                "python",
                "core",
                "untraced",
                "traced",
                "ratio",
                "target",
                "",
                "floor",
                "ours/floor",
                "settrace",
                "export ms",
            ],
            loop_rows,
        ),
        _table(
            f"\n2. Call-heavy: small(a, b) called {calls_n:,} times from a loop, both traced (ms; no target)",
            ["python", "untraced", "traced", "ratio", "extra us/iteration (1 call + 3 line events)"],
            call_rows,
        ),
        _table(
            f"\n2b. Long function: the same loop x {config['big_n']:,} at the top of a function {3 * BIG_BLOCKS} lines"
            " longer (not run) (ms; us = extra per line event, after the fixed cost of a session; no target: big/small"
            " should stay near 1x)",
            [
                "python",
                "untraced",
                "floor",
                "traced",
                "ratio",
                "floor us",
                "ours us",
                "small-loop us",
                "big/small",
                "ok",
            ],
            big_rows,
        ),
        _table(
            "\n3. Ours vs PySnooper on the loop, same n (ms; PySnooper writes to a stream on os.devnull, color off;"
            " events = line events; ours n=0 = session start/stop around an empty loop)",
            [
                "python",
                "n",
                "events",
                "untraced",
                "ours",
                "ours n=0",
                "ours us/ev",
                "PySnooper",
                "PySn us/ev",
                "PySn/untraced",
                "speedup",
                f">= {SNOOP_SPEEDUP:g}x",
            ],
            snoop_rows,
        ),
        _table(
            f"\n4. Memory and trace size: loop x {n:,} in fresh processes (peak ru_maxrss, MB)",
            [
                "python",
                "untraced",
                "traced",
                f"<= {MEM_FACTOR:g}x+{MEM_SLACK_MB:g}",
                "",
                "JSON bytes",
                "< 1 MB",
                "exact",
            ],
            mem_rows,
        ),
        _table(
            "\n5. Exactness (timing process): hits of `x = i * 2` / `total += x`, of the `for` line, last state of"
            " `total += x`, calls of small()",
            ["python", "body hits", "for hits", "", "total (last)", "", "small() calls", "", "results"],
            exact_rows,
        ),
    ]
    return "\n".join(parts), checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds, no settrace-core row on 3.12+, no pip install")
    parser.add_argument("--pythons", help="comma-separated versions (3.12, 3.9.18) or interpreter paths")
    parser.add_argument("--json", metavar="PATH", help="also write all numbers and verdicts as JSON")
    parser.add_argument("--repeats", type=int, help="rounds, best of N (default 3, 2 with --quick)")
    parser.add_argument("--no-install", action="store_true", help="do not pip-install PySnooper where it is missing")
    parser.add_argument(
        "--tracer", metavar="DIR", default=TRACER_SRC, help="tracer package to measure (default: semcoder_core/tracer)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(json.loads(args.child))
        return 0

    config = {
        "loop_n": LOOP_N,
        "calls_n": CALLS_N,
        "big_n": BIG_N,
        "snoop_n": SNOOP_N,
        "repeats": args.repeats or (2 if args.quick else 3),
        "quick": args.quick,
        "tracer": os.path.abspath(args.tracer),
    }
    wanted = [w.strip() for w in args.pythons.split(",") if w.strip()] if args.pythons else None
    pythons = find_pythons(wanted)
    if not pythons:
        print("no Python >= 3.9 found", file=sys.stderr)
        return 0
    started = time.perf_counter()
    print(f"semcoder tracer overhead ({platform.node()}, {os.cpu_count()} CPUs; trust ratios, not seconds)")
    print("Pythons: " + ", ".join(f"{'.'.join(map(str, v))} ({p})" for v, p in pythons))
    print(f"Tracer: {args.tracer}")
    sandbox = make_sandbox(args.tracer)
    results = []
    try:
        for version, python in pythons:
            v = ".".join(map(str, version))
            print(f"  {v}: ", end="", flush=True)
            entry: dict = {"version": v, "python": python}
            note = ensure_pysnooper(python, install=not (args.no_install or args.quick))
            if note:
                entry["pysnooper_note"] = note
            t0 = time.perf_counter()
            entry["timing"] = run_child(python, sandbox, dict(config, kind="timing"))
            print(f"timing {time.perf_counter() - t0:.1f}s", end="", flush=True)
            t0 = time.perf_counter()
            entry["mem_untraced"] = run_child(python, sandbox, dict(config, kind="memory", traced=False))
            entry["mem_traced"] = run_child(python, sandbox, dict(config, kind="memory", traced=True))
            print(f", memory {time.perf_counter() - t0:.1f}s", flush=True)
            results.append(entry)
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)

    report, checks = summarize(results, config)
    print()
    print(report)
    print(
        f"\nTargets: loop-heavy <= {LOOP_RATIO_NEW:g}x untraced on 3.12+, <= {LOOP_RATIO_OLD:g}x on 3.9-3.11;"
        f" >= {SNOOP_SPEEDUP:g}x faster than PySnooper; peak RSS <= {MEM_FACTOR:g}x untraced + {MEM_SLACK_MB:g} MB;"
        f" trace JSON < {JSON_LIMIT:,} bytes; hit counts and last states exact."
    )
    misses = [c for c in checks if c["result"] == "MISS"]
    skipped = [c for c in checks if c["result"] == "n/a"]
    print(f"{len(checks) - len(misses) - len(skipped)} PASS, {len(misses)} MISS, {len(skipped)} n/a")
    for c in misses + skipped:
        print(f"  {c['result']}: {c['python']} {c['target']}: {c['value']} (target {c['limit']})")
    print(f"total {time.perf_counter() - started:.0f}s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": config, "results": results, "checks": checks}, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
