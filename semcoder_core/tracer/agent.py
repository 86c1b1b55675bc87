"""The program the sandbox starts in the target interpreter.

``python -m semcoder_tracer REQUEST.json RESULT_FD``: read the request, put the
limits and guards in place, run the call(s) or pytest node ids under the
tracer, and write one JSON object per result line to ``RESULT_FD``. The user's
own output stays on stdout/stderr, where the parent caps it.
"""

from __future__ import annotations

import errno
import faulthandler
import importlib
import importlib.util
import json
import os
import re
import resource
import signal
import sys
import sysconfig
import threading
import time
import traceback
import types
from typing import Callable

from .session import TargetFilter, TraceSession


class RunTimeout(KeyboardInterrupt):
    """Raised in the traced program when the run's time is up (a KeyboardInterrupt, so pytest stops too)."""


class TestTimeout(BaseException):
    """Raised in a test whose own time is up: pytest reports that test and goes on with the next.
    Not an ``Exception``, so ``except Exception`` in the program does not swallow it."""

    __test__ = False  # not a pytest test class


class FixtureTimeout(TestTimeout, Exception):
    """TestTimeout raised in a fixture's setup or teardown: also an ``Exception``, the kind pytest
    records there while it finishes its bookkeeping (a BaseException would leave fixtures of the
    test set up, and the next test would fail with "previous item was not torn down properly")."""

    __test__ = False


