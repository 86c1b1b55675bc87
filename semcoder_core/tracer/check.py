"""Check candidate edits against tests: one warmed process, one fork per candidate.

The parent imports pytest and its plugins once (the second or so that a fresh
``python -m pytest`` spends before running anything). Each candidate then runs
in a forked child that serves the candidate's text in place of the files on
disk through an import hook, runs the tests without tracing, reports the
outcome of each test and exits. A child that outlives its time is killed; one
that runs out of memory dies alone: the run's memory cgroup holds it, and the
kernel's OOM killer picks it rather than this worker (its oom_score_adj is raised).
"""

from __future__ import annotations

import gc
import importlib.abc
import importlib.machinery
import json
import os
import select
import signal
import sys
import tempfile
import time

from .agent import TestTimeout


class _Buffer(importlib.abc.SourceLoader):
    """Loads a module from a candidate's text; no byte-code cache is read or written."""

    def __init__(self, fullname: str, path: str, source: str) -> None:
        self.name, self.path, self.source = fullname, path, source

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        if path == self.path:
            return self.source.encode("utf-8")
        with open(path, "rb") as fh:
            return fh.read()


class _Overlay(importlib.abc.MetaPathFinder):
    def __init__(self, files: dict[str, str]) -> None:
        self.files = {os.path.realpath(k): v for k, v in files.items()}

    def find_spec(self, fullname, path, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.origin and os.path.realpath(spec.origin) in self.files:
            origin = os.path.realpath(spec.origin)
            spec.loader = _Buffer(fullname, spec.origin, self.files[origin])
            return spec
        return None


class _Outcomes:
    def __init__(self) -> None:
        self.tests: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.errors: list[str] = []
        self.timed_out: set[str] = set()

    def pytest_runtest_logreport(self, report) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.nodeid in self.timed_out:
            self.tests[report.nodeid] = "timeout"
        elif report.failed:
            self.tests[report.nodeid] = "failed" if report.when == "call" else "error"
        elif report.nodeid not in self.tests:
            self.tests[report.nodeid] = "skipped" if report.skipped else "passed"
        elif report.skipped and self.tests[report.nodeid] == "passed":
            self.tests[report.nodeid] = "skipped"

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.errors.append(report.longreprtext[-2000:])


def _warm_up() -> None:
    """One pytest session over an empty folder: pytest and its plugins import what they import
    lazily (hypothesis' plugin imports all of hypothesis at the end of a session: 1.8 s), so the
    children start with it loaded. Then freeze the heap: the children's gc passes skip it."""
    import pytest

    empty = tempfile.mkdtemp(prefix="semcoder-warm-")
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        pytest.main(["-q", "-p", "no:cacheprovider", "--collect-only", empty])
    except BaseException:  # noqa: BLE001 - a broken plugin breaks the children the same way
        pass
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
        os.rmdir(empty)
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()


class _TestTimer:
    """A test whose call runs past its own limit ends as ``timeout`` and the run goes on with the
    next test: a candidate that makes one test loop for ever is still judged on the others, and a
    test that hung before a candidate can be a test the candidate fixes. TestTimeout is not an
    ``Exception``: ``except Exception`` in the program does not swallow it, and it is raised again
    every 0.25 s if the program swallows it anyway."""

    def __init__(self, outcomes: _Outcomes, limits: dict[str, float], default: float | None) -> None:
        self.outcomes, self.limits, self.default = outcomes, limits, default
        self.running: str | None = None

    def _on_alarm(self, signum, frame) -> None:
        if self.running is None:
            return
        self.outcomes.timed_out.add(self.running)
        signal.setitimer(signal.ITIMER_REAL, 0.25)
        raise TestTimeout()

    def pytest_runtest_call(self, item):  # a hook wrapper (marked once in check(), where pytest is imported)
        limit = self.limits.get(item.nodeid, self.default)
        if not limit:
            yield
            return
        self.running = item.nodeid
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, float(limit))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.running = None


