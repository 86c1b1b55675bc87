"""Source facts: statements, functions, what a line reads and writes (from the text alone)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterable, Union

from ..pysource import MAX_CHARS, parse_module

_FuncNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


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
