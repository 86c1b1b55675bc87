"""Execution replay: one function in one trace, its events, its calls told apart, the values at any point.

A trace keeps, per line, the variables each execution changed (``states``), which execution of the
line that was (``at``) and its place in the whole run (``seq``). Replaying the states of one function
in ``seq`` order gives the variables at any point of a call; the calls of a function are told apart by
a line that runs once per call (its ``at`` is the call number). Lines that changed nothing
(conditions, ``return``) have no place of their own: they are placed after the last state of the
lines before them, or, in a ``for`` body, in the iteration started by the loop's state.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from ..tracer.schema import CallRecord, FunctionCalls, Trace
from .source import _Func

INF = math.inf
DEFAULT_CAP = 10  # trace.maxStatesPerLine's default: executions of a line whose states are all kept


@dataclass(frozen=True)
class _Event:
    seq: float
    line: int
    at: int
    state: dict[str, str]


@dataclass
class _Exec:
    pos: float
    env: dict[str, str]  # variables before the line ran
    state: dict[str, str]  # what it changed


class _View:
    """Function ``func`` in trace ``doc``."""

    def __init__(self, doc: Trace, func: _Func) -> None:
        self.doc, self.func = doc, func
        file_lines = (doc.get("lines") or {}).get(func.file) or {}
        self.hits = {int(n): e.get("hits", 0) for n, e in file_lines.items() if func.owns(int(n))}
        # The tracer's branch outcomes (True, False) per ``if``/``while`` line, where it knows them.
        self.branch = {
            int(n): (e["branches"]["True"], e["branches"]["False"])
            for n, e in file_lines.items()
            if e.get("branches") and func.owns(int(n))
        }
        events = []
        for n, entry in file_lines.items():
            line = int(n)
            if not func.owns(line):
                continue
            for seq, at, state in zip(entry.get("seq") or [], entry.get("at") or [], entry.get("states") or []):
                events.append(_Event(seq, func.head(line), at, state))
        self.events = sorted(events, key=lambda e: e.seq)
        self.raised = {int(n) for n, e in file_lines.items() if e.get("raised") and func.owns(int(n))}
        self.call: FunctionCalls | dict = {}
        for call in doc.get("calls") or []:
            if call["file"] == func.file and call["line"] == func.first:
                self.call = call
        self.count = int(self.call.get("count") or (1 if self.hits else 0))
        self.records = {r.get("at"): r for r in self.call.get("records") or []}
        self.boundary_line = 0  # a line of the body that runs once per call, telling calls apart
        self.bounds = self._boundaries()
        # Executions past the first ``cap`` of a line are not diffed (only its last state is kept).
        finals = [a for e in file_lines.values() for a in (e.get("at") or []) if a < e.get("hits", 0)]
        self.cap = max([DEFAULT_CAP] + finals)

    def stale(self, line: int, pos: float) -> bool:
        """Could ``line`` have changed variables before ``pos`` without a recorded state?"""
        hits = self.hits.get(line, 0)
        if hits <= self.cap:
            return False
        own = [e for e in self.events if e.line == line]
        before = [e for e in own if e.seq < pos]
        if not before or before[-1].at >= hits:
            return False
        after = [e for e in own if e.seq >= pos]
        return not after or after[0].at > self.cap

    def _boundaries(self) -> dict[int, float] | None:
        """Call number -> seq of the state of a line that runs once per call (None: not found)."""
        if self.count <= 1:
            return None
        wanted = set(self.records) or {self.count}
        for line in self.func.top:
            if self.hits.get(line) != self.count:
                continue
            marks = {e.at: e.seq for e in self.events if e.line == line}
            if wanted <= set(marks):
                self.boundary_line = line
                return marks
        return None

    def segment(self, k: int | None) -> _Segment | None:
        """The events of call ``k`` (None or a single call: the whole function)."""
        args = dict((self.records.get(k) or {}).get("args") or {}) if k is not None else {}
        record = self.records.get(k) if k is not None else None
        if self.count <= 1 or k is None:
            return _Segment(self, self.events, args, single=self.count <= 1, record=record)
        if not self.events:  # no line changed anything: each call is told by its record alone
            return _Segment(self, [], args, single=False, record=record)
        if self.bounds is None:
            # Only the last call can be read without boundaries: its variables are the last ones set.
            if k != self.count:
                return None
            segment = _Segment(self, self.events, args, single=False, record=record)
            segment.mixed = True
            return segment
        if (
            k not in self.bounds
            or (k < self.count and k + 1 not in self.bounds)
            or (k > 1 and k - 1 not in self.bounds)
        ):
            return None
        start, end, before = self.bounds[k], self.bounds.get(k + 1, INF), self.bounds.get(k - 1, 0.0)
        b = self.boundary_line
        events = [
            e for e in self.events if (e.line >= b and start <= e.seq < end) or (e.line < b and before < e.seq < start)
        ]
        return _Segment(self, events, args, single=False, record=record)

    def segments(self) -> list[_Segment]:
        """Every call that can be told apart (for passing runs)."""
        if self.count <= 1:
            return [s for s in [self.segment(1 if self.records else None)] if s is not None]
        if self.bounds is None and self.events:
            segment = _Segment(self, self.events, {}, single=False)
            segment.mixed = True
            return [segment]
        return [s for k in sorted(self.records) if (s := self.segment(k)) is not None]

    def executed(self) -> set[int]:
        return {line for line, hits in self.hits.items() if hits}

    def outcomes(self, line: int) -> set[bool]:
        """Branch outcomes of the ``if`` at ``line`` over the whole test."""
        stmt = self.func.starts.get(line)
        if not isinstance(stmt, ast.If):
            return set()
        taken, not_taken = self.branch.get(line, (0, 0))
        out = set()
        if taken:
            out.add(True)
        if not_taken:
            out.add(False)
        return out


class _Segment:
    """One call of a function (or all of them, where calls cannot be told apart)."""

    def __init__(
        self, view: _View, events: list[_Event], args: dict[str, str], single: bool, record: CallRecord | None = None
    ) -> None:
        self.view, self.func, self.events, self.args, self.single = view, view.func, events, args, single
        self.record = record  # the call's record, where this is exactly one call
        self.mixed = False  # the events of every call (calls could not be told apart), this call's args

    def env_before(self, pos: float) -> dict[str, str]:
        """The variables of this call just before ``pos``, less those whose last change may be unrecorded."""
        env = dict(self.args)
        setter: dict[str, int] = {}
        for event in self.events:
            if event.seq >= pos:
                break
            env.update(event.state)
            setter.update(dict.fromkeys(event.state, event.line))
        for name, line in setter.items():
            if self.view.stale(line, pos):
                del env[name]
        return env

    def _ran(self, line: int) -> bool:
        if not self.view.hits.get(line):
            return False
        if self.single:
            return True
        if line not in self.func.parent:
            return False
        stmts, index = self.func.parent[line]
        later = [(s.lineno, s.end_lineno or s.lineno) for s in stmts[index + 1 :]]
        if not self.mixed and any(a <= e.line <= b for e in self.events for a, b in later):
            return True
        # A statement of the body that nothing before it can skip runs in every call that returned.
        record = self.record
        if line not in self.func.top or not record or record["exception"] or record["return_repr"] is None:
            return False
        before = [s for s in stmts[:index]]
        return not any(isinstance(n, (ast.Return, ast.Raise)) for s in before for n in ast.walk(s))

    def executions(self, line: int) -> list[_Exec]:
        """The executions of ``line`` in this call whose place is known, in order."""
        own = [e for e in self.events if e.line == line]
        if own:
            return [_Exec(e.seq, self.env_before(e.seq), e.state) for e in own]
        if not self.view.hits.get(line) or line not in self.func.starts:
            return []
        if isinstance(self.func.starts[line], (ast.While, ast.For, ast.AsyncFor)):
            return []  # a loop line without states runs once per iteration, at places not recorded
        if line not in self.func.loop:
            if not self._ran(line):
                return []
            # After the last recorded change above it; straight-line statements keep their order
            # (a line that changed nothing ran after the ones above it that changed nothing either).
            pos = max((e.seq for e in self.events if e.line < line), default=0.0) + 0.5 + line / 1e7
            return [_Exec(pos, self.env_before(pos), {})]
        loop = self.func.loop_body_direct(line)
        if loop is not None:
            total = sum(1 for e in self.view.events if e.line == loop.lineno)
            if total != self.view.hits.get(line):  # an iteration without a state: iterations unknown
                return []
            heads = [e for e in self.events if e.line == loop.lineno]
            return [self._in_iteration(loop, heads, index, line) for index in range(len(heads))]
        return self._by_evidence(line)

    def _in_iteration(self, loop: ast.stmt, heads: list[_Event], index: int, line: int) -> _Exec:
        """``line`` in iteration ``index`` of ``loop``: after the states of the lines before it."""
        end = heads[index + 1].seq if index + 1 < len(heads) else INF
        head = heads[index]
        inside = [e.seq for e in self.events if head.seq < e.seq < end and loop.lineno < e.line < line]
        pos = max([head.seq] + inside) + 0.5
        return _Exec(pos, self.env_before(pos), {})

    def _by_evidence(self, line: int) -> list[_Exec]:
        """A line inside a branch of a ``for`` body: it ran in the iterations where a line of its own
        statement, or one after it in the same block, changed something."""
        loop = self.func.loop.get(line)
        if not isinstance(loop, (ast.For, ast.AsyncFor)) or loop.lineno in self.func.loop:
            return []
        hits = self.view.hits.get(loop.lineno, 0)
        total = sum(1 for e in self.view.events if e.line == loop.lineno)
        if not hits - max(self.view.count, 1) <= total <= hits or line not in self.func.parent:
            return []  # some iterations left no state on the loop line: iterations cannot be told apart
        stmts, index = self.func.parent[line]
        spans = [(s.lineno, s.end_lineno or s.lineno) for s in stmts[index:]]
        heads = [e for e in self.events if e.line == loop.lineno]
        out = []
        for i, head in enumerate(heads):
            end = heads[i + 1].seq if i + 1 < len(heads) else INF
            if any(head.seq < e.seq < end and any(a <= e.line <= b for a, b in spans) for e in self.events):
                out.append(self._in_iteration(loop, heads, i, line))
        return out

    def last_before(self, line: int, pos: float) -> _Exec | None:
        found = [x for x in self.executions(line) if x.pos < pos]
        return found[-1] if found else None

    def writer(self, name: str, pos: float, exclude: int = 0) -> tuple[int, _Exec] | None:
        """The line of this function that last set ``name`` before ``pos``, with that execution."""
        candidates = set(self.func.writers(name)) | {e.line for e in self.events if name in e.state}
        candidates.discard(exclude)
        best: tuple[int, _Exec] | None = None
        for line in candidates:
            found = self.last_before(line, pos)
            if found is not None and (best is None or found.pos > best[1].pos):
                best = (line, found)
        return best
