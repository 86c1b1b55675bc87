"""Relations between the values at a line (numbers, lengths, fields, dates), for comparing runs."""

from __future__ import annotations

import ast
import datetime
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

from .replay import _Exec
from .reprs import _length, _literal, _number, _value_of
from .source import _Func, _unique


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
