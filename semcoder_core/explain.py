"""Explain a failing test from its trace: the failure, the chain of states that led to it, and the
first place where it parted from passing tests of the same code.

Everything shown comes from the trace documents (``testruns.test_document``) and the source text;
what the trace does not tell is left out. Pure Python: no LSP or CLI code.

How values are found. A trace keeps, per line, the variables each execution changed (``states``),
which execution of the line that was (``at``) and its place in the whole run (``seq``). Replaying the
states of one function in ``seq`` order gives the variables at any point of a call; the calls of a
function are told apart by a line that runs once per call (its ``at`` is the call number). Lines that
changed nothing (conditions, ``return``) have no place of their own: they are placed after the last
state of the lines before them, or, in a ``for`` body, in the iteration started by the loop's state.
"""

from __future__ import annotations

import ast
import datetime
import math
import operator
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, Union

from .annotate import branch_lines, branch_note, format_values, is_test_file
from .findings import wrong_value_origin
from .pysource import MAX_CHARS, parse_module
from .tracer.schema import (
    NO_EXCEPTION,
    NO_FAILURE,
    NO_TEST,
    CallRecord,
    ExceptionInfo,
    Failure,
    FunctionCalls,
    TestInfo,
    Trace,
)

MAX_STEPS = 10  # chain steps shown
MAX_DEPTH = 5  # data dependencies followed back from the blamed line
MAX_VALUE = 90  # characters of one value in the markdown
INF = math.inf
DEFAULT_CAP = 10  # trace.maxStatesPerLine's default: executions of a line whose states are all kept

_FuncNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass(frozen=True)
class Step:
    """One line of the explanation: the line, its text and the values it had (variable -> repr)."""

    file: str
    line: int
    text: str
    values: dict[str, str]
    note: str = ""  # what the step shows, in words (e.g. "raised IndexError: …", "→ True 1×, False 2×")


@dataclass
class Explanation:
    markdown: str
    failure: dict  # {test, message, expected, actual}
    line: Optional[tuple[str, int]]  # the line blamed: where the wrong value was produced or the exception raised
    chain: list[Step] = field(default_factory=list)  # backwards from the blamed line
    divergence: Optional[Step] = None  # first difference from the passing runs (in the failing run)


# ---------------------------------------------------------------------------------------------------
# Source: statements, functions, what a line reads and writes


@dataclass
class _Facts:
    """What the statement (or compound statement header) at a line does with names."""

    reads: list[str] = field(default_factory=list)
    attrs: list[tuple[str, str]] = field(default_factory=list)  # name.attr read
    writes: list[str] = field(default_factory=list)  # names bound
    mutates: list[str] = field(default_factory=list)  # names whose item or attribute is assigned
    calls: list[str] = field(default_factory=list)  # called function names
    subscripts: list[tuple[str, str]] = field(default_factory=list)  # container[index], both names
    divisors: list[str] = field(default_factory=list)  # x / name, x // name, x % name
    compares: list[tuple[ast.expr, ast.expr]] = field(default_factory=list)  # operands compared, names in both
    call_nodes: list[ast.Call] = field(default_factory=list)

    @property
    def bound(self) -> list[str]:
        return _unique(self.writes + self.mutates)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _header_nodes(stmt: ast.stmt) -> list[ast.AST]:
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.target, stmt.iter]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return list(stmt.items)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return list(stmt.decorator_list)
    if isinstance(stmt, ast.Try):
        return []
    return [stmt]


def _facts_of(stmt: ast.stmt) -> _Facts:
    facts = _Facts()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        facts.writes.append(stmt.name)
    nodes = _header_nodes(stmt)
    local: set[str] = set()  # names bound inside comprehensions and lambdas: not the frame's
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.comprehension):
                local.update(n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name))
            elif isinstance(sub, ast.Lambda):
                args = sub.args
                local.update(a.arg for a in args.posonlyargs + args.args + args.kwonlyargs)
    store_bases: set[int] = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                base = sub.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name):
                    facts.mutates.append(base.id)
                    store_bases.add(id(base))
    for node in nodes:
        subs = sorted(ast.walk(node), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        for sub in subs:
            if isinstance(sub, ast.Name) and sub.id not in local:
                if isinstance(sub.ctx, ast.Store):
                    facts.writes.append(sub.id)
                elif isinstance(sub.ctx, ast.Load) and id(sub) not in store_bases:
                    facts.reads.append(sub.id)
            elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
                facts.reads.append(sub.target.id)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and isinstance(sub.ctx, ast.Load):
                facts.attrs.append((sub.value.id, sub.attr))
            elif isinstance(sub, ast.Compare):
                operands = [sub.left, *sub.comparators]
                for left, right in zip(operands, operands[1:]):
                    if _has_name(left) and _has_name(right):
                        facts.compares.append((left, right))
            if isinstance(sub, ast.Call):
                facts.call_nodes.append(sub)
                if isinstance(sub.func, ast.Name):
                    facts.calls.append(sub.func.id)
                elif isinstance(sub.func, ast.Attribute):
                    facts.calls.append(sub.func.attr)
            elif isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load):
                if isinstance(sub.value, ast.Name) and isinstance(sub.slice, ast.Name):
                    facts.subscripts.append((sub.value.id, sub.slice.id))
            elif isinstance(sub, ast.BinOp) and isinstance(sub.op, (ast.Div, ast.FloorDiv, ast.Mod)):
                if isinstance(sub.right, ast.Name):
                    facts.divisors.append(sub.right.id)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                facts.writes.extend((a.asname or a.name).split(".")[0] for a in sub.names)
    called = set(facts.calls)
    facts.reads = [n for n in _unique(facts.reads) if n not in called or n in facts.writes]
    facts.writes = _unique(facts.writes)
    facts.mutates = _unique(facts.mutates)
    facts.calls = _unique(facts.calls)
    return facts


def _has_name(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) for n in ast.walk(node))


def _stmt_lists(stmt: ast.stmt) -> list[tuple[str, list[ast.stmt]]]:
    """The statement lists directly inside a compound statement, named by field."""
    out: list[tuple[str, list[ast.stmt]]] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            out.append((name, value))
    for handler in getattr(stmt, "handlers", None) or []:
        out.append(("handler", handler.body))
    for case in getattr(stmt, "cases", None) or []:
        out.append(("case", case.body))
    return out


def _header_end(stmt: ast.stmt) -> int:
    nodes = [n for n in _header_nodes(stmt) if n is not stmt]
    if not _stmt_lists(stmt):
        return stmt.end_lineno or stmt.lineno
    return max([stmt.lineno] + [getattr(n, "end_lineno", None) or stmt.lineno for n in nodes])


