"""Run pytest node ids in-process under the tracer, one recording per test.

Results stream: ``{"event": "collected", "nodeids", "paths"}`` once collection is done,
``{"event": "start", "nodeid"}`` as each test starts and ``{"event": "test", "test"}`` as it
ends, then the run's summary. A process that dies mid-suite (segfault, ``os._exit``, the kernel's
OOM kill) has told the parent which test was running and which are left (runner.run_tests)."""

from __future__ import annotations

import functools
import os
import sys
import time
import traceback
from typing import Any

try:
    import pytest

    _wrapper = pytest.hookimpl(hookwrapper=True)
except ImportError:  # reported by run_pytest
    pytest = None  # type: ignore[assignment]

    def _wrapper(function):
        return function


from .agent import Guard, RunTimeout, TestTimeout, _exception_info, _full_repr, _session

# The running test's trace session's ``busy`` flag (its recorder ignores what runs while it is set),
# or None between tests.
_QUIET: list = [None]


def _reporting(function):
    """``function`` only reports a failure (the reprs of an assertion message, a diff of two values):
    the program's code that it runs (a ``__repr__``) is not evidence of what the test did, and the
    trace does not record it."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        busy = _QUIET[0]
        if busy is None or busy[0]:
            return function(*args, **kwargs)
        busy[0] = True
        try:
            return function(*args, **kwargs)
        finally:
            busy[0] = False

    run.semcoder_reporting = True  # type: ignore[attr-defined]
    return run


class _QuietPprint:
    """unittest.case's ``pprint``: its ``pformat`` only builds the diff of a failure message."""

    def __init__(self, module) -> None:
        self._module = module
        self.pformat = _reporting(module.pformat)

    def __getattr__(self, name: str):
        return getattr(self._module, name)


def _quiet_reporting() -> None:
    """Wrap what pytest's rewritten asserts and unittest's assert methods call to describe a failure
    (once per process)."""
    import unittest.case as case

    places: list = [(case, ("safe_repr", "_common_shorten_repr"))]
    try:
        import _pytest.assertion.rewrite as rewrite

        places.append((rewrite, ("_saferepr", "_call_reprcompare", "_format_assertmsg")))
    except ImportError:  # pragma: no cover - reported by run_pytest
        pass
    for module, names in places:
        for name in names:
            function = getattr(module, name, None)
            if callable(function) and not getattr(function, "semcoder_reporting", False):
                setattr(module, name, _reporting(function))
    if not isinstance(getattr(case, "pprint", None), _QuietPprint) and hasattr(case, "pprint"):
        case.pprint = _QuietPprint(case.pprint)  # type: ignore[assignment]


