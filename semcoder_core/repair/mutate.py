"""Mutation operators: small edits at a suspicious line, written back into the source text.

Each edit replaces the source segment of one node (or inserts or deletes a
statement), so the rest of the line keeps its formatting and the diff shows the
change alone. Operators follow the bugs people make: a wrong comparison or
arithmetic operator, an off-by-one in a constant, index, slice or bound, a
wrong variable, swapped arguments, operands or tuple elements, the wrong one of a
pair of methods (``startswith``/``endswith``), a missing ``.strip()``, ``abs()`` or
``len()`` or a call the module makes on the same value elsewhere, a constant that
should be another of the module's, a negated or dropped condition (of an ``if``, a
``while`` or a conditional expression), a missing guard or a missing update.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher

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
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
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
            olds, news = before.splitlines(), after.splitlines()
            if len(olds) == len(news) <= 3:  # each line changed in place: `a = x` → `a = y`; `b = y` → `b = x`
                return "; ".join(f"`{o.strip()}` → `{n.strip()}`" for o, n in zip(olds, news))
            return f"rewrite {before.count(chr(10)) + 1} line(s) as {after.count(chr(10)) + 1}"
        return f"`{self.before.strip()}` → `{self.after.strip()}`" if self.after.strip() else f"delete `{self.before}`"


class _Text:
    """A file's lines, with node positions (UTF-8 byte columns in ast) mapped to characters."""

    def __init__(self, source: str) -> None:
        self.source = source
        # split as the parser does: a form feed or a U+2028 in a line is no line break to it
        self.lines = _LINE.findall(source)

    def col(self, line: int, byte_col: int) -> int:
        return len(self.lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def segment(self, node: ast.AST) -> str:
        if getattr(node, "end_lineno", None) != getattr(node, "lineno", 0):
            return ast.get_source_segment(self.source, node) or ""  # splits the whole text: rare
        start, end = self.span(node)
        return self.lines[node.lineno - 1][start:end]  # type: ignore[attr-defined]

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

    def splice(self, number: int, start: int, end: int, text: str) -> tuple[str, str, str] | None:
        """(new source, old line, new line) with characters ``start:end`` of line ``number`` replaced."""
        line = self.lines[number - 1]
        new_line = line[:start] + text + line[end:]
        if new_line == line:
            return None
        lines = list(self.lines)
        lines[number - 1] = new_line
        return "".join(lines), line.rstrip("\n"), new_line.rstrip("\n")

    def span(self, node: ast.AST) -> tuple[int, int]:
        """A single-line node's character columns."""
        return self.col(node.lineno, node.col_offset), self.col(node.lineno, node.end_col_offset)  # type: ignore[attr-defined]

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


def _statement_around(tree: ast.Module, line: int) -> ast.stmt | None:
    """The innermost statement that starts before ``line`` and runs over it, but not its nested body."""
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno < line <= (node.end_lineno or 0):
            if found is None or node.lineno >= found.lineno:
                found = node
    if found is None:
        return None
    bodies = [getattr(found, name, []) for name in ("body", "orelse", "finalbody", "handlers")]
    if any(part.lineno <= line for body in bodies for part in body):
        return None  # the line is in a body, a statement of its own (or a blank, a comment)
    return found


def _nodes_on(tree: ast.Module, line: int) -> list[ast.AST]:
    """Expression nodes that start and end on ``line``, outermost first."""
    stmt = _statement_at(tree, line)
    if stmt is None:
        stmt = _statement_around(tree, line)  # a continuation line: an element of a table, an argument
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
    yield from _calls(text, nodes)  # `startswith` for `endswith`, `min` for `max`
    # 2. off-by-one: constants, indices, bounds
    for node in nodes:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            for delta in (1, -1):
                yield "off-by-one", text.replace(node, str(node.value + delta))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            yield "constant", text.replace(node, str(not node.value))
    for node in nodes:  # a power of ten one digit off: 100 grams to the kilogram, `% 10` for `% 100`
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, (int, float)) and type(value) is not bool and _power_of_ten(value):
            for scaled in (value * 10, value // 10 if isinstance(value, int) else value / 10):
                if scaled != 1:
                    yield "constant", text.replace(node, repr(scaled))
    for node in nodes:
        targets: list[ast.AST] = []
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            targets.append(node.slice)
        elif isinstance(node, ast.Slice):
            targets += [n for n in (node.lower, node.upper) if n is not None]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("range", "min", "max"):
            targets += list(node.args)
        elif isinstance(node, ast.Call):  # a size or count computed in the call: `windowed(xs, 2 * n)`
            targets += [a for a in node.args if isinstance(a, ast.BinOp) and _integral(a)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            if isinstance(node.left, (ast.BinOp, ast.Name)):  # rounding up: `(total + size - 1) // size`
                targets.append(node.left)
        for target in targets:
            if isinstance(target, ast.Constant):
                continue  # done above
            segment = text.segment(target)
            if not segment:
                continue
            loose = isinstance(target, ast.BinOp) and isinstance(
                target.op, (ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd)
            )  # binds looser than `+`: `(a | b) + 1`; `a * b + 1` needs none
            wrapped = f"({segment})" if loose or isinstance(target, (ast.BoolOp, ast.IfExp)) else segment
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
    for node in nodes:  # `a if flag else b`: the branches the wrong way round
        if isinstance(node, ast.IfExp) and text.segment(node.test):
            test = node.test
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                yield "condition", text.replace(test, text.segment(test.operand))
            else:
                segment = text.segment(test)
                wrapped = f"({segment})" if isinstance(test, (ast.BoolOp, ast.IfExp, ast.NamedExpr)) else segment
                yield "condition", text.replace(test, f"not {wrapped}")
    # 6. a missing `.strip()`, `abs()`, `len()`, or a call the module makes on the same value elsewhere;
    # swapped tuple elements; another of the module's constants
    yield from _missing_calls(text, nodes, stmt, _Cues(func if func is not None else tree))
    yield from _ingredients(tree, text, nodes)
    yield from _like_siblings(text, stmt, func)
    yield from _tuple_swaps(text, nodes, stmt)
    yield from _crossed_arguments(text, nodes)
    yield from _constants(tree, text, nodes, line)
    yield from _extra_calls(text, nodes)
    yield from _format_specs(tree, text, nodes)
    if func is not None:
        yield from _unused_parameters(func, text, nodes)
    yield from _swapped_assignments(tree, text, stmt)
    # 7. statements: a missing guard at the top of the function, a missing update, a needless line
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
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        pairs = [(target, value)]
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            pairs = list(zip(target.elts, value.elts))  # `line, column = 1, 1`
        for name, constant in pairs:
            if (
                isinstance(name, ast.Name)
                and isinstance(constant, ast.Constant)
                and type(constant.value) is int
                and name.id not in names
            ):
                names.append(name.id)
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


# The wrong one of a pair people confuse: a method, or a builtin or module function (both ways).
_PAIRS = [
    ("startswith", "endswith"), ("append", "extend"), ("lower", "upper"), ("lstrip", "rstrip"), ("ljust", "rjust"),
    ("removeprefix", "removesuffix"), ("find", "rfind"), ("index", "rindex"), ("split", "rsplit"),
    ("partition", "rpartition"), ("keys", "values"), ("keys", "items"), ("values", "items"), ("match", "search"),
    ("match", "fullmatch"), ("floor", "ceil"), ("bisect_left", "bisect_right"), ("min", "max"), ("any", "all"),
    ("iter", "reversed"),  # from the first or the last end, like `pop(0)` and `pop()`
]  # fmt: skip
_ONE_WAY = [("appendleft", "append"), ("popleft", "pop"), ("bisect", "bisect_left")]  # `append` is no likely `popleft`
_FUNCTIONS = {"min", "max", "any", "all", "floor", "ceil", "bisect_left", "bisect_right", "iter", "reversed"}  # by name
_OTHERS: dict[str, list[str]] = {}
for _a, _b in [*_PAIRS, *[(b, a) for a, b in _PAIRS], *_ONE_WAY]:
    _OTHERS.setdefault(_a, []).append(_b)
# Methods only a string has: a name they are called on is a string (``.strip()`` may be missing).
_STR_METHODS = {
    "strip", "lstrip", "rstrip", "lower", "upper", "casefold", "startswith", "endswith", "split", "rsplit",
    "partition", "rpartition", "splitlines", "isdigit", "isalpha", "isalnum", "isspace", "encode",
    "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center", "title", "capitalize",
}  # fmt: skip
# Calls whose result is a string, or (the splitters) whose parts are.
_STR_RESULTS = {"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "replace", "join", "format", "decode"}
_SPLITTERS = {"split", "rsplit", "splitlines", "partition", "rpartition", "readlines"}
_SEQUENCE_METHODS = {"append", "extend", "insert", "pop", "remove", "popleft", "appendleft", "sort"}
_SEQUENCE_TYPES = ("list", "tuple", "dict", "set", "frozenset", "str", "Sequence", "List", "Tuple", "Dict", "Set")
_UPPER = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]\Z")
_EXTRA_CALLS = {"strip", "lower", "upper", "casefold", "lstrip", "rstrip"}
# Per line: a busy line must not flood the search (checks run in waves of 48 or so).
_MAX_MISSING_CALLS = 4
_MAX_INGREDIENTS = 4
_MAX_SIBLINGS = 2
_MAX_TUPLE_SWAPS = 3
_MAX_CONSTANTS = 6
_PER_CONSTANT = 3


def _attribute_name_span(text: _Text, node: ast.Attribute) -> tuple[int, int] | None:
    """Columns of the attribute's name (the last token of ``value.name``), if it is written as stored."""
    if node.lineno != node.end_lineno:
        return None
    end = text.col(node.lineno, node.end_col_offset)  # type: ignore[arg-type]
    start = end - len(node.attr)
    return (start, end) if text.lines[node.lineno - 1][start:end] == node.attr else None


def _calls(text: _Text, nodes: list[ast.AST]):
    """The wrong one of a pair: ``startswith`` for ``endswith``, ``min`` for ``max``, ``pop()`` for ``pop(0)``."""
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            span = _attribute_name_span(text, func)
            if span is not None:
                for other in _OTHERS.get(func.attr, []):
                    yield "method", text.splice(func.lineno, *span, other)
            if func.attr == "pop" and not node.keywords and node.end_lineno == node.lineno:
                if not node.args:  # `pop()` -> `pop(0)`: the end of a list for its start
                    end = text.col(node.lineno, node.end_col_offset)  # type: ignore[arg-type]
                    yield "method", text.splice(node.lineno, end - 1, end - 1, "0")
                elif len(node.args) == 1 and ast.unparse(node.args[0]) in ("0", "-1"):  # the other end
                    yield "method", text.replace(node.args[0], "" if ast.unparse(node.args[0]) == "0" else "0")
        elif isinstance(func, ast.Name):
            for other in _OTHERS.get(func.id, []) if func.id in _FUNCTIONS else []:
                yield "function", text.replace(func, other)
        sorts = isinstance(func, ast.Name) and func.id == "sorted" and len(node.args) == 1
        sorts = sorts or isinstance(func, ast.Attribute) and func.attr == "sort" and not node.args
        if sorts and not any(k.arg == "reverse" for k in node.keywords) and node.lineno == node.end_lineno:
            end = text.col(node.lineno, node.end_col_offset) - 1  # type: ignore[arg-type]
            if text.lines[node.lineno - 1][end] == ")":
                joint = ", " if node.args or node.keywords else ""
                yield "method", text.splice(node.lineno, end, end, f"{joint}reverse=True")


class _Cues:
    """What simple syntax says of a function's names: strings, sequences (``len`` applies), differences."""

    def __init__(self, scope: ast.AST) -> None:
        self.strings: set[str] = set()
        self.splits: set[str] = set()  # whose items are strings: `parts = line.split(",")`
        self.sequences: set[str] = set()
        self.differences: set[str] = set()
        for node in ast.walk(scope):
            if isinstance(node, ast.arg) and node.annotation is not None:
                self._annotated(node.arg, node.annotation)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self._annotated(node.target.id, node.annotation)
                if node.value is not None:
                    self._assigned([node.target], node.value)
            elif isinstance(node, ast.Assign):
                self._assigned(node.targets, node.value)
            elif isinstance(node, (ast.For, ast.comprehension)):
                if isinstance(node.iter, ast.Name):
                    self.sequences.add(node.iter.id)
                elif _method_of(node.iter) in _SPLITTERS and isinstance(node.target, ast.Name):
                    self.strings.add(node.target.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name):
                    if node.func.attr in _STR_METHODS:
                        self.strings.add(owner.id)
                    elif node.func.attr in _SEQUENCE_METHODS:
                        self.sequences.add(owner.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
                self.sequences.update(a.id for a in node.args if isinstance(a, ast.Name))
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                if not isinstance(node.slice, ast.Constant) or type(node.slice.value) is int:
                    self.sequences.add(node.value.id)

    def _annotated(self, name: str, annotation: ast.expr) -> None:
        written = ast.unparse(annotation)
        if written == "str":
            self.strings.add(name)
        if written.startswith(_SEQUENCE_TYPES):
            self.sequences.add(name)

    def _assigned(self, targets: list[ast.expr], value: ast.expr) -> None:
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        parts = [e.id for t in targets if isinstance(t, ast.Tuple) for e in t.elts if isinstance(e, ast.Name)]
        method = _method_of(value)
        if method in ("partition", "rpartition"):
            self.strings.update(parts)
        if method in _SPLITTERS:
            self.splits.update(names)
            self.sequences.update(names)
        if method in _STR_RESULTS or isinstance(value, ast.JoinedStr):
            self.strings.update(names)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.strings.update(names)
        if isinstance(value, (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
            self.sequences.update(names)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            if value.func.id in ("list", "tuple", "dict", "set", "sorted"):
                self.sequences.update(names)
            elif value.func.id in ("str", "input", "repr"):
                self.strings.update(names)
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Sub):
            self.differences.update(names)


def _method_of(node: ast.AST) -> str:
    return node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else ""


def _parents(nodes: list[ast.AST]) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in nodes:
        for child in ast.iter_child_nodes(node):
            parents.setdefault(id(child), node)
    return parents


def _missing_calls(text: _Text, nodes: list[ast.AST], stmt: ast.stmt | None, cues: _Cues):
    """A string not stripped (``value`` -> ``value.strip()``), a distance not ``abs``, a list not ``len``."""
    parents = _parents([stmt, *nodes] if stmt is not None else nodes)  # the statement: `return a - b`
    count = 0
    for node in nodes:
        parent = parents.get(id(node))
        edits: list[str] = []
        segment = text.segment(node)
        if not segment or isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            continue
        called = isinstance(parent, ast.Call) and parent.func is node
        owned = isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is node
        stringy = isinstance(node, ast.Name) and node.id in cues.strings
        stringy = stringy or (
            isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in cues.splits
        )
        if stringy and not called and not owned:
            edits.append(f"{segment}.strip()")
            if not _tested(node, parent):  # `if line.lower():` is `if line:`
                edits.append(f"{segment}.lower()")
        in_abs = isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "abs"
        measured = isinstance(parent, (ast.Compare, ast.Return, ast.Assign, ast.keyword, ast.Tuple, ast.List)) or (
            isinstance(parent, ast.Call) and not in_abs
        )  # a distance compared, returned, kept or passed on; not an index, a slice's bound
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and measured:
            edits.append(f"abs({segment})")
        elif isinstance(node, ast.Name) and node.id in cues.differences and isinstance(parent, ast.Compare):
            edits.append(f"abs({segment})")
        if (
            isinstance(node, ast.Name)
            and node.id in cues.sequences
            and not called
            and not owned
            and _counted(node, parent)
        ):
            edits.append(f"len({segment})")
        for edit in edits:
            if count >= _MAX_MISSING_CALLS:
                return
            count += 1
            yield "missing-call", text.replace(node, edit)


def _tested(node: ast.AST, parent: ast.AST | None) -> bool:
    """Whether only the truth of ``node`` counts."""
    if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        return parent.test is node
    return isinstance(parent, ast.BoolOp) or isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)


def _counted(node: ast.AST, parent: ast.AST | None) -> bool:
    """Whether ``node`` stands where a number is meant: an argument of ``range``, a bound, an operand."""
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name):
        return parent.func.id == "range" and node in parent.args
    if isinstance(parent, ast.Compare):
        return all(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in parent.ops)
    if isinstance(parent, ast.BinOp) and not isinstance(parent.op, ast.Mod):  # `"%s" % names` is no count
        other = parent.right if parent.left is node else parent.left
        return isinstance(other, ast.Constant) and type(other.value) is int
    return False


def _power_of_ten(value: float) -> bool:
    """10, 100, 1000, ... (as an int or a float); not 1."""
    if value < 10 or value != int(value):
        return False
    number = int(value)
    while number % 10 == 0:
        number //= 10
    return number == 1


def _like_siblings(text: _Text, stmt: ast.stmt | None, func: ast.AST | None):
    """A value the function's other statements of the same form carry one more operand on:
    ``self.days += div`` among ``self.hours += div * s`` and ``self.minutes += div * s``."""
    if func is None or not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)) or stmt.value is None:
        return
    value = stmt.value
    mine = ast.dump(value)
    seen: set[str] = set()
    for other in ast.walk(func):
        if type(other) is not type(stmt) or other is stmt:
            continue
        longer = other.value if isinstance(other, (ast.Assign, ast.AugAssign, ast.Return)) else None
        if not isinstance(longer, ast.BinOp):
            continue
        if isinstance(stmt, ast.AugAssign) and isinstance(other, ast.AugAssign) and type(other.op) is not type(stmt.op):
            continue
        if mine in (ast.dump(longer.left), ast.dump(longer.right)):
            written = ast.unparse(longer)
            if written not in seen and len(seen) < _MAX_SIBLINGS:
                seen.add(written)
                yield "sibling", text.replace(value, written)


