"""The trace, a run and a failure as types: the ``trace --json`` contract, defined once.

The tracer writes these documents in the user's interpreter and everything else
(the sandbox, the CLI, explanations, repair, the language server) reads them, so
they live here, in the stdlib-only tracer package, and the rest of semcoder
imports them from ``semcoder_core.tracer.schema``. They are ``TypedDict``s: the
documents stay plain JSON-ready dicts (what the tracer sends over a pipe and the
CLI prints), and a type checker holds every reader to the same keys.

Keys marked ``NotRequired`` in the comments are absent from some documents; they
are declared in the ``total=False`` half of each type.
"""

from __future__ import annotations

from typing import Dict, List, Optional, TypedDict

# -- one line ------------------------------------------------------------------------------------

#: ``{variable: repr}``: what one execution of a line assigned or changed.
State = Dict[str, str]


class Raised(TypedDict):
    """An exception that started at a line: the last one, and how many times."""

    type: str
    message: str
    count: int


class _LineRequired(TypedDict):
    hits: int  # every execution, capped or not
    states: List[State]  # kept states in execution order (the first executions, then the last)


class LineEntry(_LineRequired, total=False):
    """What one line of a file did during a run (``lines[file][str(line)]``); a model's predicted
    lines have the same shape, with ``hits`` and ``states`` only."""

    at: List[int]  # for each kept state: which execution of the line it came from (1-based)
    seq: List[int]  # for each kept state: its rank among all kept states of the run
    raised: Raised
    returns: List[str]  # values a ``return`` on this line gave back: the first ones, then the last
    returned: int  # how many times a ``return`` on this line ran to its end
    branches: Dict[str, int]  # ``if``/``elif``/``while`` line: {"True": n, "False": m}
    # Names whose value after the line's last execution the trace does not hold (the line ran past its
    # cap and no frame exit could rebuild it exactly): the last state kept for them is not the last.
    unrecorded: List[str]


#: ``{line number as a string: entry}`` for one file.
FileLines = Dict[str, LineEntry]
#: ``{file: FileLines}``: the ``lines`` key of a trace.
Lines = Dict[str, FileLines]

# -- calls -----------------------------------------------------------------------------------------


class CallException(TypedDict):
    type: str
    message: str


class _CallRecordRequired(TypedDict):
    at: int  # which call of the function (1-based)
    args: Dict[str, str]  # parameter -> repr at entry
    return_repr: Optional[str]
    exception: Optional[CallException]


class CallRecord(_CallRecordRequired, total=False):
    """One call of a traced function."""

    yields: int  # a generator: how many values it yielded


class FunctionCalls(TypedDict):
    """The calls of one traced function: the first ``max_calls`` and the last."""

    file: str
    name: str
    qualname: str
    line: int  # the first line of its code object (decorators included)
    count: int
    records: List[CallRecord]


# -- exceptions and failures ---------------------------------------------------------------------


class Frame(TypedDict):
    file: str
    line: int
    function: str


class _ExceptionRequired(TypedDict):
    type: str
    message: str
    file: Optional[str]  # the innermost line of the user's code it passed through
    line: Optional[int]


class ExceptionInfo(_ExceptionRequired, total=False):
    """Why a run or a test did not end well (also timeouts, crashes and usage errors)."""

    traceback: List[Frame]  # a test's frames in the user's code, outermost first


class _FailureRequired(TypedDict):
    test: str
    message: str  # first line
    full_message: str
    file: Optional[str]
    line: Optional[int]
    expected: Optional[str]
    actual: Optional[str]


class Failure(_FailureRequired, total=False):
    """A failing test as pytest and the assertion saw it."""

    op: str  # the comparison of a failing ``assert a OP b``


class Compare(TypedDict):
    op: str
    left: str
    right: str


# -- runs ------------------------------------------------------------------------------------------


