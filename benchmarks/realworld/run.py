"""Run the test suites of pinned PyPI libraries under plain pytest and under ``semcoder debug``; compare.

    python benchmarks/realworld/run.py                      # every library in libraries.json
    python benchmarks/realworld/run.py --only inflection    # one (or a comma-separated few)
    python benchmarks/realworld/run.py --json               # the results as one JSON document on stdout
    python benchmarks/realworld/run.py --keep --workdir /tmp/rw   # keep the unpacked trees and venvs

For each library of ``libraries.json`` (next to this file) it:

1. downloads the sdist from PyPI with ``pip download`` into a cache folder (``--cache``, default
   ``~/.cache/semcoder/realworld``) unless a file with the pinned sha256 is already there, and checks the sha256;
2. unpacks it twice into a throwaway folder: one copy to install from (building writes into the tree), one copy
   whose tests run;
3. creates a throwaway venv (``python -m venv``) and pip-installs the pinned pytest, the library's pinned test
   dependencies and the library itself (so ``src/`` layouts import);
4. runs ``python -m pytest -q -p no:cacheprovider TARGET`` with the venv's python in the project (plain; wall time
   T), with a small observer plugin (``-p``, loaded from the workdir) that writes each test's outcome by node id;
5. runs ``semcoder debug PROJECT/TARGET --json --python VENV_PYTHON`` (wall time D) and reads its JSON document:
   ``summary`` counts the outcomes of the untraced suite run, ``tests`` holds one traced entry per test that did
   not pass there.

It prints a table: tests, failures under plain pytest, T, D, D / (1.5 T + 5) (the issue's budget: at most 1),
spurious failures (failing under debug, not under plain), missed failures (failing under plain, not reported by
debug), crashed entries (status ``crashed``, or a debug run that did not end ``ok``), entries whose node id is blank
or unknown to plain pytest, and how many of the N slowest tests (``--trace-slowest``, default 2) ended alike when
traced one by one with ``semcoder trace NODE --json``; then, per library, each such entry with its status and
exception. Exit status 0 when every library agrees exactly, 1 when any shows a spurious or missed failure, a crash,
a bad node id, a different test count or a slow test that ends otherwise when traced, 2 when the corpus could not
be set up (download, checksum, install).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "libraries.json"
DEFAULT_CACHE = Path.home() / ".cache" / "semcoder" / "realworld"
FAILING = ("failed", "error")  # outcomes of the observer plugin that count as a failure
DEBUG_OK = ("passed", "skipped")  # outcomes of semcoder's untraced run that are not failures

# Written into the workdir and loaded with ``-p realworld_observer``: the outcome of every test by node id
# (the same rule as semcoder's pytest plugin: a failed call is "failed", a failed setup or teardown "error",
# a skip or an xfail "skipped"), and collection errors as "error" under the collector's node id.
OBSERVER = """
import json, os

_OUT = {}
_DURATIONS = {}


def pytest_runtest_logreport(report):
    _DURATIONS[report.nodeid] = _DURATIONS.get(report.nodeid, 0.0) + report.duration
    current = _OUT.get(report.nodeid, "passed")
    if report.failed and current != "failed":
        _OUT[report.nodeid] = "failed" if report.when == "call" else "error"
    elif report.skipped and current == "passed":
        _OUT[report.nodeid] = "skipped"
    else:
        _OUT.setdefault(report.nodeid, current)


def pytest_collectreport(report):
    if report.failed:
        _OUT[report.nodeid or "<collection>"] = "error"


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["REALWORLD_OUTCOMES"], "w") as f:
        json.dump({"exitstatus": int(exitstatus), "tests": _OUT, "durations": _DURATIONS}, f)
