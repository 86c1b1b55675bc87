"""The operators for the small bugs people make in real code: the wrong one of a pair of methods, a missing
``.strip()``/``abs()``/``len()``, swapped tuple elements, a constant that should be another of the module's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from semcoder_core.config import Settings
from semcoder_core.repair import search
from semcoder_core.repair.mutate import mutants

from .test_repair import project

NEW = {"method", "function", "missing-call", "tuple-swap", "constant", "extra-call"}


def edits(source: str, line: int) -> list[tuple[str, str]]:
    return [(e.operator, e.after.strip()) for e in mutants(source, line)]


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), start=1) if text in line)


@pytest.mark.parametrize(
    ("source", "buggy", "operator", "fixed"),
    [
        (
            "def is_module(name):\n    return name.startswith('.py')\n",
            "startswith",
            "method",
            "return name.endswith('.py')",
        ),
        (
            "def flatten(rows):\n    out = []\n    for row in rows:\n        out.append(row)\n    return out\n",
            "append",
            "method",
            "out.extend(row)",
        ),
        ("def shout(text):\n    return text.lower() + '!'\n", "lower", "method", "return text.upper() + '!'"),
        (
            "def names(table):\n    return sorted(table.keys(), key=len)\n",
            "keys",
            "method",
            "return sorted(table.values(), key=len)",
        ),
        ("def first(queue):\n    return queue.pop()\n", "pop", "method", "return queue.pop(0)"),
        ("def last(queue):\n    return queue.pop(0)\n", "pop", "method", "return queue.pop()"),
        (
            "def ranking(scores):\n    return sorted(scores)\n",
            "sorted",
            "method",
            "return sorted(scores, reverse=True)",
        ),
        ("def best(scores):\n    return min(scores)\n", "min", "function", "return max(scores)"),
        ("def every(flags):\n    return any(flags)\n", "any", "function", "return all(flags)"),
        ("def oldest(order):\n    return next(reversed(order))\n", "reversed", "function", "return next(iter(order))"),
    ],
)
def test_the_other_of_a_pair(source: str, buggy: str, operator: str, fixed: str):
    assert (operator, fixed) in edits(source, line_of(source, buggy))


def test_the_title_shows_the_line_before_and_after():
    source = "def is_module(name):\n    return name.startswith('.py')\n"
    (edit,) = [e for e in mutants(source, 2) if e.operator == "method"]
    assert edit.title == "`return name.startswith('.py')` → `return name.endswith('.py')`"
    assert edit.source == "def is_module(name):\n    return name.endswith('.py')\n"


SETTINGS = """def parse_settings(text):
    settings = {}
    for raw in text.splitlines():
        key, sep, value = raw.partition("=")
        settings[key.strip()] = value
    return settings
