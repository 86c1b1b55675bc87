"""An independent reference tracer: the oracle the real tracer is compared against.

Plain ``sys.settrace`` (and ``threading.settrace`` for threads the program
starts), no caps, no derived counts, no reconstruction: every event of every
frame of the one target file is looked at. Stdlib only, Python 3.9-3.13; the
driver runs it in each interpreter next to ``semcoder_tracer``.

What it records (the host test turns this into expectations):

- per line: ``hits`` (line events); every execution's changed variables (the
  frame's visible locals rendered before the line, compared with them at the
  frame's next ``line`` or ``return`` event; a value counts as changed when it
  is a new binding, a different object whose value differs, or the same object
  whose rendered text differs, i.e. a mutation); the frame's next event after the
  line (``nexts``: the next line number, or ``return``/``yield``/``unwind``); the
  values a ``return`` statement on the line gave back; the exceptions that
  started there.
- per code object: every call's arguments (at the ``call`` event), its end
  (a real return with the value, or an exception unwinding it) and how many
  times it yielded.

Rendering goes through the tracer's own ``SafeRepr`` (same ``max_repr``), on
purpose: how a value is spelled is not what this oracle checks, which value is
shown where is. Visibility follows the trace contract, not the tracer's code:
dunder names and internal names (``.0``) are not variables, and modules,
functions, methods, builtins and classes are not values a user follows.
Comprehension and generator-expression frames are part of the line that
contains them (the contract; CPython 3.12 inlines list/dict/set comprehensions,
so a separate frame is an implementation detail), so their events are not
counted separately, and an exception raised inside one counts on that line.

Decisions the contract leaves open are made here the way a user reads a line:
- an exception "starts" at a line of the target file when no deeper frame of
  the target file (other than a comprehension) had it first; an exception coming
  out of library code starts at the user's line that called it;
- a returned value belongs to the last ``return`` statement the frame ran
  (``try/finally`` reports the return event on the ``finally`` line);
- a ``return`` event right after an ``exception`` event unwinds the frame;
  otherwise the instruction the frame stopped at says whether it returned,
  yielded (or awaited), or unwound (a bare ``raise``, a ``finally`` re-raising).
- ``GeneratorExit`` thrown into a suspended generator is not an exception that
  started at its line (the call record still says the call ended by it).
"""

from __future__ import annotations

import ast
import dis
import os
import sys
import threading
import types

COMPREHENSIONS = frozenset(("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"))
HIDDEN = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
# Values compared by value: another object with the same value is no change. Any other
# object is changed when it is another object (a new binding) or renders differently (mutated).
VALUES = frozenset((int, float, complex, bool, type(None), str, bytes, range))
GENERATOR_FLAGS = 0x20 | 0x80 | 0x200
KEEP = 12  # executions kept per (code, line) with their changes: more than any cap the tests use


def visible(name: str, value: object) -> bool:
    if name[:1] in ("@", ".") or (name.startswith("__") and name.endswith("__")):
        return False
    return not isinstance(value, HIDDEN)


class SourceFacts:
    """What the syntax says about lines (the reference reads it itself, not from the tracer)."""

    def __init__(self, source: str) -> None:
        # (function name, its code's first line, any line inside one of its ``return`` statements)
        # -> the statement
        self.returns_at: dict[tuple[str, int, int], ReturnStmt] = {}
        self.loops_on_one_line: set[int] = set()  # ``for x in xs: body`` / ``while c: body`` on one line
        self.iteration: set[int] = set()  # lines where running out of an iterator is not an error
        # ``if``/``elif``/``while`` line -> (last line of its test, body's first line, body's last line, the
        # body is one ``return`` on the test's line); other one-line bodies are left out (no line event tells)
        self.heads: dict[int, tuple[int, int, int, bool]] = {}
        # names a statement binds, by its first line (targets of assignments, ``for``, ``with ... as``,
        # ``except ... as``, ``:=``; the base name of ``x[i] = ``/``x.a = ``, which writes into x)
        self.binds: dict[int, set[str]] = {}
        self.loop_bodies: dict[int, tuple[int, int]] = {}  # ``for`` line -> its body's lines
        tree = ast.parse(source)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([func.lineno] + [d.lineno for d in func.decorator_list])
                for node in _own_nodes(func):
                    if isinstance(node, ast.Return):
                        stmt = ReturnStmt(node, parents, func)
                        for line in _span(node):
                            self.returns_at.setdefault((func.name, first, line), stmt)
        for node in ast.walk(tree):
            if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                if node.body[0].lineno == node.lineno:
                    self.loops_on_one_line.add(node.lineno)
                if not isinstance(node, ast.While):
                    self.iteration.update(range(node.lineno, node.iter.end_lineno + 1))
            elif isinstance(
                node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.YieldFrom, ast.Await)
            ):
                self.iteration.update(_span(node))
            for line, target in _targets(node):
                self.binds.setdefault(line, set()).update(_names(target))
            if isinstance(node, (ast.For, ast.AsyncFor)):
                self.loop_bodies[node.lineno] = (node.body[0].lineno, node.body[-1].end_lineno or node.lineno)
            if isinstance(node, (ast.If, ast.While)) and node.body:
                head = node.body[0]
                body_first = min([head.lineno] + [d.lineno for d in getattr(head, "decorator_list", [])])
                test_end = node.test.end_lineno or node.lineno
                body_last = node.body[-1].end_lineno or node.body[-1].lineno
                if body_first > test_end:
                    self.heads[node.lineno] = (test_end, body_first, body_last, False)
                elif isinstance(node, ast.If) and len(node.body) == 1 and isinstance(head, ast.Return):
                    self.heads[node.lineno] = (test_end, body_first, body_last, True)


