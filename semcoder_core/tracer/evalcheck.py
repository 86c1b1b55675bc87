"""Run many small programs (benchmark checks) in one warmed process, one fork per program.

A fresh interpreter per check costs ~58 ms before the check runs; a fork of this
warmed worker ~3 ms (platform-notes.md). Each program runs in a forked child:
its own process group and temporary working folder, stdin from /dev/null,
stdout and stderr into a pipe the worker reads and caps, CPU and address-space
limits of its own, killed with its group when its time is up. The child reports
``passed`` only by writing to a result pipe after the program returned: a
program that exits (``sys.exit``, ``os._exit``), crashes, is killed or loops
counts as a failure.

What the program can reach is what the sandbox around this worker allows
(bubblewrap: a private /tmp, no network, a read-only view of the system).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time

# Modules benchmark programs import: loaded once here, so the children find them in sys.modules.
_PRELOAD = (
    "bisect",
    "collections",
    "copy",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "math",
    "operator",
    "random",
    "re",
    "string",
    "typing",
)


def _warm_up(modules: list[str]) -> None:
    for name in [*_PRELOAD, *modules]:
        try:
            __import__(name)
        except ImportError:
            pass
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()  # the children's gc passes skip the worker's heap


# The worker's guard (agent.Guard): each child counts the processes it starts from its own start.
_GUARD = None


def _child_limits() -> None:
    """A program's own limits: address space (a check is a short single-threaded program, and
    RLIMIT_AS turns a memory bomb into a MemoryError at once; the run's memory cgroup stays above it)
    and the processes it may start (leftovers of the program before it, being killed, do not count)."""
    guard = _GUARD
    if guard is None:
        return
    memory = guard.memory_limit
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (memory if hard == resource.RLIM_INFINITY else min(memory, hard), hard))
    if guard.max_processes is not None:
        guard.base_processes = guard.count_processes()
        guard.process_check = True


def _child(code: str, timeout: float, result_fd: int, output_fd: int, real_exit) -> None:
    """Runs in the fork: never returns (``real_exit`` is ``os._exit`` as it was before any program ran).
    The worker already set what every child shares (stdin, signals, working folder): forks are
    the cost here, and each page a child touches is copied."""
    status = _PASSED
    try:
        os.setpgid(0, 0)  # the worker kills the whole group, children of the program included
        # A backstop for the worker's kill: CPU seconds of this child only (the memory limit is the worker's).
        cpu = int(timeout) + 1
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
        _child_limits()
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        exec(compile(code, "<program>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except AssertionError as exc:
        status = _verdict("failed", exc)
    except MemoryError as exc:
        status = _verdict("memory-limit", exc)
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: the program did not finish its checks
        status = _verdict("error", exc)
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:  # noqa: BLE001 - a closed or replaced stream changes nothing about the result
        pass
    try:
        os.write(result_fd, status)
    finally:
        real_exit(0)


_PASSED = b'{"status": "passed"}\n'


def _verdict(status: str, exc: BaseException) -> bytes:
    return (json.dumps({"status": status, "exception": _describe(exc)}) + "\n").encode()


def _describe(exc: BaseException) -> dict:
    try:
        message = str(exc)[:500]
    except BaseException:  # noqa: BLE001
        message = "<unprintable>"
    return {"type": type(exc).__name__, "message": message}


def run_one(code: str, timeout: float, output_cap: int, real_exit) -> dict:
    """One program in a forked child: ``{"status", "exception", "output", "output_bytes", "duration_s"}``.

    ``status``: ``passed``, ``failed`` (an assertion failed), ``error`` (another exception, exits
    included), ``timeout``, ``memory-limit`` or ``crashed`` (the child died without a word).
    The child runs in the worker's working folder (see :class:`_Scratch`)."""
    result_r, result_w = os.pipe()
    output_r, output_w = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        os.close(output_r)
        try:
            _child(code, timeout, result_w, output_w, real_exit)
        finally:
            real_exit(0)
    try:
        os.setpgid(pid, pid)  # here too: a kill may come before the child got to it
    except OSError:
        pass
    os.close(result_w)
    os.close(output_w)
    deadline = time.monotonic() + timeout
    report = bytearray()
    output = bytearray()
    seen = 0
    streams = [result_r, output_r]
    timed_out = False
    while result_r in streams:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(streams, [], [], left)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                streams.remove(fd)
            elif fd == result_r:
                report.extend(chunk)
            else:
                seen += len(chunk)
                output.extend(chunk[: max(output_cap - len(output), 0)])
        if report.endswith(b"\n"):
            break  # the verdict is in; whatever the child does next does not matter
    duration = time.perf_counter() - started
    _kill_group(pid)
    _, wait_status = os.waitpid(pid, 0)
    seen += _drain(output_r, output, output_cap)
    os.close(result_r)
    os.close(output_r)
    result: dict = {"status": "crashed", "exception": None}
    if timed_out:
        message = f"did not finish within {timeout:g} s"
        result = {"status": "timeout", "exception": {"type": "Timeout", "message": message}}
    elif report.endswith(b"\n"):
        try:
            result = json.loads(report.decode("utf-8", "replace").splitlines()[-1])
        except ValueError:
            pass
        result.setdefault("exception", None)
    elif os.WIFSIGNALED(wait_status):
        signum = os.WTERMSIG(wait_status)
        name = signal.Signals(signum).name if signum in signal.valid_signals() else str(signum)
        status = "timeout" if signum == signal.SIGXCPU else "crashed"
        result = {"status": status, "exception": {"type": "Signal", "message": f"killed by {name}"}}
    else:
        exit_code = os.WEXITSTATUS(wait_status)
        result = {"status": "crashed", "exception": {"type": "Exit", "message": f"exited with code {exit_code}"}}
    result["output"] = output.decode("utf-8", "replace")
    result["output_bytes"] = seen
    result["duration_s"] = round(duration, 6)
    return result


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _drain(fd: int, into: bytearray, cap: int) -> int:
    """Whatever the pipe holds now (a grandchild that escaped the group may still hold it open)."""
    os.set_blocking(fd, False)
    total = 0
    try:
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            into.extend(chunk[: max(cap - len(into), 0)])
    except (BlockingIOError, OSError):
        pass
    return total


