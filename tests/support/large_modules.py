"""Large modules the way real libraries write them, for the editor's latency tests and benchmarks.

Real modules of several thousand lines are mostly many short functions with docstrings, argument
checks, loops and early returns, plus classes with methods: many lines repeat word for word
(``return None``, ``pass``, blank lines, ``raise TypeError(...)``), which is what makes a naive line
diff quadratic. Deterministic: the same arguments give the same text.
"""

from __future__ import annotations

_FUNCTION = '''

def {name}(items, limit={n}, *, strict=False):
    """Return the items of ``items`` under ``limit`` ({n}), scaled.

    Raises TypeError when ``items`` is not a list and ``strict`` is set.
    """
    if strict and not isinstance(items, list):
        raise TypeError("items must be a list")
    total = 0
    for item in items:
        if item is None:
            continue
        if item > limit:
            break
        total += item * {k}
    if total == 0:
        return None
    return total
'''

_CLASS = '''

class {name}:
    """A small record, as libraries have many of."""

    def __init__(self, value={n}):
        self.value = value

    def scaled(self, factor=2):
        if factor == 0:
            return None
        return self.value * factor

    def __repr__(self):
        return f"{name}({{self.value!r}})"
'''

_NO_ARGUMENTS = """

def {name}():
    return {n}
"""


def library_module(functions: int, *, classes_every: int = 10, header: str = "") -> str:
    """A module with ``functions`` top-level functions (every ``classes_every``-th followed by a class
    with three methods, every 7th taking no arguments), ``func_<i>`` / ``Record<i>``."""
    parts = [header or '"""A generated module shaped like a real library\'s."""\n\nimport os\n']
    for i in range(functions):
        template = _NO_ARGUMENTS if i % 7 == 3 else _FUNCTION
        parts.append(template.format(name=f"func_{i}", n=i, k=i % 5 + 1))
        if classes_every and i % classes_every == classes_every - 1:
            parts.append(_CLASS.format(name=f"Record{i}", n=i))
    return "".join(parts)


def module_of_lines(lines: int) -> str:
    """A library-shaped module of at least ``lines`` lines."""
    functions = max(1, lines // 20)  # a function (and a tenth of a class) is about 22 lines
    text = library_module(functions)
    while text.count("\n") < lines:
        functions += 50
        text = library_module(functions)
    return text
