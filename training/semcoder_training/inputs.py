"""Inputs for a program: first guesses from the code, then type-aware mutations of inputs that ran.

A parameter's type is read from its annotation, its default, how the body uses it (``s.split()`` is a
string, ``xs.append`` a list, ``d.items()`` a dict, ``range(n)`` and ``n + 1`` a number, ``for x in
xs`` a sequence) and, last, its name (``n``, ``text``, ``nums``). Guesses are drawn from small pools of
ordinary values of that type. Mutation changes one argument of an input that ran, keeping its type
(a number nudged or sign-flipped, a string shortened, reversed or given other characters, a list
shortened, extended, reordered or with one element changed). Which inputs are kept is decided by
running them (see ``pipeline``): an input stays only when it adds behaviour, new lines or a new output.

Everything here is deterministic given the program id (the ``random.Random`` is seeded from it), so a
rerun after a kill produces the same inputs.
"""

from __future__ import annotations

import ast
import random
from typing import Optional

from .rows import ENTRY

_STR_METHODS = {
    "split",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "startswith",
    "endswith",
    "replace",
    "find",
    "rfind",
    "isdigit",
    "isalpha",
    "isalnum",
    "isspace",
    "isupper",
    "islower",
    "title",
    "capitalize",
    "splitlines",
    "partition",
    "rpartition",
    "encode",
    "format",
    "zfill",
    "center",
    "ljust",
    "rjust",
    "casefold",
    "swapcase",
    "expandtabs",
    "translate",
    "rsplit",
    "isidentifier",
    "isnumeric",
    "isdecimal",
    "removeprefix",
    "removesuffix",
}
_LIST_METHODS = {"append", "extend", "pop", "sort", "insert", "remove", "reverse", "clear", "copy"}
_DICT_METHODS = {"items", "keys", "values", "get", "setdefault", "update", "popitem"}
_SET_METHODS = {"add", "discard", "union", "intersection", "difference", "issubset", "issuperset"}

POOLS: dict[str, list] = {
    "int": [3, 0, 5, 1, 10, -2, 7, 12, 2],
    "float": [2.5, 0.0, 1.25, -3.5, 10.0],
    "str": ["hello world", "abc", "", "Hello, World!", "a1b2c3", "racecar", "x,y,z", "  padded  ", "aAbB"],
    "bool": [True, False],
    "list": [[1, 2, 3], [3, 1, 2, 5], [], [4, 4, 0, -1], [10], [2, 7, 1, 8, 2, 8]],
    "list_str": [["apple", "banana", "cherry"], ["a", "b"], [], ["x", "yy", "x"]],
    "dict": [{"a": 1, "b": 2}, {}, {"x": 10, "y": -3, "z": 0}],
    "tuple": [(1, 2), (0, 5, 3), ()],
    "set": [{1, 2, 3}, set(), {4, 5}],
}
_NAME_HINTS = [
    (
        (
            "n",
            "k",
            "i",
            "j",
            "m",
            "num",
            "count",
            "size",
            "length",
            "width",
            "height",
            "index",
            "idx",
            "start",
            "stop",
            "end",
            "step",
            "limit",
            "depth",
            "level",
            "base",
            "x",
            "y",
            "number",
            "total",
            "offset",
            "pos",
            "year",
            "month",
            "day",
            "times",
            "amount",
            "value",
            "val",
            "digits",
            "precision",
        ),
        "int",
    ),
    (
        (
            "s",
            "text",
            "string",
            "name",
            "word",
            "line",
            "prefix",
            "suffix",
            "sep",
            "char",
            "c",
            "ch",
            "pattern",
            "path",
            "key",
            "label",
            "title",
            "msg",
            "message",
            "word1",
            "word2",
            "source",
            "src",
            "data",
            "template",
            "fmt",
            "sentence",
            "token",
            "substring",
            "sub",
            "target_str",
            "encoding",
            "mode",
            "header",
            "url",
        ),
        "str",
    ),
    (
        (
            "lst",
            "nums",
            "numbers",
            "items",
            "values",
            "arr",
            "array",
            "seq",
            "sequence",
            "xs",
            "elements",
            "data_list",
            "lines",
            "args",
            "l",
            "a",
            "b",
            "iterable",
            "it",
            "vals",
            "scores",
            "prices",
            "points",
        ),
        "list",
    ),
    (("words", "names", "strings", "tokens", "parts", "keys", "columns", "fields"), "list_str"),
    (
        ("d", "mapping", "dct", "dictionary", "counts", "table", "config", "options", "kwargs", "params", "attrs"),
        "dict",
    ),
    (("flag", "strict", "reverse", "verbose", "ignore_case", "recursive", "force", "quiet"), "bool"),
]


def _annotation_type(node: Optional[ast.AST]) -> Optional[str]:
    if node is None:
        return None
    text = ast.unparse(node).lower()
    for key, kind in (
        ("list[str]", "list_str"),
        ("sequence[str]", "list_str"),
        ("bool", "bool"),
        ("int", "int"),
        ("float", "float"),
        ("str", "str"),
        ("dict", "dict"),
        ("mapping", "dict"),
        ("list", "list"),
        ("sequence", "list"),
        ("iterable", "list"),
        ("tuple", "tuple"),
        ("set", "set"),
    ):
        if key in text:
            return kind
    return None


def _default_type(value) -> Optional[str]:
    for kind, cls in (
        ("bool", bool),
        ("int", int),
        ("float", float),
        ("str", str),
        ("dict", dict),
        ("tuple", tuple),
        ("set", set),
    ):
        if isinstance(value, cls):
            return kind
    if isinstance(value, list):
        return "list_str" if value and all(isinstance(v, str) for v in value) else "list"
    return None


