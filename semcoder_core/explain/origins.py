"""Where the wrong value came from: the line a failing test's value was produced at, or its exception raised."""

from __future__ import annotations

import ast
import difflib
import re

from ..annotate import is_test_file
from ..findings import wrong_value_origin
from ..textdiff import common_ends
from .context import _Context
from .replay import INF, _View
from .reprs import _fields, _normal

_CLASS_NAME = re.compile(r"<class '([\w.]+)'>")
_NOT_RAISED = re.compile(r"^(\w+) not raised")
MAX_TEXT_DIFF = 2_000  # characters of the differing middle compared (two unlike 2,000-character texts: 0.1 s)


class _Origins:
    """Finds the origin of the failure in the failing run; ``field_hint``: the field of a returned
    object that holds the wrong value, where that is how it was found."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.field_hint: str | None = None
        self._quiet: tuple[str, str, int, str | None] | None = None  # quiet_call(), once known
        self._quiet_known = False

    def origin(self) -> tuple[str, str, int, str | None] | None:
        """(kind, file, line, value): ``raised`` | ``returned`` | ``running`` (timeout) | ``asserted``."""
        status = self.ctx.doc.get("status")
        exc = self.ctx.exception
        file, line = exc["file"], exc["line"]
        if status == "timeout":
            if file and line:
                return "running", file, int(line), None
            return None
        if self.not_raised() is not None:
            quiet = self.quiet_call()
            if quiet is not None:
                return quiet
        actual = self.ctx.failure.get("actual")
        if not (exc.get("type") and exc["type"] != "AssertionError") and actual is not None:
            returned = self.returned_origin(actual)
            if returned is not None:
                return returned
        found = wrong_value_origin(self.ctx.doc, lambda p: "\n".join(self.ctx.source(p).lines))
        if found is not None:
            return found.kind, found.file, found.line, found.value
        if exc["type"] and exc["type"] != "AssertionError" and file and line:
            return "raised", file, int(line), None
        if actual is not None:
            inside = self.field_origin(actual)
            if inside is not None:
                return inside
        where = self.ctx.test_line()
        if where is not None:
            return "asserted", where[0], where[1], actual
        return None

    def not_raised(self) -> str | None:
        """The exception a ``pytest.raises``/``assertRaises`` block expected and did not get, else None."""
        exc = self.ctx.exception
        message = (exc.get("message") or "").strip()
        if exc.get("type") == "Failed" and message.startswith("DID NOT RAISE"):
            found = _CLASS_NAME.search(message)
            return found.group(1).rsplit(".", 1)[-1] if found else message[len("DID NOT RAISE") :].strip()
        if exc.get("type") == "AssertionError":
            found = _NOT_RAISED.match(message)
            if found:
                return found.group(1)
        return None

    def quiet_call(self) -> tuple[str, str, int, str | None] | None:
        """In a block that should have raised: the call of the code under test in it that returned
        instead, at its ``return`` (from there the chain finds the ``raise`` that never ran). Found
        once: the chain and the failure's text both ask."""
        if not self._quiet_known:
            self._quiet, self._quiet_known = self._find_quiet_call(), True
        return self._quiet

    def _find_quiet_call(self) -> tuple[str, str, int, str | None] | None:
        where = self.ctx.test_line()
        test_func = self.ctx.func_at(*where) if where is not None else None
        if where is None or test_func is None:
            return None
        stmt = test_func.stmt.get(where[1])
        if not isinstance(stmt, (ast.With, ast.AsyncWith)):
            return None
        names = {
            node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            for inner in stmt.body
            for node in ast.walk(inner)
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
        }
        for call in reversed(self.ctx.doc.get("calls") or []):
            if is_test_file(call["file"]) or call.get("name") not in names:
                continue
            records = [r for r in call["records"] if r.get("exception") is None]
            func = self.ctx.func_at(call["file"], call["line"])
            if not records or func is None or func.first != call["line"]:
                continue
            value = records[-1].get("return_repr")
            line = return_line(self.ctx.view(self.ctx.doc, func), records[-1].get("at"), value)
            return "returned", call["file"], line or call["line"], value
        return None

    def returned_origin(self, actual: str) -> tuple[str, str, int, str | None] | None:
        """The function that returned ``actual``: one the test line calls first, special methods last."""
        where = self.ctx.test_line()
        named: set[str] = set()
        if where is not None:
            test_func = self.ctx.func_at(*where)
            if test_func is not None:
                facts = test_func.facts(where[1])
                named = set(facts.calls) | set(facts.reads)
        ranked = []
        for order, call in enumerate(self.ctx.doc.get("calls") or []):
            if is_test_file(call["file"]):
                continue
            records = [r for r in call["records"] if r.get("return_repr") == actual]
            if not records:
                continue
            name = call.get("name") or ""
            rank = 0 if name in named else 2 if name.startswith("__") and name.endswith("__") else 1
            ranked.append((rank, order, call, records[-1]))
        if not ranked:
            return None
        _rank, _order, call, record = min(ranked, key=lambda r: (r[0], r[1]))
        func = self.ctx.func_at(call["file"], call["line"])
        if func is None or func.first != call["line"]:
            return None
        line = return_line(self.ctx.view(self.ctx.doc, func), record.get("at"), actual)
        return "returned", call["file"], line or call["line"], actual

    def field_origin(self, actual: str) -> tuple[str, str, int, str | None] | None:
        """A call that returned an object with a field equal to ``actual`` (``receipt.total``)."""
        wanted = _normal(actual)
        where = self.ctx.test_line()
        test_attrs = set()
        if where is not None:
            stmt = self.ctx.func_at(*where)
            if stmt is not None:
                test_attrs = {a for _, a in stmt.facts(where[1]).attrs}
        for call in self.ctx.doc.get("calls") or []:
            if is_test_file(call["file"]):
                continue
            for record in call["records"]:
                fields = _fields(record.get("return_repr")) or {}
                keys = [k for k, v in fields.items() if v == wanted and (not test_attrs or k in test_attrs)]
                if keys:
                    func = self.ctx.func_at(call["file"], call["line"])
                    if func is None:
                        continue
                    line = return_line(self.ctx.view(self.ctx.doc, func), record.get("at"), record.get("return_repr"))
                    self.field_hint = keys[0]
                    return "returned", call["file"], line or call["line"], record.get("return_repr")
        return None