class _Source:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        try:
            self.tree: ast.Module | None = parse_module(text, limit=MAX_CHARS)
        except SyntaxError:
            self.tree = None
        self.functions: dict[int, _FuncNode] = {}  # first line as code objects count it -> def
        if self.tree is not None:
            for node in ast.walk(self.tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    self.functions.setdefault(first, node)

    def text(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""

    def function_at(self, line: int) -> tuple[int, _FuncNode] | None:
        """The innermost function whose code holds ``line``: (first line, def)."""
        best = None
        for first, node in self.functions.items():
            if first <= line <= (node.end_lineno or node.lineno):
                if best is None or first > best[0]:
                    best = (first, node)
        return best


class _Func:
    """A function's statements: for each line, the statement there, its loop, its guard and its list."""

    def __init__(self, file: str, first: int, node: _FuncNode) -> None:
        self.file, self.first, self.node, self.name = file, first, node, node.name
        args = node.args
        self.params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                self.params.append(extra.arg)
        self.stmt: dict[int, ast.stmt] = {}  # line -> statement (header) covering it
        self.starts: dict[int, ast.stmt] = {}  # line -> statement starting there
        self.loop: dict[int, ast.stmt] = {}  # statement line -> innermost enclosing loop
        self.guard: dict[int, ast.stmt] = {}  # statement line -> innermost enclosing if/while
        self.parent: dict[int, tuple[list[ast.stmt], int]] = {}  # statement line -> (its list, index)
        self.nested: list[tuple[int, int]] = []
        self.top: list[int] = []  # lines of the body's own statements (docstring excluded)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
            body = body[1:]
        self.top = [s.lineno for s in body]
        self._walk(node.body, None, None)
        self._facts: dict[int, _Facts] = {}

    def _walk(self, stmts: list[ast.stmt], loop: ast.stmt | None, guard: ast.stmt | None) -> None:
        for index, stmt in enumerate(stmts):
            self.starts[stmt.lineno] = stmt
            self.parent[stmt.lineno] = (stmts, index)
            if loop is not None:
                self.loop[stmt.lineno] = loop
            if guard is not None:
                self.guard[stmt.lineno] = guard
            for line in range(stmt.lineno, _header_end(stmt) + 1):
                self.stmt[line] = stmt
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.nested.append((stmt.lineno + 1, stmt.end_lineno or stmt.lineno))
                continue
            for name, inner in _stmt_lists(stmt):
                if isinstance(stmt, (ast.For, ast.AsyncFor)):
                    self._walk(inner, stmt if name == "body" else loop, guard)
                elif isinstance(stmt, ast.While):
                    self._walk(inner, stmt if name == "body" else loop, stmt if name == "body" else guard)
                elif isinstance(stmt, ast.If):
                    self._walk(inner, loop, stmt)
                else:
                    self._walk(inner, loop, guard)

    def owns(self, line: int) -> bool:
        end = self.node.end_lineno or self.node.lineno
        return self.node.lineno <= line <= end and not any(a <= line <= b for a, b in self.nested)

    def facts(self, line: int) -> _Facts:
        if line not in self._facts:
            stmt = self.stmt.get(line)
            self._facts[line] = _facts_of(stmt) if stmt is not None else _Facts()
        return self._facts[line]

    def head(self, line: int) -> int:
        """The line a statement's events are reported at (its first line)."""
        stmt = self.stmt.get(line)
        return stmt.lineno if stmt is not None else line

    def writers(self, name: str) -> list[int]:
        return [line for line in self.starts if name in self.facts(line).bound]

    def loop_body_direct(self, line: int) -> ast.stmt | None:
        """The ``for`` loop whose body holds the statement at ``line`` directly, with no jump before it."""
        loop = self.loop.get(line)
        if not isinstance(loop, (ast.For, ast.AsyncFor)) or line not in self.parent:
            return None
        stmts, index = self.parent[line]
        if stmts is not loop.body:
            return None
        for stmt in stmts[:index]:
            for sub in _walk_no_loops(stmt):
                if isinstance(sub, (ast.Continue, ast.Break)):
                    return None
        return loop


def _walk_no_loops(node: ast.AST) -> Iterable[ast.AST]:
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _walk_no_loops(child)


# ---------------------------------------------------------------------------------------------------
# Values read off reprs (only what the repr itself says)


def _literal(text: str | None) -> object:
    if text is None or len(text) > 2000:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _number(text: str | None) -> float | None:
    value = _literal(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _length(text: str | None) -> int | None:
    value = _literal(text)
    return len(value) if isinstance(value, (list, tuple, dict, set)) else None


def _normal(text: str) -> str:
    try:
        return ast.unparse(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, RecursionError):
        return text


def _fields(text: str | None) -> dict[str, str] | None:
    """``Cls(a=1, b=2)`` or a dict literal, as field -> normalized value text; None otherwise."""
    if not text or len(text) > 2000:
        return None
    angled = re.fullmatch(r"<([A-Za-z_][\w.]*) (\w+=.*)>", text, re.S)
    if angled:  # <Stock _items={...}>, as the tracer shows objects without a repr of their own
        text = f"{angled.group(1)}({angled.group(2)})"
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if isinstance(node, ast.Call) and node.keywords and all(k.arg for k in node.keywords):
        return {str(k.arg): ast.unparse(k.value) for k in node.keywords}
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        return {ast.unparse(k): ast.unparse(v) for k, v in zip(node.keys, node.values) if k is not None}
    return None


def _value_of(env: dict[str, str], name: str) -> str | None:
    """A variable's value, or ``base.attr`` read off the base's repr."""
    if name in env:
        return env[name]
    base, _, attr = name.partition(".")
    fields = _fields(env.get(base)) if attr else None
    return fields.get(attr) if fields else None


def _differences(expected: str | None, actual: str | None) -> list[tuple[str, str | None, str | None]]:
    """Fields where two reprs differ: (field, expected, actual), None where a side lacks it."""
    exp, act = _fields(expected), _fields(actual)
    if exp is None or act is None:
        return []
    out = []
    for key in _unique(list(exp) + list(act)):
        if exp.get(key) != act.get(key):
            out.append((key, exp.get(key), act.get(key)))
    return out


def _short(value: str, limit: int = MAX_VALUE) -> str:
    if "\n" in value:  # one line in the markdown; a repr's own spaces are part of the value
        value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _pairs(values: dict[str, str]) -> str:
    return ", ".join(f"`{k} = {_short(v)}`" for k, v in values.items())


# ---------------------------------------------------------------------------------------------------
# One function in one trace: its events, its calls told apart, the values at any point


@dataclass(frozen=True)
class _Event:
    seq: float
    line: int
    at: int
    state: dict[str, str]


@dataclass
class _Exec:
    pos: float
    env: dict[str, str]  # variables before the line ran
    state: dict[str, str]  # what it changed


class _View:
    """Function ``func`` in trace ``doc``."""

    def __init__(self, doc: Trace, func: _Func) -> None:
        self.doc, self.func = doc, func
        file_lines = (doc.get("lines") or {}).get(func.file) or {}
        self.hits = {int(n): e.get("hits", 0) for n, e in file_lines.items() if func.owns(int(n))}
        # The tracer's branch outcomes (True, False) per ``if``/``while`` line, where it knows them.
        self.branch = {
            int(n): (e["branches"]["True"], e["branches"]["False"])
            for n, e in file_lines.items()
            if e.get("branches") and func.owns(int(n))
        }
        events = []
        for n, entry in file_lines.items():
            line = int(n)
            if not func.owns(line):
                continue
            for seq, at, state in zip(entry.get("seq") or [], entry.get("at") or [], entry.get("states") or []):
                events.append(_Event(seq, func.head(line), at, state))
        self.events = sorted(events, key=lambda e: e.seq)
        self.raised = {int(n) for n, e in file_lines.items() if e.get("raised") and func.owns(int(n))}
        self.call: FunctionCalls | dict = {}
        for call in doc.get("calls") or []:
            if call["file"] == func.file and call["line"] == func.first:
                self.call = call
        self.count = int(self.call.get("count") or (1 if self.hits else 0))
        self.records = {r.get("at"): r for r in self.call.get("records") or []}
        self.boundary_line = 0  # a line of the body that runs once per call, telling calls apart
        self.bounds = self._boundaries()
        # Executions past the first ``cap`` of a line are not diffed (only its last state is kept).
        finals = [a for e in file_lines.values() for a in (e.get("at") or []) if a < e.get("hits", 0)]
        self.cap = max([DEFAULT_CAP] + finals)

    def stale(self, line: int, pos: float) -> bool:
        """Could ``line`` have changed variables before ``pos`` without a recorded state?"""
        hits = self.hits.get(line, 0)
        if hits <= self.cap:
            return False
        own = [e for e in self.events if e.line == line]
        before = [e for e in own if e.seq < pos]
        if not before or before[-1].at >= hits:
            return False
        after = [e for e in own if e.seq >= pos]
        return not after or after[0].at > self.cap

    def _boundaries(self) -> dict[int, float] | None:
        """Call number -> seq of the state of a line that runs once per call (None: not found)."""
        if self.count <= 1:
            return None
        wanted = set(self.records) or {self.count}
        for line in self.func.top:
            if self.hits.get(line) != self.count:
                continue
            marks = {e.at: e.seq for e in self.events if e.line == line}
            if wanted <= set(marks):
                self.boundary_line = line
                return marks
        return None

    def segment(self, k: int | None) -> _Segment | None:
        """The events of call ``k`` (None or a single call: the whole function)."""
        args = dict((self.records.get(k) or {}).get("args") or {}) if k is not None else {}
        record = self.records.get(k) if k is not None else None
        if self.count <= 1 or k is None:
            return _Segment(self, self.events, args, single=self.count <= 1, record=record)
        if not self.events:  # no line changed anything: each call is told by its record alone
            return _Segment(self, [], args, single=False, record=record)
        if self.bounds is None:
            # Only the last call can be read without boundaries: its variables are the last ones set.
            if k != self.count:
                return None
            segment = _Segment(self, self.events, args, single=False, record=record)
            segment.mixed = True
            return segment
        if (
            k not in self.bounds
            or (k < self.count and k + 1 not in self.bounds)
            or (k > 1 and k - 1 not in self.bounds)
        ):
            return None
        start, end, before = self.bounds[k], self.bounds.get(k + 1, INF), self.bounds.get(k - 1, 0.0)
        b = self.boundary_line
        events = [
            e for e in self.events if (e.line >= b and start <= e.seq < end) or (e.line < b and before < e.seq < start)
        ]
        return _Segment(self, events, args, single=False, record=record)

    def segments(self) -> list[_Segment]:
        """Every call that can be told apart (for passing runs)."""
        if self.count <= 1:
            return [s for s in [self.segment(1 if self.records else None)] if s is not None]
        if self.bounds is None and self.events:
            segment = _Segment(self, self.events, {}, single=False)
            segment.mixed = True
            return [segment]
        return [s for k in sorted(self.records) if (s := self.segment(k)) is not None]

    def executed(self) -> set[int]:
        return {line for line, hits in self.hits.items() if hits}

    def outcomes(self, line: int) -> set[bool]:
        """Branch outcomes of the ``if`` at ``line`` over the whole test."""
        stmt = self.func.starts.get(line)
        if not isinstance(stmt, ast.If):
            return set()
        taken, not_taken = self.branch.get(line, (0, 0))
        out = set()
        if taken:
            out.add(True)
        if not_taken:
            out.add(False)
        return out


class _Segment:
    """One call of a function (or all of them, where calls cannot be told apart)."""

    def __init__(
        self, view: _View, events: list[_Event], args: dict[str, str], single: bool, record: CallRecord | None = None
    ) -> None:
        self.view, self.func, self.events, self.args, self.single = view, view.func, events, args, single
        self.record = record  # the call's record, where this is exactly one call
        self.mixed = False  # the events of every call (calls could not be told apart), this call's args

    def env_before(self, pos: float) -> dict[str, str]:
        """The variables of this call just before ``pos``, less those whose last change may be unrecorded."""
        env = dict(self.args)
        setter: dict[str, int] = {}
        for event in self.events:
            if event.seq >= pos:
                break
            env.update(event.state)
            setter.update(dict.fromkeys(event.state, event.line))
        for name, line in setter.items():
            if self.view.stale(line, pos):
                del env[name]
        return env

    def _ran(self, line: int) -> bool:
        if not self.view.hits.get(line):
            return False
        if self.single:
            return True
        if line not in self.func.parent:
            return False
        stmts, index = self.func.parent[line]
        later = [(s.lineno, s.end_lineno or s.lineno) for s in stmts[index + 1 :]]
        if not self.mixed and any(a <= e.line <= b for e in self.events for a, b in later):
            return True
        # A statement of the body that nothing before it can skip runs in every call that returned.
        record = self.record
        if line not in self.func.top or not record or record["exception"] or record["return_repr"] is None:
            return False
        before = [s for s in stmts[:index]]
        return not any(isinstance(n, (ast.Return, ast.Raise)) for s in before for n in ast.walk(s))

    def executions(self, line: int) -> list[_Exec]:
        """The executions of ``line`` in this call whose place is known, in order."""
        own = [e for e in self.events if e.line == line]
        if own:
            return [_Exec(e.seq, self.env_before(e.seq), e.state) for e in own]
        if not self.view.hits.get(line) or line not in self.func.starts:
            return []
        if isinstance(self.func.starts[line], (ast.While, ast.For, ast.AsyncFor)):
            return []  # a loop line without states runs once per iteration, at places not recorded
        if line not in self.func.loop:
            if not self._ran(line):
                return []
            pos = max((e.seq for e in self.events if e.line < line), default=0.0) + 0.5
            return [_Exec(pos, self.env_before(pos), {})]
        loop = self.func.loop_body_direct(line)
        if loop is not None:
            total = sum(1 for e in self.view.events if e.line == loop.lineno)
            if total != self.view.hits.get(line):  # an iteration without a state: iterations unknown
                return []
            heads = [e for e in self.events if e.line == loop.lineno]
            return [self._in_iteration(loop, heads, index, line) for index in range(len(heads))]
        return self._by_evidence(line)

    def _in_iteration(self, loop: ast.stmt, heads: list[_Event], index: int, line: int) -> _Exec:
        """``line`` in iteration ``index`` of ``loop``: after the states of the lines before it."""
        end = heads[index + 1].seq if index + 1 < len(heads) else INF
        head = heads[index]
        inside = [e.seq for e in self.events if head.seq < e.seq < end and loop.lineno < e.line < line]
        pos = max([head.seq] + inside) + 0.5
        return _Exec(pos, self.env_before(pos), {})

    def _by_evidence(self, line: int) -> list[_Exec]:
        """A line inside a branch of a ``for`` body: it ran in the iterations where a line of its own
        statement, or one after it in the same block, changed something."""
        loop = self.func.loop.get(line)
        if not isinstance(loop, (ast.For, ast.AsyncFor)) or loop.lineno in self.func.loop:
            return []
        hits = self.view.hits.get(loop.lineno, 0)
        total = sum(1 for e in self.view.events if e.line == loop.lineno)
        if not hits - max(self.view.count, 1) <= total <= hits or line not in self.func.parent:
            return []  # some iterations left no state on the loop line: iterations cannot be told apart
        stmts, index = self.func.parent[line]
        spans = [(s.lineno, s.end_lineno or s.lineno) for s in stmts[index:]]
        heads = [e for e in self.events if e.line == loop.lineno]
        out = []
        for i, head in enumerate(heads):
            end = heads[i + 1].seq if i + 1 < len(heads) else INF
            if any(head.seq < e.seq < end and any(a <= e.line <= b for a, b in spans) for e in self.events):
                out.append(self._in_iteration(loop, heads, i, line))
        return out

    def last_before(self, line: int, pos: float) -> _Exec | None:
        found = [x for x in self.executions(line) if x.pos < pos]
        return found[-1] if found else None

    def writer(self, name: str, pos: float, exclude: int = 0) -> tuple[int, _Exec] | None:
        """The line of this function that last set ``name`` before ``pos``, with that execution."""
        candidates = set(self.func.writers(name)) | {e.line for e in self.events if name in e.state}
        candidates.discard(exclude)
        best: tuple[int, _Exec] | None = None
        for line in candidates:
            found = self.last_before(line, pos)
            if found is not None and (best is None or found.pos > best[1].pos):
                best = (line, found)
        return best


# ---------------------------------------------------------------------------------------------------
# Relations between the numbers at a line (for comparing runs)


@dataclass(frozen=True)
class _Q:
    """A value compared at a line: a number, or a date or time; how it reads; the variables it comes from."""

    value: object
    text: str
    variables: tuple[str, ...]


_WHEN = {"datetime": datetime.datetime, "date": datetime.date, "time": datetime.time, "timedelta": datetime.timedelta}


def _comparable(text: str | None) -> object:
    """A number, or a ``datetime.*(...)`` repr made into the value it shows; None for anything else."""
    number = _number(text)
    if number is not None or not text or not text.startswith(("datetime.", "date", "time")) or len(text) > 200:
        return number
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError):
        return None
    if not isinstance(node, ast.Call):
        return None
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    kind = _WHEN.get(name)
    constants = [*node.args, *(k.value for k in node.keywords)]
    if kind is None or not all(isinstance(c, ast.Constant) and type(c.value) is int for c in constants):
        return None
    try:
        return kind(
            *(c.value for c in node.args),  # type: ignore[attr-defined]
            **{str(k.arg): k.value.value for k in node.keywords},  # type: ignore[attr-defined]
        )
    except (TypeError, ValueError, OverflowError):
        return None


_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _eval(node: ast.AST, values: dict[str, str]) -> object:
    """The value of a small expression (names, ``len()``, fields, arithmetic) from the trace's values."""
    if isinstance(node, ast.Constant):
        value = node.value
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if isinstance(node, ast.Name):
        return _comparable(values.get(node.id))
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return _comparable(_value_of(values, f"{node.value.id}.{node.attr}"))
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "len" and len(node.args) == 1:
        arg = node.args[0]
        if isinstance(arg, ast.Name):
            text = values.get(arg.id)
        elif isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name):
            text = _value_of(values, f"{arg.value.id}.{arg.attr}")
        else:
            return None
        literal = _literal(text)
        return float(len(literal)) if isinstance(literal, (list, tuple, dict, set, str)) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = _eval(node.operand, values)
        return -operand if isinstance(operand, float) else None
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        left, right = _eval(node.left, values), _eval(node.right, values)
        if left is None or right is None:
            return None
        try:
            return _ARITH[type(node.op)](left, right)
        except (ArithmeticError, TypeError, ValueError):
            return None
    return None


def _quantities(func: _Func, line: int, x: _Exec) -> tuple[dict[str, _Q], list[tuple[str, str]]]:
    """Values compared at one execution of a line: numbers in variables, ``len(v)`` of containers,
    ``v.attr`` from reprs; and the two sides of each comparison on the line (keys of pairs)."""
    facts = func.facts(line)
    values = {**x.env, **x.state}
    out: dict[str, _Q] = {}
    for name in _unique(facts.bound + facts.reads):
        text = values.get(name)
        number = _number(text)
        if number is not None and text is not None:
            out[name] = _Q(number, text, (name,))
        else:
            length = _length(text)
            if length is not None:
                out[f"len({name})"] = _Q(float(length), str(length), (name,))
    for base, attr in facts.attrs:
        text = _value_of(values, f"{base}.{attr}")
        number = _number(text)
        if number is not None and text is not None:
            out[f"{base}.{attr}"] = _Q(number, text, (base,))
    pairs: list[tuple[str, str]] = []
    for left, right in facts.compares:
        keys = []
        for node in (left, right):
            key = ast.unparse(node)
            if key not in out:
                value = _eval(node, values)
                if value is None:
                    break
                names = tuple(_unique(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in values))
                out[key] = _Q(value, _num(value) if isinstance(value, float) else repr(value), names)
            keys.append(key)
        if len(keys) == 2:
            pairs.append((keys[0], keys[1]))
    return out, pairs


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _sign(a: object, b: object) -> str | None:
    if type(a) is not type(b):
        return None
    try:
        return "<" if a < b else ">" if a > b else "=="  # type: ignore[operator]
    except TypeError:
        return None


def _relations(found: tuple[dict[str, _Q], list[tuple[str, str]]]) -> dict[tuple[str, ...], str]:
    """The sign of each number, how each pair of plain values compares, and each comparison's sides."""
    q, pairs = found
    plain = [n for n in q if _is_plain(n)]
    out: dict[tuple[str, ...], str] = {}
    for name in plain:
        sign = _sign(q[name].value, 0.0)
        if sign is not None:
            out[(name,)] = sign
    for i, a in enumerate(plain):
        for b in plain[i + 1 :]:
            sign = _sign(q[a].value, q[b].value)
            if sign is not None:
                out[(a, b)] = sign
    for a, b in pairs:
        sign = _sign(q[a].value, q[b].value)
        if sign is not None and (a, b) not in out and (b, a) not in out:
            out[(a, b)] = sign
    return out


def _is_plain(key: str) -> bool:
    """A variable, ``len(v)`` or ``v.attr`` (not an expression from a comparison)."""
    return re.fullmatch(r"len\(\w+\)|\w+(\.\w+)?", key) is not None


# ---------------------------------------------------------------------------------------------------
# The explanation


@dataclass
class _Item:
    """Names to trace back in one call, from ``pos``; ``focus``: they hold the wrong value itself."""

    segment: _Segment
    names: list[str]
    pos: float
    depth: int
    exclude: int
    focus: bool


class _Explainer:
    def __init__(self, doc: Trace, source_of: Callable[[str], str], project: Path, passing: Sequence[Trace]) -> None:
        self.doc, self.source_of, self.passing = doc, source_of, list(passing)
        self.project = Path(project)
        self._sources: dict[str, _Source] = {}
        self._funcs: dict[tuple[str, int], _Func | None] = {}
        self._views: dict[tuple[int, str, int], _View] = {}
        self.steps: list[Step] = []
        self.step_pos: list[float] = []
        self.step_funcs: list[_Func] = []
        self.seen: set[tuple[str, int]] = set()
        self.test: TestInfo = doc.get("test") or NO_TEST
        self.failure: Failure = self.test["failure"] or NO_FAILURE
        self.exception: ExceptionInfo = doc.get("exception") or self.test["exception"] or NO_EXCEPTION
        self.blamed: tuple[_Func, _Segment | None] | None = None
        self.field_hint: str | None = None

    # -- helpers ---------------------------------------------------------------------------------

    def source(self, path: str) -> _Source:
        if path not in self._sources:
            try:
                text = self.source_of(path)
            except (OSError, UnicodeError, KeyError, ValueError):
                text = ""
            self._sources[path] = _Source(path, text or "")
        return self._sources[path]

    def rel(self, path: str) -> str:
        try:
            return Path(path).resolve().relative_to(self.project.resolve()).as_posix()
        except (ValueError, OSError):
            return path

    def where(self, path: str, line: int) -> str:
        return f"`{self.rel(path)}:{line}`"

    def func_at(self, path: str, line: int) -> _Func | None:
        found = self.source(path).function_at(line)
        if found is None:
            return None
        key = (path, found[0])
        if key not in self._funcs:
            self._funcs[key] = _Func(path, found[0], found[1])
        return self._funcs[key]

    def view(self, doc: Trace, func: _Func) -> _View:
        key = (id(doc), func.file, func.first)
        if key not in self._views:
            self._views[key] = _View(doc, func)
        return self._views[key]

    def add(self, func: _Func, line: int, values: dict[str, str], note: str, pos: float) -> Step | None:
        """Add a chain step (``pos``: when the line ran, for the order of the chain)."""
        if (func.file, line) in self.seen or len(self.steps) >= MAX_STEPS:
            return None
        self.seen.add((func.file, line))
        step = Step(func.file, line, self.source(func.file).text(line), values, note)
        self.steps.append(step)
        self.step_pos.append(pos)
        self.step_funcs.append(func)
        return step

    # -- failure ---------------------------------------------------------------------------------

    def failure_dict(self) -> dict:
        exc = self.exception
        message = self.failure.get("message") or exc.get("message") or ""
        if exc.get("type") and exc["type"] != "AssertionError" and self.doc.get("status") != "timeout":
            first = (exc.get("message") or "").splitlines()
            message = exc["type"] + (f": {first[0]}" if first else "")
        return {
            "test": self.failure["test"] or self.test["nodeid"] or None,
            "message": message or None,
            "expected": self.failure.get("expected"),
            "actual": self.failure.get("actual"),
        }

    def test_line(self) -> tuple[str, int] | None:
        file, line = self.failure["file"], self.failure["line"]
        if file and line and is_test_file(file):
            return file, int(line)
        for frame in reversed(self.exception.get("traceback") or []):
            if is_test_file(frame["file"]):
                return frame["file"], int(frame["line"])
        # No traceback (a timeout): the last line the test function ran, where it has no loops.
        name = (self.test.get("nodeid") or "").rpartition("::")[2].partition("[")[0]
        for call in self.doc.get("calls") or []:
            if name and call.get("name") == name and is_test_file(call["file"]):
                func = self.func_at(call["file"], call["line"])
                if func is not None and func.first == call["line"] and not func.loop:
                    ran = self.view(self.doc, func).executed()
                    if ran:
                        return call["file"], max(ran)
        return None

    # -- the chain -------------------------------------------------------------------------------

    def origin(self) -> tuple[str, str, int, str | None] | None:
        """(kind, file, line, value): ``raised`` | ``returned`` | ``running`` (timeout) | ``asserted``."""
        status = self.doc.get("status")
        exc = self.exception
        file, line = exc["file"], exc["line"]
        if status == "timeout":
            if file and line:
                return "running", file, int(line), None
            return None
        actual = self.failure.get("actual")
        if not (exc.get("type") and exc["type"] != "AssertionError") and actual is not None:
            returned = self.returned_origin(actual)
            if returned is not None:
                return returned
        found = wrong_value_origin(self.doc, lambda p: "\n".join(self.source(p).lines))
        if found is not None:
            return found.kind, found.file, found.line, found.value
        if exc["type"] and exc["type"] != "AssertionError" and file and line:
            return "raised", file, int(line), None
        if actual is not None:
            inside = self.field_origin(actual)
            if inside is not None:
                return inside
        where = self.test_line()
        if where is not None:
            return "asserted", where[0], where[1], actual
        return None

    def returned_origin(self, actual: str) -> tuple[str, str, int, str | None] | None:
        """The function that returned ``actual``: one the test line calls first, special methods last."""
        where = self.test_line()
        named: set[str] = set()
        if where is not None:
            test_func = self.func_at(*where)
            if test_func is not None:
                facts = test_func.facts(where[1])
                named = set(facts.calls) | set(facts.reads)
        ranked = []
        for order, call in enumerate(self.doc.get("calls") or []):
            if is_test_file(call["file"]):
                continue
            records = [r for r in call["records"] if r.get("return_repr") == actual]
            if not records:
                continue
            name = call.get("name") or ""
            rank = 0 if name in named else 2 if name.startswith("__") and name.endswith("__") else 1
            ranked.append((rank, order, call, records[-1]))
        if not ranked:
            return None
        _rank, _order, call, record = min(ranked, key=lambda r: (r[0], r[1]))
        func = self.func_at(call["file"], call["line"])
        if func is None or func.first != call["line"]:
            return None
        line = self.return_line(self.view(self.doc, func), record.get("at"), actual)
        return "returned", call["file"], line or call["line"], actual

    def field_origin(self, actual: str) -> tuple[str, str, int, str | None] | None:
        """A call that returned an object with a field equal to ``actual`` (``receipt.total``)."""
        wanted = _normal(actual)
        where = self.test_line()
        test_attrs = set()
        if where is not None:
            stmt = self.func_at(*where)
            if stmt is not None:
                test_attrs = {a for _, a in stmt.facts(where[1]).attrs}
        for call in self.doc.get("calls") or []:
            if is_test_file(call["file"]):
                continue
            for record in call["records"]:
                fields = _fields(record.get("return_repr")) or {}
                keys = [k for k, v in fields.items() if v == wanted and (not test_attrs or k in test_attrs)]
                if keys:
                    func = self.func_at(call["file"], call["line"])
                    if func is None:
                        continue
                    line = self.return_line(self.view(self.doc, func), record.get("at"), record.get("return_repr"))
                    self.field_hint = keys[0]
                    return "returned", call["file"], line or call["line"], record.get("return_repr")
        return None

    def return_line(self, view: _View, k: int | None = None, value: str | None = None) -> int | None:
        """The ``return`` that ran: the only one that ran in the test, or the one whose value matches."""
        lines = [n for n, s in view.func.starts.items() if isinstance(s, ast.Return) and view.hits.get(n)]
        if len(lines) <= 1 or value is None:
            return lines[0] if len(lines) == 1 else None
        segment = view.segment(k)
        if segment is None:
            return None
        env = segment.env_before(INF)
        matching: list[int] = []
        unknown: list[int] = []
        for line in lines:
            expr = view.func.starts[line].value  # type: ignore[attr-defined]
            if isinstance(expr, ast.Name) and expr.id in env:
                if env[expr.id] == value:
                    matching.append(line)
            elif isinstance(expr, ast.Name) and view.func.writers(expr.id) and expr.id not in view.func.params:
                continue  # a local never set in this call: this return did not run
            elif isinstance(expr, ast.Constant) or expr is None:
                if repr(getattr(expr, "value", None)) == value:
                    matching.append(line)
            else:
                unknown.append(line)
        if len(matching) == 1:
            return matching[0]
        return unknown[0] if not matching and len(unknown) == 1 else None

    def record_index(self, view: _View, kind: str, value: str | None) -> int | None:
        records = [view.records[k] for k in sorted(view.records)]
        if kind == "returned":
            matching = [r for r in records if r.get("return_repr") == value]
        elif kind in ("raised", "running"):
            matching = [r for r in records if r.get("exception")]
        else:
            matching = []
        if matching:
            return matching[-1].get("at")
        return view.count if view.count else None

    def suspicious(self, func: _Func, line: int, env: dict[str, str], kind: str) -> tuple[list[str], str]:
        """The names at the blamed line that hold the wrong value, and a note on why (from the values)."""
        facts = func.facts(line)
        exc_type = self.exception.get("type")
        if kind == "raised" and exc_type == "IndexError":
            for container, index in facts.subscripts:
                length, at = _length(env.get(container)), _number(env.get(index))
                if length is not None and at is not None and not -length <= at < length:
                    note = f"`{index} = {env[index]}` but `{container}` has {length} item{'s' if length != 1 else ''}"
                    note += f" (indexes 0–{length - 1})" if length else ""
                    return [index], note
        if kind == "raised" and exc_type == "ZeroDivisionError":
            zero = [n for n in facts.divisors if _number(env.get(n)) == 0]
            if zero:
                return zero, f"the divisor `{zero[0]} = {env[zero[0]]}`"
        if kind == "raised" and exc_type == "KeyError":
            key = (self.exception.get("message") or "").strip()
            for container, index in facts.subscripts:
                if index in env and _normal(env[index]) == _normal(key):
                    return [index, container], f"`{index} = {env[index]}` is not a key of `{container}`"
        if kind == "raised" and exc_type in ("TypeError", "AttributeError"):
            nones = [n for n in facts.reads if env.get(n) == "None"]
            if nones:
                return nones, f"`{nones[0]} = None`"
        if kind == "running":
            return facts.reads, ""
        if kind == "returned":
            hint = self.field_hint
            fields = [d[0] for d in _differences(self.failure.get("expected"), self.failure.get("actual"))]
            if hint:
                fields = [hint]
            sources = _field_sources(func.starts.get(line))
            names = _unique(n for f in fields for n in sources.get(f, []))
            if names:
                return names, ""
        return [n for n in facts.reads if n in env], ""

    def build_chain(self) -> tuple[str, str, int] | None:
        origin = self.origin()
        if origin is None:
            return None
        kind, file, line, value = origin
        func = self.func_at(file, line)
        if func is None:
            self.add_plain(file, line, kind, value)
            return kind, file, line
        line = func.head(line)
        view = self.view(self.doc, func)
        k = self.record_index(view, kind, value)
        segment = view.segment(k)
        self.blamed = (func, segment)
        note = self.blamed_note(kind, value, view, line)
        if segment is None:
            self.add(func, line, {}, note, INF)
            return kind, file, line
        env = segment.env_before(INF)
        facts = func.facts(line)
        follow, why = self.suspicious(func, line, env, kind)
        shown = {n: env[n] for n in _unique(facts.reads) if n in env}
        for base, attr in facts.attrs:
            fields = _fields(env.get(base))
            if fields and attr in fields:
                shown[f"{base}.{attr}"] = fields[attr]
        if why:
            note = f"{note}: {why}" if note else why
        if kind == "running" and facts.bound:
            series = self.series_note(segment, line, facts, view.stale(line, INF), count=False)
            note += f"; {series}" if series.startswith("`") else ""
        self.add(func, line, shown, note, INF)
        loop = func.loop.get(line)
        if kind == "running" and loop is not None:  # the loop it was stuck in
            self.loop_step(segment, loop)
            follow = _unique(follow + func.facts(loop.lineno).reads)
        first = _Item(segment, follow, INF, 1, line, True)
        queue: deque[_Item] = deque()
        if not (kind == "returned" and value and self.hop(facts, [value], first, queue)):
            queue.append(first)
        self.callees(segment, line, env, INF, most=2)
        if kind == "returned":
            self.other_returns(segment, line, first, queue)
        reached: list[_Segment] = []
        while queue and len(self.steps) < MAX_STEPS:
            self.follow(queue.popleft(), queue, reached)
        for seg in reached:
            pos = (seg.events[0].seq if seg.events else 0.0) - 0.5
            self.add(
                seg.func, seg.func.first, dict(seg.args), f"the arguments of this call of `{seg.func.name}()`", pos
            )
        return kind, file, line

    def blamed_note(self, kind: str, value: str | None, view: _View, line: int) -> str:
        exc = self.exception
        if kind == "raised":
            first = (exc.get("message") or "").splitlines()
            return f"raised {exc.get('type')}" + (f": {first[0]}" if first else "")
        if kind == "returned":
            return f"returned `{_short(value or '')}`"
        if kind == "running":
            hits = view.hits.get(line)
            return f"running when time ran out (it ran {hits:,} times)" if hits else "running when time ran out"
        return ""

    def add_plain(self, file: str, line: int, kind: str, value: str | None) -> None:
        text = self.source(file).text(line)
        note = f"returned `{_short(value)}`" if kind == "returned" and value else ""
        if (file, line) not in self.seen:
            self.seen.add((file, line))
            self.steps.append(Step(file, line, text, {}, note))
            self.step_pos.append(INF)

    def follow(self, item: _Item, queue: deque[_Item], reached: list[_Segment]) -> None:
        """Data dependencies: for each name, the line that set it last before ``item.pos``."""
        if item.depth > MAX_DEPTH:
            return
        segment, func = item.segment, item.segment.func
        found: list[tuple[str, int, _Exec]] = []
        for name in item.names:
            writer = segment.writer(name, item.pos, item.exclude)
            if writer is None:
                if name in func.params and name in segment.args and segment not in reached:
                    reached.append(segment)
                continue
            found.append((name, writer[0], writer[1]))
            if item.focus:
                self.never_ran(segment, name, item, queue)
        for _name, line, x in sorted(found, key=lambda f: -f[2].pos):
            if (func.file, line) in self.seen:
                continue
            facts = func.facts(line)
            stale = segment.view.stale(line, item.pos)
            env_after = {**x.env, **x.state}
            values: dict[str, str] = {}
            if not stale:
                values = {n: env_after[n] for n in facts.bound if n in env_after}
                for n in facts.reads:
                    if n in x.env and n not in values:
                        values[n] = x.env[n]
                for base, attr in facts.attrs:
                    fields = _fields(x.env.get(base))
                    if fields and attr in fields:
                        values[f"{base}.{attr}"] = fields[attr]
            if self.add(func, line, values, self.series_note(segment, line, facts, stale), x.pos) is None:
                return
            assigned = [env_after[n] for n in facts.writes if n in env_after]
            hopped = not stale and self.hop(facts, assigned, item, queue)
            if (item.focus or item.depth <= 2) and not hopped and not stale:
                self.callees(segment, line, x.env, x.pos)
            stmt = func.guard.get(line)
            if stmt is not None and (item.focus or len(segment.view.outcomes(stmt.lineno)) == 2):
                at = self.guard_step(segment, stmt, line, x.pos, never=False)
                if at is not None:
                    queue.append(_Item(segment, func.facts(stmt.lineno).reads, at, item.depth + 1, 0, False))
            if not hopped:
                queue.append(_Item(segment, facts.reads, x.pos, item.depth + 1, line, False))

    def callees(self, segment: _Segment, line: int, env: dict[str, str], pos: float, most: int = 1) -> None:
        """Functions of the project that ``line`` calls (or passes by name): where they returned what."""
        func = segment.func
        facts = func.facts(line)
        names = set(facts.calls) | set(facts.reads)
        shown = 0
        for call in self.doc.get("calls") or []:
            if shown >= most or call.get("name") not in names or is_test_file(call["file"]):
                continue
            callee = self.func_at(call["file"], call["line"])
            if callee is None or callee.first != call["line"] or callee is func:
                continue
            records = [r for r in call["records"] if self.same_arguments(facts, callee, r, env)]
            if not records:
                continue
            where = "here" if len(records) < len(call["records"]) else "in this test"
            view = self.view(self.doc, callee)
            last = records[-1]
            ret = self.return_line(view, last.get("at"), last.get("return_repr")) or callee.first
            results = [r.get("return_repr") for r in records if r.get("exception") is None]
            if not results or any(v is None for v in results):
                continue
            if len(records) == 1:
                note = f"`{callee.name}()` returned `{_short(str(results[0]))}`" + (
                    " (its only call in this test)" if where != "here" else ""
                )
                values = dict(last.get("args") or {})
            else:
                shown_calls = "; ".join(
                    f"({_short(', '.join(f'{k}={v}' for k, v in (r.get('args') or {}).items()), 60)}) → "
                    f"`{_short(str(r.get('return_repr')), 30)}`"
                    for r in records[:3]
                )
                more = f"; … ({len(records)} calls)" if len(records) > 3 else ""
                note = f"`{callee.name}()` was called {where} with {shown_calls}{more}"
                values = {}
            if self.add(callee, ret, values, note, pos - 0.1) is not None:
                shown += 1

    def same_arguments(self, facts: _Facts, callee: _Func, record: CallRecord, env: dict[str, str]) -> bool:
        """Could ``record`` be a call made at this line? Its arguments agree with the values known here."""
        args = record.get("args") or {}
        nodes = [
            node
            for node in facts.call_nodes
            if (node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None))
            == callee.name
        ]
        if not nodes:  # passed by name (``key=sort_key``): any call may be one of its
            return True
        for node in nodes:
            params = callee.params
            offset = 1 if isinstance(node.func, ast.Attribute) and params[:1] in (["self"], ["cls"]) else 0
            agree = True
            for index, arg in enumerate(node.args):
                if isinstance(arg, ast.Starred):
                    break
                if isinstance(arg, ast.Name) and arg.id in env and index + offset < len(params):
                    agree = agree and args.get(params[index + offset], env[arg.id]) == env[arg.id]
            for keyword in node.keywords:
                if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id in env:
                    agree = agree and args.get(keyword.arg, env[keyword.value.id]) == env[keyword.value.id]
            if agree:
                return True
        return False

    def loop_step(self, segment: _Segment, loop: ast.stmt) -> None:
        func, view = segment.func, segment.view
        env = segment.env_before(INF)
        facts = func.facts(loop.lineno)
        values = {n: env[n] for n in facts.reads if n in env}
        hits = view.hits.get(loop.lineno, 0)
        note = "the loop it was in" + (f" (this line ran {hits:,} times)" if hits else "")
        self.add(func, loop.lineno, values, note, INF - 1)

    def other_returns(self, segment: _Segment, line: int, item: _Item, queue: deque[_Item]) -> None:
        """The function returned at ``line``: the conditions that kept its other returns from running."""
        func, view = segment.func, segment.view
        shown = 0
        for other in sorted(func.starts):
            stmt = func.guard.get(other)
            if shown >= 2 or other == line or not isinstance(func.starts[other], ast.Return) or stmt is None:
                continue
            if view.hits.get(other) or not view.hits.get(stmt.lineno):
                continue
            at = self.guard_step(segment, stmt, other, INF, never=True)
            if at is not None:
                shown += 1
                queue.append(_Item(segment, func.facts(stmt.lineno).reads, at, item.depth + 1, 0, False))

    def never_ran(self, segment: _Segment, name: str, item: _Item, queue: deque[_Item]) -> None:
        """Another line that would have set ``name`` never ran: show the condition that kept it out."""
        func, pos = segment.func, item.pos
        for line in sorted(func.writers(name)):
            stmt = func.guard.get(line)
            if segment.view.hits.get(line) or stmt is None or not segment.view.hits.get(stmt.lineno):
                continue
            at = self.guard_step(segment, stmt, line, pos, never=True)
            if at is not None:
                queue.append(_Item(segment, func.facts(stmt.lineno).reads, at, item.depth + 1, 0, False))
            return

    def guard_step(self, segment: _Segment, stmt: ast.stmt, line: int, pos: float, never: bool) -> float | None:
        """The ``if``/``while`` that decided whether ``line`` ran, with its outcomes and values; when it
        was added, where it ran (for tracing its own values back)."""
        func = segment.func
        if (func.file, stmt.lineno) in self.seen:
            return None
        facts = func.facts(stmt.lineno)
        runs = [x for x in segment.executions(stmt.lineno) if x.pos < pos]
        if runs:
            env, at = runs[-1].env, runs[-1].pos
        else:  # the values the line it guards saw, less those its body may have changed
            body_writes = {n for s in ast.walk(stmt) if isinstance(s, ast.stmt) for n in _facts_of(s).bound}
            x = segment.last_before(line, pos)
            env = {k: v for k, v in (x.env if x else {}).items() if k not in body_writes}
            at = (x.pos if x else pos) - 0.25
        values = {n: env[n] for n in facts.reads if n in env}
        for base, attr in facts.attrs:
            fields = _fields(env.get(base))
            if fields and attr in fields:
                values[f"{base}.{attr}"] = fields[attr]
        view = segment.view
        branches = branch_lines("\n".join(self.source(func.file).lines))
        text = self.source(func.file).text(line)
        note = f"decides whether line {line} (`{_short(text, 60)}`) runs"
        if never:
            note += "; it never did"
        if stmt.lineno in branches:
            kind, _ = branches[stmt.lineno]
            taken, not_taken = view.branch.get(stmt.lineno, (0, 0))
            if taken + not_taken:
                note += ": " + branch_note(kind, taken + not_taken, taken)
                note += " over the whole test" if not segment.single else ""
        every = segment.executions(stmt.lineno)
        if 1 < len(every) <= 6:
            series = []
            for n in facts.reads + [f"{b}.{a}" for b, a in facts.attrs]:
                seq = [_value_of(r.env, n) for r in every]
                if all(v is not None and len(v) <= 40 for v in seq):
                    series.append(f"`{n}` = {' → '.join(v or '' for v in seq)}")
            if series:
                note += " (" + ", ".join(series) + ")"
        if self.add(func, stmt.lineno, values, note, at) is None:
            return None
        self.callees(segment, stmt.lineno, env, at)
        return at

    def series_note(self, segment: _Segment, line: int, facts: _Facts, stale: bool, count: bool = True) -> str:
        own = [e for e in segment.events if e.line == line]
        hits = segment.view.hits.get(line, 0)
        parts = []
        for name in facts.bound:
            series = [e.state[name] for e in own if name in e.state]
            if len(series) > 1 and all(len(v) <= 40 for v in series):
                parts.append(f"`{name}` = {format_values(series, len(series))}" + (" → …" if stale else ""))
        text = ", ".join(parts)
        if hits > 1 and segment.single and count:
            text += f" (ran {hits:,}×)" if text else f"ran {hits:,}×"
        if stale:
            text += "; the values of its later runs were not recorded"
        return text.strip()

    def hop(self, facts: _Facts, assigned: list[str], item: _Item, queue: deque[_Item]) -> bool:
        """``x = g(...)`` (or ``return g(...)``): follow into ``g`` when one of its calls returned the value
        ``x`` got."""
        if not assigned or not facts.calls:
            return False
        for call in self.doc.get("calls") or []:
            if call.get("name") not in facts.calls:
                continue
            for record in reversed(call["records"]):
                if record.get("return_repr") is None or record["return_repr"] not in assigned:
                    continue
                func = self.func_at(call["file"], call["line"])
                if func is None:
                    continue
                view = self.view(self.doc, func)
                ret = self.return_line(view, record.get("at"), record["return_repr"])
                inner = view.segment(record.get("at"))
                if ret is None or inner is None:
                    return False
                env = inner.env_before(INF)
                reads = [n for n in func.facts(ret).reads if n in env]
                note = f"`{func.name}()` returned `{_short(record['return_repr'])}`"
                pos = (inner.events[-1].seq if inner.events else item.pos) + 0.5
                if self.add(func, ret, {n: env[n] for n in reads}, note, pos) is not None:
                    queue.append(_Item(inner, reads, INF, item.depth + 1, ret, item.focus))
                return True
        return False

    # -- divergence ------------------------------------------------------------------------------

    def divergence(self) -> tuple[Step, str] | None:
        funcs = []
        for func in self.step_funcs:
            if func not in funcs and not is_test_file(func.file):
                funcs.append(func)
        for func in funcs:
            found = self.diverge_in(func)
            if found is not None:
                return found
        return None

    def diverge_in(self, func: _Func) -> tuple[Step, str] | None:
        runs = []
        for doc in self.passing:
            view = self.view(doc, func)
            if view.executed():
                runs.append((doc, view))
        if not runs:
            return None
        mine = self.view(self.doc, func)
        blamed = self.blamed
        segment = blamed[1] if blamed is not None and blamed[0] is func else mine.segment(mine.count or None)
        if segment is None:
            return None
        executed = mine.executed()
        all_lines = self.code_lines(self.doc)
        runs.sort(
            key=lambda r: (
                len(executed ^ r[1].executed()),
                len(all_lines ^ self.code_lines(r[0])),
            )
        )
        closest = runs[0]
        names = {id(doc): _test_name(doc) for doc, _ in runs}
        passing_lines = set().union(*(v.executed() for _, v in runs))
        passing_raised = set().union(*(v.raised for _, v in runs))
        passing_execs: dict[int, list[tuple[str, dict[str, _Q], _Exec]]] = {}
        relations: dict[int, dict[tuple[str, ...], set[str]]] = {}
        for doc, view in [closest] + runs[1:]:
            for seg in view.segments():
                for line in sorted(view.executed()):
                    for run in seg.executions(line):
                        found = _quantities(func, line, run)
                        passing_execs.setdefault(line, []).append((names[id(doc)], found[0], run))
                        for key, sign in _relations(found).items():
                            relations.setdefault(line, {}).setdefault(key, set()).add(sign)
        timeline: list[tuple[float, int, int, _Exec | None]] = []
        for line in sorted(executed):
            xs = segment.executions(line)
            for index, done in enumerate(xs):
                timeline.append((done.pos, line, index, done))
            if not xs and line in mine.raised:
                timeline.append((INF, line, 0, None))
        timeline.sort(key=lambda item: (item[0], item[1], item[2]))
        closest_name = names[id(closest[0])]
        checked: set[int] = set()
        for _pos, line, _index, x in timeline:
            env = x.env if x is not None else {}
            if line not in checked:
                checked.add(line)
                values = {n: env[n] for n in func.facts(line).reads if n in env}
                if line not in passing_lines:
                    return self.div_step(
                        func, line, values, "runs here, but in none of the passing tests"
                    ), closest_name
                novel = mine.outcomes(line) - set().union(*(v.outcomes(line) for _, v in runs))
                if novel:
                    taken = "True" if True in novel else "False"
                    other = "False" if taken == "True" else "True"
                    text = f"the condition is {taken} here; in the passing tests it was always {other}"
                    return self.div_step(func, line, values, text), closest_name
            if x is None:
                continue
            found = _quantities(func, line, x)
            q = found[0]
            seen = relations.get(line, {})
            for key, sign in _relations(found).items():
                if key in seen and sign not in seen[key]:
                    return self.relation_step(func, line, x, q, key, sign, seen[key], passing_execs.get(line, []))
        for line in sorted(mine.raised & executed):
            if line in passing_lines and line not in passing_raised:
                text = "raised here; the passing tests ran this line without an exception"
                return self.div_step(func, line, {}, text), closest_name
        return None

    def code_lines(self, doc: Trace) -> set[tuple[str, int]]:
        return {
            (self.rel(f), int(n))
            for f, lines in (doc.get("lines") or {}).items()
            if not is_test_file(f)
            for n, e in lines.items()
            if e.get("hits")
        }

    def div_step(self, func: _Func, line: int, values: dict[str, str], note: str) -> Step:
        return Step(func.file, line, self.source(func.file).text(line), values, note)

    def relation_step(
        self,
        func: _Func,
        line: int,
        x: _Exec,
        q: dict[str, _Q],
        key: tuple[str, ...],
        sign: str,
        passing_signs: set[str],
        examples: list[tuple[str, dict[str, _Q], _Exec]],
    ) -> tuple[Step, str]:
        env = {**x.env, **x.state}
        values: dict[str, str] = {}
        for name in key:
            for var in q[name].variables:
                if var in env:
                    values[var] = env[var]
        here = " and ".join(f"`{n} = {_short(q[n].text, 40)}`" for n in key)
        other = key[1] if len(key) > 1 else "0"
        rel_here = f"{key[0]} {sign} {other}"
        if len(passing_signs) == 1:
            rel_there = f"{key[0]} {next(iter(passing_signs))} {other} every time"
        else:
            rel_there = f"{key[0]} was {' or '.join(sorted(passing_signs))} {other}, never {sign}"
        text = f"here {here} ({rel_here}); in the passing tests {rel_there}"
        example = next((e for e in examples if all(n in e[1] for n in key)), None)
        run = examples[0][0] if examples else ""
        if example is not None:
            run = example[0]
            shown = ", ".join(f"`{n} = {_short(example[1][n].text, 40)}`" for n in key)
            text += f" (e.g. {shown} in `{run}`)"
        step = Step(func.file, line, self.source(func.file).text(line), values, text)
        return step, run

    # -- markdown --------------------------------------------------------------------------------

    def run(self) -> Explanation:
        failure = self.failure_dict()
        md: list[str] = []
        name = failure["test"] or "the test"
        status = self.doc.get("status")
        md.append(f"**`{name}` {'timed out' if status == 'timeout' else 'fails'}.**")
        md.append("")
        md.append(self.failure_text(failure))
        code_ran = any(
            not is_test_file(f) and any(e.get("hits") for e in lines.values())
            for f, lines in (self.doc.get("lines") or {}).items()
        )
        blamed = self.build_chain()
        self.ordered_steps()
        line = (blamed[1], blamed[2]) if blamed is not None and blamed[0] != "asserted" else None
        if line is None:
            line = next(((s.file, s.line) for s in self.steps if not is_test_file(s.file)), None)
        if not (self.doc.get("lines") or {}):
            md.append("")
            md.append("The trace recorded no lines, so there is nothing more to show.")
        elif not code_ran:
            md.append("")
            md.append("No code under test ran in this test (only the test's own lines were traced).")
        if self.steps:
            md.append("")
            md.append("**How it came about** (backwards from the failure):")
            md.append("")
            shown: set[tuple[str, str]] = set()
            for index, step in enumerate(self.steps, 1):
                md.append(f"{index}. {self.step_text(step, shown)}")
        divergence = None
        found = self.divergence() if self.steps else None
        if found is not None:
            divergence, run = found
            md.append("")
            where = self.where(divergence.file, divergence.line)
            md.append(
                f"**Compared with passing tests:** `{run}` passes through the same code; the first difference is at "
                f"{where} `{divergence.text}`: {divergence.note}."
            )
        return Explanation("\n".join(md).rstrip() + "\n", failure, line, list(self.steps), divergence)

    def ordered_steps(self) -> None:
        """The blamed line first, then the others from the latest to the earliest run."""
        if len(self.steps) > 1:
            rest = sorted(range(1, len(self.steps)), key=lambda i: -self.step_pos[i])
            order = [0] + rest
            self.steps = [self.steps[i] for i in order]
            self.step_pos = [self.step_pos[i] for i in order]
            self.step_funcs = [self.step_funcs[i] for i in order]

    def failure_text(self, failure: dict) -> str:
        where = self.test_line()
        at = ""
        if where is not None:
            text = self.source(where[0]).text(where[1])
            at = f"At {self.where(*where)}" + (f" `{text}`" if text else "") + ": "
        status = self.doc.get("status")
        exc = self.exception
        if status == "timeout":
            message = (failure.get("message") or "did not finish in time").split("; it was running")[0]
            place = ""
            file, line = exc["file"], exc["line"]
            if file and line:
                text = self.source(file).text(int(line))
                place = f"; when time ran out it was running {self.where(file, int(line))}"
                place += f" `{text}`" if text else ""
            return f"{at}it {message}{place}." if at else f"It {message}{place}."
        if failure.get("expected") is not None and failure.get("actual") is not None:
            text = f"{at}expected `{_short(failure['expected'], 200)}`, got `{_short(failure['actual'], 200)}`."
            diffs = _differences(failure["expected"], failure["actual"])
            if diffs:
                parts = []
                for key, exp, act in diffs[:4]:
                    if act is None:
                        parts.append(f"`{key}` is missing (expected `{_short(exp or '')}`)")
                    elif exp is None:
                        parts.append(f"`{key}` is not expected (got `{_short(act)}`)")
                    else:
                        parts.append(f"`{key}`: expected `{_short(exp)}`, got `{_short(act)}`")
                text += " Differences: " + "; ".join(parts) + "."
            return text
        message = failure.get("message") or exc.get("type") or status or "failed"
        text = f"{at}{message}"
        file, line = exc["file"], exc["line"]
        if file and line and not is_test_file(file):
            function = next((f.get("function") for f in reversed(exc.get("traceback") or [])), None)
            text += f", raised at {self.where(file, int(line))}" + (f" in `{function}()`" if function else "")
        return text + "."

    def step_text(self, step: Step, shown: set[tuple[str, str]]) -> str:
        """A chain step; values an earlier step showed already, and objects whose fields are shown, left out."""
        text = f"{self.where(step.file, step.line)} `{_short(step.text, 100)}`"
        if step.note:
            text += f" — {step.note}"
        bases = {k.partition(".")[0] for k in step.values if "." in k}
        func = self.func_at(step.file, step.line)
        own: set[str] = set()
        if func is not None:
            own = set(func.params) if step.line == func.first else set(func.facts(step.line).bound)
        values = {k: v for k, v in step.values.items() if k in own or ((k, v) not in shown and k not in bases)}
        shown.update(step.values.items())
        if values:
            text += ("; " if step.note else " — ") + _pairs(values)
        return text


