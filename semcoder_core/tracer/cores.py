"""Two tracer cores behind one small interface, chosen by Python version.

``sys.monitoring`` (3.12+) lets code that is not traced pay nothing after its
first call; ``sys.settrace`` (3.9-3.11) returns no local tracer for such frames.
Both feed the same :class:`Recorder`, so traces are identical across versions.
The hot paths keep everything in local variables on purpose.
"""

from __future__ import annotations

import dis
import sys
import threading

from .recorder import _INLINE_CODE_NAMES, Recorder
from .records import COUNT, DERIVE, EXAMINE, ORDER, CodeRec, FrameState

_YIELD_OPS = frozenset(dis.opmap[name] for name in ("YIELD_VALUE", "YIELD_FROM") if name in dis.opmap)


_YIELD_FROM = dis.opmap.get("YIELD_FROM")
_RETURN_OPS = frozenset(dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap)


def _suspended_at(frame) -> bool:
    """Is this 'return' event a yield? 3.9/3.10 park ``yield from`` one instruction before YIELD_FROM."""
    code = frame.f_code.co_code
    lasti = frame.f_lasti
    if code[lasti] in _YIELD_OPS:
        return True
    return _YIELD_FROM is not None and lasti + 2 < len(code) and code[lasti + 2] == _YIELD_FROM


class SettraceCore:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.busy = recorder.busy
        self.suspended: dict = {}

    def start(self) -> None:
        threading.settrace(self._global)
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]

    def _global(self, frame, event, arg):
        if event != "call":
            return None
        resumed = self.suspended.pop(frame, None)
        if resumed is not None:
            trace, fs = resumed
            if fs.pending is not None:  # what others changed while it was suspended is not its line's
                fs.snap = self.recorder.snapshot(frame.f_locals)
            return trace
        if self.busy[0]:  # a call made only to report (a repr for a failure message): not traced
            return None
        crec = self.recorder.code_rec(frame.f_code)
        if crec is None:
            return None
        tracer = self._frame_tracer(frame, crec)
        repeats = _repeated_lines(frame.f_code) if _REPORTS_WITH_TWICE else None
        return _merging(tracer, repeats) if repeats else tracer

    def _frame_tracer(self, frame, crec):
        recorder = self.recorder
        nxt = recorder.serial.__next__
        step = recorder.step
        lines = crec.lines
        line_of = crec.line
        suspended = self.suspended
        fs = FrameState(crec, nxt())
        crec.active += 1  # frames of this code alive (suspended generators included)
        recorder.call_start(fs, frame.f_locals)
        keep_last = recorder.keep_last

        table = crec.table
        base = crec.table_base

        def lean(frame, event, arg):
            # A frame with no diff open: a line past its cap costs a list index and a counter.
            # (Every line event of this frame is a line of its code, so the index is in range.)
            if event == "line":
                rec = table[frame.f_lineno - base]
                if rec is not None:
                    rec.hits += 1
                    if rec.needs_last:
                        rec.last = nxt()
                    return lean
            return trace(frame, event, arg)

        def trace(frame, event, arg):
            if event == "line":
                lineno = frame.f_lineno
                rec = lines.get(lineno) or line_of(lineno)
                rec.hits += 1
                if fs.branch is not None:
                    recorder.resolve(fs, lineno)
                if rec.track:
                    recorder.tell(fs, rec)
                mode = rec.mode
                if mode and fs.pending is None and fs.branch is None:  # past its cap, nothing open in this frame
                    if mode != COUNT:  # lines that bind names need an order (for last states)
                        rec.last = nxt()
                    return lean
                rec.last = serial = nxt()
                step(fs, rec if mode is EXAMINE else None, serial, frame.f_locals)  # `is`: not TRACK
                return lean if fs.pending is None and fs.branch is None else trace
            if event == "return":
                if frame.f_code.co_code[frame.f_lasti] in _RETURN_OPS:
                    recorder.exit(fs, lambda: frame.f_locals)
                    lineno = frame.f_lineno
                    if not keep_last(fs, lines.get(lineno), arg):
                        recorder.returned(fs, frame, arg, lineno)
                    recorder.call_end(fs, arg, None)
                    crec.active -= 1
                elif crec.is_gen and _suspended_at(frame) and type(fs.unwinding) is not GeneratorExit:
                    recorder.suspend(fs, frame.f_locals)
                    suspended[frame] = (trace, fs)
                else:  # unwinding (a close() too): the frame stopped elsewhere, after an 'exception' event
                    recorder.exit(fs, lambda: frame.f_locals)
                    recorder.call_end(fs, arg, fs.unwinding)
                    crec.active -= 1
                return trace
            if event == "exception":
                exc = arg[1]
                if exc is None:  # not normalized: a generator closed while being collected (3.9-3.11)
                    exc = _instance(arg[0])
                rec = line_of(frame.f_lineno)
                rec.unwound += 1
                tb = arg[2]
                if tb is not None:
                    if tb.tb_next is None:
                        recorder.exception_at(rec, exc)
                    else:
                        started = _in_comprehension(tb)
                        if started:
                            recorder.exception_at(line_of(started), exc)
                        elif _from_outside(tb, recorder.codes):
                            recorder.exception_at(rec, exc)
                fs.unwinding = exc
                if fs.branch is not None or fs.ret_line is not None:
                    recorder.interrupted(fs)
            return trace

        return trace


