"""What the tracer keeps per line, per code object and per frame."""

from __future__ import annotations

import dis
import types

from .static import BODY_COUNT, FileFacts


class LineRec:
    __slots__ = (
        "hits",
        "last",
        "examined",
        "states",
        "at",
        "seq",
        "names",
        "exact_last",
        "final",
        "final_at",
        "final_seq",
        "exc_count",
        "exc_last",
        "code",
        "pred",
        "leader",
        "follower",
        "base",
        "skips",
        "loop",
        "entry",
        "lineno",
        "mode",
        "leads",
        "codeobj",
        "exact_hits",
        "needs_last",
        "unchanged",
        "ret_values",
        "ret_count",
        "ret_last",
        "ret_raw",
        "exits",
        "branch",
        "taken",
        "not_taken",
        "unknown",
        "unwound",
        "track",
        "plain_return",
    )

    def __init__(self, lineno: int, names: frozenset[str], code: CodeRec, pred: int | None) -> None:
        self.lineno = lineno
        # What an event of this line needs (see Recorder.set_mode); the hot path reads only this.
        self.mode = EXAMINE
        self.leads = False  # another line's hits are derived from this one's
        self.codeobj = code.codeobj
        self.exact_hits = 0  # hits when its last exact examination started
        self.needs_last = False  # mode is ORDER
        # Names the line binds that an examined execution left as they were: name -> (value, repr or None).
        self.unchanged: dict[str, tuple[object, str | None]] = {}
        self.hits = 0
        self.last = 0
        self.examined = 0
        self.states: list[dict[str, str]] = []
        self.at: list[int] = []
        self.seq: list[int] = []
        self.names = set(names)
        self.exact_last = 0
        self.final: dict[str, str] | None = None
        self.final_at = 0
        self.final_seq: float = 0
        self.exc_count = 0
        self.exc_last: dict[str, str] | None = None
        self.code = code
        # Hits derived instead of counted (sys.monitoring only, see Recorder.derive): the line
        # runs right after ``pred``; once both are past their cap its event is switched off and
        # hits = leader's hits + base - skips (the times the leader raised and skipped it).
        self.pred = pred
        self.leader: LineRec | None = None
        self.follower: LineRec | None = None
        self.base = 0
        self.skips = 0
        # A `for` line (see static.loop_heads): (first body line, line before the loop or 0, last line).
        # Derived, its hits = body's first line + entries into the loop - exits by exception.
        self.loop: tuple[int, int, int] | None = None
        self.entry: LineRec | None = None
        # Values returned by a ``return`` on this line: the first ``max_states``, the last, how many.
        self.ret_values: list[str] = []
        self.ret_count = 0
        self.ret_last: object = None  # past the first: the last value (``ret_raw``: not yet a repr)
        self.ret_raw = False
        # A ``return`` inside ``with``/``finally``: the lines its return event may come from.
        self.exits: frozenset[int] | None = code.exits.get(lineno)
        # An ``if``/``while`` line: (kind, body's first line, test's last line, how), see static.branch_heads.
        self.branch: tuple[str, int, int, int] | None = code.branches.get(lineno)
        self.taken = 0
        self.not_taken = 0
        self.unknown = 0  # executions whose outcome no event showed
        self.unwound = 0  # exceptions that passed through this line in frames of this code
        # Its line events tell the frame (see Recorder.tell); such a line never stops reporting.
        self.track = self.exits is not None or (self.branch is not None and self.branch[3] != BODY_COUNT)
        # A ``return`` of this code alone on its line: a return event here is that ``return``.
        self.plain_return = lineno in code.returns and lineno not in code.shared_returns

    def total_hits(self) -> int:
        if self.leader is None:
            return self.hits
        hits = self.leader.total_hits() + self.base - self.skips
        if self.loop is not None:
            hits += self.entry.total_hits() if self.entry is not None else self.code.calls.count
        return hits

    def last_start(self) -> float:
        if self.leader is None:
            return self.last
        return self.leader.last_start() + 0.001


# LineRec.mode
EXAMINE = 0  # under its cap: snapshot and diff
COUNT = 1  # count only
ORDER = 2  # count, and note when it ran (its last state is rebuilt at frame exit)
DERIVE = 3  # count, and try to derive its hits from another line's
# Count and tell the frame (a branch waiting for its outcome, a guarded return). False, so that the
# cores' fast paths (``if mode and ...``) leave it to their slow path, and ``mode is EXAMINE`` tells it apart.
TRACK = False


class CallRecords:
    """Calls of one function: count, and first ``cap`` calls plus the last one."""

    __slots__ = ("file", "name", "qualname", "line", "count", "records", "last")

    def __init__(self, code: types.CodeType, qualname: str) -> None:
        self.file = code.co_filename
        self.name = code.co_name
        self.qualname = qualname
        self.line = code.co_firstlineno
        self.count = 0
        self.records: list[dict] = []
        self.last: dict | None = None