def _usage_types(func: ast.FunctionDef, names: set[str]) -> tuple[dict[str, str], set[str]]:
    found: dict[str, str] = {}
    iterated: set[str] = set()

    def note(name: str, kind: str) -> None:
        if name in names and name not in found:
            found[name] = kind

    for node in ast.walk(func):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            attr, name = node.attr, node.value.id
            if attr in _STR_METHODS:
                note(name, "str")
            elif attr in _LIST_METHODS:
                note(name, "list")
            elif attr in _DICT_METHODS:
                note(name, "dict")
            elif attr in _SET_METHODS:
                note(name, "set")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "range":
                for arg in node.args:
                    if isinstance(arg, ast.Name):
                        note(arg.id, "int")
            if node.func.id in ("abs", "chr", "bin", "hex", "oct") and node.args and isinstance(node.args[0], ast.Name):
                note(node.args[0].id, "int")
            if node.func.id in ("ord",) and node.args and isinstance(node.args[0], ast.Name):
                note(node.args[0].id, "str")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Mod, ast.FloorDiv, ast.Pow, ast.Div)):
            for side in (node.left, node.right):
                if isinstance(side, ast.Name):
                    note(side.id, "int")
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            if any(
                isinstance(c, ast.Constant) and isinstance(c.value, (int, float)) and not isinstance(c.value, bool)
                for c in node.comparators
            ):
                note(node.left.id, "int")
            if any(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in node.comparators):
                if not any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
                    note(node.left.id, "str")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                note(node.value.id, "dict")
            else:
                note(node.value.id, "list")
        elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, ast.Name):
            iterated.add(node.iter.id)  # a string or a list: the name decides, else a list
    return found, iterated


def parameter_types(code: str) -> list[tuple[str, str]]:
    """``(name, type)`` of each positional parameter of ``f`` that has no default, then those with one."""
    func = _entry(code)
    if func is None:
        return []
    params = [*func.args.posonlyargs, *func.args.args]
    defaults = [None] * (len(params) - len(func.args.defaults)) + list(func.args.defaults)
    usage, iterated = _usage_types(func, {p.arg for p in params})
    out = []
    for param, default in zip(params, defaults):
        if default is not None:
            continue  # parameters with defaults keep them (fewer, more natural calls)
        kind = _annotation_type(param.annotation) or usage.get(param.arg)
        if kind is None:
            kind = next((k for names, k in _NAME_HINTS if param.arg.lower() in names), None)
        if kind is None and param.arg in iterated:
            kind = "list"
        out.append((param.arg, kind or "int"))
    return out


def _entry(code: str) -> Optional[ast.FunctionDef]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY), None)


def args_text(values: list) -> str:
    return ", ".join(repr(v) for v in values)


def guesses(code: str, program_id: str, count: int = 8) -> list[str]:
    """Up to ``count`` argument texts drawn from the pools of each parameter's guessed type."""
    types = parameter_types(code)
    if _entry(code) is None:
        return []
    rng = random.Random(f"guess:{program_id}")
    out: list[str] = []
    for i in range(count * 3):
        values = []
        for j, (_, kind) in enumerate(types):
            pool = POOLS[kind]
            values.append(pool[(i + j * 2) % len(pool)] if i < len(pool) else rng.choice(pool))
        text = args_text(values)
        if text not in out:
            out.append(text)
        if len(out) >= count:
            break
    return out


def mutations(args: str, program_id: str, count: int = 6) -> list[str]:
    """Up to ``count`` argument texts, each ``args`` with one argument changed within its type."""
    try:
        values = list(ast.literal_eval(f"({args},)")) if args.strip() else []
    except (ValueError, SyntaxError):
        return []
    if not values:
        return []
    rng = random.Random(f"mutate:{program_id}:{args}")
    out: list[str] = []
    for _ in range(count * 4):
        i = rng.randrange(len(values))
        new = _mutate(values[i], rng)
        if new is _SAME:
            continue
        changed = [*values[:i], new, *values[i + 1 :]]
        text = args_text(changed)
        if text != args and text not in out and len(text) <= 200:
            out.append(text)
        if len(out) >= count:
            break
    return out


_SAME = object()


def _mutate(value, rng: random.Random):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([value + 1, value - 1, -value, value * 2, 0, value + rng.randint(2, 9)])
    if isinstance(value, float):
        return rng.choice([value + 0.5, -value, value * 2, round(value / 3, 2)])
    if isinstance(value, str):
        choices = [
            value[::-1],
            value[: len(value) // 2],
            value + rng.choice("ab1 ,."),
            value.upper(),
            value.replace(" ", ""),
            rng.choice(POOLS["str"]),
        ]
        return rng.choice(choices)
    if isinstance(value, list):
        if not value:
            return [rng.choice([1, 2, 3])] if rng.random() < 0.7 else ["a"]
        k = rng.randrange(len(value))
        item = _mutate(value[k], rng)
        choices = [
            value[:-1],
            value + [value[k]],
            list(reversed(value)),
            sorted(value, key=repr),
            value[:k] + ([item] if item is not _SAME else []) + value[k + 1 :],
        ]
        return rng.choice(choices)
    if isinstance(value, tuple):
        new = _mutate(list(value), rng)
        return tuple(new) if isinstance(new, list) else _SAME
    if isinstance(value, dict):
        if not value:
            return {"k": 1}
        key = rng.choice(sorted(value, key=repr))
        item = _mutate(value[key], rng)
        copy = dict(value)
        if item is _SAME or rng.random() < 0.3:
            copy.pop(key)
        else:
            copy[key] = item
        return copy
    if isinstance(value, set):
        return value | {len(value) + 7} if rng.random() < 0.5 else set(sorted(value)[:-1])
    return _SAME