class Guard:
    """Limits and tripwires for the traced program; see platform-notes.md for what each one stops."""

    def __init__(self, request: dict, out) -> None:
        self.request = request
        self.out = out
        self.pid = os.getpid()
        self.timeout = float(request.get("timeout", 10.0))  # the whole run
        self.deadline = time.monotonic() + self.timeout
        self.limit = self.timeout  # the limit armed now, for the message
        self.raising: type[BaseException] = RunTimeout
        self.where: tuple[str, int] | None = None
        self.timed_out = False
        self.ballast: bytearray | None = None
        self.is_target = TargetFilter.shared(request.get("targets") or [request["project"]])
        self.partial: Callable[[], dict] | None = None  # the result so far, for os._exit
        self.real_exit: Callable[[int], None] = os._exit
        # Where the limits may raise into the program: anywhere (a call), or, once ``gated`` (a
        # pytest run), only in the test's own code: during its setup, call or teardown (``in_test``
        # names the phase) and not in a frame of ``machinery`` (pytest's and pluggy's folders).
        # Raised in pytest's own code they would end the whole session with INTERNALERROR.
        self.gated = False
        self.in_test: str | None = None
        self.machinery: tuple[str, ...] = ()
        # The standard library is neither: a frame there belongs to whoever called it.
        paths = sysconfig.get_paths()
        self.stdlib = tuple({os.path.join(paths[k], "") for k in ("stdlib", "platstdlib")} | {"<frozen "})
        self.site = tuple({os.path.join(paths[k], "") for k in ("purelib", "platlib")})
        # A test's own time limit, spent only while one of its phases runs (resume/pause): the time
        # pytest and its plugins take between them (reporting, logging) is not the test's.
        self.budget: float | None = None
        self.spent = 0.0
        self.resumed = 0.0
        self.memory_limit = int(request.get("memory_mb", 1024)) * 1024 * 1024
        self.memory_hit = False
        self.max_processes = request.get("max_processes")
        self.process_check = True  # off in a worker that forks one child per program (evalcheck.py)
        self.count_processes: Callable[[], int] = lambda: 0
        self.base_processes = 0

    def install(self) -> None:
        mb = 1024 * 1024
        limits = [
            (resource.RLIMIT_FSIZE, int(self.request.get("max_file_mb", 64)) * mb),
            (resource.RLIMIT_CORE, 0),
        ]
        if not self.request.get("memory_cgroup"):
            # No kernel limit on memory in use (no memory cgroup could be made): a backstop on
            # private writable mappings for what the resident-memory check below cannot see
            # (child processes, one huge allocation). Not the limit itself: thread stacks (8 MB
            # each) and allocator arenas count there in full (measured: 100 idle threads 830 MB,
            # numpy + OpenBLAS 127 MB, against 15 and 38 MB resident).
            limits.append((resource.RLIMIT_DATA, 4 * self.memory_limit))
        cpu = int(self.timeout) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
        nproc = self.max_processes
        if nproc is not None and os.geteuid() != 0:
            # A backstop: the kernel counts threads too. The process limit itself is _limit_processes.
            tasks = int(self.request.get("max_tasks", int(nproc) + 1024))
            limits.append((resource.RLIMIT_NPROC, tasks + _processes_of_uid(os.getuid())))
        for which, value in limits:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))
        # Room to write the result after the program ran out of memory.
        self.ballast = bytearray(8 * mb)
        faulthandler.enable(file=sys.stderr, all_threads=False)
        signal.signal(signal.SIGALRM, self._on_timeout)
        signal.signal(signal.SIGXCPU, self._on_timeout)
        # Memory in use, checked every 20 ms of CPU time (a program that allocates uses CPU; an
        # idle one is never interrupted): past the limit, MemoryError at the running line.
        signal.signal(signal.SIGPROF, self._on_memory_tick)
        signal.setitimer(signal.ITIMER_PROF, MEMORY_CHECK_S, MEMORY_CHECK_S)
        if self.request.get("private_network"):
            # The run has a network namespace of its own: its loopback reaches nothing outside it,
            # and test suites talk to themselves through it (a server thread on 127.0.0.1).
            _loopback_up()
        sys.addaudithook(_network_guard(bool(self.request.get("private_network"))))
        if self.max_processes is not None:
            self.count_processes = _process_counter(self.request)
            self.base_processes = self.count_processes()
            sys.addaudithook(self._limit_processes)
        real_exit = self.real_exit = os._exit

        def _exit(code: int = 0) -> None:
            if os.getpid() == self.pid and self.partial is not None:
                result = self.partial()
                result["status"] = "crashed"
                result["exception"] = {
                    "type": "SystemExit",
                    "message": f"the program called os._exit({code})",
                    "file": None,
                    "line": None,
                }
                for test in result.get("tests") or []:  # a pytest run: the test that was running
                    if test.get("outcome") == "crashed" and test.get("exception") is None:
                        test["exception"] = dict(result["exception"])
                self.emit(result)
            real_exit(code)

        os._exit = _exit  # type: ignore[assignment]

    def arm(self, seconds: float, raising: type[BaseException] = RunTimeout) -> None:
        """Raise ``raising`` in the program after ``seconds``, or RunTimeout at the run's deadline
        if that comes first."""
        self.timed_out = False
        self.where = None
        remaining = self.deadline - time.monotonic()
        if remaining <= seconds:
            seconds, raising, self.limit = remaining, RunTimeout, self.timeout
        else:
            self.limit = seconds
        self.raising = raising
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
        self.watch_memory(True)

    def disarm(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.watch_memory(False)

    def watch_memory(self, on: bool) -> None:
        """The memory check runs while the program does: off, it raises no MemoryError in our own code
        after the program's run (the result's repr, emit), where nothing would catch it; and a process
        that ends with the timer armed dies of SIGPROF once its handlers are reset at shutdown."""
        if os.getpid() == self.pid:  # a fork's memory is the cgroup's to hold
            signal.setitimer(signal.ITIMER_PROF, *((MEMORY_CHECK_S, MEMORY_CHECK_S) if on else (0,)))

    def start_test(self, seconds: float | None) -> None:
        """A new test, with ``seconds`` of its own time (None: only the run's deadline)."""
        self.timed_out = False
        self.where = None
        self.budget = seconds
        self.spent = 0.0

    def resume(self, phase: str) -> None:
        """The test's setup, call or teardown starts: its limit may raise there, after the time it
        has left (at least a moment, so a test that ran out still gets its teardown started)."""
        self.in_test = phase
        if self.budget is None:
            return
        self.resumed = time.monotonic()
        left = max(self.budget - self.spent, TEARDOWN_GRACE_S)
        remaining = self.deadline - self.resumed
        if remaining <= left:
            self.raising, self.limit, left = RunTimeout, self.timeout, remaining
        else:
            self.raising, self.limit = TestTimeout, self.budget
        signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))

    def pause(self) -> None:
        """The phase ended: until the next one only the run's deadline counts."""
        self.in_test = None
        if self.budget is None:
            return
        self.spent += time.monotonic() - self.resumed
        self.raising = RunTimeout
        signal.setitimer(signal.ITIMER_REAL, max(self.deadline - time.monotonic(), 0.001))

    def _on_timeout(self, signum, frame) -> None:
        if self.raising is TestTimeout and not self._in_user_code(frame):
            signal.setitimer(signal.ITIMER_REAL, 0.05)  # in pytest's own code: raise once back in the test's
            return
        if self.raising is RunTimeout:
            self.limit = self.timeout
        if not self.timed_out:
            self.timed_out = True
            self.where = self._innermost_target(frame)
        # Re-arm: if the program swallows this one, the next one comes soon.
        signal.setitimer(signal.ITIMER_REAL, TEARDOWN_GRACE_S)
        if self.raising is TestTimeout and self.in_test in ("setup", "teardown"):
            raise FixtureTimeout()
        raise self.raising()

    def _in_user_code(self, frame) -> bool:
        if not self.gated:
            return True
        if not self.in_test:
            return False
        # The innermost frame outside the standard library decides: the test's or a library's code
        # (which may be inside the standard library: time.sleep, json), or pytest's own.
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(self.machinery):
                return False
            if not name.startswith(self.stdlib) or name.startswith(self.site):
                return True
            frame = frame.f_back
        return True

    def _innermost_target(self, frame):
        while frame is not None:
            if self.is_target(frame.f_code.co_filename):
                return frame.f_code.co_filename, frame.f_lineno
            frame = frame.f_back
        return None

    def release_memory(self) -> None:
        """The program ran out of memory and we caught it: no second MemoryError while we report it."""
        self.watch_memory(False)
        self.ballast = None

    def _on_memory_tick(self, signum, frame) -> None:
        if not self._in_user_code(frame):
            return
        if os.getpid() != self.pid:  # a fork of the program: its memory is the cgroup's to hold
            signal.setitimer(signal.ITIMER_PROF, 0)
            return
        used = _anonymous_resident()
        if used > self.memory_limit:
            self.memory_hit = True
            limit = self.memory_limit // (1024 * 1024)
            raise MemoryError(f"ran out of memory (limit {limit} MB): the program used {used // (1024 * 1024)} MB")

    def _limit_processes(self, event: str, args) -> None:
        if event in _STARTS_PROCESS and self.process_check:
            started = self.count_processes() - self.base_processes
            if started >= int(self.max_processes or 0):
                raise BlockingIOError(
                    errno.EAGAIN, f"the run may start {self.max_processes} processes (semcoder sandbox)"
                )

    def emit(self, result: dict) -> None:
        if os.getpid() != self.pid:
            return
        result.setdefault("peak_rss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        self.out.write(json.dumps(result) + "\n")
        self.out.flush()

    def timeout_exception(self) -> dict:
        file, line = self.where if self.where else (None, None)
        where = f"; it was running line {line} of {os.path.basename(file)}" if file and line else ""
        return {
            "type": "Timeout",
            "message": f"did not finish within {self.limit:g} s{where}",
            "file": file,
            "line": line,
        }


def _network_guard(loopback: bool) -> Callable[[str, tuple], None]:
    """The audit hook that blocks the network; with ``loopback``, addresses on the loopback stay open
    (the run has a network namespace of its own, where loopback reaches nothing outside it)."""
    open_note = "; loopback is open" if loopback else ""

    def hook(event: str, args) -> None:
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            if getattr(args[0], "family", None) in (2, 10):  # AF_INET, AF_INET6
                if not (loopback and _is_loopback(args[1] if len(args) > 1 else None)):
                    raise PermissionError(f"network access is blocked in the semcoder sandbox ({event}){open_note}")
        elif event == "socket.getaddrinfo":
            host = args[0].decode("ascii", "replace") if isinstance(args[0], bytes) else args[0]
            if not (loopback and (host in (None, "", "localhost") or _is_loopback((host, 0)))):
                raise PermissionError(f"network access is blocked in the semcoder sandbox (getaddrinfo){open_note}")

    return hook


def _is_loopback(address) -> bool:
    """An address on this host's loopback (None: a connected socket's send, checked at its connect)."""
    if address is None:
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        import ipaddress

        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except (ValueError, AttributeError):
        return False


def _loopback_up() -> None:
    """Bring ``lo`` up in the run's network namespace (``unshare --net`` leaves it down; bwrap brings
    it up itself). Needs root in the namespace; a failure leaves loopback unreachable, as before."""
    try:
        import fcntl
        import socket
        import struct

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH", b"lo", 0)
            flags = struct.unpack("16sH", fcntl.ioctl(sock, 0x8913, request)[:18])[1]  # SIOCGIFFLAGS
            if not flags & 1:  # IFF_UP
                fcntl.ioctl(sock, 0x8914, struct.pack("16sH", b"lo", flags | 1))  # SIOCSIFFLAGS
    except (OSError, ImportError):
        pass


MEMORY_CHECK_S = 0.02
TEARDOWN_GRACE_S = 0.25  # a phase's least time, and the gap between timeouts raised into a program that swallows them
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# Audit events of the calls that start a process (multiprocessing's spawn and C code calling fork()
# are held by the kernel's backstop only).
_STARTS_PROCESS = frozenset(("os.fork", "os.forkpty", "subprocess.Popen", "os.posix_spawn", "os.system"))


def _anonymous_resident() -> int:
    """Bytes of this process's memory in use that are its own (resident, not file-backed)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            fields = fh.read().split()
        return (int(fields[1]) - int(fields[2])) * _PAGE
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _process_counter(request: dict) -> Callable[[], int]:
    """Counts the run's processes (not threads): the pid namespace's /proc (bwrap), the run's pids
    cgroup (copy mode as root), else processes carrying the run's id in their environment."""
    how = request.get("process_count")
    if how == "namespace":

        def count() -> int:
            return sum(1 for entry in os.listdir("/proc") if entry.isdigit())

        return count
    if how:
        procs = str(how)

        def count_cgroup() -> int:
            try:
                with open(procs) as fh:
                    return len(fh.read().split())
            except OSError:
                return 0

        return count_cgroup
    marker = ("SEMCODER_RUN_ID=" + os.environ.get("SEMCODER_RUN_ID", "")).encode()

    def count_environ() -> int:
        n = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/environ", "rb") as fh:
                        n += marker in fh.read().split(b"\0")
                except OSError:
                    pass
        return n

    return count_environ


def _processes_of_uid(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _exception_info(exc: BaseException, is_target) -> dict:
    """Type, message and the innermost line in the user's code that the exception passed through."""
    file = line = None
    tb = exc.__traceback__
    frames = traceback.extract_tb(tb) if tb is not None else []
    for entry in reversed(frames):
        if is_target(entry.filename):
            file, line = entry.filename, entry.lineno
            break
    if isinstance(exc, SyntaxError) and file is None:
        file, line = exc.filename, exc.lineno
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001
        message = "<unprintable>"
    if isinstance(exc, SystemExit):
        message = f"sys.exit({exc.code!r}) was called"
    return {"type": type(exc).__name__, "message": message[:2000], "file": file, "line": line}


def load_module(path: str, project: str):
    """Import the file the way the project would: as part of its package when it has ``__init__.py``."""
    path = os.path.realpath(path)
    parts = [os.path.splitext(os.path.basename(path))[0]]
    folder = os.path.dirname(path)
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parts.insert(0, os.path.basename(folder))
        folder = os.path.dirname(folder)
    for entry in (project, os.path.join(project, "src"), folder):
        if os.path.isdir(entry) and entry not in sys.path:
            sys.path.insert(0, entry)
    name = ".".join(parts)
    if len(parts) > 1:
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class _ReprTimeout(Exception):
    pass


def _timed_repr(value: object, seconds: float) -> str:
    """``repr(value)`` with SIGALRM as a watchdog, keeping the run's own timer."""
    if threading.current_thread() is not threading.main_thread():
        return repr(value)

    def on_alarm(signum, frame):
        raise _ReprTimeout()

    started = time.monotonic()
    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        return repr(value)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001))