def _own_pid_namespace(request: dict) -> bool:
    """True inside bubblewrap's pid namespace, where every other process is the run's own."""
    if not request.get("pid_namespace"):
        return False
    try:
        with open("/proc/1/comm") as fh:
            return fh.read().strip() == "bwrap"
    except OSError:
        return False


def _kill_leftovers() -> None:
    """Processes a program left running after its group was killed (it called setsid): in our own
    pid namespace, everything we may signal except ourselves and the namespace's init."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


class _Scratch:
    """The working folder (also HOME and TMPDIR) the children start in: one per worker, emptied
    after a program left something in it, made anew when a program removed or locked it."""

    def __init__(self) -> None:
        self.base = tempfile.mkdtemp(prefix="semcoder-eval-")
        self.count = 0
        self.folder = ""
        self.renew()

    def renew(self) -> None:
        if self.folder:
            _remove(self.folder)
        self.count += 1
        self.folder = os.path.join(self.base, str(self.count))
        os.mkdir(self.folder)
        os.chdir(self.folder)
        os.environ["HOME"] = os.environ["TMPDIR"] = tempfile.tempdir = self.folder

    def clean(self) -> None:
        try:
            if not os.listdir(self.folder) and os.getcwd() == self.folder:
                return
        except OSError:
            pass
        self.renew()

    def close(self) -> None:
        os.chdir("/")
        _remove(self.base)


def _remove(path: str) -> None:
    """Remove ``path`` even where a program took the permissions away."""
    for folder, dirs, _files in os.walk(path):
        for name in dirs:
            try:
                os.chmod(os.path.join(folder, name), 0o700)
            except OSError:
                pass
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)


def _time_limit(item: dict, reference_times: dict[str, float]) -> float:
    """The item's ``timeout``, or with ``calibrate: {group, floor, factor}`` the larger of ``floor``
    and ``factor`` times the run time of the group's reference (the floor when it did not pass)."""
    rule = item.get("calibrate")
    if not rule:
        return float(item["timeout"])
    reference = reference_times.get(rule["group"])
    floor = float(rule["floor"])
    return floor if reference is None else round(max(floor, float(rule["factor"]) * reference), 3)


def run_programs(guard, request: dict) -> None:
    """Emit one result per program (``{"id", "status", "timeout_s", ...}``), as each ends.

    A program with ``reference: GROUP`` is a group's reference solution: when it passes, its run
    time calibrates the limit of the group's later programs that carry ``calibrate``."""
    global _GUARD
    guard.disarm()
    # The worker's own forks (one per program) are not the programs' processes: each child counts its own.
    guard.process_check = False
    signal.setitimer(signal.ITIMER_PROF, 0)  # the worker allocates nothing to watch; children have RLIMIT_AS
    _GUARD = guard
    # What every child shares is set here once: no stdin, default signal handling (the worker
    # needs no timer of its own in this mode: the sandbox bounds the whole run).
    for sig in (signal.SIGALRM, signal.SIGXCPU, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    _warm_up(list(request.get("preload", [])))
    cap = int(request.get("output_cap", 4096))
    namespace = _own_pid_namespace(request)
    scratch = _Scratch()
    reference_times: dict[str, float] = {}
    try:
        for item in request["programs"]:
            limit = _time_limit(item, reference_times)
            result = run_one(item["code"], limit, cap, guard.real_exit)
            if item.get("reference") is not None and result["status"] == "passed":
                reference_times[item["reference"]] = result["duration_s"]
            result["id"] = item["id"]
            result["timeout_s"] = limit
            guard.emit(result)
            if namespace:
                _kill_leftovers()
            scratch.clean()
    finally:
        scratch.close()