class CodeRec:
    __slots__ = (
        "file",
        "lines",
        "bound",
        "preds",
        "named",
        "calls",
        "npending",
        "nargs",
        "argnames",
        "suspend_lines",
        "is_gen",
        "derived",
        "active",
        "heads",
        "loops",
        "derived_names",
        "codeobj",
        "writers",
        "module_level",
        "table",
        "table_base",
        "iter_lines",
        "one_line_loops",
        "returns",
        "shared_returns",
        "exits",
        "branches",
        "positions",
        "return_at",
        "for_heads",
        "statements",
        "for_bodies",
    )

    def __init__(
        self,
        code: types.CodeType,
        facts: FileFacts,
        qualname: str,
    ) -> None:
        self.file = code.co_filename
        self.lines: dict[int, LineRec] = {}
        self.bound = bound = facts.bound
        self.preds = facts.preds
        self.derived: list[LineRec] = []
        self.active = 0  # frames of this code alive now
        self.heads = facts.heads
        self.codeobj = code
        self.derived_names: set[str] = set()
        # Derived loop lines: (record, header line, last line of the body, line entering the loop or 0).
        self.loops: list[tuple[LineRec, int, int, int]] = []
        self.named: list[LineRec] = []  # lines known to bind names, for reconstruction
        self.calls = CallRecords(code, qualname)
        self.npending = 0
        flags = code.co_flags
        nargs = code.co_argcount + code.co_kwonlyargcount
        nargs += bool(flags & 0x04) + bool(flags & 0x08)  # *args, **kwargs
        self.nargs = nargs
        # Parameter names in order (``f_locals`` of 3.9/3.10 puts cells elsewhere).
        self.argnames = code.co_varnames[:nargs]
        self.suspend_lines = facts.suspend_lines
        self.is_gen = bool(flags & (0x20 | 0x80 | 0x200))  # generator, coroutine, async generator
        # How many places bind each name in this code. A name with one writer needs no order:
        # bound at the frame's exit, its value there is what that one line last gave it.
        # Parameters, cells and free variables count twice, and so does every name of module-level
        # code (other code can bind them too).
        own_lines = {line for _, line in dis.findlinestarts(code) if line}
        self.writers: dict[str, int] = {}
        for line in own_lines:
            for name in bound.get(line, ()):
                self.writers[name] = self.writers.get(name, 0) + 1
        shared = code.co_varnames[:nargs] + code.co_cellvars + code.co_freevars
        for name in shared:
            self.writers[name] = self.writers.get(name, 0) + 2
        self.module_level = code.co_name == "<module>"
        self.iter_lines = facts.iter_lines
        self.one_line_loops = facts.one_line_loops
        # ``return`` lines of this function (a lambda has none, nor does module or class code):
        # line -> ((column of ``return``, end column), ...).
        self.returns: dict[int, tuple[tuple[int, int], ...]] = {}
        self.exits: dict[int, frozenset[int]] = {}
        self.branches: dict[int, tuple[str, int, int, int]] = {}
        self.positions: list | None = None  # co_positions(), read once where a return needs it
        self.return_at: dict[int, int] = {}  # offset of a return instruction -> its line (sys.monitoring)
        self.statements = facts.statements  # a line of a statement spanning several -> its first line
        self.for_heads = facts.for_heads  # `for` line -> its body's first line (the body on lines of its own)
        self.for_bodies = {body: head for head, body in facts.for_heads.items()}
        if not code.co_name.startswith("<"):  # not a lambda, module or comprehension
            first = code.co_firstlineno
            for line, owners in facts.returns.lines.items():
                cols = tuple((col, end) for owner, col, end in owners if owner == first)
                if cols:
                    self.returns[line] = cols
                    if line in facts.returns.exits:
                        self.exits[line] = facts.returns.exits[line]
        if code.co_name != "<lambda>":  # a lambda on an ``if`` line is not the ``if``
            self.branches = facts.branches
        self.shared_returns = facts.returns.shared
        # Lines past their cap (COUNT or ORDER), indexed by line - table_base: the settrace fast path.
        self.table_base = min(own_lines, default=code.co_firstlineno)
        self.table: list[LineRec | None] = [None] * (max(own_lines, default=self.table_base) - self.table_base + 1)

    def line(self, lineno: int) -> LineRec:
        rec = self.lines.get(lineno)
        if rec is None:
            rec = self.lines[lineno] = LineRec(
                lineno, self.bound.get(lineno, frozenset()), self, self.preds.get(lineno)
            )
            rec.loop = self.heads.get(lineno)
            if rec.names:
                self.named.append(rec)
        return rec


class FrameState:
    """Per-frame bookkeeping: the line whose exact diff is open, and its snapshot."""

    __slots__ = ("code", "pending", "pat", "snap", "start", "call", "unwinding", "yields", "branch", "ret_line")

    def __init__(self, code: CodeRec, start: int) -> None:
        self.code = code
        self.pending: LineRec | None = None
        self.pat = 0
        self.snap: dict[str, tuple[object, str | None]] = {}
        self.start = start
        self.call: dict | None = None
        self.unwinding: BaseException | None = None
        self.yields = 0
        self.branch: LineRec | None = None  # an ``if``/``while`` line waiting for the frame's next line
        self.ret_line: LineRec | None = None  # a ``return`` inside ``with``/``finally`` that ran last


def root_of(rec: LineRec) -> LineRec:
    """The line that still reports events for a chain of derived lines."""
    while rec.leader is not None:
        rec = rec.leader
    return rec


def leads_ordered(rec: LineRec) -> bool:
    """A derived line that needs an order takes its time from the line that reports for it."""
    stack = [rec]
    while stack:
        lead = stack.pop()
        for line in lead.code.lines.values():
            if line.leader is lead:
                if needs_order(line):
                    return True
                stack.append(line)
    return False


def needs_order(rec: LineRec) -> bool:
    """Does rebuilding this line's last state need to know when it ran (a name with another writer)?"""
    code = rec.code
    if code.module_level:
        return bool(rec.names)
    writers = code.writers
    return any(writers.get(name, 1) > 1 for name in rec.names)