class Consumed(TypedDict):
    """A generator or coroutine that a traced call returned, run by semcoder under the trace."""

    type: str  # generator, async generator, coroutine
    items: Optional[int]  # items taken (None for a coroutine)
    complete: bool  # ran to its end (False: cut at the cap, or it raised or ran out of time)


class _TraceRequired(TypedDict):
    status: str  # ok, exception, timeout, memory-limit, crashed, syntax-error, error
    return_repr: Optional[str]
    exception: Optional[ExceptionInfo]
    lines: Lines


class Trace(_TraceRequired, total=False):
    """One traced execution: ``trace --json``, and each test of ``debug --json`` (a run that could not
    start its test also carries the pytest run's ``tests``, ``collect_errors`` and ``exit_code``)."""

    calls: List[FunctionCalls]
    stdout: str
    stderr: str
    stdout_truncated: bool
    duration_s: float
    wall_s: float
    isolation: str
    peak_rss_kb: int
    target: Dict[str, str]  # trace FILE --call: {"file", "call"}; trace NODE_ID: {"node"}
    consumed: Consumed  # the call returned a generator or coroutine (tracer/agent.py _consume)
    test: Optional[TestInfo]  # a traced test: its facts (TestResult without lines, calls, stdout)
    tests_run: int
    error: str
    id: str  # trace_calls: the caller's id of the call
    tests: List[TestResult]
    collect_errors: List[CollectError]
    exit_code: int
    import_lines: Lines  # a traced test: the project's lines its run ran before any test (imports)


class _TestResultRequired(TypedDict):
    nodeid: str
    outcome: str  # passed, failed, error, skipped, timeout, crashed
    duration_s: float
    failure: Optional[Failure]
    exception: Optional[ExceptionInfo]


class TestInfo(_TestResultRequired, total=False):
    """A test of a pytest run, without its trace."""

    when: str  # setup, call or teardown: where it failed
    compare: Compare
    limit_s: float  # its own time limit in this run


class TestResult(TestInfo, total=False):
    """A test of a pytest run with its trace (empty when the run was not traced)."""

    stdout: str
    lines: Lines
    calls: List[FunctionCalls]


class CollectError(TypedDict):
    nodeid: str
    message: str


class _PytestRunRequired(TypedDict):
    status: str
    tests: List[TestResult]
    collect_errors: List[CollectError]


class PytestRun(_PytestRunRequired, total=False):
    """A pytest run in the sandbox: every test it ran, traced or not."""

    exception: Optional[ExceptionInfo]
    exit_code: int
    duration_s: float
    stdout: str
    stderr: str
    stdout_truncated: bool
    isolation: str
    wall_s: float
    peak_rss_kb: int
    return_repr: Optional[str]
    lines: Lines
    calls: List[FunctionCalls]
    restarts: int  # new processes started after a test crashed its process or pytest itself
    import_lines: Lines  # a traced run: the project's lines run before its first test (module imports)


# Empty documents for readers that treat "none" like "nothing known" (every key falsy).
NO_EXCEPTION: ExceptionInfo = {"type": "", "message": "", "file": None, "line": None}
NO_FAILURE: Failure = {
    "test": "",
    "message": "",
    "full_message": "",
    "file": None,
    "line": None,
    "expected": None,
    "actual": None,
}
NO_TEST: TestInfo = {"nodeid": "", "outcome": "", "duration_s": 0.0, "failure": None, "exception": None}

# Not pytest test classes, whatever their names (tests import this module).
TestInfo.__test__ = TestResult.__test__ = False  # type: ignore[attr-defined]

__all__ = [
    "NO_EXCEPTION",
    "NO_FAILURE",
    "NO_TEST",
    "CallException",
    "CallRecord",
    "CollectError",
    "Compare",
    "Consumed",
    "ExceptionInfo",
    "Failure",
    "FileLines",
    "Frame",
    "FunctionCalls",
    "LineEntry",
    "Lines",
    "PytestRun",
    "Raised",
    "State",
    "TestInfo",
    "TestResult",
    "Trace",
]