class ReturnStmt:
    """A ``return`` statement: its line, its columns, and the lines a return passes through before the
    frame returns (``finally:`` bodies and ``with`` lines around it)."""

    def __init__(self, node, parents: dict, func) -> None:
        self.line = node.lineno
        self.cols = (node.col_offset, node.end_col_offset)
        self.exits: set[int] = set()
        self.shared = False  # on the line of the ``if`` whose body it is: that line runs without it
        parent = parents.get(node)
        if isinstance(parent, ast.If) and parent.lineno == node.lineno:
            self.shared = True
        self.last_of_function = False
        child = node
        while parent is not None and parent is not func:
            if isinstance(parent, ast.Try) and child not in parent.finalbody:
                for stmt in parent.finalbody:
                    self.exits.update(_span(stmt))
            if isinstance(parent, (ast.With, ast.AsyncWith)):
                self.exits.add(parent.lineno)
            child, parent = parent, parents.get(parent)
        if func.body and (func.body[-1].end_lineno or 0) == node.lineno:
            self.last_of_function = True

    def ran(self, frame, value) -> bool:
        """Did the frame's RETURN instruction come from this statement (not an implicit ``return None`` that
        ends on the same line)? Only asked for a ``return`` on an ``if`` line."""
        if frame.f_lineno != self.line:
            # returned through a ``with`` or ``finally:``: the implicit ``return None`` can too
            return value is not None
        offset = frame.f_lasti
        if hasattr(frame.f_code, "co_positions"):  # 3.11+: the instruction's columns
            ops = list(dis.get_instructions(frame.f_code))
            for ins in ops:
                if ins.offset == offset and ins.positions is not None:
                    pos = ins.positions
                    return (
                        pos.lineno == self.line
                        and pos.col_offset is not None
                        and self.cols[0] <= pos.col_offset
                        and (pos.end_col_offset or 0) <= (self.cols[1] or 0)
                    )
            return True
        # 3.9/3.10: an implicit return on this line is the code's last RETURN_VALUE
        if not self.last_of_function:
            return True
        last = max(ins.offset for ins in dis.get_instructions(frame.f_code) if ins.opname == "RETURN_VALUE")
        return offset != last


def _targets(node):
    if isinstance(node, ast.Assign):
        return [(node.lineno, t) for t in node.targets]
    if isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor)) or (isinstance(node, ast.AnnAssign) and node.value):
        return [(node.lineno, node.target)]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [(node.lineno, item.optional_vars) for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.NamedExpr):
        return [(node.lineno, node.target)]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [(node.lineno, ast.Name(node.name))]
    return []


def _names(target) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_names(e) for e in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _names(target.value)
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        return _names(target.value)
    return set()


def _own_nodes(func):
    """The nodes of a function's body, not those of functions, lambdas or classes nested in it."""
    stack = list(func.body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)


def _span(node) -> range:
    return range(node.lineno, (node.end_lineno or node.lineno) + 1)


class LineData:
    __slots__ = (
        "hits",
        "execs",
        "nexts",
        "returns",
        "nreturns",
        "raised",
        "last_exec",
        "last_change",
        "names",
        "branches",
    )

    def __init__(self) -> None:
        self.hits = 0
        # code index -> [executions, [[end seq, at, changed] of the first KEEP]] (changed None: never ended)
        self.execs: dict[int, list] = {}
        self.nexts: dict[str, int] = {}
        self.returns: list[str] = []  # first KEEP, then the last
        self.nreturns = 0
        self.raised: dict | None = None
        # [seq, {name: value after}, [names it must show]] of the last execution that changed or bound
        # something (see _close)
        self.last_exec: list | None = None
        self.last_change: list | None = None  # [seq, changed]
        self.names: set[str] = set()
        self.branches: dict[str, int] = {}


