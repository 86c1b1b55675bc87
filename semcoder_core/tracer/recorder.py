"""The per-event bookkeeping shared by both tracer cores.

Cost model: the first ``max_states`` executions of each line are examined
exactly (locals snapshotted before, diffed after). After that a line only
counts its hits (its ``mode`` says what else an event needs); its last state
is rebuilt when the frame exits, from the frame's final values of the names
that line binds, and only lines binding a name with another writer note when
they ran. On sys.monitoring some lines stop reporting events altogether and
their hits are derived from a neighbour's (see ``derive``). So a loop run a
million times costs a counter per iteration, and its trace still has exact
counts and the true final state.
"""

from __future__ import annotations

import dis
import itertools
import linecache
import sys
import threading
import types

from .records import (
    COUNT,
    DERIVE,
    EXAMINE,
    ORDER,
    TRACK,
    CodeRec,
    FrameState,
    LineRec,
    leads_ordered,
    needs_order,
    root_of,
)
from .saferepr import IMMUTABLE, SafeRepr
from .static import NEXT_LINE, RETURN_BODY, FileFacts

_SKIP_TYPES = frozenset(
    (
        types.ModuleType,
        types.FunctionType,
        types.BuiltinFunctionType,
        types.MethodType,
        type,
    )
)
# Comprehensions are inlined into their enclosing code from 3.12 on, and
# generator expressions report resumptions differently under settrace and
# sys.monitoring; treating their code as part of the enclosing line keeps
# traces identical across versions.
_INLINE_CODE_NAMES = frozenset(("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"))
_MISSING = object()
_LOAD_CONST = dis.opmap["LOAD_CONST"]
_HAS_POSITIONS = sys.version_info >= (3, 11)
# Raised by the machinery of a `for`/`async for`, an `await`/`yield from` or a generator's close(),
# on lines that iterate or suspend: not errors of the line.
_LOOP_ENDS = (StopIteration, StopAsyncIteration, GeneratorExit)


def _visible(name: str, value: object) -> bool:
    if name[0] in "@." or (name[:2] == "__" and name[-2:] == "__"):
        return False
    t = type(value)
    return t not in _SKIP_TYPES and not issubclass(t, type)