class _Plugin:
    def __init__(self, guard: Guard, request: dict) -> None:
        self.guard = guard
        self.request = request
        self.trace = bool(request.get("trace", True))
        self.test_timeout = request.get("test_timeout")
        self.test_timeouts: dict = request.get("test_timeouts") or {}
        self.stream = bool(request.get("stream"))
        self.tests: dict[str, dict] = {}
        self.collect_errors: list[dict] = []
        self.current: dict | None = None
        self.session = None
        self.internal_error = False
        self.internal_blamed = False  # the internal error was reported against the running test
        self.internal_message = ""
        self.importing: Any = None  # the trace of the imports before the first test (a TraceSession)
        self.import_lines: dict = {}

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
    def pytest_collection_modifyitems(self, session, config, items):
        """With ``select`` (node ids): only the collected tests they name run."""
        wanted = self.request.get("select")
        if wanted is None:
            return
        exact = set(wanted)
        kept, dropped = [], []
        for item in items:
            base = item.nodeid.partition("[")[0]
            (kept if item.nodeid in exact or base in exact else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def start_imports(self) -> None:
        """Trace what runs before the first test: the project's modules as they are imported
        (module-level tables, registries, class bodies). Their lines are evidence for every test."""
        if self.trace:
            self.importing = _session(self.request)
            _QUIET[0] = self.importing.recorder.busy
            self.importing.start()

    def stop_imports(self) -> dict:
        session, self.importing = self.importing, None
        if session is None:
            return {}
        session.stop()
        _QUIET[0] = None
        return session.lines()

    def pytest_collection_finish(self, session):
        self.import_lines = self.stop_imports()
        if self.stream:
            root = str(getattr(session.config, "rootpath", None) or session.config.rootdir)
            ids = [item.nodeid for item in session.items]
            # What a later process is given to run the rest: node ids from the folder the run starts in.
            paths = [_runnable(nodeid, root) for nodeid in ids]
            self.guard.emit({"event": "collected", "nodeids": ids, "paths": paths, "import_lines": self.import_lines})

    def pytest_runtest_logstart(self, nodeid, location):
        if self.importing is not None:  # no collection_finish (an error): the imports end here
            self.import_lines = self.stop_imports()
        self.current = self._test(nodeid)
        if self.stream:
            self.guard.emit({"event": "start", "nodeid": nodeid})
        limit = self.test_timeouts.get(nodeid, self.test_timeout)
        self.guard.start_test(float(limit) if limit else None)
        self.guard.partial = self._partial
        if self.trace:
            self.session = _session(self.request)
            _QUIET[0] = self.session.recorder.busy
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
            _QUIET[0] = None
            self.current["lines"] = self.session.lines()
            self.current["calls"] = self.session.calls()
            self.session = None

    # The test's own code: where its time and memory limits may raise (Guard.gated).
    @_wrapper
    def pytest_runtest_setup(self, item):
        self.guard.resume("setup")
        try:
            yield
        finally:
            self.guard.pause()

    @_wrapper
    def pytest_runtest_call(self, item):
        self.guard.resume("call")
        try:
            yield
        finally:
            self.guard.pause()

    @_wrapper
    def pytest_runtest_teardown(self, item, nextitem):
        self.guard.resume("teardown")
        try:
            yield
        finally:
            self.guard.pause()
            self._stop()

    def pytest_internalerror(self, excrepr, excinfo):
        """pytest failed in its own code: the running test is what broke it; the session ends here
        and the parent runs the tests left in a new process."""
        self.guard.in_test = None
        self.internal_error = True
        exc = excinfo.value
        lines = [line for line in str(excrepr).splitlines() if line.strip()]
        last = lines[-1].removeprefix("INTERNALERROR>").strip() if lines else type(exc).__name__
        self.internal_message = f"pytest failed in its own code: {last}"[:2000]
        test = self.current
        if test is None:
            return None
        self.internal_blamed = True
        self._stop()
        if isinstance(exc, TestTimeout):
            test["outcome"] = "timeout"
            test["exception"] = self.guard.timeout_exception()
        else:
            test["outcome"] = "crashed"
            test["exception"] = {
                "type": "InternalError",
                "message": f"pytest failed in its own code while running this test: {last}"[:2000],
                "file": None,
                "line": None,
            }
        test["failure"] = _failure(test, None)
        self._finish(test["nodeid"])
        return None

    def pytest_assertrepr_compare(self, config, op, left, right):
        if self.current is not None and self.current.get("compare") is None:
            self.current["compare"] = {"op": op, "left": _full_repr(left, 10_000), "right": _full_repr(right, 10_000)}
        return None

    @_wrapper
    def pytest_runtest_makereport(self, item, call):
        """Making the report (the failure's text, the reprs in it) is not the test's doing: the
        program code it runs is not traced."""
        busy = _QUIET[0]
        was = busy[0] if busy is not None else False
        if busy is not None:
            busy[0] = True
        try:
            yield
            self._record_failure(call)  # after the unittest plugin moved its failure into call.excinfo
        finally:
            if busy is not None:
                busy[0] = was

    def _record_failure(self, call) -> None:
        if call.excinfo is None or self.current is None or self.current["exception"] is not None:
            return
        exc = call.excinfo.value
        if isinstance(exc, TestTimeout):
            self.current["outcome"] = "timeout"
            self.current["exception"] = self.guard.timeout_exception()
            self.current["when"] = call.when
            return
        failed = _failed_assert(call.excinfo.tb)
        if self.current.get("compare") is None:
            self.current["compare"] = _unittest_compare(call.excinfo.tb) or _helper_compare(exc, failed)
        if self.current.get("compare") is not None and failed is not None:
            operands = _operands_from_the_caller(failed, call.excinfo.tb)
            if operands is not None:
                self.current["compare"]["expected_first"] = _expected_side_first(*operands)
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
        if not report.nodeid:  # never an entry without a node id: it belongs to the running test
            if self.current is None:
                return
            report.nodeid = self.current["nodeid"]
        test = self._test(report.nodeid)
        test["duration_s"] = round(test["duration_s"] + report.duration, 6)
        if report.failed and test["outcome"] not in ("timeout", "crashed"):
            test["outcome"] = "failed" if report.when == "call" else "error"
        elif report.skipped and test["outcome"] == "passed":
            test["outcome"] = "skipped"
        if report.when == "call":
            test["stdout"] = report.capstdout[-100_000:]
        if report.failed and test["failure"] is None:
            test["failure"] = _failure(test, report)

    def pytest_runtest_logfinish(self, nodeid, location):
        self._stop()
        self._finish(nodeid)
        self.current = None
        self.guard.arm(self.guard.timeout)  # back to the run's deadline

    def _finish(self, nodeid: str) -> None:
        test = self.tests.get(nodeid)
        if self.stream and test is not None and not test.get("_sent"):
            test["_sent"] = True
            self.guard.emit({"event": "test", "test": {k: v for k, v in test.items() if k != "_sent"}})

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append({"nodeid": report.nodeid, "message": report.longreprtext[-5000:]})


def _runnable(nodeid: str, root: str) -> str:
    path, sep, rest = nodeid.partition("::")
    return os.path.relpath(os.path.join(root, path)) + sep + rest


def _failure(test: dict, report) -> dict:
    exc = test.get("exception") or {}
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    message = exc.get("message") or (crash.message if crash else report.longreprtext[-2000:] if report else "")
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
        actual, expected = compare["left"], compare["right"]  # `assert actual == expected`, pytest's convention
        first = compare.get("expected_first")
        if first if first is not None else _expected_first(failure["file"], failure["line"]):
            actual, expected = expected, actual
        failure.update(op=compare["op"], actual=actual, expected=expected)
    return failure


# unittest's assertions of two values: their (first, second) are what the test compared, with this operator
_UNITTEST_EQUAL = {
    "assertEqual": "==",
    "assertEquals": "==",
    "assertListEqual": "==",
    "assertTupleEqual": "==",
    "assertDictEqual": "==",
    "assertSetEqual": "==",
    "assertSequenceEqual": "==",
    "assertMultiLineEqual": "==",
    "assertCountEqual": "==",
    "assertAlmostEqual": "==",
    "assertNotEqual": "!=",
    "assertIn": "in",
    "assertNotIn": "not in",
    "assertIs": "is",
    "assertIsNot": "is not",
    "assertGreater": ">",
    "assertGreaterEqual": ">=",
    "assertLess": "<",
    "assertLessEqual": "<=",
}
# ... and of one value, against a constant
_UNITTEST_ONE = {
    "assertIsNone": ("is", None),
    "assertIsNotNone": ("is not", None),
    "assertTrue": ("==", True),
    "assertFalse": ("==", False),
}


def _unittest_compare(tb) -> dict | None:
    """``{"op", "left", "right"}`` of a failed ``self.assertEqual(first, second)`` (and its kin): unittest's
    message ("2 != 1") holds no values a reader can trust, its frame's locals do."""
    while tb is not None:
        frame = tb.tb_frame
        name = frame.f_code.co_name
        op = _UNITTEST_EQUAL.get(name)
        in_unittest = frame.f_code.co_filename.replace(os.sep, "/").endswith("unittest/case.py")
        if in_unittest and name in _UNITTEST_ONE and frame.f_code.co_argcount >= 2:
            only = frame.f_code.co_varnames[1]
            if only in frame.f_locals:
                op, constant = _UNITTEST_ONE[name]
                return {"op": op, "left": _full_repr(frame.f_locals[only], 10_000), "right": repr(constant)}
        if op and in_unittest:
            names, code = frame.f_locals, frame.f_code
            first, second = code.co_varnames[1:3] if code.co_argcount >= 3 else ("", "")  # after self
            if first in names and second in names:  # (first, second), (list1, list2), (d1, d2), ...
                return {
                    "op": op,
                    "left": _full_repr(names[first], 10_000),
                    "right": _full_repr(names[second], 10_000),
                }
        tb = tb.tb_next
    return None


_EXPECTED_NAMES = ("expected", "expect", "want", "wanted", "exp", "correct", "reference", "truth", "golden", "should")
_ACTUAL_NAMES = ("actual", "result", "res", "got", "output", "out", "observed", "ret", "returned", "computed")


def _expected_first(file, line) -> bool:
    """Whether the failing comparison at ``file:line`` puts the expected value first (``assert 4 == f(2)``,
    ``self.assertEqual(expected, result)``). Decided by what each side is, not by its place: a literal is the
    expected value (a literal, or a class built from literals: ``Receipt(total=243.0)``); then names
    (``expected``, ``want`` / ``result``, ``got``); then the side that calls something holds the program's
    value (inflection's suite writes ``assert camel == inflection.camelize(underscore)``). Unknown: False
    (the second is the expected value, pytest's convention)."""
    operands = _compared_operands(file, line)
    if operands is None:
        return False
    return _expected_side_first(*operands)


def _expected_side_first(first, second) -> bool:
    """``_expected_first`` for two ast operands."""
    if _is_constant(first) != _is_constant(second):
        return _is_constant(first)
    first_expected = _named(first, _EXPECTED_NAMES) or _named(second, _ACTUAL_NAMES)
    second_expected = _named(second, _EXPECTED_NAMES) or _named(first, _ACTUAL_NAMES)
    if first_expected != second_expected:
        return first_expected
    if _calls(first) != _calls(second):  # `camel == camelize(word)`: the side that calls the code is the program's
        return _calls(second)
    return False


def _is_literal(node) -> bool:
    import ast

    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _name_of(node) -> str:
    import ast

    while isinstance(node, ast.Subscript):  # expected[0]; a call's name says what it does, not what it holds
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    return node.id.lower() if isinstance(node, ast.Name) else ""


def _calls(node) -> bool:
    import ast

    return any(isinstance(n, ast.Call) for n in ast.walk(node))


def _named(node, names) -> bool:
    name = _name_of(node)
    return any(name == n or name.startswith(n + "_") or name.endswith("_" + n) for n in names)


_VALUE_TYPES = frozenset(
    ("set", "frozenset", "list", "tuple", "dict", "int", "float", "complex", "str", "bytes", "range")
    + ("datetime", "date", "time", "timedelta", "timezone")
)


def _is_constant(node) -> bool:
    """A literal, or a value built from constants alone: a class (a CapWords name, or a builtin or datetime
    type) called with literals, such values and UPPER_CASE names (``datetime(2011, 12, 31, tzinfo=APIA)``)."""
    import ast

    if _is_literal(node):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if not isinstance(node, ast.Call):
        return False
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    arguments = list(node.args) + [k.value for k in node.keywords]
    return (name[:1].isupper() or name in _VALUE_TYPES) and all(_is_constant(a) for a in arguments)


def _compared_operands(file, line):
    """The two ast operands of the comparison that failed at ``file:line``: ``assert a == b`` or
    ``self.assertEqual(a, b)``; None when there is no such statement there."""
    import ast

    tree = _tree_of(file) if file and line else None
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or not node.lineno <= line <= (node.end_lineno or node.lineno):
            continue
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and len(node.test.comparators) == 1:
            return node.test.left, node.test.comparators[0]
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in _UNITTEST_EQUAL and len(node.args) >= 2:
            return node.args[0], node.args[1]
    return None


def _summary(plugin: _Plugin, everything: bool = False) -> dict:
    """The run so far; when streaming, only the tests not sent yet (unless ``everything``)."""
    tests = [
        {k: v for k, v in t.items() if k != "_sent"}
        for t in plugin.tests.values()
        if t["nodeid"] and (everything or not t.get("_sent"))
    ]
    return {
        "status": "ok",
        "tests": tests,
        "collect_errors": plugin.collect_errors,
        "import_lines": plugin.import_lines,
    }


def run_pytest(guard: Guard, request: dict) -> dict:
    if pytest is None:
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
    _quiet_reporting()
    import _pytest
    import pluggy

    machinery = (_pytest, pluggy, sys.modules[__name__])
    guard.machinery = tuple(os.path.dirname(m.__file__) + os.sep for m in machinery if m.__file__)
    args = ["-p", "no:cacheprovider", "-q", "--color=no", "-o", "console_output_style=classic"]
    args += list(request.get("pytest_args", [])) + list(request["node_ids"])
    started = time.perf_counter()
    guard.arm(guard.timeout)
    guard.gated = True
    status, exception = "ok", None
    out_of_memory = False
    plugin.start_imports()
    try:
        code = int(pytest.main(args, plugins=[plugin]))
    except RunTimeout:
        code = 2
    except MemoryError:
        guard.release_memory()
        code, out_of_memory = 3, True
    finally:
        guard.disarm()
        guard.gated = False
        if plugin.importing is not None:
            plugin.import_lines = plugin.stop_imports()
        plugin._stop()
    if guard.timed_out and plugin.current is not None:
        plugin.current["outcome"] = "timeout"
    result = _summary(plugin, everything=True)
    result["exit_code"] = code
    result["duration_s"] = round(time.perf_counter() - started, 6)
    if guard.timed_out:
        status, exception = "timeout", guard.timeout_exception()
    elif out_of_memory or any((t.get("exception") or {}).get("type") == "MemoryError" for t in result["tests"]):
        status = "memory-limit"
        exception = {
            "type": "MemoryError",
            "message": "ran out of memory (limit {} MB)".format(request.get("memory_mb", 1024)),
            "file": None,
            "line": None,
        }
    elif plugin.internal_error and not plugin.internal_blamed:
        status = "error"
        exception = {"type": "InternalError", "message": plugin.internal_message, "file": None, "line": None}
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
        failed = [t for t in result["tests"] if t["outcome"] in ("failed", "error", "timeout", "crashed")]
        if failed:
            status, exception = "exception", failed[0]["exception"]
    result["status"], result["exception"] = status, exception
    result["internal_error"] = plugin.internal_error
    if plugin.stream:
        result["tests"] = _summary(plugin)["tests"]
        result.pop("import_lines", None)  # sent with the collected tests
    return result


__all__ = ["run_pytest"]


def _frames(tb) -> list:
    out = []
    while tb is not None:
        out.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return out


def _tree_of(file):
    """The module ``file`` as it is now (linecache's text), parsed once per text."""
    import linecache

    return _parsed("".join(linecache.getlines(file)))


@functools.lru_cache(maxsize=8)
def _parsed(text: str):
    import ast

    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _statement_at(file, line):
    import ast

    tree = _tree_of(file)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if not isinstance(
                node,
                (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.While, ast.With, ast.Try),
            ):
                return node
    return None


def _failed_assert(tb):
    """(frame, its ``assert a <op> b`` node) where the comparison failed; None for anything else."""
    import ast

    frames = _frames(tb)
    if not frames:
        return None
    frame, line = frames[-1]
    stmt = _statement_at(frame.f_code.co_filename, line)
    if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Compare) and len(stmt.test.comparators) == 1:
        return frame, stmt
    return None