def _full_repr(value: object, limit: int = 1_000_000, seconds: float = 1.0) -> str:
    """The whole repr (up to ``limit`` characters) of a return value or compared operand: a
    ``__repr__`` that raises or sleeps gives a placeholder and does not use up the run's time."""
    try:
        text = _timed_repr(value, seconds)
    except RunTimeout:
        raise
    except _ReprTimeout:
        return f"<{type(value).__qualname__} object (repr took over {seconds:g} s)>"
    except BaseException as exc:  # noqa: BLE001
        return f"<{type(value).__qualname__} object (repr failed: {type(exc).__name__})>"
    return text if len(text) <= limit else text[:limit] + "..."


def _session(request: dict) -> TraceSession:
    caps = request.get("caps", {})
    return TraceSession(
        request.get("targets") or [request["project"]],
        max_states=int(caps.get("max_states", 10)),
        max_calls=int(caps.get("max_calls", 10)),
        max_repr=int(caps.get("max_repr", 200)),
        core=request.get("core", "auto"),
        own_reprs=bool(caps.get("own_reprs", True)),
    )


# How many items of a generator that a call returns are consumed (and shown) under the trace.
CONSUME_CAP = 1000


def _consume(value: object, result: dict) -> Callable[[], str] | None:
    """Run a generator, async generator or coroutine that the call returned, under the trace: a
    generator is iterated up to ``CONSUME_CAP`` items (the caller closes it), a coroutine is awaited with
    ``asyncio.run``. Records ``result["consumed"]`` and returns what makes the return repr (called
    once tracing stopped, as the items' reprs are not the program's); None for any other value."""
    if isinstance(value, (types.GeneratorType, types.AsyncGeneratorType)):
        kind = "generator" if isinstance(value, types.GeneratorType) else "async generator"
        consumed = result["consumed"] = {"type": kind, "items": 0, "complete": False}
        items: list = []
        if isinstance(value, types.GeneratorType):
            for item in value:
                if len(items) == CONSUME_CAP:
                    break
                items.append(item)
                consumed["items"] = len(items)
            else:
                consumed["complete"] = True
        else:
            import asyncio

            async def collect(agen) -> None:
                async for item in agen:
                    if len(items) == CONSUME_CAP:
                        break
                    items.append(item)
                    consumed["items"] = len(items)
                else:
                    consumed["complete"] = True
                await agen.aclose()

            asyncio.run(collect(value))
        cut = "" if consumed["complete"] else f" (the first {CONSUME_CAP} items; it was not exhausted)"
        return lambda: f"<{kind}: {_full_repr(items)}{cut}>"
    if isinstance(value, types.CoroutineType):
        import asyncio

        result["consumed"] = {"type": "coroutine", "items": None, "complete": False}
        awaited = asyncio.run(value)
        result["consumed"]["complete"] = True
        return lambda: f"<coroutine: {_full_repr(awaited)}>"
    return None


