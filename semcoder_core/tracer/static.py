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
    tree = _tree(source)
    if tree is None:
        return {}
    binder = _Binder()
    binder.visit(tree)
    return {line: frozenset(names) for line, names in binder.names.items()}


def qualnames(source: str) -> dict[tuple[int, str], str]:
    """(first line as code objects count it, name) -> qualified name; ``co_qualname`` exists only from 3.11."""
    tree = _tree(source)
    if tree is None:
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
    tree = _tree(source)
    if tree is None:
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
    tree = _tree(source)
    if tree is None:
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
    tree = _tree(source)
    if tree is None:
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
    tree = _tree(source)
    if tree is None:
        return frozenset()
    return frozenset(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.For, ast.While)) and node.body[0].lineno == node.lineno == node.body[-1].end_lineno
    )


def for_heads(source: str) -> dict[int, int]:
    """``for`` line -> the first line of its body, where the body starts on a later line."""
    tree = _tree(source)
    if tree is None:
        return {}
    out: dict[int, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.AsyncFor)) and node.body:
            first = _first_line(node.body[0])
            if first > (node.iter.end_lineno or node.lineno):
                out[node.lineno] = first
    return out


def statement_lines(source: str) -> dict[int, int]:
    """Each line of a statement that spans several (or of a compound statement's header) -> the line
    the statement starts on."""
    tree = _tree(source)
    if tree is None:
        return {}
    out: dict[int, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                end = _first_line(body[0]) - 1
            else:
                end = node.end_lineno or node.lineno
            for line in range(node.lineno + 1, end + 1):
                out.setdefault(line, node.lineno)
    return out


def suspend_lines(source: str) -> frozenset[int]:
    """Lines that iterate or suspend (``for``/``async for`` headers and iterables, comprehensions, ``yield``,
    ``yield from``, ``await``): a StopIteration, StopAsyncIteration or GeneratorExit there is the machinery's."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    lines = set(iteration_lines(source))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def _first_line(node: ast.stmt) -> int:
    """The line a statement's first event reports (a decorated definition starts at its first decorator)."""
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])