"""


class SetupError(Exception):
    """The corpus could not be prepared (download, checksum, unpacking, install)."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    return json.loads(path.read_text())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist(lib: dict[str, Any], cache: Path) -> Path:
    """The library's sdist in ``cache``, downloaded with pip unless a file with the pinned sha256 is there."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / lib["sdist"]
    if path.is_file() and sha256_of(path) == lib["sha256"]:
        return path
    log(f"  downloading {lib['name']}=={lib['version']} (sdist)")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        cmd += [f"{lib['name']}=={lib['version']}", "-d", tmp]
        # pip prepares the sdist's metadata: with the build backend of this interpreter when it has it (seconds),
        # else in an isolated build environment it installs first
        proc = subprocess.run([*cmd, "--no-build-isolation"], capture_output=True, text=True)
        if proc.returncode != 0:
            proc = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmp) / lib["sdist"]
        if proc.returncode != 0 or not got.is_file():
            raise SetupError(f"pip download of {lib['name']}=={lib['version']} failed:\n{proc.stderr[-2000:]}")
        actual = sha256_of(got)
        if actual != lib["sha256"]:
            raise SetupError(f"{lib['sdist']}: sha256 {actual}, the manifest pins {lib['sha256']}")
        os.replace(got, path)
    return path


def unpack(sdist: Path, into: Path) -> Path:
    """Unpack the sdist into ``into``; the one top-level folder it holds."""
    into.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # Python < 3.12 without the backported filter: the archive is pinned by its sha256
            tar.extractall(into)
    (top,) = [p for p in into.iterdir() if p.is_dir()]
    return top


def remove_listed(lib: dict[str, Any], project: Path) -> None:
    """Delete the files and folders the manifest's ``remove`` lists from an unpacked tree."""
    for rel in lib.get("remove", []):
        victim = project / rel["path"]
        if victim.is_dir():
            shutil.rmtree(victim)
        elif victim.exists():
            victim.unlink()


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def make_venv(lib: dict[str, Any], manifest: dict[str, Any], build_tree: Path, venv: Path, base: str) -> Path:
    log(f"  venv + pip install ({', '.join([manifest['pytest'], *lib['test_deps']])}, {lib['name']})")
    proc = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SetupError(f"python -m venv failed for {lib['name']}:\n{proc.stderr[-2000:]}")
    python = venv_python(venv)
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    cmd += [manifest["pytest"], *lib["test_deps"], str(build_tree)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SetupError(f"pip install failed for {lib['name']}:\n{proc.stderr[-3000:]}")
    return python


def pip_freeze(python: Path) -> list[str]:
    """What the venv holds (transitive dependencies are not pinned by the manifest: the results record them)."""
    cmd = [str(python), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.stdout.split()


def run_plain(python: Path, project: Path, target: str, workdir: Path, timeout_s: float) -> dict[str, Any]:
    """Plain pytest in the project; each test's outcome by node id and the wall time."""
    plugin_dir = workdir / "observer"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "realworld_observer.py").write_text(OBSERVER)
    outcomes = workdir / f"plain-{project.parent.name}.json"
    env = dict(os.environ, REALWORLD_OUTCOMES=str(outcomes))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_dir), env.get("PYTHONPATH")]))
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "realworld_observer", target]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"time_s": time.perf_counter() - start, "error": f"plain pytest ran past {timeout_s:.0f} s"}
    elapsed = time.perf_counter() - start
    if not outcomes.is_file():
        return {"time_s": elapsed, "error": f"plain pytest wrote no outcomes:\n{(proc.stdout + proc.stderr)[-2000:]}"}
    data = json.loads(outcomes.read_text())
    tail = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    return {
        "time_s": elapsed,
        "exitstatus": data["exitstatus"],
        "tests": data["tests"],
        "durations": data["durations"],
        "last_line": "".join(tail),
    }


ISOLATION: list[str] = []  # ["--isolation", MODE] when --isolation is given


def semcoder_command() -> list[str]:
    exe = shutil.which("semcoder")
    return [exe] if exe else [sys.executable, "-m", "semcoder_core.cli"]