"""


def test_a_missing_strip_on_a_string_the_syntax_shows():
    found = edits(SETTINGS, 5)
    assert found.count(("missing-call", "settings[key.strip()] = value.strip()")) == 1
    assert ("missing-call", "settings[key.strip()] = value.lower()") in found
    # `settings` is a dict and `key` already has its call: neither gets one
    called = [f for op, f in found if op == "missing-call"]
    assert not [f for f in called if "settings.strip()" in f or "key.strip().strip()" in f]


def test_a_blank_line_is_a_missing_strip_in_a_test_and_lower_changes_no_truth():
    source = "def count(lines):\n    n = 0\n    for line in lines.splitlines():\n        if line:\n            n += 1\n"
    called = [f for op, f in edits(source, 4) if op == "missing-call"]
    assert called == ["if line.strip():"]


def test_a_missing_abs_on_a_difference():
    source = "def close(a, b, tolerance):\n    return a - b < tolerance\n"
    assert ("missing-call", "return abs(a - b) < tolerance") in edits(source, 2)
    source = "def close(a, b, tolerance):\n    gap = a - b\n    return gap <= tolerance\n"
    assert ("missing-call", "return abs(gap) <= tolerance") in edits(source, 3)
    assert ("missing-call", "gap = abs(a - b)") in edits(source, 2)
    source = "def distance(a, b):\n    return a - b\n"
    assert ("missing-call", "return abs(a - b)") in edits(source, 2)
    # not a slice's bound
    source = "def head(xs, n):\n    return xs[: len(xs) - n]\n"
    assert not [f for op, f in edits(source, 2) if "abs(" in f]


def test_a_missing_len_only_where_the_name_is_a_sequence():
    source = "def indices(items):\n    out = []\n    for i in range(items):\n        out.append(items[i])\n"
    source += "    return out\n"
    assert ("missing-call", "for i in range(len(items)):") in edits(source, 3)
    source = "def within(index, names):\n    if index < names:\n        return names[index]\n"
    assert ("missing-call", "if index < len(names):") in edits(source, 2)
    # a number stays a number: `n` is never iterated, indexed, appended to or measured
    source = "def count_to(n):\n    out = []\n    for i in range(n):\n        out.append(i)\n    return out\n"
    assert not [f for op, f in edits(source, 3) if "len(" in f]


@pytest.mark.parametrize(
    ("source", "buggy", "fixed"),
    [
        ("def bounds(xs):\n    return max(xs), min(xs)\n", "return", "return min(xs), max(xs)"),
        (
            "def key(contact):\n    return (contact.first.casefold(), contact.last.casefold())\n",
            "return",
            "return (contact.last.casefold(), contact.first.casefold())",
        ),
        ("def size(shape):\n    height, width = shape\n    return width\n", "height", "width, height = shape"),
        (
            "def invert(table):\n    return {v: k for v, k in table.items()}\n",
            "return",
            "return {v: k for k, v in table.items()}",
        ),
        (
            "def pairs(table):\n    for value, key in table.items():\n        print(key, value)\n",
            "for",
            "for key, value in table.items():",
        ),
    ],
)
def test_swapped_tuple_elements(source: str, buggy: str, fixed: str):
    assert ("tuple-swap", fixed) in edits(source, line_of(source, buggy))


def test_no_swap_of_isinstance_types_nor_an_assignment_to_itself():
    source = "def check(x):\n    return isinstance(x, (int, float))\n"
    assert not [op for op, _ in edits(source, 2) if op == "tuple-swap"]
    source = "def step(a, b):\n    a, b = b, a + b\n    return a\n"
    swapped = [f for op, f in edits(source, 2) if op == "tuple-swap"]
    assert swapped == ["b, a = b, a + b", "a, b = a + b, b"]


TABLE = '''"""Order states."""

TRANSITIONS = {
    "cart": {"checkout": "pending"},
    "pending": {"pay": "payed", "cancel": "cancelled"},
    "paid": {"ship": "shipped", "refund": "refunded"},
}
FINAL = {"cancelled", "refunded", "shipped"}
'''


def test_a_misspelt_string_becomes_the_one_the_module_uses_elsewhere():
    # a row of a table: a continuation line of the statement, with no statement of its own
    found = edits(TABLE, 5)
    assert ("constant", '"pending": {"pay": "paid", "cancel": "cancelled"},') in found
    assert len([op for op, _ in found if op == "constant"]) <= 6
    # the docstring is no constant to use
    assert not [f for _, f in found if "Order states" in f]


def test_a_wrong_number_and_a_wrong_named_constant():
    source = "WIDTH = 80\nHEIGHT = 24\nTAB = 8\n\n\ndef fits(line, rows):\n"
    source += "    return len(line) <= HEIGHT and rows <= 80\n"
    found = edits(source, 7)
    assert ("constant", "return len(line) <= WIDTH and rows <= 80") in found
    assert ("constant", "return len(line) <= HEIGHT and rows <= 24") in found
    source = "MAX_WIDTH = 80\nMAX_HEIGHT = 24\nNAME = 'x'\n\n\ndef fits(line):\n    return len(line) <= MAX_HEIGHT\n"
    constants = [f for op, f in edits(source, 7) if op == "constant"]
    assert constants[0] == "return len(line) <= MAX_WIDTH"  # the most alike name first


def test_an_extra_call_removed():
    source = "def same(name, other):\n    return name.lower() == other\n"
    assert ("extra-call", "return name == other") in edits(source, 2)


def test_a_call_the_module_makes_on_the_same_value_elsewhere():
    source = (
        "def chunks(it, sizes):\n"
        "    for size in sizes:\n"
        "        if size is None:\n"
        "            yield it\n"
        "            return\n"
        "        yield list(islice(it, size))\n\n\n"
        "def rest(it):\n"
        "    return list(it)\n"
    )
    assert ("missing-call", "yield list(it)") in edits(source, line_of(source, "yield it"))


def test_an_argument_wrapped_as_the_same_callee_wraps_it_elsewhere():
    source = (
        "def paths(path, parent):\n"
        "    path.extendleft(parent.relative)\n"
        "    path.extendleft(reversed(parent.absolute))\n"
    )
    assert ("missing-call", "path.extendleft(reversed(parent.relative))") in edits(source, 2)
    assert not any(op == "missing-call" for op, _ in edits(source, 3))  # it is wrapped already


def test_a_conditional_expression_the_wrong_way_round():
    source = "def finished(inclusive):\n    return operator.gt if inclusive else operator.ge\n"
    assert ("condition", "return operator.gt if not inclusive else operator.ge") in edits(source, 2)
    source = "def pick(a, b):\n    return a if not (a and b) else b\n"
    assert ("condition", "return a if a and b else b") in edits(source, 2)


def test_off_by_one_in_a_computed_size_and_a_rounded_up_dividend():
    source = "def adjacent(selected, distance):\n    return windowed(selected, 2 * distance)\n"
    assert ("off-by-one", "return windowed(selected, 2 * distance + 1)") in edits(source, 2)
    source = "def pages(total, per_page):\n    return (total + per_page) // per_page\n"
    assert ("off-by-one", "return (total + per_page - 1) // per_page") in edits(source, 2)
    source = "def label(name, sep):\n    return join(name, sep + '-')\n"
    assert not any(op == "off-by-one" for op, _ in edits(source, 2))  # text, not a count


def test_the_arguments_of_two_calls_of_one_function_crossed():
    source = "def convert(amount, source, target):\n    return amount * rate(source) / rate(target)\n"
    assert ("swap", "return amount * rate(target) / rate(source)") in edits(source, 2)
    source = "def f(a, b):\n    return g(a) + h(b)\n"  # two functions: nothing crossed
    assert not any(after == "return g(b) + h(a)" for _, after in edits(source, 2))


def test_a_power_of_ten_one_digit_off():
    source = 'GRAMS_PER = {\n    "g": 1.0,\n    "kg": 100.0,\n}\n'
    assert ("constant", '"kg": 1000.0,') in edits(source, 3)
    source = "def suffix(number):\n    return number % 10 in (11, 12, 13)\n"
    found = edits(source, 2)
    assert ("constant", "return number % 100 in (11, 12, 13)") in found
    assert ("constant", "return number % 1 in (11, 12, 13)") not in found
    assert not any(op == "constant" and "120" in after for op, after in edits("x = 12\n", 1))


def test_a_value_its_siblings_carry_one_more_operand_on():
    source = (
        "def normalized(self):\n"
        "    if abs(self.minutes) > 59:\n"
        "        s = sign(self.minutes)\n"
        "        div, mod = divmod(self.minutes * s, 60)\n"
        "        self.hours += div * s\n"
        "    if abs(self.hours) > 23:\n"
        "        s = sign(self.hours)\n"
        "        div, mod = divmod(self.hours * s, 24)\n"
        "        self.days += div\n"
    )
    assert ("sibling", "self.days += div * s") in edits(source, line_of(source, "self.days"))
    assert not any(op == "sibling" for op, _ in edits(source, line_of(source, "self.hours +=")))


def test_a_form_feed_is_no_line_break():
    # the parser counts lines without it; a split on it would edit the wrong line
    source = "import os\n\x0c\ndef is_module(name):  # \x0c here too\n    return name.startswith('.py')\n"
    found = edits(source, 4)
    assert ("method", "return name.endswith('.py')") in found


BUSY = """import os