class Recorder:
    """Collects a trace for code objects whose file is one of the targets."""

    def __init__(
        self,
        is_target,
        max_states: int = 10,
        max_calls: int = 10,
        saferepr: SafeRepr | None = None,
    ) -> None:
        self.is_target = is_target
        self.max_states = max_states
        self.max_calls = max_calls
        self.repr = saferepr or SafeRepr()
        # Set while a user's __repr__ runs from inside a callback, so its frames
        # are not traced (sys.monitoring does not suppress nested events).
        self.busy = self.repr.busy
        # Only a core that can switch off one line's events (sys.monitoring) derives hits.
        self.can_derive = False
        self.serial = itertools.count(1)
        self.codes: dict[types.CodeType, CodeRec | None] = {}
        self._facts: dict[str, FileFacts] = {}

    # -- which code is traced ------------------------------------------------

    def code_rec(self, code: types.CodeType) -> CodeRec | None:
        """The record for ``code``, or None when it is not traced (cached)."""
        try:
            return self.codes[code]
        except KeyError:
            pass
        rec = None
        filename = code.co_filename
        if code.co_name not in _INLINE_CODE_NAMES and self.is_target(filename):
            facts = self._facts.get(filename)
            if facts is None:
                facts = self._facts[filename] = FileFacts.of("".join(linecache.getlines(filename)))
            qualname = getattr(code, "co_qualname", None) or facts.qualnames.get(
                (code.co_firstlineno, code.co_name), code.co_name
            )
            rec = CodeRec(code, facts, qualname)
        self.codes[code] = rec
        return rec

    # -- exact diffs -----------------------------------------------------------

    def snapshot(self, local_vars) -> dict[str, tuple[object, str | None]]:
        snap: dict[str, tuple[object, str | None]] = {}
        rep = self.repr
        for name, value in local_vars.items():
            if type(value) in IMMUTABLE:
                snap[name] = (value, None)
            elif _visible(name, value):
                snap[name] = (value, rep(value))
        return snap

    def step(self, fs: FrameState, rec: LineRec | None, serial: int, local_vars) -> None:
        """Close the frame's open diff (if any) and open one for ``rec`` (if not None)."""
        if fs.pending is not None:
            new = self._close(fs, local_vars, serial)
            if rec is None:
                return
            fs.snap = new
        elif rec is None:
            return
        else:
            fs.snap = self.snapshot(local_vars)
        fs.pending = rec
        fs.code.npending += 1
        rec.examined += 1
        fs.pat = rec.exact_hits = rec.hits
        if serial > rec.exact_last:
            rec.exact_last = serial
        if rec.examined >= self.max_states:
            self.set_mode(rec)

    def _close(self, fs: FrameState, local_vars, serial: int) -> dict[str, tuple[object, str | None]]:
        """Diff the frame's locals against the open snapshot; ``serial`` orders the change."""
        rec = fs.pending
        assert rec is not None
        old = fs.snap
        rep = self.repr
        changed: dict[str, str] = {}
        new: dict[str, tuple[object, str | None]] = {}
        for name, value in local_vars.items():
            before = old.get(name)
            if type(value) in IMMUTABLE:
                new[name] = (value, None)
                if before is None or (
                    before[0] is not value and (type(before[0]) is not type(value) or before[0] != value)
                ):
                    if _visible(name, value):
                        changed[name] = rep(value)
            elif _visible(name, value):
                text = rep(value)
                new[name] = (value, text)
                if before is None or before[0] is not value or before[1] != text:
                    changed[name] = text
        fs.pending = None
        for name in fs.code.bound.get(rec.lineno, ()):
            if name not in changed and name in new:
                rec.unchanged[name] = new[name]
        code = fs.code
        code.npending -= 1
        if changed and code.derived_names:
            # A derived line reports no event: what it bound ran inside this diff. Keep only
            # the names this line binds itself.
            own = code.bound.get(rec.lineno, ())
            changed = {k: v for k, v in changed.items() if k not in code.derived_names or k in own}
        if changed:
            if not rec.names:
                code.named.append(rec)
            new_names = [name for name in changed if name not in rec.names]
            rec.names.update(changed)
            for name in new_names:
                if name not in code.bound.get(rec.lineno, ()):
                    # A writer the syntax tree did not show (a mutation, a call): lines sharing
                    # the name may now need an order.
                    code.writers[name] = code.writers.get(name, 0) + 1
                    for other in code.named:
                        if name in other.names and other.mode == COUNT:
                            self.set_mode(other)
            if rec.mode == COUNT:
                self.set_mode(rec)
            if len(rec.states) < self.max_states:
                rec.states.append(changed)
                rec.at.append(fs.pat)
                rec.seq.append(serial)
            elif serial >= rec.final_seq:
                rec.final, rec.final_at, rec.final_seq = changed, fs.pat, serial
        return new

    # -- derived hits ---------------------------------------------------------------

    def derive(self, rec: LineRec) -> bool:
        """Can ``rec`` (past its cap, its predecessor's event just fired) stop reporting events?"""
        if rec.leader is not None:  # derived already; this is another event location of its line
            return True
        if rec.loop is not None:
            return self._derive_loop(rec)
        code = rec.code
        pred = code.lines.get(rec.pred)  # type: ignore[arg-type]
        if pred is None or pred.follower is not None:
            rec.pred = None  # never again
            self.set_mode(rec)
            return False
        # Counts are in step only when no other frame of this code is between the two lines.
        if pred.examined < self.max_states or code.active != 1:
            return False
        rec.leader = pred
        pred.follower = rec
        pred.leads = True
        self.set_mode(root_of(pred))
        rec.base = rec.hits - pred.total_hits()
        rec.code.derived.append(rec)
        rec.code.derived_names.update(rec.code.bound.get(rec.lineno, ()))
        return True

    def _derive_loop(self, rec: LineRec) -> bool:
        code = rec.code
        body_line, entry_line, last_line = rec.loop  # type: ignore[misc]
        body = code.lines.get(body_line)
        entry = code.lines.get(entry_line) if entry_line else None
        if body is None or (entry_line and entry is None):
            rec.loop = None  # the loop never ran its body or came another way: count as usual
            self.set_mode(rec)
            return False
        if body.examined < self.max_states or code.active != 1:
            return False
        rec.leader, rec.entry, rec.base = body, entry, 0
        body.leads = True
        rec.base = rec.hits - rec.total_hits()
        code.derived.append(rec)
        code.derived_names.update(code.bound.get(rec.lineno, ()))
        code.loops.append((rec, rec.lineno, last_line, entry_line))
        self.set_mode(root_of(body))
        return True

    def set_mode(self, rec: LineRec) -> None:
        """Past its cap a line is derivable, or needs an order, or only counts."""
        if rec.examined < self.max_states:
            rec.mode = EXAMINE
        elif rec.track:
            rec.mode = TRACK
        elif self.can_derive and (rec.pred is not None or rec.loop is not None):
            rec.mode = DERIVE
        elif needs_order(rec) or (rec.leads and leads_ordered(rec)) or self._times_a_loop(rec):
            rec.mode = ORDER
        else:
            rec.mode = COUNT
        rec.needs_last = rec.mode == ORDER
        code = rec.code
        index = rec.lineno - code.table_base
        if 0 <= index < len(code.table):
            code.table[index] = rec if rec.mode in (COUNT, ORDER) else None

    def _times_a_loop(self, rec: LineRec) -> bool:
        """The first line of a ``for`` body whose header needs an order: it dates the header's bindings."""
        code = rec.code
        header = code.for_bodies.get(rec.lineno)
        if header is None:
            return False
        head = code.lines.get(header)
        return head is not None and needs_order(head)

    def raised(self, code: CodeRec, rec: LineRec, exc: BaseException) -> None:
        """An exception passed through ``rec``'s line (RAISE event): lines derived from it did not run."""
        if type(exc) is StopIteration and rec.lineno in code.iter_lines:
            return  # the iterator ran out: a `for` on this line catches it
        if rec.follower is not None:  # the next statement did not run
            rec.follower.skips += 1
        lineno = rec.lineno
        for loop, header, last, entry in code.loops:
            # From the body, it leaves the loop (bodies of derived loops cannot catch); from
            # the statement before it, the loop was never entered. From the header it was the
            # loop's last check, which did happen.
            if header < lineno <= last or lineno == entry:
                loop.skips += 1

    def _refresh(self, code: CodeRec) -> None:
        for rec in code.derived:
            rec.hits = rec.total_hits()
            rec.last = rec.last_start()  # type: ignore[assignment]
        # A loop's last check comes after every line of its body (inner loops first).
        for rec, first, last, _ in sorted(code.loops, key=lambda item: item[2] - item[1]):
            body = [r.last for n, r in code.lines.items() if first < n <= last]
            rec.last = max(body, default=rec.last) + 0.5  # type: ignore[assignment]

    # -- branches and returns ----------------------------------------------------

    def tell(self, fs: FrameState, rec: LineRec) -> None:
        """A tracked line ran in this frame: a branch waits for the next line, a guarded return is noted."""
        if rec.exits is not None:
            fs.ret_line = rec
        if rec.branch is not None and rec.branch[3]:
            if fs.branch is rec:
                return  # kept pending by resolve(): a test written on several lines
            if fs.branch is None:
                fs.code.npending += 1  # the frame's next line event must come to the slow path
            else:
                self.resolve(fs, rec.lineno)
            fs.branch = rec

    def resolve(self, fs: FrameState, lineno: int) -> None:
        """The frame's next line after a pending branch line: was it the body's first line?"""
        rec = fs.branch
        assert rec is not None
        _, body, test_end, how = rec.branch  # type: ignore[misc]
        if (rec.lineno <= lineno <= test_end and test_end > rec.lineno) or (
            rec.exits is not None and lineno in rec.exits
        ):
            # Still inside a test written on several lines (3.9 reports its first line again), or
            # leaving a `with` to return.
            return
        fs.branch = None
        fs.code.npending -= 1
        if how == NEXT_LINE and lineno == body:
            rec.taken += 1
        else:
            rec.not_taken += 1

    def interrupted(self, fs: FrameState) -> None:
        """An exception in the frame: a pending test raised (no outcome), a guarded return did not finish."""
        fs.ret_line = None
        rec = fs.branch
        if rec is not None:
            fs.branch = None
            fs.code.npending -= 1
            if rec.branch[3] == RETURN_BODY:  # type: ignore[index]
                rec.unknown += 1  # the test or the returned expression raised

    def keep_last(self, fs: FrameState, rec: LineRec | None, value: object) -> bool:
        """A ``return`` alone on its line, past its first values: only its last value is kept, and
        repr'd at the end if still wanted (True). Anything else goes to :meth:`returned` (False)."""
        if (
            rec is not None
            and rec.plain_return
            and rec.ret_count >= self.max_states
            and fs.branch is None
            and type(value) in IMMUTABLE
        ):
            rec.ret_count += 1
            rec.ret_last, rec.ret_raw = value, True
            fs.ret_line = None
            return True
        return False

    def returned(self, fs: FrameState, frame, value: object, lineno: int) -> None:
        """The frame returns ``value`` from ``lineno`` (not a yield, not unwinding): put it on the
        ``return`` line that ran."""
        code = fs.code
        rec = code.lines.get(lineno)
        if rec is not None and rec.plain_return and fs.branch is None:
            # The common case: a `return` that is the only statement of its line, nothing pending.
            fs.ret_line = None
            count = rec.ret_count = rec.ret_count + 1
            if count <= self.max_states:
                rec.ret_values.append(self.repr(value))
            elif type(value) in IMMUTABLE:
                rec.ret_last, rec.ret_raw = value, True
            else:
                rec.ret_last, rec.ret_raw = self.repr(value), False
            return
        rec = None
        unsure = False  # `return None` or falling off the end, after a `with` or `finally:`
        cols = code.returns.get(lineno)
        if cols is not None and (
            value is not None or lineno not in code.shared_returns or self._explicit(code, frame, cols)
        ):
            rec = code.line(lineno)
        else:
            guarded = fs.ret_line
            if guarded is not None and lineno in guarded.exits:  # type: ignore[operator]
                if value is not None or guarded.lineno not in code.shared_returns:
                    rec = guarded
                else:
                    unsure = True
        fs.ret_line = None
        pending = fs.branch
        if pending is not None:
            fs.branch = None
            code.npending -= 1
            if pending.branch[3] != RETURN_BODY:  # type: ignore[index]
                pending.not_taken += 1
            elif pending is rec:
                pending.taken += 1
            elif unsure:
                pending.unknown += 1
            else:
                pending.not_taken += 1
        if rec is None:
            return
        rec.ret_count += 1
        if rec.ret_count <= self.max_states:
            rec.ret_values.append(self.repr(value))
        elif type(value) in IMMUTABLE:
            rec.ret_last, rec.ret_raw = value, True
        else:
            rec.ret_last, rec.ret_raw = self.repr(value), False

    def _explicit(self, code: CodeRec, frame, cols) -> bool:
        """Did ``return None`` on a line shared with other code come from its ``return`` (not from
        falling off the function's end, which reports the same line)?"""
        co = code.codeobj
        lasti = frame.f_lasti
        if _HAS_POSITIONS:
            if code.positions is None:
                code.positions = list(co.co_positions())
            index = lasti // 2
            if not 0 <= index < len(code.positions):
                return False
            _, _, col, end = code.positions[index]
            return col is not None and any(start <= col and (end or 0) <= stop for start, stop in cols)
        # 3.9/3.10: the implicit return is a `LOAD_CONST None` that a jump lands on.
        raw = co.co_code
        if lasti >= 2 and raw[lasti - 2] == _LOAD_CONST and co.co_consts[raw[lasti - 1]] is None:
            if code.positions is None:
                code.positions = dis.findlabels(raw)  # type: ignore[arg-type]  # bytes work (stdlib)
            return lasti - 2 not in code.positions
        return True

    def outcomes(self, code: CodeRec, rec: LineRec) -> tuple[int, int] | None:
        """(True, False) counts of an ``if``/``while`` line in this code, or None where not known."""
        _, body, test_end, how = rec.branch  # type: ignore[misc]
        if how in (NEXT_LINE, RETURN_BODY):
            if rec.unknown:
                return None
            return rec.taken, rec.not_taken
        first = code.lines.get(body)
        taken = first.hits if first is not None else 0
        raised = sum(code.lines[n].unwound for n in range(rec.lineno, test_end + 1) if n in code.lines)
        not_taken = rec.hits - taken - raised
        return (taken, not_taken) if not_taken >= 0 else None

    # -- frame exits: last states of lines past their cap ---------------------

    def suspend(self, fs: FrameState, local_vars) -> None:
        """The frame yields or awaits: what the line binds when it resumes (``x = yield y``) is still its
        own, so its open diff is closed now and opened again from here."""
        rec = fs.pending
        self.exit(fs, lambda: local_vars)
        if rec is not None:
            fs.snap = self.snapshot(local_vars)
            fs.pending = rec
            fs.code.npending += 1
        fs.yields += 1

    def exit(self, fs: FrameState, local_vars_of) -> None:
        """The frame returns, yields or unwinds: close its diff, rebuild capped lines' last states."""
        if fs.pending is not None:
            self._close(fs, local_vars_of(), next(self.serial))
        code = fs.code
        if code.derived:
            self._refresh(code)
        named = code.named
        for rec in named:
            if rec.hits > rec.exact_hits:  # ran past its exact executions
                break
        else:
            return
        busy = _callers_lines(fs)
        if busy is None:
            # Another frame of this code may have run these lines after this frame did (interleaved
            # generators, threads, a frame started later): this frame's values are not theirs. Their
            # last states stay unrecorded unless a later exit can tell.
            return
        if busy:  # callers of this code, waiting in the middle of a statement: it ends after this frame
            starts = code.statements
            busy = {starts.get(line, line) for line in busy}
            named = [rec for rec in named if rec.lineno not in busy]
        local_vars = local_vars_of()
        start = fs.start
        finals: dict[LineRec, dict[str, str]] = {}
        # Names with several writers: the one that ran last in this frame gave the final value.
        writer: dict[str, LineRec] = {}
        bound: dict[LineRec, float] = {}
        for rec in named:
            if rec.last >= start and needs_order(rec):
                at = bound[rec] = self._bound_at(rec)
                for name in rec.names:
                    w = writer.get(name)
                    if w is None or at > bound[w]:
                        writer[name] = rec
        for name, rec in writer.items():
            if bound[rec] > rec.exact_last:
                self._final_value(finals, rec, name, local_vars)
        # Names with one writer: bound at exit means that line ran in this frame, last. Unless the line
        # has not run since a last state was taken (a frame that exits later is not one that ran it later:
        # recursion).
        for rec in named:
            if rec.hits > rec.exact_hits and not needs_order(rec) and (rec.final is None or rec.hits > rec.final_at):
                for name in rec.names:
                    self._final_value(finals, rec, name, local_vars)
        serial = next(self.serial)
        for rec, state in finals.items():
            seq = bound.get(rec, rec.last) if needs_order(rec) else serial
            if seq >= rec.final_seq:
                rec.final, rec.final_at, rec.final_seq = state, rec.hits, seq

    def _bound_at(self, rec: LineRec) -> float:
        """When ``rec`` last bound its names. A ``for`` line's last event is often the check that found
        the iterator exhausted, which binds nothing: its last binding came just before its body's first
        line last ran."""
        body = rec.code.for_heads.get(rec.lineno)
        if body is None:
            return rec.last
        first = rec.code.lines.get(body)
        if first is None:
            return -1.0  # the body never ran: no event of this line bound anything
        return min(rec.last, first.last_start() - 0.5)

    def _final_value(self, finals: dict, rec: LineRec, name: str, local_vars) -> None:
        value = local_vars.get(name, _MISSING)
        if not any(name in state for state in rec.states):
            # The line never changed it while examined (``text = text.replace(a, b)`` finding nothing):
            # only a value other than the one those executions left shows that a later one changed it.
            seen = rec.unchanged.get(name)
            if seen is None or value is _MISSING:
                return
            if seen[1] is None:
                if seen[0] is value or (type(seen[0]) is type(value) and seen[0] == value):
                    return
            elif seen[0] is value and self.repr(value) == seen[1]:
                return
        if value is not _MISSING and _visible(name, value):
            finals.setdefault(rec, {})[name] = self.repr(value)

    # -- calls -----------------------------------------------------------------

    def call_start(self, fs: FrameState, local_vars) -> None:
        calls = fs.code.calls
        calls.count += 1
        args: dict[str, object] = {}
        if calls.count <= self.max_calls:
            for name in fs.code.argnames:
                if name in local_vars:
                    args[name] = self.repr(local_vars[name])
            record = {"at": calls.count, "args": args, "return_repr": None, "exception": None}
            calls.records.append(record)
        else:
            # Past the cap only the last call is kept: hold values that cannot change and
            # repr the others now; the rest of the repr work happens once, at the end.
            for name in fs.code.argnames:
                if name not in local_vars:
                    continue
                value = local_vars[name]
                args[name] = _Later(value) if type(value) in IMMUTABLE else self.repr(value)
            record = {"at": calls.count, "args": args, "return_repr": None, "exception": None}
            calls.last = record
        fs.call = record

    def call_end(self, fs: FrameState, value: object, exc: BaseException | None) -> None:
        # The frame is done: hold none of its values, so that they die with it, outside this callback
        # (a generator dropped there is closed where the trace sees it).
        fs.snap = {}
        record = fs.call
        if record is None:
            return
        if exc is not None:
            record["exception"] = {"type": type(exc).__name__, "message": _message(exc)}
        elif record is fs.code.calls.last and type(value) in IMMUTABLE:
            record["return_repr"] = _Later(value)
        else:
            record["return_repr"] = self.repr(value)
        if fs.yields:
            record["yields"] = fs.yields

    def _now(self, value):
        return self.repr(value.value) if isinstance(value, _Later) else value

    def exception_at(self, rec: LineRec, exc: BaseException) -> None:
        """Record an exception where it started (not the end of an iteration, nor a generator's closing)."""
        if type(exc) in _LOOP_ENDS and rec.lineno in rec.code.suspend_lines:
            return
        rec.exc_count += 1
        rec.exc_last = {"type": type(exc).__name__, "message": _message(exc)}

    # -- output ------------------------------------------------------------------

    def lines_json(self, path_map=None) -> dict[str, dict[str, dict]]:
        out: dict[str, dict[int, dict]] = {}
        for code_rec in self.codes.values():
            if code_rec is None:
                continue
            self._refresh(code_rec)
            path = path_map(code_rec.file) if path_map else code_rec.file
            per_file = out.setdefault(path, {})
            for lineno, rec in code_rec.lines.items():
                entry = per_file.get(lineno)
                if entry is None:
                    entry = per_file[lineno] = {"hits": 0, "_recs": [], "_branch": None}
                entry["hits"] += rec.hits
                entry["_recs"].append(rec)
                if rec.branch is not None and lineno in code_rec.branches and rec.hits:
                    outcome = self.outcomes(code_rec, rec)
                    known = entry["_branch"]
                    if outcome is None or known == "unknown":
                        entry["_branch"] = "unknown"
                    else:
                        entry["_branch"] = (outcome[0] + (known or (0, 0))[0], outcome[1] + (known or (0, 0))[1])
        result: dict[str, dict[str, dict]] = {}
        for path in sorted(out):
            result[path] = {}
            for lineno in sorted(out[path]):
                entry = out[path][lineno]
                line_entry = result[path][str(lineno)] = _merge_line(entry["hits"], entry.pop("_recs"), self._now)
                branch = entry["_branch"]
                if branch is not None and branch != "unknown" and sum(branch):
                    line_entry["branches"] = {"True": branch[0], "False": branch[1]}
        # ``seq`` orders the kept states across the whole run; internal serials depend on how
        # many events the core saw (sys.monitoring sees fewer), so report ranks.
        ranks = {
            q: i for i, q in enumerate(sorted({q for f in result.values() for e in f.values() for q in e["seq"]}), 1)
        }
        for lines in result.values():
            for line_entry in lines.values():
                line_entry["seq"] = [ranks[q] for q in line_entry["seq"]]
        return result

    def calls_json(self, path_map=None) -> list[dict]:
        out = []
        for code_rec in self.codes.values():
            if code_rec is None or not code_rec.calls.count:
                continue
            c = code_rec.calls
            records = list(c.records)
            if c.last is not None:
                last = c.last
                last["args"] = {k: self._now(v) for k, v in last["args"].items()}
                last["return_repr"] = self._now(last["return_repr"])
                records.append(last)
            out.append(
                {
                    "file": path_map(c.file) if path_map else c.file,
                    "name": c.name,
                    "qualname": c.qualname,
                    "line": c.line,
                    "count": c.count,
                    "records": records,
                }
            )
        out.sort(key=lambda d: (d["file"], d["line"], d["qualname"]))
        return out