def run_debug(python: Path, project: Path, target: str, timeout_s: float) -> dict[str, Any]:
    """``semcoder debug PROJECT/TARGET --json --python VENV_PYTHON``: its document and the wall time."""
    path = project if target in ("", ".") else project / target
    cmd = [*semcoder_command(), "debug", str(path), "--json", "--python", str(python), *ISOLATION]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"time_s": time.perf_counter() - start, "error": f"semcoder debug ran past {timeout_s:.0f} s"}
    elapsed = time.perf_counter() - start
    try:
        document = json.loads(proc.stdout)
    except json.JSONDecodeError:
        output = (proc.stdout + proc.stderr)[-3000:]
        return {"time_s": elapsed, "error": f"semcoder debug (exit {proc.returncode}) printed no JSON:\n{output}"}
    return {"time_s": elapsed, "exit": proc.returncode, "document": document}


def trace_slowest(python: Path, project: Path, plain: dict[str, Any], count: int, timeout_s: float) -> list[dict]:
    """``semcoder trace NODE --json`` of the ``count`` slowest tests of the plain run that passed or failed: a
    traced run must end as the untraced one did (a slow test that times out only when traced is the calibration
    of per-test limits going wrong)."""
    durations: dict[str, float] = plain.get("durations", {})
    tests: dict[str, str] = plain.get("tests", {})
    candidates = [n for n in tests if tests[n] in ("passed", *FAILING) and "::" in n]
    out = []
    for node in sorted(candidates, key=lambda n: -durations.get(n, 0.0))[:count]:
        cmd = [*semcoder_command(), "trace", node, "--json", "--python", str(python), *ISOLATION]
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=timeout_s)
            document = json.loads(proc.stdout)
        except subprocess.TimeoutExpired:
            document = {"status": "no-result", "exception": {"type": "Timeout", "message": f"past {timeout_s:.0f} s"}}
        except json.JSONDecodeError:
            document = {"status": "no-result", "exception": {"type": "NoJSON", "message": proc.stderr[-1000:]}}
        status = document.get("status")
        expected_ok = tests[node] == "passed"
        test = document.get("test") or {}
        out.append(
            {
                "nodeid": node,
                "plain": tests[node],
                "plain_duration_s": round(durations.get(node, 0.0), 3),
                "status": status,
                "traced_nodeid": test.get("nodeid"),
                "trace_time_s": round(time.perf_counter() - start, 2),
                "cause": _cause(document),
                "agrees": (status == "ok") == expected_ok and test.get("nodeid") == node,
            }
        )
    return out


def _entry_id(entry: dict[str, Any]) -> str:
    test = entry.get("test") or {}
    return str(test.get("nodeid") or "")


def _cause(entry: dict[str, Any]) -> str:
    exc = entry.get("exception") or {}
    if not exc:
        return ""
    text = f"{exc.get('type', '?')}: {exc.get('message', '')}".strip()
    return text[:400]