LIMIT = 10
NAMES = ("a", "b", "c")


def busy(items, text, start, stop):
    parts = text.split(",")
    total = 0
    for i in range(start, stop):
        total += abs(len(parts[i].strip()) - LIMIT)
    return (min(items), max(items), parts[0].startswith("x"), total - start, "y", 3, NAMES), items.pop(0)
"""


def test_busy_lines_get_a_bounded_number_of_new_edits_none_a_no_op_and_all_parse():
    for number in range(1, len(BUSY.splitlines()) + 1):
        found = list(mutants(BUSY, number))
        new = [e for e in found if e.operator in NEW]
        assert len(new) <= 20, (number, [e.after for e in new])
        sources = [e.source for e in found]
        assert len(sources) == len(set(sources)) and BUSY not in sources
        for edit in found:
            ast.parse(edit.source)
            assert edit.before != edit.after
    line = line_of(BUSY, "return (min")
    new = [(e.operator, e.after.strip()) for e in mutants(BUSY, line) if e.operator in NEW]
    operators = {op for op, _ in new}
    assert operators >= {"method", "function", "missing-call", "tuple-swap", "constant"}
    assert len([op for op, _ in new if op == "constant"]) <= 6
    assert len([op for op, _ in new if op == "missing-call"]) <= 4
    assert len([op for op, _ in new if op == "tuple-swap"]) <= 3


LABELS = """def is_python(name):
    return name.startswith(".py")