def _statement_starts(tree: ast.AST) -> dict[int, list[ast.stmt]]:
    starts: dict[int, list[ast.stmt]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            starts.setdefault(node.lineno, []).append(node)
    return starts


def _functions(tree: ast.AST):
    """(function, its first line as code objects count it) for every ``def`` (lambdas have no ``return``)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, _first_line(node)


class ReturnFacts(NamedTuple):
    """What the tracer needs to put a returned value on the ``return`` line that returned it."""

    # line -> ((first line of the function, column of ``return``, its end column), ...)
    lines: dict[int, tuple[tuple[int, int, int], ...]]
    # Lines where a ``return`` shares its line with a statement before it (``if x: return y``): a
    # function that falls off its end there reports its implicit ``return None`` on the same line.
    shared: frozenset[int]
    # A ``return`` inside ``with`` or ``try/finally``: its return event comes after the cleanup,
    # on one of these lines (the ``with`` line, a line of the ``finally:`` body) from 3.10 on.
    exits: dict[int, frozenset[int]]


def return_facts(source: str) -> ReturnFacts:
    tree = _tree(source)
    if tree is None:
        return ReturnFacts({}, frozenset(), {})
    starts = _statement_starts(tree)
    lines: dict[int, list[tuple[int, int, int]]] = {}
    shared: set[int] = set()
    exits: dict[int, frozenset[int]] = {}

    def visit(nodes, first: int, cleanup: frozenset[int]) -> None:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(node, ast.Return):
                end = node.end_col_offset if node.end_lineno == node.lineno else 1 << 30
                lines.setdefault(node.lineno, []).append((first, node.col_offset, end or 0))
                if any(s is not node and s.col_offset < node.col_offset for s in starts[node.lineno]):
                    shared.add(node.lineno)
                if cleanup:
                    exits[node.lineno] = exits.get(node.lineno, frozenset()) | cleanup
            if isinstance(node, (ast.With, ast.AsyncWith)):
                header = frozenset(range(node.lineno, max(node.lineno, node.body[0].lineno - 1) + 1))
                visit(node.items, first, cleanup)
                visit(node.body, first, cleanup | header)
                continue
            if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                final = getattr(node, "finalbody", None) or []
                inner = cleanup
                if final:
                    end = max(getattr(n, "end_lineno", 0) or 0 for s in final for n in ast.walk(s))
                    inner = cleanup | frozenset(range(final[0].lineno, end + 1))
                visit(node.body, first, inner)
                visit(node.handlers, first, inner)
                visit(node.orelse, first, inner)
                visit(final, first, cleanup)
                continue
            visit(list(ast.iter_child_nodes(node)), first, cleanup)

    for func, first in _functions(tree):
        visit(func.body, first, frozenset())
    return ReturnFacts({k: tuple(v) for k, v in lines.items()}, frozenset(shared), exits)


# How a branch line's outcomes are found (see Recorder.branch_outcomes).
BODY_COUNT = 0  # the body's first line runs once per entry, on a line of its own: True = its hits
NEXT_LINE = 1  # True when the next line event of the frame is the body's first line
RETURN_BODY = 2  # ``if x: return y`` on one line: True when the line returned
_REPEATS = (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)


def branch_heads(source: str) -> dict[int, tuple[str, int, int, int]]:
    """``if``/``elif``/``while`` line -> (kind, first line of its body, last line of its test, how).

    Lines whose outcome a line event cannot show (a one-line body other than ``return``) are left out.
    """
    tree = _tree(source)
    if tree is None:
        return {}
    starts = _statement_starts(tree)
    out: dict[int, tuple[str, int, int, int]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.If, ast.While)) or not node.body:
            continue
        kind = "while" if isinstance(node, ast.While) else "if"
        test_end = node.test.end_lineno or node.lineno
        body = node.body[0]
        body_line = _first_line(body)
        if body_line <= test_end:  # the body starts on the test's line
            if kind == "if" and isinstance(body, ast.Return) and len(node.body) == 1:
                out[node.lineno] = (kind, body_line, test_end, RETURN_BODY)
            continue
        simple = (
            test_end == node.lineno
            and isinstance(body, _ONE_EVENT)
            and body.lineno == body.end_lineno
            and len(starts.get(body.lineno, ())) == 1
            and not isinstance(body, _REPEATS)
            # Python 3.9 reports a line that leaves through a `finally:` again after the cleanup.
            and not isinstance(body, (ast.Return, ast.Break, ast.Continue))
        )
        out[node.lineno] = (kind, body_line, test_end, BODY_COUNT if simple else NEXT_LINE)
    return out


class FileFacts(NamedTuple):
    """Everything the tracer reads off one file's syntax tree, computed once per file."""

    bound: dict[int, frozenset[str]]
    qualnames: dict[tuple[int, str], str]
    preds: dict[int, int]
    heads: dict[int, tuple[int, int, int]]
    iter_lines: frozenset[int]
    one_line_loops: frozenset[int]
    returns: ReturnFacts
    branches: dict[int, tuple[str, int, int, int]]
    suspend_lines: frozenset[int]
    for_heads: dict[int, int]
    statements: dict[int, int]

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
            return_facts(source),
            branch_heads(source),
            suspend_lines(source),
            for_heads(source),
            statement_lines(source),
        )


@functools.lru_cache(maxsize=8)
def _tree(source: str) -> ast.Module | None:
    """One parse per text for all the analyses above (read-only walks of the same tree); None for a text
    that does not parse (remembered too: every analysis asks)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


@functools.lru_cache(maxsize=512)
def _facts_of(cls, source: str) -> FileFacts:
    return cls._compute(source)