def return_line(view: _View, k: int | None = None, value: str | None = None) -> int | None:
    """The ``return`` that ran: the only one that ran in the test, or the one whose value matches."""
    lines = [n for n, s in view.func.starts.items() if isinstance(s, ast.Return) and view.hits.get(n)]
    if len(lines) <= 1 or value is None:
        return lines[0] if len(lines) == 1 else None
    segment = view.segment(k)
    if segment is None:
        return None
    env = segment.env_before(INF)
    matching: list[int] = []
    unknown: list[int] = []
    for line in lines:
        expr = view.func.starts[line].value  # type: ignore[attr-defined]
        if isinstance(expr, ast.Name) and expr.id in env:
            if env[expr.id] == value:
                matching.append(line)
        elif isinstance(expr, ast.Name) and view.func.writers(expr.id) and expr.id not in view.func.params:
            continue  # a local never set in this call: this return did not run
        elif isinstance(expr, ast.Constant) or expr is None:
            if repr(getattr(expr, "value", None)) == value:
                matching.append(line)
        else:
            unknown.append(line)
    if len(matching) == 1:
        return matching[0]
    return unknown[0] if not matching and len(unknown) == 1 else None


def record_index(view: _View, kind: str, value: str | None) -> int | None:
    records = [view.records[k] for k in sorted(view.records)]
    if kind == "returned":
        matching = [r for r in records if r.get("return_repr") == value]
    elif kind in ("raised", "running"):
        matching = [r for r in records if r.get("exception")]
    else:
        matching = []
    if matching:
        return matching[-1].get("at")
    return view.count if view.count else None


def text_literal(ctx: _Context) -> tuple[str, int, str] | None:
    """The one string literal of a table or constant the modules set at import whose text stands in the
    wrong output right where it differs from the expected one: ``\\pm`` between the two numbers that
    should have had spaces around it. (file, line, the literal's text). Code run at import is run by
    every test, so the spectrum cannot tell it apart; its text can."""
    failure = ctx.failure
    try:
        expected, actual = (
            ast.literal_eval(failure.get("expected") or ""),
            ast.literal_eval(failure.get("actual") or ""),
        )
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(expected, str) or not isinstance(actual, str) or expected == actual:
        return None
    # the differing middle only (what the two share at each end is equal): SequenceMatcher is quadratic
    head, tail = common_ends(expected, actual)
    middle_expected, middle_actual = expected[head : len(expected) - tail], actual[head : len(actual) - tail]
    if max(len(middle_expected), len(middle_actual)) > MAX_TEXT_DIFF:
        return None
    matcher = difflib.SequenceMatcher(None, middle_expected, middle_actual, autojunk=False)
    changed = [(head + a1, head + a2) for tag, _, _, a1, a2 in matcher.get_opcodes() if tag != "equal"]
    if not changed or len(changed) > 4:  # a few edits in one place, not two different texts
        return None
    found: dict[tuple[str, int], tuple[int, str]] = {}  # (file, line): (places it touches, the text)
    for file, ran in (ctx.doc.get("import_lines") or {}).items():
        if is_test_file(file):
            continue
        tree = ctx.source(file).tree
        if tree is None:
            continue
        for stmt in _import_statements(tree):
            first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
            if not any((ran.get(str(n)) or {}).get("hits") for n in range(first, last + 1)):
                continue
            for node in ast.walk(stmt):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value.strip()) >= 2:
                    touched = _touches(node.value, actual, changed)
                    if touched and touched > found.get((file, node.lineno), (0, ""))[0]:
                        found[(file, node.lineno)] = (touched, node.value)
    most = max((touched for touched, _ in found.values()), default=0)
    best = [(where, text) for where, (touched, text) in found.items() if touched == most]
    if len(best) != 1:
        return None  # none, or several alike: the text alone cannot say which
    (file, line), text = best[0]
    return file, line, text


def _import_statements(tree: ast.Module):
    """The statements that run at import: the module's, and the class bodies' (not function bodies)."""
    todo = list(tree.body)
    while todo:
        stmt = todo.pop(0)
        if isinstance(stmt, ast.ClassDef):
            todo.extend(stmt.body)
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom)):
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):  # a docstring
                yield stmt


def _touches(text: str, actual: str, changed: list[tuple[int, int]]) -> int:
    """How many of the places where ``actual`` differs ``text`` stands on or right next to."""
    touched: set[int] = set()
    start = actual.find(text)
    while start >= 0:
        end = start + len(text)
        touched |= {i for i, (a1, a2) in enumerate(changed) if a1 <= end and start <= a2}
        start = actual.find(text, start + 1)
    return len(touched)
