"""What each source line can bind, read off the file's syntax tree.

The tracer diffs locals exactly for the first executions of a line; after that
it only counts hits and reconstructs the line's last state from the frame's
values at exit. Knowing which names a line assigns lets that reconstruction
attribute a value to the right line even when the first executions did not
change it.
"""

from __future__ import annotations

import ast
import functools
from typing import NamedTuple


class _Binder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.names: dict[int, set[str]] = {}

    def _add(self, line: int, name: str) -> None:
        self.names.setdefault(line, set()).add(name)

    def _target(self, line: int, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            self._add(line, node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self._target(line, elt)
        elif isinstance(node, ast.Starred):
            self._target(line, node.value)
        elif isinstance(node, (ast.Subscript, ast.Attribute)):
            base = node.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                self._add(line, base.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(node.lineno, target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.lineno, node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.lineno, node.target)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._target(node.lineno, node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._target(node.lineno, node.target)
        self.generic_visit(node)

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self._target(node.context_expr.lineno, node.optional_vars)
        self.generic_visit(node)


def bound_names(source: str) -> dict[int, frozenset[str]]:
    """Map line number -> names that a statement starting on that line may bind or mutate."""
    try:
        tree = _tree(source)
    except (SyntaxError, ValueError):
        return {}
    binder = _Binder()
    binder.visit(tree)
    return {line: frozenset(names) for line, names in binder.names.items()}


def qualnames(source: str) -> dict[tuple[int, str], str]:
    """(first line as code objects count it, name) -> qualified name; ``co_qualname`` exists only from 3.11."""
    try:
        tree = _tree(source)
    except (SyntaxError, ValueError):
        return {}
    out: dict[tuple[int, str], str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                qualname = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    out[(first, child.name)] = qualname
                    visit(child, qualname + ".<locals>.")
                else:
                    visit(child, qualname + ".")
            elif isinstance(child, ast.Lambda):
                out.setdefault((child.lineno, "<lambda>"), prefix + "<lambda>")
                visit(child, prefix + "<lambda>.<locals>.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


# Statements that always go on to the next statement of their block unless they raise.
_STRAIGHT = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Expr,
    ast.Pass,
    ast.Delete,
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.Assert,
)
# Statements whose line reports one event per execution (no loop head, no `with` exit on the same line).
_ONE_EVENT = (*_STRAIGHT, ast.Return, ast.Raise, ast.If)
_SUSPENDS = (ast.Yield, ast.YieldFrom, ast.Await)


def straight_predecessors(source: str) -> dict[int, int]:
    """Line L -> line P when every execution of L's statement directly follows one of P's.

    P and L are neighbours in one block, each on a line of its own, P cannot jump or suspend,
    and nothing jumps to L. So L runs exactly as often as P, less the times P raised: once
    L's states are captured, its hits can be derived from P's instead of being counted.
    """
    try:
        tree = _tree(source)
    except (SyntaxError, ValueError):
        return {}
    lines_with_statements: dict[int, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                lines_with_statements[line] = lines_with_statements.get(line, 0) + (line == node.lineno)
    out: dict[int, int] = {}
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for prev, stmt in zip(block, block[1:]):
                if (
                    isinstance(prev, _STRAIGHT)
                    and isinstance(stmt, _ONE_EVENT)
                    and prev.lineno == prev.end_lineno
                    and stmt.lineno == stmt.end_lineno
                    and prev.lineno < stmt.lineno
                    and lines_with_statements.get(prev.lineno) == 1
                    and lines_with_statements.get(stmt.lineno) == 1
                    and not any(isinstance(n, _SUSPENDS) for n in ast.walk(prev))
                ):
                    out[stmt.lineno] = prev.lineno
    return out


def _walk_same_scope(nodes):
    """Nodes under ``nodes``, not descending into nested functions, classes or lambdas."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def _breaks_out(body) -> bool:
    """A ``break`` of this loop (not of a loop nested in it), or a ``return``."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Return, ast.Break)):
            return True
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            # Breaks in its body are its own; returns anywhere in it, and its else clause, are ours.
            stack.extend(n for n in _walk_same_scope(node.body) if isinstance(n, ast.Return))
            stack.extend(node.orelse)
            continue
        stack.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
        )
    return False


def loop_heads(source: str) -> dict[int, tuple[int, int, int]]:
    """``for`` line F -> (B, P, last body line): its hits can be derived as B + entries - exits.

    B is the first statement of the body (one event per iteration), P the straight-line
    statement before the loop (entries = P's hits; 0 when the loop opens a function, then
    entries = calls). The loop has no ``break``/``return``/``yield``/``try``/``with`` in its
    body, so it only ends by running out or by an exception, which RAISE events count.
    """
    try:
        tree = _tree(source)
    except (SyntaxError, ValueError):
        return {}
    preds = straight_predecessors(source)
    out: dict[int, tuple[int, int, int]] = {}
    for scope in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(scope, field, None)
            if not isinstance(block, list):
                continue
            for index, loop in enumerate(block):
                if not isinstance(loop, ast.For) or loop.iter.end_lineno != loop.lineno:
                    continue
                first = loop.body[0]
                if first.lineno <= loop.lineno:  # a one-line loop: sys.monitoring sees one event for it
                    continue
                header_end = first.test.end_lineno if isinstance(first, ast.If) else first.end_lineno
                if not isinstance(first, _ONE_EVENT) or header_end != first.lineno:
                    continue
                inside = list(_walk_same_scope(loop.body))
                if _breaks_out(loop.body) or any(
                    isinstance(n, (ast.Try, ast.With, ast.AsyncWith, *_SUSPENDS)) for n in inside
                ):
                    continue
                if index == 0 and isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and field == "body":
                    entry = 0
                elif index > 0 and preds.get(loop.lineno) is None and _straight_before(block[index - 1], loop):
                    entry = block[index - 1].lineno
                else:
                    continue
                # The body only: an exception in an `else:` clause comes after the loop ran out.
                end = max(getattr(n, "end_lineno", 0) or 0 for stmt in loop.body for n in ast.walk(stmt))
                out[loop.lineno] = (first.lineno, entry, end)
    return out


def _straight_before(prev: ast.stmt, loop: ast.For) -> bool:
    return (
        isinstance(prev, _STRAIGHT)
        and prev.lineno == prev.end_lineno
        and prev.lineno < loop.lineno
        and not any(isinstance(n, _SUSPENDS) for n in ast.walk(prev))
    )


def iteration_lines(source: str) -> frozenset[int]:
    """Lines where a ``for`` (statement or comprehension) takes the next item: a StopIteration raised
    there by an iterator's ``__next__`` is caught by the loop itself."""
    try:
        tree = _tree(source)
    except (SyntaxError, ValueError):
        return frozenset()
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            lines.add(node.lineno)
            lines.update(range(node.iter.lineno, (node.iter.end_lineno or node.iter.lineno) + 1))
        elif isinstance(node, ast.comprehension):
            lines.update(range(node.target.lineno, (node.iter.end_lineno or node.iter.lineno) + 1))
    return frozenset(lines)


def one_line_loops(source: str) -> frozenset[int]:
    """``for`` statements whose body starts on the header's line (``for t in ts: s += t``)."""
    try:
        tree = _tree(source)
    except (SyntaxError, ValueError):
        return frozenset()
    return frozenset(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.For) and node.body[0].lineno == node.lineno == node.body[-1].end_lineno
    )


class FileFacts(NamedTuple):
    """Everything the tracer reads off one file's syntax tree, computed once per file."""

    bound: dict[int, frozenset[str]]
    qualnames: dict[tuple[int, str], str]
    preds: dict[int, int]
    heads: dict[int, tuple[int, int, int]]
    iter_lines: frozenset[int]
    one_line_loops: frozenset[int]

    @classmethod
    def of(cls, source: str) -> FileFacts:
        """The facts of a file's text (cached: every test of a pytest run meets the same files)."""
        return _facts_of(cls, source)  # type: ignore[arg-type]

    @classmethod
    def _compute(cls, source: str) -> FileFacts:
        return cls(
            bound_names(source),
            qualnames(source),
            straight_predecessors(source),
            loop_heads(source),
            iteration_lines(source),
            one_line_loops(source),
        )


@functools.lru_cache(maxsize=8)
def _tree(source: str) -> ast.Module:
    """One parse per text for all the analyses above (read-only walks of the same tree)."""
    return ast.parse(source)


@functools.lru_cache(maxsize=512)
def _facts_of(cls, source: str) -> FileFacts:
    return cls._compute(source)