def compare(plain: dict[str, Any], debug: dict[str, Any]) -> dict[str, Any]:
    """What debug reported against what plain pytest reported, node id by node id."""
    plain_tests: dict[str, str] = plain.get("tests", {})
    plain_failing = {n for n, o in plain_tests.items() if o in FAILING}
    result: dict[str, Any] = {
        "tests": len(plain_tests),
        "plain_failures": sorted(plain_failing),
        "spurious": [],
        "missed": [],
        "crashed": [],
        "bad_ids": [],
        "traced_passes": [],
        "entries": [],
        "debug_status": None,
        "debug_summary": None,
    }
    if "error" in plain:
        result["setup_error"] = plain["error"]
    if "error" in debug:
        result["debug_status"] = "no-result"
        result["crashed"].append({"nodeid": None, "status": "no-result", "cause": debug["error"]})
        result["missed"] = sorted(plain_failing)
        return result
    doc = debug["document"]
    result["debug_status"] = doc.get("status")
    result["debug_summary"] = doc.get("summary")
    if doc.get("status") != "ok":
        exc = doc.get("exception") or {}
        cause = f"{exc.get('type', '?')}: {exc.get('message', '')}" if exc else (doc.get("stderr") or "")[-1500:]
        result["crashed"].append({"nodeid": None, "status": doc.get("status"), "cause": cause})
    entries = doc.get("tests") or []
    debug_failing: set[str] = set()
    for entry in entries:
        node = _entry_id(entry)
        status = entry.get("status")
        test_outcome = (entry.get("test") or {}).get("outcome")
        row = {"nodeid": node, "status": status, "outcome": test_outcome, "cause": _cause(entry)}
        result["entries"].append(row)
        if not node or node not in plain_tests:
            result["bad_ids"].append(row)
        if status == "crashed" or test_outcome == "crashed":
            result["crashed"].append(row)
        if status == "ok":  # failed in the untraced suite run, passed when traced
            result["traced_passes"].append(row)
        if node:
            debug_failing.add(node)
            if node not in plain_failing:
                result["spurious"].append(row)
    result["missed"] = sorted(plain_failing - debug_failing)
    summary = doc.get("summary") or {}
    if summary:
        result["debug_total"] = summary.get("total")
        result["debug_failing_count"] = sum(v for k, v in summary.items() if k != "total" and k not in DEBUG_OK)
        if summary.get("total") != len(plain_tests):
            result["count_mismatch"] = f"plain pytest ran {len(plain_tests)} tests, debug's run {summary.get('total')}"
    return result


def run_library(lib: dict[str, Any], manifest: dict[str, Any], args: argparse.Namespace, workdir: Path) -> dict:
    log(f"{lib['name']}=={lib['version']}")
    sdist = fetch_sdist(lib, args.cache)
    base = workdir / lib["name"]
    if base.exists():
        shutil.rmtree(base)
    build_tree = unpack(sdist, base / "build")
    project = unpack(sdist, base / "project")
    for extra in args.extra_test or []:  # a test file of the caller's (the slice test's known failures)
        dest = project / lib["target"] / extra.name
        shutil.copyfile(extra, dest)
    remove_listed(lib, project)
    python = make_venv(lib, manifest, build_tree, base / "venv", args.python)
    log("  plain pytest")
    plain = run_plain(python, project, lib["target"], base, args.timeout)
    log(f"  semcoder debug (plain pytest took {plain['time_s']:.1f} s)")
    debug = run_debug(python, project, lib["target"], args.timeout)
    result = compare(plain, debug)
    if args.trace_slowest:
        log(f"  semcoder trace of the {args.trace_slowest} slowest tests")
        result["traced_slowest"] = trace_slowest(python, project, plain, args.trace_slowest, args.timeout)
    t, d = plain["time_s"], debug["time_s"]
    result.update(
        name=lib["name"],
        version=lib["version"],
        plain_time_s=round(t, 2),
        debug_time_s=round(d, 2),
        budget_ratio=round(d / (1.5 * t + 5), 3),
        plain_last_line=plain.get("last_line"),
        venv=pip_freeze(python),
    )
    known = set(lib.get("known_plain_failures", []))
    result["unexpected_plain_failures"] = sorted(set(result["plain_failures"]) - known)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return result


def failed(result: dict[str, Any]) -> bool:
    keys = ("spurious", "missed", "crashed", "bad_ids")
    if any(not t["agrees"] for t in result.get("traced_slowest", [])):
        return True
    return any(result.get(k) for k in keys) or "setup_error" in result or "count_mismatch" in result