def _field_sources(stmt: ast.stmt | None) -> dict[str, list[str]]:
    """``return Cls(a=x, b=y + z)`` / ``return {"a": x}``: field -> names its value is made of."""
    if not isinstance(stmt, ast.Return) or stmt.value is None:
        return {}
    value = stmt.value
    out: dict[str, list[str]] = {}
    if isinstance(value, ast.Call):
        for kw in value.keywords:
            if kw.arg:
                out[kw.arg] = [n.id for n in ast.walk(kw.value) if isinstance(n, ast.Name)]
    elif isinstance(value, ast.Dict):
        for k, v in zip(value.keys, value.values):
            if k is not None:
                out[ast.unparse(k)] = [n.id for n in ast.walk(v) if isinstance(n, ast.Name)]
    return out


def _test_name(doc: Trace) -> str:
    test = doc.get("test")
    node = test["nodeid"] if test else ""
    return node.rpartition("::")[2] or node or "a passing test"


def explain_failure(
    doc: Trace, source_of: Callable[[str], str], project: Path, passing: Sequence[Trace] = ()
) -> Explanation:
    """Explain the failing test traced in ``doc`` (a ``testruns.test_document``).

    ``source_of(path)`` gives a traced file's text; ``project`` is the root that ``file:line``
    references are relative to; ``passing`` are trace documents of passing tests of the same code,
    compared with the failing run to find where they part.
    """
    return _Explainer(doc, source_of, project, passing).run()