class MonitoringCore:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        recorder.can_derive = True
        self.frames: dict = {}
        self.tool: int | None = None
        self.local_codes: list = []
        self.events: list[int] = []

    def start(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        for tool in (4, 3, 2, 1, 0, 5):
            if mon.get_tool(tool) is None:
                break
        else:
            raise RuntimeError("no free sys.monitoring tool id")
        mon.use_tool_id(tool, "semcoder")
        self.tool = tool
        ev = mon.events
        callbacks = self._callbacks()
        self.events = [getattr(ev, name) for name in callbacks]
        for name, callback in callbacks.items():
            mon.register_callback(tool, getattr(ev, name), callback)
        mon.set_events(tool, ev.PY_START | ev.PY_UNWIND | ev.RAISE)

    def stop(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        tool = self.tool
        if tool is None:
            return
        mon.set_events(tool, 0)
        for code in self.local_codes:
            mon.set_local_events(tool, code, 0)
        for event in self.events:
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)
        self.tool = None

    def _callbacks(self):
        mon = sys.monitoring  # type: ignore[attr-defined]
        ev = mon.events
        disable = mon.DISABLE
        local_events = ev.LINE | ev.PY_RETURN | ev.PY_YIELD
        recorder = self.recorder
        codes = recorder.codes
        code_rec = recorder.code_rec
        nxt = recorder.serial.__next__
        step = recorder.step
        frames = self.frames
        busy = recorder.busy
        getframe = sys._getframe
        set_local = mon.set_local_events
        local_codes = self.local_codes
        derive = recorder.derive
        resolve = recorder.resolve
        tell = recorder.tell
        keep_last = recorder.keep_last
        # Code objects are looked up by id: hashing a code object walks its bytecode (3.12+).
        by_id: dict[int, CodeRec] = {}

        def py_start(code, offset):
            if busy[0]:
                return None
            crec = by_id.get(id(code))
            if crec is None:
                crec = codes.get(code, False)
            if crec is False:
                crec = code_rec(code)
                if crec is None:
                    return disable
                events = local_events
                if crec.is_gen:
                    events |= ev.PY_RESUME
                if crec.one_line_loops:
                    loop_targets[id(code)] = _for_iter_offsets(code, crec.one_line_loops)
                    events |= ev.JUMP
                set_local(self.tool, code, events)
                local_codes.append(code)
                by_id[id(code)] = crec
            elif crec is None:
                return disable
            crec.active += 1
            frame = getframe(1)
            fs = frames[frame] = FrameState(crec, nxt())
            recorder.call_start(fs, frame.f_locals)
            return None

        line_map: dict = {}  # line number -> record of the code that reported it last

        def line(code, lineno, depth=1):
            if busy[0]:
                return None
            rec = line_map.get(lineno)
            if rec is None or rec.codeobj is not code:
                crec = by_id[id(code)]
                rec = line_map[lineno] = crec.lines.get(lineno) or crec.line(lineno)
            rec.hits += 1
            mode = rec.mode
            if mode and not rec.code.npending:  # past its cap, and nothing open in this code
                if mode == ORDER:
                    rec.last = nxt()
                elif mode == DERIVE:
                    if derive(rec):
                        return disable
                    if rec.names or rec.leads:
                        rec.last = nxt()
                return None
            serial = rec.last = nxt()
            frame = getframe(depth)
            fs = frames.get(frame)
            if fs is not None:
                if fs.branch is not None:
                    resolve(fs, lineno)
                if rec.track:
                    tell(fs, rec)
                step(fs, rec if mode is EXAMINE else None, serial, frame.f_locals)  # `is`: not TRACK
            return None

        def py_return(code, offset, value):
            if busy[0]:
                return None
            frame = getframe(1)
            fs = frames.pop(frame, None)
            if fs is not None:
                crec = fs.code
                crec.active -= 1
                recorder.exit(fs, lambda: frame.f_locals)
                # The line of a return instruction, without reading the line table each time.
                lineno = crec.return_at.get(offset)
                if lineno is None:
                    lineno = crec.return_at[offset] = frame.f_lineno
                if not keep_last(fs, crec.lines.get(lineno), value):
                    recorder.returned(fs, frame, value, lineno)
                recorder.call_end(fs, value, None)
            return None

        def py_yield(code, offset, value):
            if busy[0]:
                return None
            frame = getframe(1)
            fs = frames.get(frame)
            if fs is not None:
                recorder.suspend(fs, frame.f_locals)
            return None

        def py_resume(code, offset):
            if busy[0]:
                return None
            frame = getframe(1)
            fs = frames.get(frame)
            if fs is not None and fs.pending is not None:  # others' changes while suspended are not its line's
                fs.snap = recorder.snapshot(frame.f_locals)
            return None

        def py_unwind(code, offset, exc):
            if busy[0] or not codes.get(code):
                return None
            frame = getframe(1)
            fs = frames.pop(frame, None)
            if fs is not None:
                fs.code.active -= 1
                if fs.branch is not None:
                    recorder.interrupted(fs)
                recorder.exit(fs, lambda: frame.f_locals)
                recorder.call_end(fs, None, exc)
            return None

        def raise_(code, offset, exc):
            if busy[0]:
                return None
            crec = codes.get(code)
            if not crec:
                return None
            frame = getframe(1)
            rec = crec.line(frame.f_lineno)
            rec.unwound += 1
            if crec.npending or crec.exits:
                fs = frames.get(frame)
                if fs is not None and (fs.branch is not None or fs.ret_line is not None):
                    recorder.interrupted(fs)
            if rec.follower is not None or crec.loops:
                recorder.raised(crec, rec, exc)
            tb = exc.__traceback__
            # Like settrace's 'exception' event, count the exception where it started only.
            if tb is None or tb.tb_next is None:
                recorder.exception_at(rec, exc)
            else:
                started = _in_comprehension(tb)
                if started:
                    recorder.exception_at(crec.line(started), exc)
                elif _from_outside(tb, codes):
                    recorder.exception_at(rec, exc)
            return None

        # sys.monitoring reports no LINE event when a loop jumps back to its own line; settrace
        # does. For `for` loops written on one line, count the jumps back to the loop's FOR_ITER.
        loop_targets: dict[int, dict[int, int]] = {}

        def jump(code, offset, destination):
            if destination < offset:
                lineno = loop_targets.get(id(code), {}).get(destination)
                if lineno is not None:
                    line(code, lineno, 2)
                    return None
            return disable

        return {
            "PY_START": py_start,
            "LINE": line,
            "PY_RETURN": py_return,
            "PY_YIELD": py_yield,
            "PY_RESUME": py_resume,
            "PY_UNWIND": py_unwind,
            "RAISE": raise_,
            "JUMP": jump,
        }


def _in_comprehension(tb) -> int:
    """The line where an exception started in a comprehension or generator expression that ``tb``'s
    frame ran (their frames are not traced before 3.12; they are part of their line), else 0."""
    tb = tb.tb_next
    line = 0
    while tb is not None and tb.tb_frame.f_code.co_name in _INLINE_CODE_NAMES:
        line = tb.tb_lineno
        tb = tb.tb_next
    return line if tb is None else 0


# CPython 3.10 reports a `with` line of several items again while it runs the second item's exit
# (its jump lands in another line-table entry of the same line): one execution, two events.
_REPORTS_WITH_TWICE = sys.version_info[:2] == (3, 10)
_WITH_OPS = frozenset(dis.opmap[name] for name in ("SETUP_WITH", "SETUP_ASYNC_WITH") if name in dis.opmap)


def _repeated_lines(code) -> frozenset:
    """Lines of ``code`` holding a `with` of several items (3.10)."""
    starts = dict(dis.findlinestarts(code))
    counts: dict[int, int] = {}
    line = 0
    for offset in range(0, len(code.co_code), 2):
        line = starts.get(offset, line)
        if code.co_code[offset] in _WITH_OPS:
            counts[line] = counts.get(line, 0) + 1
    return frozenset(n for n, count in counts.items() if count > 1)


def _merging(tracer, repeats: frozenset):
    """Wrap a frame's local trace function: a line event that repeats the frame's previous line, on a
    line of ``repeats``, continues the execution already counted."""
    current = [tracer]
    prev = [0]

    def merged(frame, event, arg):
        if event == "line":
            lineno = frame.f_lineno
            if lineno == prev[0] and lineno in repeats:
                return merged
            prev[0] = lineno
        current[0] = current[0](frame, event, arg) or current[0]
        return merged

    return merged


def _from_outside(tb, codes) -> bool:
    """Did the exception start in code that is not traced (a library, the standard library) called from
    ``tb``'s frame? Then this frame's line is where it entered the user's code: it is shown there."""
    tb = tb.tb_next
    while tb is not None:
        if codes.get(tb.tb_frame.f_code):
            return False
        tb = tb.tb_next
    return True


def _instance(exc_type) -> BaseException:
    try:
        return exc_type()
    except Exception:  # noqa: BLE001 - an exception class that needs arguments
        return BaseException(getattr(exc_type, "__name__", "exception"))


def _for_iter_offsets(code, lines: frozenset[int]) -> dict[int, int]:
    """Where each one-line loop jumps back to -> the line: a ``for`` loop's own FOR_ITER (the first on
    its line), a ``while`` loop's first backward jump's target."""
    out: dict[int, int] = {}
    seen: set[int] = set()
    backward: dict[int, int] = {}
    for instr in dis.get_instructions(code):
        lineno = instr.positions.lineno if instr.positions else None
        if lineno not in lines:
            continue
        if instr.opname == "FOR_ITER" and lineno not in seen:
            seen.add(lineno)
            out[instr.offset] = lineno
        elif instr.opname.startswith("JUMP_BACKWARD") and lineno not in backward:
            backward[lineno] = instr.argval
    for lineno, target in backward.items():
        if lineno not in seen:
            out[target] = lineno
    return out


def make_core(recorder: Recorder, kind: str = "auto"):
    """``auto`` picks sys.monitoring where it exists."""
    if kind == "monitoring" or (kind == "auto" and hasattr(sys, "monitoring")):
        return MonitoringCore(recorder)
    return SettraceCore(recorder)