def span(values):
    return max(values), min(values)
"""
LABEL_TESTS = """from labels import is_python, span


def test_a_python_file():
    assert is_python("setup.py")


def test_not_a_python_file():
    assert not is_python(".pyrc")


def test_span_is_low_then_high():
    assert span([3, 1, 2]) == (1, 3)
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_search_fixes_a_wrong_method_and_swapped_tuple_elements(tmp_path: Path):
    root = project(tmp_path / "p", {"labels.py": LABELS, "tests/test_labels.py": LABEL_TESTS})
    sandbox = Settings().sandbox(root)
    report = search(sandbox, root, "tests/test_labels.py::test_a_python_file", time_budget_s=120)
    assert report.status == "fixed", report.message
    first = report.candidates[0]
    assert first.validated and first.edit.operator == "method"
    assert '-    return name.startswith(".py")\n+    return name.endswith(".py")\n' in first.diff(root)
    report = search(sandbox, root, "tests/test_labels.py::test_span_is_low_then_high", time_budget_s=120)
    assert report.status == "fixed", report.message
    fixed = [c for c in report.candidates if c.edit.operator == "tuple-swap"]
    assert fixed and fixed[0].validated
    assert "-    return max(values), min(values)\n+    return min(values), max(values)\n" in fixed[0].diff(root)


def test_an_f_string_field_without_its_format():
    source = 'def money(whole, frac):\n    return f"{whole:,}.{frac}"\n'
    found = edits(source, 2)
    # the module's own spec first, then the ones people forget; the file's quotes kept
    assert [f for op, f in found if op == "format" and "{whole:,}" in f] == [
        'return f"{whole:,}.{frac:,}"',
        'return f"{whole:,}.{frac:02d}"',
        'return f"{whole:,}.{frac:.2f}"',
        'return f"{whole:,}.{frac!r}"',
    ]


def test_a_counter_set_in_a_tuple_assignment_gets_its_missing_update():
    source = (
        "def position(text):\n"
        "    line, column = 1, 1\n"
        "    for ch in text:\n"
        "        if ch == '\\n':\n"
        "            column = 1\n"
        "        else:\n"
        "            column += 1\n"
        "    return line, column\n"
    )
    assert ("update", "line += 1") in edits(source, 5)


def test_a_parameter_the_function_never_reads_is_added_where_the_line_builds_a_list():
    source = "def key(namespace, *args):\n    parts = [*map(repr, args)]\n    return ':'.join(parts)\n"
    found = [f for op, f in edits(source, 2) if op == "unused-parameter"]
    assert found[:2] == ["parts = [namespace, *map(repr, args)]", "parts = [*map(repr, args), namespace]"]
    # every parameter read, or an interface's stub: nothing to add
    assert not [op for op, _ in edits("def key(ns, *args):\n    return [ns, *args]\n", 2) if op == "unused-parameter"]
    stub = "def key(ns, args):\n    '''Doc.'''\n    raise NotImplementedError(args)\n"
    assert not [op for op, _ in edits(stub, 3) if op == "unused-parameter"]


def test_two_neighbouring_assignments_with_their_values_swapped():
    source = "def size(grid):\n    rows = len(grid[0])\n    cols = len(grid)\n    return rows * 10 + cols\n"
    swapped = [e for e in mutants(source, 3) if e.operator == "swap" and "\n" in e.after]
    assert [e.after for e in swapped] == ["    rows = len(grid)\n    cols = len(grid[0])"]
    assert swapped[0].title == "`rows = len(grid[0])` → `rows = len(grid)`; `cols = len(grid)` → `cols = len(grid[0])`"
    assert [e.after for e in mutants(source, 2) if e.operator == "swap" and "\n" in e.after] == [swapped[0].after]