def _close(generator: types.GeneratorType) -> None:
    """Close a generator left open at the cap now, untraced but within the run's time limit (its
    ``finally`` blocks run here, not after the result was sent)."""
    try:
        generator.close()
    except Exception:  # noqa: BLE001 - what the program's cleanup raises is not the call's result
        pass


def _raised_at_call_site(exc: BaseException) -> bool:
    """Raised by the call expression itself (``<semcoder-call>``), not inside the program's code."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename == "<semcoder-call>"


def _undefined_name_message(exc: NameError, module, file: str) -> str:
    """What the call's missing name is, and what the module does define (a close match first)."""
    import difflib

    name = getattr(exc, "name", None)
    if not name:  # Python < 3.10
        found = re.search(r"name '([^']+)' is not defined", str(exc))
        name = found.group(1) if found else "?"
    here = getattr(module, "__name__", None)
    defined = sorted(
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and isinstance(value, (types.FunctionType, type))
        and getattr(value, "__module__", None) == here
    )
    base = os.path.basename(file)
    text = f"the call uses the name {name!r}, which {base} does not define"
    close = difflib.get_close_matches(name, defined, n=1)
    if close:
        text += f" (did you mean {close[0]!r}?)"
    if defined:
        shown = ", ".join(defined[:30]) + (", …" if len(defined) > 30 else "")
        text += f"; it defines: {shown}"
    else:
        text += "; it defines no functions or classes"
    return text


