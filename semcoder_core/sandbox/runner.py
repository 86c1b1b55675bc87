"""Run a call or pytest node ids in a child process of the project's interpreter, under the tracer."""

from __future__ import annotations

import atexit
import copy
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, cast

from ..errors import SemcoderError
from ..tracer.schema import PytestRun, Trace
from . import isolation
from .interpreter import find_interpreter, probe
from .limits import Limits


class RunCancelled(SemcoderError):
    """The run was cancelled (``cancel`` was set); its processes are gone."""


TRACER_DIR = Path(__file__).resolve().parent.parent / "tracer"
# Time for the interpreter, pytest and collection to start, on top of the tests' own time.
STARTUP_S = 30.0
# A test still running at 1.5 x its limit + this (the in-process timer could not stop it) is killed.
TEST_KILL_GRACE_S = 5.0
_agent_dir: str | None = None


def agent_dir() -> str:
    """A folder holding the tracer as the top-level package ``semcoder_tracer`` (made once per process)."""
    global _agent_dir
    if _agent_dir is None or not os.path.isdir(_agent_dir):
        base = tempfile.mkdtemp(prefix="semcoder-agent-")
        os.chmod(base, 0o755)
        shutil.copytree(
            TRACER_DIR, os.path.join(base, "semcoder_tracer"), ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        _agent_dir = base
        atexit.register(shutil.rmtree, base, True)
    return _agent_dir


@dataclass
class RawRun:
    results: list[dict]
    stdout: str
    stderr: str
    stdout_truncated: bool
    returncode: int | None
    killed: bool
    duration_s: float
    isolation: str
    timeout_s: float = 0.0
    cancelled: bool = False
    extra: dict = field(default_factory=dict)


class Sandbox:
    """Runs targets of one project. ``isolation`` is ``auto``, ``bwrap`` or ``copy``."""

    def __init__(
        self,
        project: str | Path,
        python: str | None = None,
        limits: Limits | None = None,
        isolation_mode: str = "auto",
        caps: dict | None = None,
        core: str = "auto",
    ) -> None:
        self.project = Path(project).resolve()
        if not self.project.is_dir():
            raise SemcoderError(f"project folder not found: {project}")
        self.interpreter = probe(find_interpreter(self.project, python))
        self.limits = limits or Limits()
        self.caps = caps or {}
        self.core = core
        if isolation_mode == "auto":
            isolation_mode = "bwrap" if isolation.bwrap_path() else "copy"
        elif isolation_mode == "bwrap" and not isolation.bwrap_path():
            raise SemcoderError("bubblewrap (bwrap) is not installed; install it or use isolation 'copy'")
        self.isolation = isolation_mode

    def with_caps(self, **changes) -> Sandbox:
        """The same sandbox with other tracing caps (``max_states``, ``max_repr``, ``own_reprs``)."""
        other = copy.copy(self)
        other.caps = {**self.caps, **changes}
        return other

    def with_limits(self, **changes) -> Sandbox:
        """The same project, interpreter and isolation under other limits (e.g. a longer timeout)."""
        other = copy.copy(self)
        other.limits = self.limits.model_copy(update=changes)
        return other

    # -- public jobs ---------------------------------------------------------------

    def trace_call(
        self,
        file: str | Path,
        expr: str,
        targets: list[str] | None = None,
        overlay: dict[str, str] | None = None,
        cancel: threading.Event | None = None,
    ) -> Trace:
        """Trace ``expr`` evaluated in the module of ``file``; returns the trace JSON document.

        ``overlay`` maps files of the project to the text to run instead of what is on disk (the
        editor's unsaved buffers); setting ``cancel`` kills the run and raises :class:`RunCancelled`."""
        request = {"mode": "call", "file": str(Path(file).resolve()), "expr": expr}
        raw = self._run(request, targets, self.limits.timeout_s, overlay, cancel)
        return cast(Trace, self._single(raw))  # the tracer's JSON, in the shape of tracer/schema.py

    def trace_calls(
        self, items: list[tuple[str, str, str]], targets: list[str] | None = None, timeout_s: float | None = None
    ) -> dict[str, Trace]:
        """Trace many ``(id, file, expr)`` calls, many per process; a call that kills its process is
        reported as crashed and the rest go on in a new one."""
        per_call = timeout_s or self.limits.timeout_s
        results: dict[str, Trace] = {}
        pending = list(items)
        while pending:
            request = {
                "mode": "calls",
                "calls": [
                    {"id": i, "file": str(Path(f).resolve()), "expr": e, "timeout": per_call} for i, f, e in pending
                ],
            }
            raw = self._run(request, targets, per_call * len(pending))
            for result in raw.results:
                results[result.pop("id")] = cast(Trace, result)
            pending = [item for item in pending if item[0] not in results]
            if pending:
                ident = pending.pop(0)[0]
                results[ident] = cast(Trace, self._no_result(raw))
        return results

    def run_tests(
        self,
        node_ids: list[str],
        trace: bool = True,
        targets: list[str] | None = None,
        total_timeout_s: float | None = None,
        overlay: dict[str, str] | None = None,
        cancel: threading.Event | None = None,
        test_timeouts: dict[str, float] | None = None,
        test_timeout_s: float | None = None,
        keep_going: bool = False,
        select: bool = False,
    ) -> PytestRun:
        """Run pytest node ids (or paths); with ``trace``, each test gets its own trace. With ``keep_going``,
        the tests of modules that collect run even where another module does not (an editor's runs: one
        half-edited module must not stop the traces of every other file); the errors are still reported.

        Each test has a time limit of its own: ``test_timeouts[nodeid]``, else ``test_timeout_s``,
        else ``limits.timeout_s``; one that runs out is reported as a timeout and the run goes on
        with the next. The whole run (interpreter and pytest start-up, collection, every test) ends
        at ``total_timeout_s``, by default start-up time plus each node's limit.

        Results stream from the process as each test ends. When the process dies mid-suite
        (segfault, ``os._exit``, the kernel's OOM kill) or pytest breaks in its own code
        (INTERNALERROR), the test that was running is reported (``crashed``, ``memory-limit``)
        and the tests left run in a new process, like pytest-xdist does for a crashed worker.

        With ``select``, pytest collects the files of ``node_ids`` and runs the collected tests that
        ``node_ids`` name (a parametrized test's id names each of its cases): a node id that names no
        test (a planner's guess) is left out instead of failing the whole run."""
        per_test = test_timeout_s or self.limits.timeout_s
        if total_timeout_s is None:
            limits = [(test_timeouts or {}).get(n, per_test) for n in node_ids] or [per_test]
            total_timeout_s = STARTUP_S + sum(limits)
        deadline = time.monotonic() + total_timeout_s
        tests: dict[str, dict] = {}
        args = list(dict.fromkeys(n.partition("::")[0] for n in node_ids)) if select else list(node_ids)
        collected: list[str] | None = None
        import_lines: dict = {}  # what the first process traced of the imports before its first test
        first: dict | None = None
        last: dict | None = None
        restarts = 0
        broken = stalled = False
        while True:
            before = len(tests)
            request = {
                "mode": "pytest",
                "node_ids": args,
                "trace": trace,
                "test_timeout": per_test,
                "test_timeouts": dict(test_timeouts or {}),
                "stream": True,
            }
            if select:
                request["select"] = list(node_ids)
            budget = max(deadline - time.monotonic(), 1.0)
            running_now: dict = {"node": None, "since": 0.0, "killed": None}

            def on_event(event: dict, running_now: dict = running_now) -> None:
                if event.get("event") == "start":
                    running_now.update(node=event["nodeid"], since=time.monotonic())
                elif event.get("event") == "test":
                    running_now["node"] = None

            def past_its_limit(running_now: dict = running_now) -> bool:
                """A test stuck where the in-process timer cannot raise (a long call in C) is killed
                from here, and the rest of the suite goes on in a new process."""
                node = running_now["node"]
                if node is None:
                    return False
                limit = (test_timeouts or {}).get(node, per_test)
                if time.monotonic() - running_now["since"] > limit * 1.5 + TEST_KILL_GRACE_S:
                    running_now["killed"] = (node, limit)
                    return True
                return False

            raw = self._run(request, targets, budget, overlay, cancel, on_event, past_its_limit)
            summary, running, paths = None, None, {}
            for event in raw.results:
                kind = event.get("event")
                if kind == "collected":
                    paths = dict(zip(event["nodeids"], event["paths"]))
                    if collected is None:
                        collected = list(event["nodeids"])
                        import_lines = event.get("import_lines") or {}
                elif kind == "start":
                    running = event["nodeid"]
                elif kind == "test":
                    tests[event["test"]["nodeid"]] = event["test"]
                    running = None if running == event["test"]["nodeid"] else running
                else:
                    summary = event
            if summary is not None:
                for test in summary.get("tests") or []:
                    tests[test["nodeid"]] = test
                running = None if running in tests else running
            elif running_now["killed"] is not None:  # killed from here: past its limit
                node, limit = running_now["killed"]
                tests[node] = self._crashed_test(node, raw)
                tests[node]["outcome"] = "timeout"
                message = (
                    f"did not finish within {limit:g} s and was killed (stuck outside Python code, e.g. a long C call)"
                )
                tests[node]["exception"] = dict(tests[node]["exception"], type="Timeout", message=message)
                tests[node]["failure"].update(message=message, full_message=message)
            elif running is not None:  # the process died while this test ran
                tests[running] = self._crashed_test(running, raw)
            last = summary if summary is not None else self._no_result(raw)
            if running_now["killed"] is not None:
                last.update(status="crashed")  # one test's timeout, not the run's: _run_status decides
            last.update(
                stdout=raw.stdout,
                stderr=raw.stderr[-20_000:],
                stdout_truncated=raw.stdout_truncated,
                wall_s=raw.duration_s,
            )
            first = first or last
            internal = summary is not None and bool(summary.get("internal_error"))
            # os._exit sends the run so far with the status "crashed" before the process ends.
            broken = summary is None or internal or summary.get("status") == "crashed"
            left = [n for n in (collected or []) if n not in tests]
            # Go on only past a test that was reported now: a process that breaks before any test
            # (a plugin's error at session start) would break the same way again.
            stalled = broken and bool(left) and len(tests) == before
            run_killed = raw.killed and running_now["killed"] is None
            if not broken or not left or collected is None or run_killed or raw.cancelled or stalled:
                break
            if time.monotonic() >= deadline or restarts >= len(collected):
                break
            restarts += 1
            args = [paths.get(n, n) for n in left]
        if first is not None and first is not last and first.get("collect_errors") and not last.get("collect_errors"):
            last["collect_errors"] = first["collect_errors"]
        result = dict(last or {})
        order = {n: i for i, n in enumerate(collected or [])}
        result["tests"] = sorted(tests.values(), key=lambda t: order.get(t["nodeid"], len(order)))
        result["isolation"] = self.isolation
        result["restarts"] = restarts
        if import_lines:
            result["import_lines"] = import_lines
        if result["tests"] and (restarts or broken) and not stalled:
            result.update(_run_status(result, self.limits.memory_mb))
        result.setdefault("duration_s", result.get("wall_s", 0.0))
        if keep_going and not result["tests"] and result.get("collect_errors"):
            failed = cast(PytestRun, result)
            per_test_limits = {"test_timeouts": test_timeouts, "test_timeout_s": test_timeout_s}
            return self._without_broken_modules(failed, node_ids, trace, overlay, cancel, per_test_limits)
        return cast(PytestRun, result)  # the tracer's JSON, in the shape of tracer/schema.py

    def _without_broken_modules(
        self,
        failed: PytestRun,
        node_ids: list[str],
        trace: bool,
        overlay: dict[str, str] | None,
        cancel: threading.Event | None,
        limits: dict,
    ) -> PytestRun:
        """pytest runs nothing when one node id's module cannot be collected (``--continue-on-collection-errors``
        does not help: "found no collectors" for that id ends the session). Run the others again, and report
        the collection errors with their results (status ``error``)."""
        broken = {e["nodeid"] for e in failed.get("collect_errors") or []}
        rest = [n for n in node_ids if n.split("::")[0] not in broken]
        if not rest or len(rest) == len(node_ids):
            return failed
        again = self.run_tests(rest, trace, overlay=overlay, cancel=cancel, **limits)
        again["collect_errors"] = list(failed.get("collect_errors") or []) + list(again.get("collect_errors") or [])
        if again.get("status") in ("ok", "exception"):
            again["status"], again["exception"] = "error", failed.get("exception")
        return again

    def _crashed_test(self, nodeid: str, raw: RawRun) -> dict:
        """The test a process died in: why, from how it ended (``crashed``, ``memory-limit``, ``timeout``)."""
        why = self._no_result(raw)
        outcome = why["status"] if why["status"] in ("memory-limit", "timeout") else "crashed"
        test = {
            "nodeid": nodeid,
            "outcome": outcome,
            "duration_s": raw.duration_s,
            "exception": why["exception"],
            "stdout": "",
            "lines": {},
            "calls": [],
        }
        message = why["exception"]["message"]
        test["failure"] = {
            "test": nodeid,
            "message": message,
            "full_message": message,
            "file": why["exception"]["file"],
            "line": why["exception"]["line"],
            "expected": None,
            "actual": None,
        }
        return test

    def check_candidates(
        self,
        node_ids: list[str],
        candidates: list[tuple[str, dict[str, str]]],
        candidate_timeout_s: float,
        cancel: threading.Event | None = None,
        stages: list[dict] | None = None,
        test_timeouts: dict[str, float] | None = None,
        test_timeout_s: float | None = None,
        on_result: Callable[[dict], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> dict[str, dict]:
        """Run ``node_ids`` (untraced) once per ``(id, {path: text})`` candidate, in one warmed process
        that forks per candidate. Returns id -> ``{"status", "tests": {node id: outcome},
        "durations": {node id: seconds}, ...}``. With ``stages`` (``[{"node_ids", "require",
        "deselect"}]``) each candidate runs them in order and stops at the first stage where a
        required test did not pass (see tracer/check.py). A test's call may last
        ``test_timeouts[node id]`` (default ``test_timeout_s``) before it ends as ``timeout``;
        ``candidate_timeout_s`` bounds each stage's run. ``on_result`` gets each result (with its
        ``id``) as it arrives; ``stop()`` returning True ends the run (candidates not reached are
        left out of the result)."""
        results: dict[str, dict] = {}
        pending = list(candidates)
        runs_each = len(stages) if stages else 1
        while pending:
            request = {
                "mode": "check",
                "node_ids": list(node_ids),
                "candidate_timeout": candidate_timeout_s,
                "test_timeouts": dict(test_timeouts or {}),
                "test_timeout": test_timeout_s,
                "candidates": [{"id": i, "files": files, "stages": stages} for i, files in pending],
            }
            budget = STARTUP_S + (candidate_timeout_s + 0.5) * len(pending) * runs_each
            raw = self._run(request, None, budget, None, cancel, on_result, stop)
            for result in raw.results:
                results[result.pop("id")] = result
            if stop is not None and stop():
                break
            if not raw.results and pending:  # the worker itself could not start: say why, once
                failure = self._no_result(raw)
                for ident, _ in pending:
                    results[ident] = {"status": "error", "tests": {}, "exception": failure["exception"]}
                    if on_result is not None:
                        on_result(dict(results[ident], id=ident))
                break
            pending = [c for c in pending if c[0] not in results]
            if pending:  # the worker died on this one (it reports each candidate as it ends)
                ident = pending.pop(0)[0]
                results[ident] = {"status": "crashed", "tests": {}, "exception": self._no_result(raw)["exception"]}
                if on_result is not None:
                    on_result(dict(results[ident], id=ident))
        return results

    def run_programs(
        self,
        programs: list[tuple],
        output_cap: int = 4096,
        preload: list[str] | None = None,
        cancel: threading.Event | None = None,
        on_result: Callable[[dict], None] | None = None,
    ) -> dict[str, dict]:
        """Run each ``(id, code, timeout_s)`` program as ``__main__`` in one sandboxed worker that forks
        per program (tracer/evalcheck.py). Returns id -> ``{"status", "exception", "output",
        "output_bytes", "duration_s", "timeout_s"}``, status ``passed`` only when the program ran to
        its end; ``on_result`` is called with each result as it arrives. A fourth element, a dict, is
        passed on with the program (``reference`` / ``calibrate``: limits measured on a reference
        solution; ``timeout_s`` then only bounds the whole run)."""
        results: dict[str, dict] = {}
        pending = list(programs)
        while pending:
            request = {
                "mode": "programs",
                "programs": [
                    {**(p[3] if len(p) > 3 else {}), "id": p[0], "code": p[1], "timeout": p[2]} for p in pending
                ],
                "output_cap": output_cap,
                "preload": list(preload or []),
                "pid_namespace": self.isolation == "bwrap",
            }
            budget = STARTUP_S + sum(p[2] + 0.5 for p in pending)
            raw = self._run(request, None, budget, None, cancel, on_result)
            for result in raw.results:
                results[result.pop("id")] = result
            if not raw.results and pending:  # the worker itself could not start: say why, once
                failure = self._no_result(raw)["exception"]
                for p in pending:
                    results[p[0]] = {"status": "error", "exception": failure, "output": "", "output_bytes": 0}
                break
            pending = [p for p in pending if p[0] not in results]
            if pending:  # the worker died during this one
                ident = pending.pop(0)[0]
                failure = self._no_result(raw)["exception"]
                results[ident] = {"status": "crashed", "exception": failure, "output": "", "output_bytes": 0}
                if on_result is not None:
                    on_result(dict(results[ident], id=ident))
        return results

    # -- the run -----------------------------------------------------------------

    def _single(self, raw: RawRun) -> dict:
        result = raw.results[0] if raw.results else self._no_result(raw)
        result["stdout"] = raw.stdout
        result["stderr"] = raw.stderr[-20_000:]
        result["stdout_truncated"] = raw.stdout_truncated
        result["isolation"] = raw.isolation
        result.setdefault("duration_s", raw.duration_s)
        result["wall_s"] = raw.duration_s
        return result

    def _no_result(self, raw: RawRun) -> dict:
        """The process ended without a result: say why from its exit and its stderr."""
        code = raw.returncode
        if raw.isolation == "bwrap" and code is not None and code > 128 and (code - 128) in signal.valid_signals():
            code = -(code - 128)  # bwrap exits with 128 + N when its child was killed by signal N
        where = _faulthandler_location(raw.stderr, str(self.project))
        if raw.killed:
            status, message = "timeout", f"did not finish within {raw.timeout_s:g} s and was killed"
        elif code is not None and code < 0:
            sig = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            if -code in (signal.SIGXCPU, signal.SIGKILL) and raw.duration_s >= raw.timeout_s:
                status, message = "timeout", f"used more than {raw.timeout_s:g} s of CPU and was killed"
            else:
                status, message = "crashed", f"the process was killed by {sig}"
        else:
            status = "crashed"
            message = f"the process exited with code {code} before reporting"
            if "MemoryError" in raw.stderr:
                status, message = "memory-limit", f"ran out of memory (limit {self.limits.memory_mb} MB)"
        if not raw.killed and raw.extra.get("oom_kills"):
            status = "memory-limit"
            message = (
                f"used more than its memory limit ({self.limits.memory_mb} MB in use) and was killed by the kernel"
            )
        return {
            "status": status,
            "return_repr": None,
            "lines": {},
            "calls": [],
            "exception": {"type": status, "message": message, "file": where[0], "line": where[1]},
            "duration_s": raw.duration_s,
        }

    def _run(
        self,
        request: dict,
        targets: list[str] | None,
        timeout_s: float,
        overlay: dict[str, str] | None = None,
        cancel: threading.Event | None = None,
        on_result: Callable[[dict], None] | None = None,
        watch: Callable[[], bool] | None = None,
    ) -> RawRun:
        """``watch``, called about every 0.1 s while the run lasts, ends it (``killed``) by returning True."""
        limits = self.limits
        run_id = uuid.uuid4().hex[:12]
        work = tempfile.mkdtemp(prefix="semcoder-run-")
        os.chmod(work, 0o755)
        project = str(self.project)
        run_root = project
        cage = None
        max_tasks = limits.max_processes + isolation.TASKS_FOR_THREADS + 1
        cgroups = isolation.RunCgroups(run_id, limits.memory_mb, max_tasks if self.isolation == "copy" else None)
        try:
            if self.isolation == "copy":
                run_root = isolation.copy_project(project, work)
            binds = _write_overlay(overlay or {}, project, run_root, work)
            targets = [_rebase(t, project, run_root) for t in (targets or [project])]
            request = dict(
                request,
                project=run_root,
                targets=targets,
                timeout=timeout_s,
                memory_mb=limits.memory_mb,
                max_processes=limits.max_processes,
                max_tasks=max_tasks,
                memory_cgroup=cgroups.memory is not None,
                process_count="namespace"
                if self.isolation == "bwrap"
                else (str(cgroups.pids / "cgroup.procs") if cgroups.pids is not None else None),
                # The run has a network namespace of its own (its loopback reaches nothing outside).
                private_network=self.isolation == "bwrap" or bool(isolation.namespace_prefix(project)),
                max_file_mb=limits.max_file_mb,
                caps=self.caps,
                core=self.core,
            )
            for key in ("file",):
                if key in request:
                    request[key] = _rebase(request[key], project, run_root)
            for item in request.get("calls", []):
                item["file"] = _rebase(item["file"], project, run_root)
            for item in request.get("candidates", []):
                item["files"] = {_rebase(k, project, run_root): v for k, v in item["files"].items()}
            request_file = os.path.join(work, "request.json")
            with open(request_file, "w") as fh:
                json.dump(request, fh)
            os.chmod(request_file, 0o644)
            env = {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": "/tmp" if self.isolation == "bwrap" else work,
                "LANG": "C.UTF-8",
                "PYTHONPATH": "/semcoder/agent" if self.isolation == "bwrap" else agent_dir(),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONIOENCODING": "utf-8",
                "SEMCODER_RUN_ID": run_id,
                # hypothesis keeps its example database in the project (.hypothesis/), which a
                # bwrap run sees read-only: it warns, and `filterwarnings = error` fails the test.
                "HYPOTHESIS_STORAGE_DIRECTORY": os.path.join(
                    "/tmp" if self.isolation == "bwrap" else work, ".hypothesis"
                ),
            }
            if self.interpreter.prefix != self.interpreter.base_prefix:
                env["VIRTUAL_ENV"] = self.interpreter.prefix
            read_fd, write_fd = os.pipe()
            if self.isolation == "bwrap":
                # The throwaway uid cannot read a private project (a 0700 folder): bind a readable copy.
                source = project
                new_files = _new_files(overlay or {}, project)
                # A new file needs a mount point the read-only project cannot give: run on a copy then.
                if new_files or (isolation.drops_uid() and not isolation.readable_by_others(project)):
                    source = isolation.copy_project(project, work, world_readable=True)
                    for root in self.interpreter.roots():  # mount points for a venv inside the project
                        if root.startswith(project + os.sep):
                            os.makedirs(source + root[len(project) :], exist_ok=True)
                    _write_new_files(new_files, project, source)
                cmd = isolation.bwrap_command(
                    isolation.bwrap_path() or "bwrap",
                    project,
                    self.interpreter.roots(),
                    agent_dir(),
                    request_file,
                    self.interpreter.executable,
                    env,
                    project_source=source,
                    overlay=binds,
                )
                popen_env = {"PATH": env["PATH"]}
                cwd = "/"
            else:
                cmd = isolation.namespace_prefix(project)
                cmd += [self.interpreter.executable, "-m", "semcoder_tracer", request_file]
                popen_env = env
                cwd = run_root
                cage = isolation.ProcessGroupCage(run_id, cgroups)
            cmd = cgroups.enter_prefix() + cmd
            cmd.append(str(write_fd))
            if cancel is not None and cancel.is_set():  # cancelled while being set up: start nothing
                os.close(read_fd)
                os.close(write_fd)
                if cage is not None:
                    cage.kill_all(None)
                raise RunCancelled("the run was cancelled")
            started = time.monotonic()
            try:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    pass_fds=(write_fd,),
                    env=popen_env,
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                os.close(read_fd)
                if cage is not None:
                    cage.kill_all(None)
                raise SemcoderError(f"cannot start the sandbox: {exc}") from exc
            finally:
                os.close(write_fd)
            raw = self._collect(proc, read_fd, started + timeout_s + limits.grace_s, cage, cancel, on_result, watch)
            if raw.cancelled:
                raise RunCancelled("the run was cancelled")
            raw.duration_s = round(time.monotonic() - started, 6)
            raw.timeout_s = timeout_s
            raw.extra["oom_kills"] = cgroups.oom_kills()
            raw.extra["memory_peak_mb"] = cgroups.peak_mb()
            if run_root != project:
                raw.results = [_map_paths(r, run_root, project) for r in raw.results]
                raw.stderr = raw.stderr.replace(run_root, project)
            return raw
        finally:
            cgroups.remove()  # after the run's processes are gone (_terminate)
            shutil.rmtree(work, ignore_errors=True)

    def _collect(
        self,
        proc: subprocess.Popen,
        read_fd: int,
        deadline: float,
        cage,
        cancel: threading.Event | None,
        on_result: Callable[[dict], None] | None = None,
        watch: Callable[[], bool] | None = None,
    ) -> RawRun:
        cap = self.limits.max_output_bytes
        buffers = {"out": bytearray(), "err": bytearray(), "res": bytearray()}
        truncated = {"out": False, "err": False}
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "out")  # type: ignore[arg-type]
        sel.register(proc.stderr, selectors.EVENT_READ, "err")  # type: ignore[arg-type]
        sel.register(read_fd, selectors.EVENT_READ, "res")
        open_streams = 3
        killed = cancelled = False
        exited_at = None
        while open_streams:
            now = time.monotonic()
            if now >= deadline:
                killed = True
                break
            if cancel is not None and cancel.is_set():
                killed = cancelled = True
                break
            if watch is not None and watch():
                killed = True
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > 0.5:
                break  # something the run left behind holds the pipes open
            for key, _ in sel.select(timeout=min(0.1, max(deadline - now, 0.001))):
                fd = key.fileobj if isinstance(key.fileobj, int) else key.fileobj.fileno()  # type: ignore[union-attr]
                chunk = os.read(fd, 65536)
                name = key.data
                if not chunk:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                buf = buffers[name]
                if name == "res":
                    if on_result is not None:
                        _announce(buf, chunk, on_result)
                    buf.extend(chunk)
                    continue
                room = max(cap - len(buf), 0)  # past the cap the output is read and dropped
                buf.extend(chunk[:room])
                if len(chunk) > room:
                    truncated[name] = True
        sel.close()
        self._terminate(proc, cage)
        # Whatever the result pipe still holds (the loop may have stopped on a leftover process).
        os.set_blocking(read_fd, False)
        try:
            while chunk := os.read(read_fd, 65536):
                buffers["res"].extend(chunk)
        except (BlockingIOError, OSError):
            pass
        os.close(read_fd)
        results = []
        for line in bytes(buffers["res"]).decode("utf-8", "replace").splitlines():
            try:
                results.append(json.loads(line))
            except ValueError:
                break  # cut short by the kill
        return RawRun(
            results=results,
            stdout=bytes(buffers["out"]).decode("utf-8", "replace"),
            stderr=bytes(buffers["err"]).decode("utf-8", "replace"),
            stdout_truncated=truncated["out"],
            returncode=proc.returncode,
            killed=killed,
            duration_s=0.0,
            isolation=self.isolation,
            cancelled=cancelled,
        )

    def _terminate(self, proc: subprocess.Popen, cage) -> None:
        if self.isolation == "bwrap" and proc.poll() is None:
            # Kill the pid namespace's init, not bwrap: bwrap then exits only once the kernel has
            # reaped every process of the namespace. Killing bwrap itself returns at once while the
            # namespace dies later, so processes of the run would outlive this call for a moment.
            for child in _child_pids(proc.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except OSError:
                    pass
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if cage is not None:
            cage.kill_all(None)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _run_status(result: dict, memory_mb: int) -> dict:
    """Status and exception of a run assembled from several processes: those of its first failing test."""
    if result.get("status") == "timeout":  # the whole run ran out of time: that is its status
        return {}
    bad = {"failed": "exception", "error": "exception", "timeout": "exception", "crashed": "exception"}
    for test in result["tests"]:
        if test["outcome"] == "memory-limit" or (test.get("exception") or {}).get("type") == "MemoryError":
            message = f"ran out of memory (limit {memory_mb} MB)"
            return {
                "status": "memory-limit",
                "exception": {"type": "MemoryError", "message": message, "file": None, "line": None},
            }
    for test in result["tests"]:
        if test["outcome"] in bad:
            return {"status": bad[test["outcome"]], "exception": test["exception"]}
    if result.get("status") == "crashed":  # every test ended; the process died after the last one
        return {"status": "ok", "exception": None}
    return {}


def _announce(received: bytearray, chunk: bytes, on_result: Callable[[dict], None]) -> None:
    """Call ``on_result`` with each result line that ``chunk`` completes (``received`` is what came before)."""
    start = received.rfind(b"\n") + 1
    pending = bytes(received[start:]) + chunk
    for line in pending.split(b"\n")[:-1]:
        try:
            on_result(json.loads(line))
        except ValueError:
            pass


def _write_overlay(overlay: dict[str, str], project: str, run_root: str, work: str) -> list[tuple[str, str]]:
    """Put unsaved buffers in place of their files: written into a copied project, or as files to
    bind over the originals. A buffer of a file not on disk yet goes into a copied project only
    (a bind needs a mount point; see :func:`_new_files` for bwrap)."""
    binds = []
    for n, (path, text) in enumerate(sorted(overlay.items())):
        try:
            real = os.path.realpath(path)
        except ValueError:  # a NUL in the name: no such file can exist
            continue
        if not (real.startswith(project + os.sep) and os.path.isfile(real)):
            continue
        target = _rebase(real, project, run_root)
        if run_root == project:
            target = os.path.join(work, f"overlay-{n}.py")
            binds.append((target, real))
        with open(target, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(text)  # a lone surrogate fails the run with a SyntaxError of the file, not this write
        os.chmod(target, 0o644)
        # A different mtime from the file on disk: a __pycache__ entry of the disk version is stale.
        stamp = int(os.stat(real).st_mtime) - 7
        os.utime(target, (stamp, stamp))
    if run_root != project:
        _write_new_files(_new_files(overlay, project), project, run_root)
    return binds


def _new_files(overlay: dict[str, str], project: str) -> dict[str, str]:
    """The buffers of files inside the project that are not on disk (unsaved new files), by real path."""
    found = {}
    for path, text in overlay.items():
        try:
            real = os.path.realpath(path)
            if real.startswith(project + os.sep) and not os.path.lexists(real):
                found[real] = text
        except ValueError:  # a NUL in the name: no such file can exist
            continue
    return found


def _write_new_files(files: dict[str, str], project: str, copy: str) -> None:
    """Write unsaved new files into ``copy``, a copy of ``project`` (never into the project itself)."""
    for real, text in files.items():
        target = _rebase(real, project, copy)
        if not target.startswith(copy + os.sep):
            continue
        try:
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except OSError:  # a name the copy cannot hold (a file where a folder should be): run without it
            continue
        with open(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(text)
        os.chmod(target, 0o644)


def _rebase(path: str, old: str, new: str) -> str:
    path = os.path.realpath(path)
    if old == new:
        return path
    if path == old or path.startswith(old + os.sep):
        return new + path[len(old) :]
    return path


def _map_paths(value, old: str, new: str):
    if isinstance(value, str):
        return new + value[len(old) :] if value == old or value.startswith(old + os.sep) else value
    if isinstance(value, list):
        return [_map_paths(v, old, new) for v in value]
    if isinstance(value, dict):
        return {_map_paths(k, old, new): _map_paths(v, old, new) for k, v in value.items()}
    return value


_FAULT_LINE = re.compile(r'File "([^"]+)", line (\d+)')


def _faulthandler_location(stderr: str, project: str) -> tuple[str | None, int | None]:
    """faulthandler prints the innermost frame first after a fatal signal: the innermost frame in
    the project (a crash is usually inside a library the project called), else the innermost one."""
    if "Fatal Python error" not in stderr:
        return None, None
    frames = _FAULT_LINE.findall(stderr[stderr.index("Fatal Python error") :])
    for file, line in frames:
        if file.startswith(project.rstrip(os.sep) + os.sep):
            return file, int(line)
    return (frames[0][0], int(frames[0][1])) if frames else (None, None)


def _child_pids(pid: int, live: bool = False) -> list[int]:
    """Direct children of ``pid`` (from /proc/*/stat: /proc/PID/task/*/children is not on every kernel);
    ``live`` leaves out zombies (exited, not yet reaped)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 1 and fields[1] == str(pid).encode() and not (live and fields[0] == b"Z"):
                children.append(int(entry))
    return children