class FrameData:
    __slots__ = (
        "code",
        "index",
        "line",
        "snap",
        "call",
        "exc",
        "last_event",
        "raising",
        "slot",
        "resumed",
        "partial",
        "ret",
        "branch",
    )

    def __init__(self, code, index: int) -> None:
        self.code = code
        self.index = index
        self.line: int | None = None  # the line whose execution is open
        self.snap: dict[str, tuple[object, str]] = {}
        self.call: dict | None = None
        self.exc: BaseException | None = None  # the exception the last 'exception' event saw
        self.last_event = "call"
        self.raising = False  # an exception came out of the open line's execution
        self.slot: list | None = None  # [end seq, at, changed] of the open execution, when kept
        self.resumed = False  # resumed after a yield, no line event since
        self.partial: dict[str, str] = {}  # what the open line changed before the frame yielded
        self.ret: ReturnStmt | None = None  # the ``return`` statement running (until the frame returns)
        self.branch: int | None = None  # an if/elif/while line waiting for the frame's next line


class Reference:
    def __init__(self, path: str, render) -> None:
        self.path = os.path.realpath(path)
        with open(self.path, encoding="utf-8") as f:
            self.facts = SourceFacts(f.read())
        self.render = render
        self.lines: dict[int, LineData] = {}
        self.codes: dict = {}  # code -> index
        self.code_info: list[dict] = []
        self.frames: dict = {}
        self.seq = 0
        self._target: dict = {}

    # -- switching on and off ---------------------------------------------------

    def start(self) -> None:
        threading.settrace(self._global)
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        # Frames still open are suspended generators (their locals are as they were at the yield,
        # and a generator finalized since must not be read: 3.13.0 crashes reading its locals).
        for _frame, fd in list(self.frames.items()):
            if fd.line is not None:
                self._close(fd, None, None)

    # -- events -----------------------------------------------------------------------

    def _is_target(self, code) -> bool:
        hit = self._target.get(code)
        if hit is None:
            fn = code.co_filename
            hit = bool(fn) and fn[0] != "<" and os.path.realpath(fn) == self.path and code.co_name not in COMPREHENSIONS
            self._target[code] = hit
        return hit

    def _global(self, frame, event, arg):
        if event != "call" or not self._is_target(frame.f_code):
            return None
        fd = self.frames.get(frame)
        if fd is not None:  # a generator or coroutine resumed after a yield
            fd.last_event = "call"
            fd.resumed = True
            if fd.line is not None:
                fd.snap = self._snapshot(frame)
            return self._local
        code = frame.f_code
        index = self.codes.get(code)
        if index is None:
            index = self.codes[code] = len(self.code_info)
            self.code_info.append(
                {
                    "name": code.co_name,
                    "qualname": getattr(code, "co_qualname", None),
                    "line": code.co_firstlineno,
                    "calls": [],
                    "count": 0,
                    "last": None,
                }
            )
        fd = self.frames[frame] = FrameData(code, index)
        info = self.code_info[index]
        info["count"] += 1
        nargs = code.co_argcount + code.co_kwonlyargcount
        nargs += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
        local_vars = frame.f_locals
        args = {name: self.render(local_vars[name]) for name in code.co_varnames[:nargs] if name in local_vars}
        fd.call = {"args": args, "return_repr": None, "exception": None, "yields": 0, "finished": False}
        if len(info["calls"]) < KEEP:
            info["calls"].append(fd.call)
        info["last"] = fd.call
        return self._local

    def _local(self, frame, event, arg):
        fd = self.frames.get(frame)
        if fd is None:
            return None
        if event == "line":
            lineno = frame.f_lineno
            if lineno == fd.line and (
                fd.resumed or (fd.last_event == "line" and lineno not in self.facts.loops_on_one_line)
            ):
                # 3.12+ inlines comprehensions: their jumps back report the line again; a resumed
                # generator may report the line it was suspended on again. The line's execution
                # goes on (a loop written on one line does start a new one).
                fd.resumed = False
                fd.last_event = "line"
                return self._local
            fd.resumed = False
            if fd.line is not None:
                self._close(fd, frame, lineno)
            elif fd.last_event == "call":
                fd.snap = self._snapshot(frame)
            line = self.lines.get(lineno)
            if line is None:
                line = self.lines[lineno] = LineData()
            line.hits += 1
            # Executions are numbered by when they start (``at``); their changes are ordered by when
            # they end (a recursive line's first execution ends last).
            per_code = line.execs.get(fd.index)
            if per_code is None:
                per_code = line.execs[fd.index] = [0, []]
            per_code[0] += 1
            fd.slot = None
            if per_code[0] <= KEEP:
                fd.slot = [0, per_code[0], None]
                per_code[1].append(fd.slot)
            fd.line = lineno
            ret = self.facts.returns_at.get((fd.code.co_name, fd.code.co_firstlineno, lineno))
            if ret is not None:
                fd.ret = ret
            elif fd.ret is not None and lineno not in fd.ret.exits:
                fd.ret = None
            self._branch_next(fd, lineno)
            fd.last_event = "line"
        elif event == "return":
            kind = _how_it_ended(frame, fd.last_event)
            fd.last_event = "return"
            if kind == "yield":
                # The line's execution goes on when the frame resumes (``x = yield v`` binds x then).
                fd.call["yields"] += 1
                if fd.line is not None:
                    self._suspend(fd, frame)
            else:
                if fd.line is not None:
                    self._close(fd, frame, None)
                ret = fd.ret
                if kind != "return" or (ret is not None and ret.shared and not ret.ran(frame, arg)):
                    ret = None
                if fd.branch is not None:
                    head = self.facts.heads[fd.branch]
                    self._outcome(fd, "True" if head[3] and ret is not None and ret.line == fd.branch else "False")
                self._end(fd, frame, kind, arg, ret)
        elif event == "exception":
            exc = arg[1]
            fd.exc = exc
            stop = type(exc) in (StopIteration, StopAsyncIteration) and frame.f_lineno in self.facts.iteration
            fd.raising = fd.line is not None and not stop
            if fd.branch is not None and not stop:
                self._outcome(fd, None)  # the test (or a one-line body) raised: no outcome
            fd.ret = None
            # A generator told to close is not an error at the line it was suspended on.
            if not stop and type(exc) is not GeneratorExit and self._starts_here(frame, arg[2]):
                line = self.lines.setdefault(frame.f_lineno, LineData())
                count = line.raised["count"] + 1 if line.raised else 1
                line.raised = {"type": type(exc).__name__, "message": _message(exc), "count": count}
            fd.last_event = "exception"
        return self._local

    def _branch_next(self, fd: FrameData, lineno: int) -> None:
        """A new line in the frame: the outcome of a pending if/elif/while line, and maybe a new one pending."""
        if fd.branch is not None:
            test_end, first, last, return_body = self.facts.heads[fd.branch]
            if fd.branch <= lineno <= test_end:
                return  # still in a test written on several lines (3.9 reports its first line again)
            if return_body and fd.ret is not None and fd.ret.line == fd.branch and lineno in fd.ret.exits:
                return  # returning through a ``finally:`` or a ``with``
            self._outcome(fd, "True" if not return_body and first <= lineno <= last else "False")
        if lineno in self.facts.heads and fd.code.co_name != "<lambda>":  # a lambda on the line is not the if
            fd.branch = lineno

    def _outcome(self, fd: FrameData, outcome: str | None) -> None:
        line = self.lines[fd.branch]
        fd.branch = None
        if outcome is not None:
            line.branches[outcome] = line.branches.get(outcome, 0) + 1

    def _starts_here(self, frame, tb) -> bool:
        while tb is not None:
            code = tb.tb_frame.f_code
            if tb.tb_frame is not frame and code.co_name not in COMPREHENSIONS and self._is_target(code):
                return False
            tb = tb.tb_next
        return True

    # -- one execution of a line ---------------------------------------------------------

    def _snapshot(self, frame) -> dict[str, tuple[object, str]]:
        render = self.render
        return {name: (value, render(value)) for name, value in list(frame.f_locals.items()) if visible(name, value)}

    def _diff(self, fd: FrameData, frame) -> tuple[dict, dict]:
        new = self._snapshot(frame)
        old = fd.snap
        changed = {}
        for name, (value, text) in new.items():
            before = old.get(name)
            if before is None or before[1] != text or (before[0] is not value and type(value) not in VALUES):
                changed[name] = text
        return changed, new

    def _suspend(self, fd: FrameData, frame) -> None:
        """At a yield: keep what the line changed so far; what other code does meanwhile is not its doing."""
        changed, fd.snap = self._diff(fd, frame)
        fd.partial.update(changed)

    def _close(self, fd: FrameData, frame, next_line) -> None:
        lineno = fd.line
        if frame is None:
            changed, new = {}, {name: value for name, value in fd.snap.items()}
        else:
            changed, new = self._diff(fd, frame)
        if fd.partial:
            changed = dict(fd.partial, **changed)
            fd.partial = {}
        fd.snap = new
        fd.line = None
        self.seq += 1
        if fd.slot is not None:
            fd.slot[0], fd.slot[2] = self.seq, changed
        line = self.lines[lineno]
        line.names.update(changed)
        if changed:
            line.last_change = [self.seq, changed]
        binds = self.facts.binds.get(lineno, ())
        assigned = bool(binds) and not fd.raising and frame is not None  # None: suspended for good
        if assigned and lineno in self.facts.loop_bodies:
            # a ``for`` line binds its target only when an iteration starts (not on its last check)
            first, last = self.facts.loop_bodies[lineno]
            assigned = next_line is not None and first <= next_line <= last
        if changed or assigned:
            # The line's last state: what it changed or bound, as this execution left it (``must``),
            # and the other names it changed before, as they are now.
            must = set(changed) | {n for n in binds if n in new}
            after = {n: new[n][1] for n in line.names | must if n in new}
            line.last_exec = [self.seq, after, sorted(must)]
        key = "raised" if fd.raising else str(next_line) if next_line is not None else "end"
        fd.raising = False
        line.nexts[key] = line.nexts.get(key, 0) + 1

    # -- how a frame ends ------------------------------------------------------------------

    def _end(self, fd: FrameData, frame, kind: str, value, ret: ReturnStmt | None) -> None:
        """Record how the frame ended: a return (with the value and the line) or an exception."""
        exc = fd.exc
        call = fd.call
        call["finished"] = True
        if kind == "unwind":
            call["exception"] = {"type": type(exc).__name__, "message": _message(exc)} if exc is not None else None
        else:
            text = self.render(value)
            call["return_repr"] = text
            if ret is not None:
                line = self.lines.setdefault(ret.line, LineData())
                line.nreturns += 1
                if len(line.returns) < KEEP:
                    line.returns.append(text)
                else:
                    line.returns[-1] = text
        self.frames.pop(frame, None)

    # -- output ---------------------------------------------------------------------------

    def result(self) -> dict:
        lines = {}
        for lineno, d in sorted(self.lines.items()):
            lines[str(lineno)] = {
                "hits": d.hits,
                "execs": {str(k): v for k, v in d.execs.items()},
                "nexts": d.nexts,
                "returns": d.returns,
                "nreturns": d.nreturns,
                "raised": d.raised,
                "last_exec": d.last_exec,
                "last_change": d.last_change,
                "branches": d.branches,
            }
        codes = []
        for info in self.code_info:
            calls = [_call_out(c) for c in info["calls"]]
            codes.append(dict(info, calls=calls, last=_call_out(info["last"])))
        return {"lines": lines, "codes": codes}