def _integral(node: ast.BinOp) -> bool:
    """An arithmetic expression of ints and names (``2 * distance``, ``n - k``), not of strings or floats."""
    for part in ast.walk(node):
        if isinstance(part, ast.Constant) and type(part.value) is not int:
            return False
        if not isinstance(part, (ast.BinOp, ast.Constant, ast.Name, ast.Load, ast.operator, ast.Attribute)):
            return False
    return isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv))


def _ingredients(tree: ast.Module, text: _Text, nodes: list[ast.AST]):
    """A call missing around a value, taken from elsewhere in the module (the fix is often written
    there already): ``f(x)`` where the module applies ``f`` to the same expression (``yield it`` ->
    ``yield list(it)``), and the argument of a call wrapped as the same callee's argument is wrapped
    elsewhere (``path.extendleft(p.a)`` -> ``path.extendleft(reversed(p.a))`` where another line has
    ``path.extendleft(reversed(p.b))``). The callees used the most first, then the nearest; a few per line."""
    if not nodes:
        return
    line = getattr(nodes[0], "lineno", 0)
    on_value: dict[str, list[tuple[int, str]]] = {}  # argument text -> (line, callee text) of one-argument calls
    on_callee: dict[tuple[str, int], list[tuple[int, str]]] = {}  # (callee text, position) -> wrapping callee
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or call.lineno == line:
            continue
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            continue
        callee = ast.unparse(call.func)
        if len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], ast.Starred):
            on_value.setdefault(ast.unparse(call.args[0]), []).append((call.lineno, callee))
        for position, arg in enumerate(call.args):
            inner = arg.func if isinstance(arg, ast.Call) and len(arg.args) == 1 and not arg.keywords else None
            if isinstance(inner, (ast.Name, ast.Attribute)):
                on_callee.setdefault((callee, position), []).append((call.lineno, ast.unparse(inner)))
    parents = _parents(nodes)
    options: list[tuple[int, int, ast.AST, str]] = []
    for node in nodes:
        if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) or not isinstance(node.ctx, ast.Load):
            continue
        parent = parents.get(id(node))
        if isinstance(parent, ast.Call) and parent.func is node or isinstance(parent, (ast.Attribute, ast.Subscript)):
            continue  # called, or only the object of `x.attr`, `x[i]`
        wrapped = ast.unparse(parent.func) if isinstance(parent, ast.Call) else None
        key = ast.unparse(node)
        found = list(on_value.get(key, []))
        if isinstance(parent, ast.Call) and isinstance(parent.func, (ast.Name, ast.Attribute)) and node in parent.args:
            found += on_callee.get((ast.unparse(parent.func), parent.args.index(node)), [])  # type: ignore[arg-type]
        uses: dict[str, list[int]] = {}
        for at, callee in found:
            if callee != wrapped and callee != key:
                uses.setdefault(callee, []).append(abs(at - line))
        options += [(-len(far), min(far), node, callee) for callee, far in uses.items()]
    seen: set[tuple[int, str]] = set()
    for *_, node, callee in sorted(options, key=lambda o: o[:2]):  # the most used, then the nearest
        if (id(node), callee) in seen:
            continue
        seen.add((id(node), callee))
        if len(seen) > _MAX_INGREDIENTS:
            return
        yield "missing-call", text.replace(node, f"{callee}({text.segment(node)})")