def run_call(guard: Guard, request: dict, file: str, expr: str, timeout: float) -> dict:
    result: dict = {"status": "ok", "return_repr": None, "exception": None, "lines": {}, "calls": []}
    session = _session(request)
    started = time.perf_counter()

    def finish() -> dict:
        """The result so far, trace included (also what os._exit sends)."""
        session.stop()
        result["lines"], result["calls"] = session.lines(), session.calls()
        result["duration_s"] = round(time.perf_counter() - started, 6)
        return result

    guard.arm(timeout)
    try:
        try:
            code = compile(expr, "<semcoder-call>", "eval")
        except SyntaxError as exc:
            message = f"the call expression is not valid Python: {exc.msg}"
            result.update(
                status="error", exception={"type": "SyntaxError", "message": message, "file": None, "line": None}
            )
            return finish()
        try:
            module = load_module(file, request["project"])
        except SyntaxError as exc:
            result.update(status="syntax-error", exception=_exception_info(exc, guard.is_target))
            return finish()
        guard.partial = finish
        session.start()
        try:
            value = eval(code, module.__dict__)
        except NameError as exc:
            if not _raised_at_call_site(exc):
                raise
            session.stop()
            message = _undefined_name_message(exc, module, file)
            result.update(
                status="error", exception={"type": "NameError", "message": message, "file": None, "line": None}
            )
            return finish()
        shown = _consume(value, result)  # a generator or coroutine runs here, traced
        session.stop()  # the repr below is ours, not the program's
        if isinstance(value, types.GeneratorType):
            _close(value)
        result["return_repr"] = _full_repr(value) if shown is None else shown()
    except RunTimeout:
        session.stop()
        result.update(status="timeout", exception=guard.timeout_exception())
    except MemoryError as exc:
        guard.release_memory()
        session.stop()
        result.update(status="memory-limit", exception=_exception_info(exc, guard.is_target))
        result["exception"]["message"] = "ran out of memory (limit {} MB)".format(request.get("memory_mb", 1024))
    except BaseException as exc:  # noqa: BLE001 - the user's program may raise anything
        session.stop()
        result.update(status="exception", exception=_exception_info(exc, guard.is_target))
    finally:
        guard.disarm()
        guard.partial = None
    return finish()