class _Later:
    """An immutable value whose repr is made only if it is still wanted at the end."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def _callers_lines(fs: FrameState) -> set[int] | None:
    """Has every execution of its code's lines since ``fs`` started been its own? Then its values at
    exit are those lines' last ones (None when not). True for the last frame of its code to start when
    no other frame of that code can run meanwhile: none is alive, or the others are callers waiting on
    it (plain functions, one thread; a suspended generator or another thread could run the same lines).
    The lines those callers are in the middle of are returned: their executions end later."""
    code = fs.code
    if fs.call is None or fs.call["at"] != code.calls.count:
        return None
    if code.active <= 1:
        return set()
    if code.is_gen or threading.active_count() != 1:
        return None
    codeobj = code.codeobj
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code is not codeobj:  # up to the frame that is exiting
        frame = frame.f_back
    if frame is None:
        return None
    lines = set()
    frame = frame.f_back
    while frame is not None:
        if frame.f_code is codeobj:
            lines.add(frame.f_lineno)
        frame = frame.f_back
    return lines


def _unrecorded(rec: LineRec) -> set[str]:
    """Names whose value after ``rec``'s last execution the trace does not hold: the line ran past its
    exact executions and no exit could rebuild its last state (or the line ran again after one did)."""
    if rec.hits <= rec.exact_hits or not rec.names:
        return set()
    if rec.final is not None and rec.final_at == rec.hits:
        return rec.names - set(rec.final)
    return set(rec.names)


def _merge_line(hits: int, recs: list[LineRec], now) -> dict:
    """One line can belong to several code objects (a lambda or a comprehension on it)."""
    items: list[tuple[float, int, dict[str, str]]] = []
    exc_count, exc_last = 0, None
    returns: list[str] = []
    returned = 0
    unrecorded: set[str] = set()
    for rec in recs:
        if rec.ret_count:
            returned += rec.ret_count
            returns.extend(rec.ret_values)
            if rec.ret_count > len(rec.ret_values):
                returns.append(now(_Later(rec.ret_last)) if rec.ret_raw else str(rec.ret_last))
        items.extend(zip(rec.seq, rec.at, rec.states))
        lost = _unrecorded(rec)
        unrecorded.update(lost)
        stale = rec.final is not None and rec.final_at != rec.hits and rec.hits > rec.exact_hits
        if rec.final is not None and not stale and (not rec.seq or rec.final_seq > rec.seq[-1]):
            if not rec.states or rec.final != rec.states[-1]:
                items.append((rec.final_seq, rec.final_at, rec.final))
        exc_count += rec.exc_count
        exc_last = rec.exc_last or exc_last
    items.sort(key=lambda item: item[0])
    entry: dict = {
        "hits": hits,
        "states": [s for _, _, s in items],
        "at": [a for _, a, _ in items],
        "seq": [q for q, _, _ in items],
    }
    if exc_count:
        entry["raised"] = dict(exc_last or {}, count=exc_count)
    if returned:
        entry["returns"] = returns
        entry["returned"] = returned
    if unrecorded:
        # The line ran past its cap and its last value of these names is not known: the last one kept
        # is not the last one (notes end such a series with an ellipsis, not a value).
        entry["unrecorded"] = sorted(unrecorded)
    return entry


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001
        text = "<unprintable>"
    return text if len(text) <= 1000 else text[:997] + "..."