def _tuple_swaps(text: _Text, nodes: list[ast.AST], stmt: ast.stmt | None):
    """Neighbouring elements of a tuple exchanged: ``return b, a``, ``(last, first)``, ``y, x = point``."""
    parents = _parents(nodes)
    tuples = [n for n in nodes if isinstance(n, ast.Tuple)]
    if isinstance(stmt, (ast.For, ast.AsyncFor)) and isinstance(stmt.target, ast.Tuple):
        tuples.insert(0, stmt.target)
    count = 0
    for node in tuples:
        parent = parents.get(id(node))
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name):
            if parent.func.id in ("isinstance", "issubclass"):
                continue  # the order of the types does not matter
        elts = node.elts
        if any(isinstance(e, ast.Starred) for e in elts) or any(e.lineno != e.end_lineno for e in elts):
            continue
        for left, right in zip(elts, elts[1:]):
            if count >= _MAX_TUPLE_SWAPS or left.lineno != right.lineno:
                break
            first, second = text.segment(left), text.segment(right)
            start, middle = text.span(left)
            gap_end, end = text.span(right)
            gap = text.lines[left.lineno - 1][middle:gap_end]  # type: ignore[attr-defined]
            if not first or not second or first == second:
                continue
            result = text.splice(left.lineno, start, end, second + gap + first)  # type: ignore[attr-defined]
            if result is not None and isinstance(stmt, ast.Assign) and _identity(result[2]):
                continue  # `a, b = a, b` changes nothing
            count += 1
            yield "tuple-swap", result