def main(argv: list[str]) -> int:
    with open(argv[0]) as fh:
        request = json.load(fh)
    out = os.fdopen(int(argv[1]), "w")
    guard = Guard(request, out)
    guard.install()
    try:
        _serve(guard, request, out)
    except BaseException:
        guard.disarm()  # end with the traceback, not killed by a timer's signal during shutdown
        raise
    # The result is out. Skip the interpreter's shutdown: with pytest and the program's modules
    # loaded it takes a third of a second, which the caller would wait for.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    guard.real_exit(0)
    return 0


def _serve(guard: Guard, request: dict, out) -> None:
    project = request["project"]
    os.chdir(project)
    mode = request["mode"]
    if mode == "call":
        guard.emit(run_call(guard, request, request["file"], request["expr"], guard.timeout))
    elif mode == "calls":
        for item in request["calls"]:
            result = run_call(guard, request, item["file"], item["expr"], float(item.get("timeout", guard.timeout)))
            result["id"] = item.get("id")
            guard.emit(result)
    elif mode == "pytest":
        from .pytest_run import run_pytest

        guard.emit(run_pytest(guard, request))
    elif mode == "check":
        from .check import check

        check(guard, request)
    elif mode == "programs":
        from .evalcheck import run_programs

        run_programs(guard, request)
    else:
        guard.emit({"status": "error", "exception": {"type": "UsageError", "message": f"unknown mode {mode!r}"}})
    out.close()