def print_table(results: list[dict[str, Any]]) -> None:
    head = ["library", "tests", "plain fail", "T (s)", "D (s)", "D/(1.5T+5)", "spurious", "missed", "crashed", "bad id"]
    head.append("slowest traced alike")
    rows = [head]
    for r in results:
        if "fatal" in r:
            rows.append([r["name"], "setup failed", *[""] * (len(head) - 2)])
            continue
        rows.append(
            [
                f"{r['name']} {r['version']}",
                str(r["tests"]),
                str(len(r["plain_failures"])),
                f"{r['plain_time_s']:.1f}",
                f"{r['debug_time_s']:.1f}",
                f"{r['budget_ratio']:.2f}",
                str(len(r["spurious"])),
                str(len(r["missed"])),
                str(len(r["crashed"])),
                str(len(r["bad_ids"])),
                f"{sum(t['agrees'] for t in r.get('traced_slowest', []))}/{len(r.get('traced_slowest', []))}",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for r in results:
        if "fatal" in r:
            print(f"\n{r['name']}: {r['fatal']}")
            continue
        lines = []
        if "setup_error" in r:
            lines.append(f"  plain pytest: {r['setup_error']}")
        if r["debug_status"] != "ok":
            lines.append(f"  debug status: {r['debug_status']}")
        if "count_mismatch" in r:
            lines.append(f"  {r['count_mismatch']}")
        for key, label in (("spurious", "spurious"), ("crashed", "crashed"), ("bad_ids", "bad id")):
            for row in r[key]:
                lines.append(f"  {label}: {row['nodeid']!r} [{row['status']}] {row['cause']}")
        for node in r["missed"]:
            lines.append(f"  missed: {node}")
        for row in r["traced_passes"]:
            lines.append(f"  failed untraced, passed traced: {row['nodeid']}")
        for t in r.get("traced_slowest", []):
            if not t["agrees"]:
                lines.append(
                    f"  trace {t['nodeid']} ({t['plain']} in {t['plain_duration_s']} s untraced): "
                    f"[{t['status']}] node id {t['traced_nodeid']!r} {t['cause']}"
                )
        for node in r["unexpected_plain_failures"]:
            lines.append(f"  fails under plain pytest (not in known_plain_failures): {node}")
        if lines:
            print(f"\n{r['name']} {r['version']} (plain: {r['plain_last_line']}; debug summary: {r['debug_summary']})")
            print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated library names from libraries.json")
    parser.add_argument("--keep", action="store_true", help="keep the workdir (unpacked trees, venvs, outputs)")
    parser.add_argument("--workdir", type=Path, help="where to unpack and build (default: a new temporary folder)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"sdist cache (default {DEFAULT_CACHE})")
    parser.add_argument("--python", default=sys.executable, help="interpreter the venvs are made from")
    parser.add_argument("--timeout", type=float, default=1800.0, help="limit for each pytest / debug run, seconds")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON document")
    parser.add_argument(
        "--trace-slowest",
        type=int,
        default=2,
        metavar="N",
        help="also `semcoder trace` each library's N slowest tests one by one (default 2; 0: none)",
    )
    parser.add_argument(
        "--extra-test",
        type=Path,
        action="append",
        help="copy this test file into each library's target folder before both runs (repeatable)",
    )
    parser.add_argument(
        "--isolation", choices=("auto", "bwrap", "copy"), help="passed on to semcoder (default: its own setting)"
    )
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.isolation:
        ISOLATION[:] = ["--isolation", args.isolation]
    manifest = load_manifest(args.manifest)
    libs = manifest["libraries"]
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - {lib["name"] for lib in libs})
        if unknown:
            parser.error(f"unknown library {', '.join(unknown)}; known: {', '.join(lib['name'] for lib in libs)}")
        libs = [lib for lib in libs if lib["name"] in wanted]
    args.cache = args.cache.expanduser().resolve()
    made_workdir = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="semcoder-realworld-")) if made_workdir else args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    setup_failed = False
    try:
        for lib in libs:
            try:
                results.append(run_library(lib, manifest, args, workdir))
            except SetupError as e:
                setup_failed = True
                results.append({"name": lib["name"], "version": lib["version"], "fatal": str(e)})
    finally:
        if made_workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.keep:
            log(f"kept {workdir}")
    if args.json:
        document = {"python": args.python, "semcoder": semcoder_command(), "isolation": args.isolation}
        print(json.dumps({**document, "libraries": results}, indent=1))
    else:
        print_table(results)
    if setup_failed:
        return 2
    return 1 if any(failed(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