def _crossed_arguments(text: _Text, nodes: list[ast.AST]):
    """The arguments of two calls of one function on a line exchanged: ``rate(source) / rate(target)``
    for ``rate(target) / rate(source)`` (each call is right on its own; together they are crossed)."""
    calls: dict[str, list[ast.Call]] = {}
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            calls.setdefault(ast.unparse(node.func), []).append(node)
    count = 0
    for same in calls.values():
        same.sort(key=lambda call: (call.lineno, call.col_offset))
        for first, second in zip(same, same[1:]):
            for a, b in zip(first.args, second.args):
                if count >= _MAX_TUPLE_SWAPS or ast.dump(a) == ast.dump(b) or isinstance(a, ast.Starred):
                    continue
                if a.lineno != a.end_lineno or b.lineno != b.end_lineno or a.lineno != b.lineno:
                    continue
                (a_start, a_end), (b_start, b_end) = text.span(a), text.span(b)
                if a_end > b_start:
                    continue  # nested: one call inside the other
                line = text.lines[a.lineno - 1]  # type: ignore[attr-defined]
                new = line[:a_start] + line[b_start:b_end] + line[a_end:b_start] + line[a_start:a_end] + line[b_end:]
                count += 1
                yield "swap", text.splice(a.lineno, 0, len(line), new)


