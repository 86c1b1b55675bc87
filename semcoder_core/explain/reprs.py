"""Values read off reprs (only what the repr itself says), and how the markdown shows them."""

from __future__ import annotations

import ast
import re

from .source import _unique

MAX_VALUE = 90  # characters of one value in the markdown


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
