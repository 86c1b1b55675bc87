"""Turn a trace into the short texts shown at line ends (terminal and editor alike)."""

from __future__ import annotations

import ast
import bisect
import functools
from dataclasses import dataclass
from typing import Iterator

from .pysource import parse_module
from .tracer.schema import FileLines, FunctionCalls, LineEntry


def variable_series(entry: LineEntry) -> dict[str, list[str]]:
    """Per variable, the values a line gave it, in execution order (from the kept states)."""
    series: dict[str, list[str]] = {}
    for state in entry.get("states", []):
        for name, value in state.items():
            series.setdefault(name, []).append(value)
    return series


def format_values(values: list[str], hits: int, max_values: int = 5, open_end: bool = False) -> str:
    """``0 → 1 → 2 … 9`` — first values, an ellipsis where kept states skip executions, the last.
    ``open_end``: the last value is not known (the line ran past its cap): ``0 → 1 → 2 → 3 …``."""
    if open_end:
        return " → ".join(values[:max_values]) + " …"
    if len(values) > max_values:
        values = values[: max_values - 1] + ["…", values[-1]]
    elif hits > len(values) + 1 and len(values) > 1:
        values = values[:-1] + ["…", values[-1]]
    text = " → ".join(values)
    return text.replace("→ … →", "…")


def line_annotation(entry: LineEntry, max_values: int = 5, max_length: int = 120) -> str:
    """E.g. ``i = 0 → 1 → 2 … 9 (10×)``, ``total = 6``, ``raised KeyError: 'k'``."""
    hits = entry.get("hits", 0)
    unknown = set(entry.get("unrecorded") or ())
    parts = []
    for name, values in variable_series(entry).items():
        parts.append(f"{name} = {format_values(values, hits, max_values, name in unknown)}")
    text = ", ".join(parts)
    if hits > 1 and text:
        text += f" ({hits}×)"
    raised = entry.get("raised")
    if raised:
        message = (raised.get("message") or "").splitlines()
        exc = f"raised {raised['type']}" + (f": {message[0]}" if message else "")
        text = f"{text}; {exc}" if text else exc
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


@dataclass(frozen=True)
class Span:
    name: str
    start: int  # the def line (decorators excluded)
    end: int


@dataclass(frozen=True)
class _Facts:
    """What the annotators read from a source text, found in one parse and one pass over its tree."""

    spans: tuple[Span, ...]  # functions and methods, by first line (outer before inner)
    top_level: dict[str, bool]  # module-level def -> callable with no arguments
    branches: dict[int, tuple[str, int]]  # if/elif/while line -> (kind, first line of its body)
    returns: dict[int, int]  # return line -> its function's first line (decorators included)


_NO_FACTS = _Facts((), {}, {}, {})


@functools.lru_cache(maxsize=16)
def _facts(source: str) -> _Facts:
    """One parse per source text (the tree is dropped: a large module's tree is tens of MB); the editor asks
    for every version of a buffer, the CLI for each file once. Callers must not mutate the result."""
    try:
        tree = parse_module(source)
    except SyntaxError:
        return _NO_FACTS
    spans: list[Span] = []
    top_level: dict[str, bool] = {}
    branches: dict[int, tuple[str, int]] = {}
    returns: dict[int, int] = {}
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef):
            a = statement.args
            top_level[statement.name] = not (a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg)
    # functions, returns and branches are statements: only statement bodies are walked, not expressions
    stack: list[tuple[ast.stmt, int | None]] = [(node, None) for node in tree.body]  # (statement, innermost def)
    while stack:
        node, function = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append(Span(node.name, node.lineno, node.end_lineno or node.lineno))
            function = min([node.lineno] + [d.lineno for d in node.decorator_list])
        elif isinstance(node, ast.Return):
            if function is not None:
                returns.setdefault(node.lineno, function)
            continue
        elif isinstance(node, (ast.If, ast.While)) and node.body:
            branches[node.lineno] = ("while" if isinstance(node, ast.While) else "if", node.body[0].lineno)
        for block in blocks(node):
            stack.extend((child, function) for child in block)
    spans.sort(key=lambda s: (s.start, -s.end))
    return _Facts(tuple(spans), top_level, branches, returns)


_BLOCK_FIELDS = ("body", "orelse", "finalbody")


def blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists directly inside a statement (bodies, else/finally blocks, handlers, match cases).
    Walking these alone visits every statement, nested ones included, at a tenth of ``ast.walk``'s cost."""
    out = [getattr(node, name) for name in _BLOCK_FIELDS if isinstance(getattr(node, name, None), list)]
    out.extend(handler.body for handler in getattr(node, "handlers", None) or [])
    out.extend(case.body for case in getattr(node, "cases", None) or [])
    return out


def statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Every statement of ``tree``, nested ones included (not in source order)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        for block in blocks(node):
            stack.extend(block)