def _identity(line: str) -> bool:
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return False
    stmt = tree.body[0] if tree.body else None
    return isinstance(stmt, ast.Assign) and all(ast.dump(t) == ast.dump(stmt.value) for t in stmt.targets)


def _module_constants(tree: ast.Module, text: _Text):
    """The module's literals by (type, value): where each is written; its UPPER_CASE names with their value."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node))
        elif isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))  # a docstring
    literals: dict[tuple[type, object], list[tuple[int, str]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in skip and type(node.value) in (int, float, str, bytes):
            if node.lineno == node.end_lineno:
                literals.setdefault((type(node.value), node.value), []).append((node.lineno, text.segment(node)))
    names: dict[str, tuple[int, str]] = {}
    for stmt in tree.body:
        targets = (
            stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        )
        value = getattr(stmt, "value", None)
        for target in targets:
            if isinstance(target, ast.Name) and _UPPER.match(target.id) and value is not None:
                kind = type(value).__name__ + (type(value.value).__name__ if isinstance(value, ast.Constant) else "")
                names.setdefault(target.id, (stmt.lineno, kind))
    return literals, names, skip


def _constants(tree: ast.Module, text: _Text, nodes: list[ast.AST], line: int):
    """A literal that should be another of the module's, or an UPPER_CASE constant that should be another;
    the likeliest few of each literal on the line, taken in turns (a busy table row gets no more)."""
    if not any(isinstance(n, ast.Constant) or isinstance(n, ast.Name) and _UPPER.match(n.id) for n in nodes):
        return
    literals, names, skip = _module_constants(tree, text)
    choices: list[tuple[ast.AST, list[str]]] = []
    for node in nodes:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float, str, bytes):
            if node.value in (0, 1) and type(node.value) is int:
                continue  # off-by-one's (a 0 or a 1 rarely stands for a constant of the module)
            if id(node) not in skip and len(text.segment(node)) <= 80:  # not a docstring, an f-string's part
                choices.append((node, _other_literals(node, literals, line)))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names:
            defined, kind = names[node.id]
            words = set(node.id.split("_"))
            ranked = sorted(
                (-len(words & set(other.split("_"))), kind != other_kind, abs(at - defined), other)
                for other, (at, other_kind) in names.items()
                if other != node.id
            )
            choices.append((node, [other for *_, other in ranked[:_PER_CONSTANT]]))
    turns = [(i, node, options[i]) for node, options in choices for i in range(len(options))]
    for _, node, option in sorted(turns, key=lambda turn: turn[0])[:_MAX_CONSTANTS]:  # stable: line order
        yield "constant", text.replace(node, option)


def _other_literals(node: ast.Constant, literals: dict, line: int) -> list[str]:
    """The module's other literals of the type of ``node``: a text the most like it (a typo: "payed" for
    "paid"), a number the most used; then the nearest."""
    value = node.value
    close = {value + 1, value - 1} if type(value) is int else set()  # off-by-one's
    ranked = []
    for (kind, other), written_at in literals.items():
        places = [(n, written) for n, written in written_at if n != line]  # elsewhere: not the line's own
        if not places or kind is not type(value) or other == value or other in close or len(places[0][1]) > 40:
            continue
        written = places[0][1]
        alike = round(SequenceMatcher(None, value, other).ratio(), 1) if isinstance(value, (str, bytes)) else 0
        ranked.append((-alike, -len(places), min(abs(n - line) for n, _ in places), written))
    return [written for *_, written in sorted(ranked)[:_PER_CONSTANT]]


def _extra_calls(text: _Text, nodes: list[ast.AST]):
    """A call that should not be there: ``name.lower()`` where the case matters."""
    for node in nodes:
        if isinstance(node, ast.Call) and not node.args and not node.keywords and isinstance(node.func, ast.Attribute):
            if node.func.attr in _EXTRA_CALLS:
                segment = text.segment(node.func.value)
                if segment:
                    yield "extra-call", text.replace(node, segment)


_SPECS = ("02d", ".2f")  # the format specs people forget: zero padding, two decimals


def _format_specs(tree: ast.Module, text: _Text, nodes: list[ast.AST]):
    """An f-string field without the format it needs: ``{frac}`` for ``{frac:02d}`` (the specs the module
    writes elsewhere first), or ``{name}`` for ``{name!r}``."""
    fields = [
        (joined, i)
        for joined in nodes
        if isinstance(joined, ast.JoinedStr) and joined.lineno == joined.end_lineno
        for i, part in enumerate(joined.values)
        if isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion == -1
    ]
    if not fields:
        return
    written = [
        spec.values[0].value
        for spec in (n.format_spec for n in ast.walk(tree) if isinstance(n, ast.FormattedValue))
        if isinstance(spec, ast.JoinedStr) and len(spec.values) == 1 and isinstance(spec.values[0], ast.Constant)
    ]
    specs = list(dict.fromkeys([*written, *_SPECS]))[:4]
    for joined, i in fields:
        for spec in specs:
            yield "format", _with_field(text, joined, i, spec=spec)
        yield "format", _with_field(text, joined, i, conversion=ord("r"))


def _with_field(text: _Text, joined: ast.JoinedStr, index: int, spec: str | None = None, conversion: int = -1):
    part = joined.values[index]
    assert isinstance(part, ast.FormattedValue)
    field = ast.FormattedValue(
        value=part.value,
        conversion=conversion,
        format_spec=ast.JoinedStr(values=[ast.Constant(value=spec)]) if spec else None,
    )
    values = [*joined.values[:index], field, *joined.values[index + 1 :]]
    try:
        new = ast.unparse(ast.JoinedStr(values=values))
    except (ValueError, AttributeError):
        return None
    quote = text.segment(joined).lstrip("fFrR")[:1]
    if quote in ("'", '"') and new[1] != quote and quote not in new[2:-1]:
        new = f"f{quote}{new[2:-1]}{quote}"  # the file's quotes, not unparse's
    return text.replace(joined, new)


def _unused_parameters(func: ast.FunctionDef | ast.AsyncFunctionDef, text: _Text, nodes: list[ast.AST]):
    """A parameter the function never reads, added where the line builds a list or makes a call:
    ``[*map(repr, args)]`` for ``[namespace, *map(repr, args)]``."""
    args = func.args
    params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    unused = [p for p in params if p not in read and p not in ("self", "cls") and not p.startswith("_")]
    body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not unused or all(isinstance(s, (ast.Pass, ast.Raise)) for s in body):
        return  # an interface's stub, or every parameter read
    for node in nodes:
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            items = [text.segment(e) for e in node.elts]
            if not all(items):
                continue
            open_, close = {"List": "[]", "Tuple": "()", "Set": "{}"}[type(node).__name__]
            for name in unused:
                for new in ([name, *items], [*items, name]):
                    tail = "," if isinstance(node, ast.Tuple) and len(new) == 1 else ""
                    yield "unused-parameter", text.replace(node, f"{open_}{', '.join(new)}{tail}{close}")
        elif isinstance(node, ast.Call) and text.segment(node.func):
            positional = [text.segment(a) for a in node.args]
            keywords = [text.segment(k) for k in node.keywords]
            if not all(positional) or not all(keywords):
                continue
            for name in unused:
                for new in ([name, *positional], [*positional, name]):
                    yield (
                        "unused-parameter",
                        text.replace(node, f"{text.segment(node.func)}({', '.join([*new, *keywords])})"),
                    )


def _swapped_assignments(tree: ast.Module, text: _Text, stmt: ast.stmt | None):
    """Two neighbouring assignments with their values the wrong way round: ``rows = len(grid[0])`` and
    ``cols = len(grid)``."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and stmt.lineno == stmt.end_lineno):
        return
    for parent in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if not isinstance(block, list) or stmt not in block:
                continue
            at = block.index(stmt)
            for first, second in (
                (block[at - 1], stmt) if at else (None, None),
                (stmt, block[at + 1]) if at + 1 < len(block) else (None, None),
            ):
                if not (
                    isinstance(first, ast.Assign)
                    and isinstance(second, ast.Assign)
                    and len(first.targets) == len(second.targets) == 1
                    and first.end_lineno == first.lineno
                    and second.lineno == second.end_lineno == first.lineno + 1
                ):
                    continue
                one, two = text.segment(first.value), text.segment(second.value)
                if not one or not two or one == two:
                    continue
                swapped = text.replace(first.value, two)
                if swapped is None:
                    continue
                moved = _Text(swapped[0]).replace(second.value, one)
                if moved is not None:
                    yield "swap", (moved[0], swapped[1] + "\n" + moved[1], swapped[2] + "\n" + moved[2])
            return
