"""What a model is asked about: a function's code and one call of it, found in a file or a failing run."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from typing import Callable, Optional, Union

from ..annotate import is_test_file
from ..errors import SemcoderError
from ..findings import wrong_value_origin
from ..pysource import MAX_CHARS, parse_module
from ..tracer.schema import NO_FAILURE, CallRecord, FunctionCalls, Trace

_Func = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass(frozen=True)
class FunctionCode:
    """A function's source as the model sees it (dedented), and where it sits in its file."""

    file: str
    name: str
    qualname: str
    code: str
    first_line: int  # the file line of the code's first line (the ``def``; decorators are left out)

    def file_line(self, code_line: int) -> int:
        return self.first_line + code_line - 1

    @property
    def last_line(self) -> int:
        return self.first_line + self.code.count("\n")


@dataclass(frozen=True)
class CallTarget:
    function: FunctionCode
    call: str  # e.g. ``median([3, 1, 2])``


@dataclass(frozen=True)
class FailingCall:
    """A failing test reduced to one call of the code under test: what SemCoder's refine prompt needs."""

    test: str
    function: FunctionCode
    call: Optional[str]  # None when no call with evaluable arguments was observed
    expected: Optional[str]
    actual: Optional[str]
    test_source: str  # the test function's text, the fallback "failed test"

    def failed_test(self) -> str:
        from ..prompts.formats import failed_test

        if self.call and self.expected is not None:
            return failed_test(self.call, self.expected)
        return self.test_source


def functions(source: str, file: str = "") -> list[FunctionCode]:
    """Every function and method of a module, outer ones first."""
    try:
        tree = parse_module(source, limit=MAX_CHARS)
    except SyntaxError as exc:
        raise SemcoderError(f"{file or 'the file'} does not parse: {exc.msg} (line {exc.lineno})") from exc
    lines = source.splitlines()
    out: list[FunctionCode] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                end = node.end_lineno or node.lineno
                code = textwrap.dedent("\n".join(lines[node.lineno - 1 : end]))
                out.append(FunctionCode(file, node.name, prefix + node.name, code, node.lineno))
                visit(node.body, f"{prefix}{node.name}.<locals>.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return out


def function_at(source: str, line: int, file: str = "") -> Optional[FunctionCode]:
    """The innermost function whose text contains ``line``."""
    best = None
    for func in functions(source, file):
        if func.first_line <= line <= func.last_line and (best is None or func.first_line >= best.first_line):
            best = func
    return best


def call_target(file: str, source: str, expr: str) -> CallTarget:
    """The function that ``expr`` (a call such as ``median([3, 1, 2])``) calls, defined in ``source``."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as exc:
        raise SemcoderError(f"--call {expr!r} is not a Python expression: {exc.msg}") from exc
    if not isinstance(node, ast.Call):
        raise SemcoderError(f"--call {expr!r} is not a call such as median([3, 1, 2])")
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name is None:
        raise SemcoderError(f"cannot tell which function {expr!r} calls")
    found = [f for f in functions(source, file) if f.name == name]
    top = [f for f in found if "." not in f.qualname]
    if not found:
        raise SemcoderError(f"{file} defines no function {name}()")
    return CallTarget((top or found)[0], expr.strip())


def call_expression(name: str, func_code: str, args: dict[str, str]) -> Optional[str]:
    """A call of ``name`` with the observed argument reprs, or None when they are not Python literals
    (an object's ``<Foo at 0x…>`` repr cannot be written back as code)."""
    try:
        fn = ast.parse(func_code).body[0]
    except (SyntaxError, IndexError):
        return None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    a = fn.args
    parts: list[str] = []
    positional = [p.arg for p in [*a.posonlyargs, *a.args]]
    if positional and positional[0] in ("self", "cls"):
        return None  # a method: the instance is not a literal
    for param in positional:
        if param not in args:
            return None
        parts.append(args[param])
    if a.vararg is not None and a.vararg.arg in args:
        parts.append("*" + args[a.vararg.arg])
    for keyword in a.kwonlyargs:
        if keyword.arg in args:
            parts.append(f"{keyword.arg}={args[keyword.arg]}")
    if a.kwarg is not None and a.kwarg.arg in args:
        parts.append("**" + args[a.kwarg.arg])
    call = f"{name}({', '.join(parts)})"
    try:
        tree = ast.parse(call, mode="eval")
        for arg in [*tree.body.args, *(k.value for k in tree.body.keywords)]:  # type: ignore[attr-defined]
            ast.literal_eval(arg.value if isinstance(arg, ast.Starred) else arg)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    return call


def observed_calls(function: FunctionCode, calls: list[FunctionCalls]) -> list[tuple[str, CallRecord]]:
    """``(call expression, record)`` for each observed call of ``function`` with literal arguments."""
    out = []
    for call in calls:
        if call.get("file") != function.file or call.get("line") != function.first_line:
            continue
        for record in call.get("records") or []:
            expr = call_expression(function.name, function.code, record.get("args") or {})
            if expr is not None:
                out.append((expr, record))
    return out


def failing_call(doc: Trace, source_of: Callable[[str], str]) -> Optional[FailingCall]:
    """The call of the code under test behind a failing test document (``testruns.test_document``)."""
    origin = wrong_value_origin(doc, source_of)
    test = doc.get("test")
    failure = (test["failure"] if test else None) or NO_FAILURE
    test_id = test["nodeid"] if test else ""
    if origin is None or is_test_file(origin.file):
        return None
    function = function_at(source_of(origin.file), origin.line, origin.file)
    if function is None:
        return None
    candidates = observed_calls(function, doc.get("calls") or [])
    call = None
    for expr, record in candidates:
        if origin.kind == "returned" and record.get("return_repr") == origin.value:
            call = expr
            break
        if origin.kind == "raised" and record.get("exception"):
            call = expr
            break
    if call is None and candidates:
        call = candidates[-1][0]
    return FailingCall(
        test=test_id,
        function=function,
        call=call,
        expected=failure.get("expected"),
        actual=failure.get("actual") if origin.kind == "returned" else origin.value,
        test_source=_test_source(doc, source_of),
    )


def _test_source(doc: Trace, source_of: Callable[[str], str]) -> str:
    test = doc.get("test")
    failure = test.get("failure") if test else None
    path, line = (failure.get("file"), failure.get("line")) if failure else (None, None)
    if not path or not line:
        return ""
    func = function_at(source_of(path), int(line), path)
    return func.code if func else ""