def _call_out(call: dict | None) -> dict | None:
    if call is None:
        return None
    out = {"args": call["args"], "return_repr": call["return_repr"], "exception": call["exception"]}
    if call["finished"] and call["yields"]:
        out["yields"] = call["yields"]
    out["finished"] = call["finished"]
    return out


_YIELDS = frozenset(("YIELD_VALUE", "YIELD_FROM"))
_RETURNS = frozenset(("RETURN_VALUE", "RETURN_CONST"))


def _how_it_ended(frame, last_event: str) -> str:
    """A 'return' event is a return, a yield (or await) or an exception unwinding the frame.

    The instruction the frame stopped at says it: RETURN_* returns; YIELD_* suspends (3.9/3.10 stop
    ``yield from``/``await`` one instruction before YIELD_FROM, 3.13 on the RESUME after the
    YIELD_VALUE) unless an exception is passing (``close()`` throws GeneratorExit in at a yield);
    anything else (a bare ``raise``, a ``finally`` re-raising) unwinds.
    """
    ops = _OPS.get(frame.f_code)
    if ops is None:
        instructions = list(dis.get_instructions(frame.f_code))
        names = [ins.opname for ins in instructions]
        ops = _OPS[frame.f_code] = {
            ins.offset: (
                names[i],
                names[i + 1] if i + 1 < len(names) else "",
                names[i - 1] if i else "",
            )
            for i, ins in enumerate(instructions)
        }
    op, following, previous = ops.get(frame.f_lasti, ("", "", ""))
    if op in _RETURNS:
        return "return"
    if last_event == "exception":
        return "unwind"
    if op in _YIELDS or following == "YIELD_FROM" or (op == "RESUME" and previous == "YIELD_VALUE"):
        return "yield"
    return "unwind"


_OPS: dict = {}


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001
        text = "<unprintable>"
    return text if len(text) <= 1000 else text[:997] + "..."
