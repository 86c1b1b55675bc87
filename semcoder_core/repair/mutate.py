"""Mutation operators: small edits at a suspicious line, written back into the source text.

Each edit replaces the source segment of one node (or inserts or deletes a
statement), so the rest of the line keeps its formatting and the diff shows the
change alone. Operators follow the bugs people make: a wrong comparison or
arithmetic operator, an off-by-one in a constant, index, slice or bound, a
wrong variable, swapped arguments or operands, a negated or dropped condition,
a missing guard or a missing update.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from ..pysource import MAX_CHARS, parse_module

_COMPARE_SWAPS: dict[type, list[str]] = {
    ast.Lt: ["<=", ">", ">="],
    ast.LtE: ["<", ">=", ">"],
    ast.Gt: [">=", "<", "<="],
    ast.GtE: [">", "<=", "<"],
    ast.Eq: ["!="],
    ast.NotEq: ["=="],
    ast.In: ["not in"],
    ast.NotIn: ["in"],
    ast.Is: ["is not"],
    ast.IsNot: ["is"],
}
_COMPARE_TEXT = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_BINOP_SWAPS: dict[type, list[str]] = {
    ast.Add: ["-", "*"],
    ast.Sub: ["+"],
    ast.Mult: ["/", "//", "+"],
    ast.Div: ["//", "*"],
    ast.FloorDiv: ["/", "%"],
    ast.Mod: ["//"],
    ast.Pow: ["*"],
}
_BINOP_TEXT = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_DEFAULTS = ["0", "None", "[]", "0.0", "''", "{}", "False"]
# the guard's default for a function annotated to return this (`-> float` returns 0.0, not 0)
_DEFAULT_OF = {"float": "0.0", "int": "0", "list": "[]", "str": "''", "dict": "{}", "bool": "False", "Optional": "None"}


@dataclass(frozen=True)
class Edit:
    """One candidate: the whole new text of the file, and what changed."""

    operator: str
    line: int
    before: str  # the changed line(s) as they were
    after: str  # ... and as they are in the candidate
    source: str

    @property
    def title(self) -> str:
        before, after = self.before.strip(), self.after.strip()
        if "\n" in before or "\n" in after:
            return f"rewrite {before.count(chr(10)) + 1} line(s) as {after.count(chr(10)) + 1}"
        return f"`{self.before.strip()}` → `{self.after.strip()}`" if self.after.strip() else f"delete `{self.before}`"


class _Text:
    """A file's lines, with node positions (UTF-8 byte columns in ast) mapped to characters."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)

    def col(self, line: int, byte_col: int) -> int:
        return len(self.lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def replace(self, node: ast.AST, text: str) -> tuple[str, str, str] | None:
        """(new source, old line, new line) with ``node`` replaced by ``text``; single-line nodes only."""
        if node.lineno != node.end_lineno:  # type: ignore[attr-defined]
            return None
        line = self.lines[node.lineno - 1]  # type: ignore[attr-defined]
        start = self.col(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.col(node.lineno, node.end_col_offset)  # type: ignore[attr-defined]
        new_line = line[:start] + text + line[end:]
        if new_line == line:
            return None
        lines = list(self.lines)
        lines[node.lineno - 1] = new_line  # type: ignore[attr-defined]
        return "".join(lines), line.rstrip("\n"), new_line.rstrip("\n")

    def between(self, left: ast.AST, right: ast.AST, old: str, new: str) -> tuple[str, str, str] | None:
        """Replace the operator text ``old`` found between two nodes on one line with ``new``."""
        if left.end_lineno != right.lineno or left.lineno != right.end_lineno:  # type: ignore[attr-defined]
            return None
        number = left.end_lineno  # type: ignore[attr-defined]
        line = self.lines[number - 1]
        start = self.col(number, left.end_col_offset)  # type: ignore[attr-defined]
        end = self.col(number, right.col_offset)  # type: ignore[attr-defined]
        gap = line[start:end]
        at = gap.find(old)
        if at < 0:
            return None
        new_line = line[:start] + gap[:at] + new + gap[at + len(old) :] + line[end:]
        lines = list(self.lines)
        lines[number - 1] = new_line
        return "".join(lines), line.rstrip("\n"), new_line.rstrip("\n")


def _function_of(tree: ast.Module, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or 0):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _names_in_scope(func: ast.AST | None) -> list[str]:
    if func is None:
        return []
    names: list[str] = []
    if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for arg in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]:
            names.append(arg.arg)
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in names:
            names.append(node.id)
    return names


def _statement_at(tree: ast.Module, line: int) -> ast.stmt | None:
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno == line:
            if found is None or isinstance(found, ast.FunctionDef):
                found = node
    return found


def _nodes_on(tree: ast.Module, line: int) -> list[ast.AST]:
    """Expression nodes that start and end on ``line``, outermost first."""
    stmt = _statement_at(tree, line)
    if stmt is None:
        return []
    roots: list[ast.AST] = []
    if isinstance(stmt, (ast.If, ast.While)):
        roots = [stmt.test]
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        roots = [stmt.iter]
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        roots = []
    else:
        roots = [stmt]
    out: list[ast.AST] = [stmt] if isinstance(stmt, ast.AugAssign) and stmt.end_lineno == line else []
    for root in roots:
        for node in ast.walk(root):
            if isinstance(node, ast.expr) and node.lineno == line and node.end_lineno == line:
                out.append(node)
    return out


def mutants(source: str, line: int) -> Iterator[Edit]:
    """Candidate edits at ``line`` of ``source``, most likely first; each parses."""
    try:
        tree = parse_module(source, limit=MAX_CHARS)
    except SyntaxError:
        return
    text = _Text(source)
    seen: set[str] = set()
    for operator, result in _raw_mutants(tree, text, line):
        if result is None:
            continue
        new_source, before, after = result
        if new_source in seen or new_source == source:
            continue
        try:
            ast.parse(new_source)
        except (SyntaxError, ValueError):
            continue
        seen.add(new_source)
        yield Edit(operator, line, before, after, new_source)


def _raw_mutants(tree: ast.Module, text: _Text, line: int):
    nodes = _nodes_on(tree, line)
    stmt = _statement_at(tree, line)
    func = _function_of(tree, line)
    names = _names_in_scope(func)
    # 1. operators
    for node in nodes:
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            old = _COMPARE_TEXT[type(node.ops[0])]
            for new in _COMPARE_SWAPS[type(node.ops[0])]:
                yield "comparison", text.between(node.left, node.comparators[0], old, new)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
            old = _BINOP_TEXT[type(node.op)]
            for new in _BINOP_SWAPS[type(node.op)]:
                yield "arithmetic", text.between(node.left, node.right, old, new)
        elif isinstance(node, ast.AugAssign) and type(node.op) in _BINOP_SWAPS:
            old = _BINOP_TEXT[type(node.op)] + "="
            for new in _BINOP_SWAPS[type(node.op)]:
                yield "arithmetic", text.between(node.target, node.value, old, new + "=")
        elif isinstance(node, ast.BoolOp) and len(node.values) == 2:
            old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            yield "boolean", text.between(node.values[0], node.values[1], old, new)
    # 2. off-by-one: constants, indices, bounds
    for node in nodes:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            for delta in (1, -1):
                yield "off-by-one", text.replace(node, str(node.value + delta))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            yield "constant", text.replace(node, str(not node.value))
    for node in nodes:
        targets: list[ast.AST] = []
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            targets.append(node.slice)
        elif isinstance(node, ast.Slice):
            targets += [n for n in (node.lower, node.upper) if n is not None]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("range", "min", "max"):
            targets += list(node.args)
        for target in targets:
            if isinstance(target, ast.Constant):
                continue  # done above
            segment = text.segment(target)
            if not segment:
                continue
            wrapped = f"({segment})" if isinstance(target, (ast.BinOp, ast.BoolOp, ast.IfExp)) else segment
            for step in ("+ 1", "- 1"):
                yield "off-by-one", text.replace(target, f"{wrapped} {step}")
    # 3. swapped operands and arguments
    for node in nodes:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)):
            left, right = text.segment(node.left), text.segment(node.right)
            if left and right:
                yield "swap", text.replace(node, f"{right} {_BINOP_TEXT[type(node.op)]} {left}")
        elif isinstance(node, ast.Call) and len(node.args) >= 2 and not node.keywords:
            parts = [text.segment(a) for a in node.args]
            if all(parts) and not any(isinstance(a, ast.Starred) for a in node.args):
                for i in range(len(parts) - 1):
                    swapped = parts[:i] + [parts[i + 1], parts[i]] + parts[i + 2 :]
                    yield "swap", text.replace(node, f"{text.segment(node.func)}({', '.join(swapped)})")
    # 4. wrong variable
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names:
            for other in names:
                if other != node.id:
                    yield "variable", text.replace(node, other)
    # 5. conditions: negate, drop
    if isinstance(stmt, (ast.If, ast.While)):
        segment = text.segment(stmt.test)
        if isinstance(stmt.test, ast.UnaryOp) and isinstance(stmt.test.op, ast.Not):
            yield "condition", text.replace(stmt.test, text.segment(stmt.test.operand))
        elif segment:
            yield "condition", text.replace(stmt.test, f"not ({segment})" if " " in segment else f"not {segment}")
    # 6. statements: a missing guard at the top of the function, a missing update, a needless line
    if func is not None:
        yield from _guards(func, text, names)
    if stmt is not None and isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Expr)):
        yield "delete", _delete(text, stmt)
    if isinstance(stmt, (ast.For, ast.While)):
        yield from _updates(stmt, text)
    if stmt is not None and func is not None and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for counter in _int_counters(func):  # a missing `n += 1` just before this line
            yield "update", _insert(text, stmt.lineno, [f"{counter} += 1"])