def _child(
    node_ids: list[str], files: dict[str, str], args: list[str], write_fd: int, limits: dict[str, float], default
) -> None:
    import pytest

    sys.meta_path.insert(0, _Overlay(files))
    outcomes = _Outcomes()
    timer = _TestTimer(outcomes, limits, default)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the tests' output is not wanted here
    try:
        base = ["-p", "no:cacheprovider", "-q", "--color=no", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        code = int(pytest.main([*base, *args, *node_ids], plugins=[outcomes, timer]))
    except BaseException as exc:  # noqa: BLE001 - whatever the candidate does, report what is known
        code = 3
        outcomes.errors.append(f"{type(exc).__name__}: {exc}"[-2000:])
    durations = {k: round(v, 4) for k, v in outcomes.durations.items()}
    payload = {"exit_code": code, "tests": outcomes.tests, "durations": durations, "errors": outcomes.errors}
    os.write(write_fd, json.dumps(payload).encode())
    os.close(write_fd)


def _run_one(
    node_ids: list[str],
    files: dict[str, str],
    args: list[str],
    per: float,
    limits: dict[str, float] | None = None,
    default: float | None = None,
) -> dict:
    """One test run of a candidate in a forked child: ``{"status", "tests", "exit_code", "errors"}``."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:  # killed first when the run is out of memory
                fh.write("1000")
        except OSError:
            pass
        try:
            _child(node_ids, files, args, write_fd, limits or {}, default)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks = []
    status = "done"
    deadline = time.monotonic() + per
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            status = "timeout"
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([read_fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read_fd)
    _, wait_status = os.waitpid(pid, 0)
    result: dict = {"status": status, "tests": {}, "durations": {}, "exit_code": None, "errors": []}
    if status == "done":
        try:
            result.update(json.loads(b"".join(chunks)))
        except ValueError:
            signum = os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else None
            result["status"] = "crashed" if signum != signal.SIGKILL else "memory-limit"
    return result


def check(guard, request: dict) -> None:
    """Emit one result per candidate, as each ends.

    A candidate runs ``stages`` in order (default: one stage of the request's node ids), each a
    test run in a fresh fork; it stops at the first stage where a test of that stage's
    ``require`` list did not pass. A stage's ``deselect`` node ids are left out of its run. Each
    test's call may last ``test_timeouts[node id]`` seconds (default ``test_timeout``; none: only
    the candidate's ``candidate_timeout`` per stage bounds it); past it the test is ``timeout``
    and the run goes on. The result: ``{"id", "status", "tests", "durations", "stages":
    [tests...], "duration_s"}`` with ``status``, ``tests`` and ``durations`` those of the last
    stage run: ``done``, ``timeout``, ``crashed`` or ``memory-limit``."""
    guard.disarm()
    _warm_up()
    import pytest

    pytest.hookimpl(hookwrapper=True)(_TestTimer.pytest_runtest_call)
    args = list(request.get("pytest_args", []))
    per = float(request.get("candidate_timeout", 10.0))
    limits = {k: float(v) for k, v in (request.get("test_timeouts") or {}).items()}
    default = request.get("test_timeout")
    stage_one = [{"node_ids": list(request.get("node_ids", [])), "require": []}]
    for item in request["candidates"]:
        started = time.monotonic()
        stages = []
        result: dict = {}
        for stage in item.get("stages") or stage_one:
            deselect = [part for node in stage.get("deselect", []) for part in ("--deselect", node)]
            result = _run_one(list(stage["node_ids"]), item.get("files", {}), args + deselect, per, limits, default)
            stages.append(result["tests"])
            tests = result["tests"]
            if result["status"] != "done" or any(tests.get(n) != "passed" for n in stage.get("require", [])):
                break
        result["id"] = item["id"]
        result["stages"] = stages
        result["duration_s"] = round(time.monotonic() - started, 4)
        guard.emit(result)