def function_spans(source: str) -> list[Span]:
    """Every function and method in the source, with its first and last line."""
    return list(_facts(source).spans)


def top_level_functions(source: str) -> dict[str, bool]:
    """Module-level ``def`` name -> whether it can be called with no arguments (do not mutate)."""
    return _facts(source).top_level


def executed_functions(source: str, file_lines: FileLines) -> list[Span]:
    """The outermost functions that ran at least one line, in source order."""
    executed = sorted(int(n) for n, e in file_lines.items() if e.get("hits"))
    chosen: list[Span] = []
    for span in _facts(source).spans:
        if chosen and chosen[-1].start <= span.start and span.end <= chosen[-1].end:
            continue  # inside the last chosen one (spans come outer first, by first line)
        index = bisect.bisect_left(executed, span.start)
        if index < len(executed) and executed[index] <= span.end:
            chosen.append(span)
    return chosen


def branch_lines(source: str) -> dict[int, tuple[str, int]]:
    """``if``/``elif``/``while`` line -> (kind, first line of its body) (do not mutate)."""
    return _facts(source).branches


def branch_note(kind: str, hits: int, body_hits: int) -> str:
    """``→ True`` once, or ``→ True 3×, False 7×`` over several executions."""
    taken = min(body_hits, hits)
    not_taken = hits - taken
    if hits == 1:
        return "→ True" if taken else "→ False"
    parts = [f"True {taken}×"] if taken else []
    if not_taken:
        parts.append(f"False {not_taken}×")
    return "→ " + ", ".join(parts)


def return_lines(source: str) -> dict[int, int]:
    """``return`` statement line -> its function's first line as code objects count it (decorators included),
    of the innermost function around it (do not mutate)."""
    return _facts(source).returns


def is_test_file(path: str) -> bool:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def returns_note(entry: LineEntry, max_values: int = 5) -> str:
    """``⟵ returns 1 → 2 … 9`` from a line's ``returns`` (first values and the last) and ``returned`` (how many)."""
    values = list(entry.get("returns") or [])
    count = entry.get("returned", len(values))
    if not values:
        return ""
    if count > len(values) and len(values) > 1:
        values = values[:-1] + ["…", values[-1]]
    if len(values) > max_values:
        values = values[: max_values - 2] + ["…", values[-1]]
    text = " → ".join(values).replace("→ … →", "…")
    return "⟵ returns " + text


def line_notes(
    path: str, source: str, file_lines: FileLines, calls: list[FunctionCalls], max_values: int = 5
) -> dict[int, str]:
    """Line -> what it did: states, branch taken, value returned (the text at a line's end).

    Branch outcomes and returned values are the tracer's own per-line records (``branch``,
    ``returns``/``returned``); ``calls`` is kept for callers that pass it.
    """
    notes = {}
    branches = branch_lines(source)
    for key, entry in file_lines.items():
        lineno, hits = int(key), entry.get("hits", 0)
        if not hits:
            continue
        parts = [line_annotation(entry, max_values)]
        outcome = entry.get("branches")
        if lineno in branches and outcome:
            kind, _ = branches[lineno]
            parts.append(branch_note(kind, outcome["True"] + outcome["False"], outcome["True"]))
        if entry.get("returned"):
            parts.append(returns_note(entry, max_values))
        note = "  ".join(p for p in parts if p)
        if note:
            notes[lineno] = note
    return notes


def executed_return_line(source: str, first_line: int, file_lines: FileLines) -> int | None:
    """The one ``return`` of the function whose code starts at ``first_line`` that returned, if exactly one did
    (traces without per-line ``returned`` counts: the one that ran)."""
    mine = [n for n, first in return_lines(source).items() if first == first_line]
    counted = any("returned" in e for e in file_lines.values())
    entries = [(n, file_lines.get(str(n))) for n in mine]
    executed = [n for n, e in entries if e and (e.get("returned") if counted else e["hits"])]
    return executed[0] if len(executed) == 1 else None


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[str]) -> str | None:
    """``▁▃▅█`` for a series of numbers (None when the values are not all numbers, or fewer than 3)."""
    numbers = []
    for value in values:
        try:
            number = float(value)
        except ValueError:
            return None
        if number != number or number in (float("inf"), float("-inf")):
            return None
        numbers.append(number)
    if len(numbers) < 3:
        return None
    low, high = min(numbers), max(numbers)
    if high == low:
        return _BARS[0] * len(numbers)
    return "".join(_BARS[round((n - low) / (high - low) * (len(_BARS) - 1))] for n in numbers)


def value_rows(entry: LineEntry, name: str) -> list[tuple[int | None, str]]:
    """(execution number, value) of ``name`` at a line, in order; the number is None when unknown."""
    at = entry.get("at") or []
    rows = []
    for index, state in enumerate(entry.get("states", [])):
        if name in state:
            rows.append((at[index] if index < len(at) else None, state[name]))
    return rows