def _int_counters(func: ast.AST) -> list[str]:
    """Names the function sets to an int literal (``count = 0``): counters a line may have forgotten."""
    names = []
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and type(node.value.value) is int
            and node.targets[0].id not in names
        ):
            names.append(node.targets[0].id)
    return names


def _indent_of(text: _Text, line: int) -> str:
    raw = text.lines[line - 1]
    return raw[: len(raw) - len(raw.lstrip())]


def _insert(text: _Text, before_line: int, block: list[str], indent_from: int | None = None) -> tuple[str, str, str]:
    """``block`` inserted before ``before_line``, indented like ``indent_from`` (default: that line)."""
    lines = list(text.lines)
    indent = _indent_of(text, indent_from or before_line)
    new = [indent + b + "\n" for b in block]
    lines[before_line - 1 : before_line - 1] = new
    return "".join(lines), "", "".join(new).rstrip("\n")


def _delete(text: _Text, stmt: ast.stmt) -> tuple[str, str, str] | None:
    if stmt.lineno != stmt.end_lineno:
        return None
    lines = list(text.lines)
    old = lines[stmt.lineno - 1]
    indent = _indent_of(text, stmt.lineno)
    lines[stmt.lineno - 1] = indent + "pass\n"
    return "".join(lines), old.rstrip("\n"), indent + "pass"


