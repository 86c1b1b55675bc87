"""Where the wrong value came from: the line a failing test's value was produced at, or its exception raised."""

from __future__ import annotations

import ast

from ..annotate import is_test_file
from ..findings import wrong_value_origin
from .context import _Context
from .replay import INF, _View
from .reprs import _fields, _normal


class _Origins:
    """Finds the origin of the failure in the failing run; ``field_hint``: the field of a returned
    object that holds the wrong value, where that is how it was found."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.field_hint: str | None = None

    def origin(self) -> tuple[str, str, int, str | None] | None:
        """(kind, file, line, value): ``raised`` | ``returned`` | ``running`` (timeout) | ``asserted``."""
        status = self.ctx.doc.get("status")
        exc = self.ctx.exception
        file, line = exc["file"], exc["line"]
        if status == "timeout":
            if file and line:
                return "running", file, int(line), None
            return None
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
