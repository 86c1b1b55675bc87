"""Run pytest node ids in-process under the tracer, one recording per test."""

from __future__ import annotations

import sys
import time
import traceback

from .agent import Guard, RunTimeout, TestTimeout, _exception_info, _full_repr, _session


class _Plugin:
    def __init__(self, guard: Guard, request: dict) -> None:
        self.guard = guard
        self.request = request
        self.trace = bool(request.get("trace", True))
        self.test_timeout = request.get("test_timeout")
        self.tests: dict[str, dict] = {}
        self.collect_errors: list[dict] = []
        self.current: dict | None = None
        self.session = None

    def _test(self, nodeid: str) -> dict:
        test = self.tests.get(nodeid)
        if test is None:
            test = self.tests[nodeid] = {
                "nodeid": nodeid,
                "outcome": "passed",
                "duration_s": 0.0,
                "failure": None,
                "exception": None,
                "stdout": "",
                "lines": {},
                "calls": [],
            }
        return test

    # pytest hooks; pytest finds them by name.
    def pytest_runtest_logstart(self, nodeid, location):
        self.current = self._test(nodeid)
        if self.test_timeout:
            self.guard.arm(float(self.test_timeout), TestTimeout)
        if self.trace:
            self.session = _session(self.request)
            self.guard.partial = self._partial
            self.session.start()

    def _partial(self) -> dict:
        """What os._exit sends: the tests so far, the one running marked as crashed."""
        self._stop()
        if self.current is not None:
            self.current["outcome"] = "crashed"
        return _summary(self)

    def _stop(self) -> None:
        if self.session is not None and self.current is not None:
            self.session.stop()
            self.current["lines"] = self.session.lines()
            self.current["calls"] = self.session.calls()
            self.session = None

    def pytest_runtest_teardown(self, item, nextitem):
        self._stop()

    def pytest_assertrepr_compare(self, config, op, left, right):
        if self.current is not None and self.current.get("compare") is None:
            self.current["compare"] = {"op": op, "left": _full_repr(left, 10_000), "right": _full_repr(right, 10_000)}
        return None

    def pytest_runtest_makereport(self, item, call):
        if call.excinfo is None or self.current is None or self.current["exception"] is not None:
            return
        exc = call.excinfo.value
        if isinstance(exc, TestTimeout):
            self.current["outcome"] = "timeout"
            self.current["exception"] = self.guard.timeout_exception()
            self.current["when"] = call.when
            return
        info = _exception_info(exc, self.guard.is_target)
        frames = traceback.extract_tb(call.excinfo.tb)
        info["traceback"] = [
            {"file": f.filename, "line": f.lineno, "function": f.name}
            for f in frames
            if self.guard.is_target(f.filename)
        ][-20:]
        self.current["exception"] = info
        self.current["when"] = call.when

    def pytest_runtest_logreport(self, report):
        test = self._test(report.nodeid)
        test["duration_s"] = round(test["duration_s"] + report.duration, 6)
        if report.failed and test["outcome"] != "timeout":
            test["outcome"] = "failed" if report.when == "call" else "error"
        elif report.skipped and test["outcome"] == "passed":
            test["outcome"] = "skipped"
        if report.when == "call":
            test["stdout"] = report.capstdout[-100_000:]
        if report.failed and test["failure"] is None:
            test["failure"] = _failure(test, report)

    def pytest_runtest_logfinish(self, nodeid, location):
        self._stop()
        self.current = None
        if self.test_timeout:
            self.guard.arm(self.guard.timeout)  # back to the run's deadline

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append({"nodeid": report.nodeid, "message": report.longreprtext[-5000:]})


def _failure(test: dict, report) -> dict:
    exc = test.get("exception") or {}
    crash = getattr(report.longrepr, "reprcrash", None)
    message = exc.get("message") or (crash.message if crash else report.longreprtext[-2000:])
    failure = {
        "test": test["nodeid"],
        "message": message.splitlines()[0] if message else "",
        "full_message": message,
        "file": exc.get("file") or (crash.path if crash else None),
        "line": exc.get("line") or (crash.lineno if crash else None),
        "expected": None,
        "actual": None,
    }
    compare = test.get("compare")
    if compare:
        # By convention `assert actual == expected`.
        failure.update(op=compare["op"], actual=compare["left"], expected=compare["right"])
    return failure


def _summary(plugin: _Plugin) -> dict:
    tests = list(plugin.tests.values())
    return {"status": "ok", "tests": tests, "collect_errors": plugin.collect_errors}


def run_pytest(guard: Guard, request: dict) -> dict:
    try:
        import pytest
    except ImportError:
        message = (
            f"pytest is not installed for {sys.executable}: install it there (pip install pytest), "
            "or choose an interpreter that has it (--python, or the `python` setting)"
        )
        return {
            "status": "error",
            "tests": [],
            "collect_errors": [],
            "exception": {"type": "MissingPytest", "message": message, "file": None, "line": None},
        }

    plugin = _Plugin(guard, request)
    args = ["-p", "no:cacheprovider", "-q", "--color=no", "-o", "console_output_style=classic"]
    args += list(request.get("pytest_args", [])) + list(request["node_ids"])
    started = time.perf_counter()
    guard.arm(guard.timeout)
    status, exception = "ok", None
    try:
        code = int(pytest.main(args, plugins=[plugin]))
    except RunTimeout:
        code = 2
    except MemoryError:
        guard.release_memory()
        code = 3
    finally:
        guard.disarm()
        plugin._stop()
    result = _summary(plugin)
    result["exit_code"] = code
    result["duration_s"] = round(time.perf_counter() - started, 6)
    if guard.timed_out:
        status, exception = "timeout", guard.timeout_exception()
        if plugin.current is not None:
            plugin.current["outcome"] = "timeout"
    elif code == 3 or any((t.get("exception") or {}).get("type") == "MemoryError" for t in result["tests"]):
        status = "memory-limit"
        exception = {
            "type": "MemoryError",
            "message": "ran out of memory (limit {} MB)".format(request.get("memory_mb", 1024)),
            "file": None,
            "line": None,
        }
    elif plugin.collect_errors:
        message = plugin.collect_errors[0]["message"]
        status = "syntax-error" if "SyntaxError" in message else "error"
        exception = {"type": "CollectionError", "message": message, "file": None, "line": None}
    elif code in (4, 5) or not result["tests"]:
        status = "error"
        exception = {
            "type": "UsageError",
            "message": "pytest found no test for " + " ".join(request["node_ids"]),
            "file": None,
            "line": None,
        }
    else:
        failed = [t for t in result["tests"] if t["outcome"] in ("failed", "error", "timeout")]
        if failed:
            status, exception = "exception", failed[0]["exception"]
    result["status"], result["exception"] = status, exception
    return result


__all__ = ["run_pytest"]