def _guards(func: ast.FunctionDef | ast.AsyncFunctionDef, text: _Text, names: list[str]):
    """``if not xs: return <default>`` as the first statement, for each parameter."""
    body = func.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        if len(body) < 2:
            return
        first = body[1]
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args] if a.arg not in ("self", "cls")]
    returns = ast.unparse(func.returns) if func.returns is not None else ""
    preferred = next((d for kind, d in _DEFAULT_OF.items() if returns.startswith(kind)), None)
    defaults = [preferred] + [d for d in _DEFAULTS if d != preferred] if preferred else _DEFAULTS
    for param in params:
        for default in defaults:
            yield "guard", _insert(text, first.lineno, [f"if not {param}:", f"    return {default}"])


def _updates(loop: ast.For | ast.While, text: _Text):
    """A missing update at the end of a loop body: ``acc += item`` or ``i += 1``."""
    last = loop.body[-1]
    after = (last.end_lineno or last.lineno) + 1
    if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name):
        item = loop.target.id
        stored = [
            n.id for n in ast.walk(loop) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id != item
        ]
        for acc in dict.fromkeys(stored):
            yield "update", _insert(text, after, indent_from=loop.body[0].lineno, block=[f"{acc} += {item}"])
    elif isinstance(loop, ast.While):
        counters = [n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)]
        for counter in dict.fromkeys(counters):
            for step in ("+= 1", "-= 1"):
                yield "update", _insert(text, after, indent_from=loop.body[0].lineno, block=[f"{counter} {step}"])