def _helper_compare(exc, failed) -> dict | None:
    """``{"op", "left", "right"}`` of a plain ``assert a == b`` pytest did not rewrite (in a helper module of
    the tests: ``common.assert_equal``), from its frame: names and literals only, nothing is evaluated.
    ``failed``: ``_failed_assert``'s (frame, assert node), or None."""
    import ast

    if not isinstance(exc, AssertionError) or failed is None:
        return None
    frame, stmt = failed
    values = []
    for node in (stmt.test.left, stmt.test.comparators[0]):
        if isinstance(node, ast.Name) and node.id in frame.f_locals:
            values.append(_full_repr(frame.f_locals[node.id], 10_000))
        elif isinstance(node, ast.Name) and node.id in frame.f_globals:
            values.append(_full_repr(frame.f_globals[node.id], 10_000))
        elif _is_literal(node):
            values.append(ast.unparse(node))
        else:
            return None
    ops = {ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
    op = ops.get(type(stmt.test.ops[0]))
    return {"op": op, "left": values[0], "right": values[1]} if op else None


def _operands_from_the_caller(failed, tb):
    """The failed comparison's two operands as its caller wrote them, when it is in a helper whose parameters
    they are: ``assert_equal(result, expected)`` asserting ``expected == result`` compares the caller's
    ``result`` first. None when the comparison is not in such a helper."""
    import ast

    frames = _frames(tb)
    if len(frames) < 2:
        return None
    frame, stmt = failed
    code = frame.f_code
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    operands = [stmt.test.left, stmt.test.comparators[0]]
    if not any(isinstance(n, ast.Name) and n.id in params for n in operands):
        return None
    caller, line = frames[-2]
    outer = _statement_at(caller.f_code.co_filename, line)
    if outer is None:
        return None
    calls = [
        n
        for n in ast.walk(outer)
        if isinstance(n, ast.Call)
        and (getattr(n.func, "id", None) or getattr(n.func, "attr", None)) == code.co_name
        and not any(isinstance(a, ast.Starred) for a in n.args)
    ]
    if len(calls) != 1:
        return None
    call = calls[0]
    offset = 1 if isinstance(call.func, ast.Attribute) and params[:1] in (["self"], ["cls"]) else 0
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    out = []
    for node in operands:
        if isinstance(node, ast.Name) and node.id in params:
            index = params.index(node.id) - offset
            node = call.args[index] if 0 <= index < len(call.args) else keywords.get(node.id)
            if node is None:
                return None
        out.append(node)
    return out[0], out[1]
