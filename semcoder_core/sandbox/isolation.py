"""How a run is isolated: bubblewrap where it exists, else a copy of the project plus rlimits.

bubblewrap: the project is bound read-only at its real path (traces name the
user's real files), the interpreter's folders read-only, a private /tmp,
no network, a pid namespace that dies with the run. Started as root it drops
to a throwaway uid, because the kernel does not apply RLIMIT_NPROC to root.

Fallback: the project is copied to a temporary folder that the run may
scribble on; paths in the result are mapped back. As root, a pids cgroup caps
and later kills every process of the run (setsid cannot escape it).

Memory (both modes): where a memory cgroup can be made (root, cgroup v1 or a
delegated v2 subtree) the kernel holds the whole run to the memory it uses
(resident set, tmpfs files), not to the address space it reserves; see
:class:`RunCgroups`. Processes: the kernel's task limits (RLIMIT_NPROC, pids.max)
count threads too, so they are only a high backstop (``TASKS_FOR_THREADS``);
the run's process count is held by the tracer (agent.Guard).
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import time
from collections.abc import Sequence
from pathlib import Path

_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".hg",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "*.pyc",
)
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_CGROUP_PIDS = _CGROUP_ROOT / "pids"
# Threads the run may start on top of its processes: RLIMIT_NPROC and pids.max count every
# thread, and a test suite may start a hundred (plus numpy's BLAS threads, one per core).
TASKS_FOR_THREADS = 1024
# The kernel's memory limit sits this far above the limit the tracer enforces itself with a
# MemoryError at the running line (agent.Guard checks its own resident memory every 20 ms of CPU;
# a 32 MB-per-step bomb overshoots it by about 100 MB before the check runs).
MEMORY_HEADROOM = 0.25
_uids = itertools.count()


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def pick_uid() -> int:
    """A uid no one else uses, so that RLIMIT_NPROC counts this run's processes only."""
    return 200_000 + (os.getpid() * 131 + next(_uids)) % 700_000


def bwrap_command(
    bwrap: str,
    project: str,
    roots: list[str],
    agent_dir: str,
    request_file: str,
    executable: str,
    env: dict[str, str],
    project_source: str | None = None,
    overlay: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """The bwrap command line; ``project_source`` (default ``project``) is bound read-only at ``project``,
    and each ``(source, path)`` of ``overlay`` read-only over a file of the project (unsaved buffers)."""
    as_root = os.geteuid() == 0
    cmd = [bwrap, "--die-with-parent", "--new-session"]
    if as_root:
        # No user namespace: the uid drop below must be a real one for RLIMIT_NPROC to count.
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    else:
        cmd += ["--unshare-all"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    # /etc itself as bwrap would make it for the binds below is 0700: the throwaway uid could not
    # read /etc/localtime (time zone tests fail).
    cmd += ["--perms", "0755", "--dir", "/etc"]
    for path in ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives", "/etc/ssl"):
        cmd += ["--ro-bind-try", path, path]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--tmpfs", "/run"]
    # Folders above the bound ones are created world-traversable: a host /root is 0700,
    # and the throwaway uid must reach the interpreter below it.
    # Below the fresh tmpfs /tmp and /run folders can be made too (a project under pytest's
    # tmp_path sits below the 0700 /tmp/pytest-of-root); below /usr, /proc and /dev they cannot.
    fixed = ("/usr", "/proc", "/dev")
    parents = {
        str(parent)
        for path in [*roots, project]
        for parent in Path(path).parents
        if str(parent) not in ("/", "/tmp", "/run")
        and not any(str(parent) == top or str(parent).startswith(top + "/") for top in fixed)
    }
    for parent in sorted(parents, key=lambda p: p.count("/")):
        cmd += ["--perms", "0755", "--dir", parent]
    # The project first: an interpreter inside it (its .venv) is mounted on top, from the original.
    cmd += ["--ro-bind", project_source or project, project]
    for source, path in overlay:
        cmd += ["--ro-bind", source, path]
    for root in roots:
        if not root.startswith("/usr/"):
            cmd += ["--ro-bind", root, root]
    cmd += [
        "--perms",
        "0755",
        "--dir",
        "/semcoder",
        "--ro-bind",
        agent_dir,
        "/semcoder/agent",
        "--ro-bind",
        request_file,
        "/semcoder/request.json",
    ]
    cmd += ["--chdir", project]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    if drops_uid():
        uid = str(pick_uid())
        setpriv = shutil.which("setpriv") or "setpriv"
        cmd += ["--", setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    else:
        cmd += ["--"]
    return cmd + [executable, "-m", "semcoder_tracer", "/semcoder/request.json"]


_READ_ONLY_SCRIPT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


def namespace_prefix(project: str) -> list[str]:
    """For the copy fallback, as root: a mount namespace where the real project is read-only (a
    program may know its absolute path) and an empty network namespace (child processes have no
    audit hook). Not available to other users; then the copy and the audit hook are what remains."""
    unshare, mount = shutil.which("unshare"), shutil.which("mount")
    if os.geteuid() != 0 or not unshare or not mount:
        return []
    return [unshare, "--mount", "--net", "--", "/bin/sh", "-c", _READ_ONLY_SCRIPT, project]


def drops_uid() -> bool:
    """bwrap started as root runs the code as a throwaway uid (see bwrap_command)."""
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def readable_by_others(path: str) -> bool:
    return os.stat(path).st_mode & 0o005 == 0o005


def copy_project(project: str, dest: str, world_readable: bool = False) -> str:
    target = os.path.join(dest, "project")
    shutil.copytree(project, target, ignore=_COPY_IGNORE, symlinks=True)
    if world_readable:
        for folder, _dirs, files in os.walk(target):
            os.chmod(folder, os.stat(folder).st_mode | 0o755)
            for name in files:
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    os.chmod(path, os.stat(path).st_mode | 0o444)
    return target


def _own_cgroup(controller: str) -> tuple[Path, int] | None:
    """The folder of this process's cgroup for ``controller`` and the cgroup version, where a
    child cgroup can be made there (v1: the controller's hierarchy is mounted and writable; v2:
    the controller is enabled for the children of this process's cgroup)."""
    try:
        with open("/proc/self/cgroup") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _id, names, path = line.split(":", 2)
        if controller in names.split(","):
            folder = _CGROUP_ROOT / controller / path.lstrip("/")
            if folder.is_dir() and os.access(folder, os.W_OK):
                return folder, 1
    for line in lines:
        if line.startswith("0::"):
            for mount in (_CGROUP_ROOT / "unified", _CGROUP_ROOT):
                folder = mount / line[3:].lstrip("/")
                try:
                    enabled = (folder / "cgroup.subtree_control").read_text().split()
                except OSError:
                    continue
                if controller in enabled and os.access(folder, os.W_OK):
                    return folder, 2
    return None


class RunCgroups:
    """The cgroups of one run: memory (both modes) and pids (copy mode), where they can be made.

    Memory is limited on what the run uses: the cgroup counts resident pages and tmpfs files of
    every process of the run; page cache is reclaimed before anything is killed. When the run goes
    past it the kernel kills a process of the run (SIGKILL), which :meth:`oom_kills` counts."""

    def __init__(self, run_id: str, memory_mb: int | None, max_tasks: int | None) -> None:
        self.memory: Path | None = None
        self.memory_version = 0
        self.pids: Path | None = None
        if os.geteuid() != 0:
            return
        if memory_mb is not None:
            found = _own_cgroup("memory")
            if found is not None:
                limit = int(memory_mb * (1 + MEMORY_HEADROOM)) * 1024 * 1024
                folder, version = found
                settings = (
                    [("memory.limit_in_bytes", limit), ("memory.memsw.limit_in_bytes", limit)]
                    if version == 1
                    else [("memory.max", limit), ("memory.swap.max", 0)]
                )
                self.memory = self._make(folder / f"semcoder-{run_id}", settings)
                self.memory_version = version if self.memory is not None else 0
        if max_tasks is not None and os.access(_CGROUP_PIDS, os.W_OK):
            self.pids = self._make(_CGROUP_PIDS / f"semcoder-{run_id}", [("pids.max", max_tasks)])

    @staticmethod
    def _make(path: Path, settings: list[tuple[str, int]]) -> Path | None:
        try:
            path.mkdir()
        except OSError:
            return None
        for name, value in settings:
            try:
                (path / name).write_text(str(value))
            except OSError:
                if not name.startswith(("memory.memsw", "memory.swap")):  # absent without swap accounting
                    _remove_cgroup(path)
                    return None
        return path

    def enter_prefix(self) -> list[str]:
        """A command prefix that moves itself into the cgroups, then runs the rest of the command:
        every process of the run starts inside (no window between start and adoption)."""
        folders = [p for p in (self.memory, self.pids) if p is not None]
        if not folders:
            return []
        script = " && ".join(f"echo $$ > '{folder}/cgroup.procs'" for folder in folders)
        return ["/bin/sh", "-c", script + ' && exec "$@"', "semcoder-enter"]

    def oom_kills(self) -> int:
        """Processes of the run the kernel killed for going past the memory limit."""
        if self.memory is None:
            return 0
        name = "memory.oom_control" if self.memory_version == 1 else "memory.events"
        try:
            for line in (self.memory / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def peak_mb(self) -> float | None:
        if self.memory is None:
            return None
        name = "memory.max_usage_in_bytes" if self.memory_version == 1 else "memory.peak"
        try:
            return int((self.memory / name).read_text()) / 1024 / 1024
        except (OSError, ValueError):
            return None

    def members(self) -> set[int]:
        pids: set[int] = set()
        for folder in (self.memory, self.pids):
            if folder is not None:
                try:
                    pids.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
                except (OSError, ValueError):
                    pass
        return pids

    def remove(self) -> None:
        for folder in (self.memory, self.pids):
            if folder is not None:
                _remove_cgroup(folder)


def _remove_cgroup(path: Path) -> None:
    for _ in range(100):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)


class ProcessGroupCage:
    """Collects and kills every process of a fallback run (its cgroups, its run id)."""

    def __init__(self, run_id: str, cgroups: RunCgroups) -> None:
        self.run_id = run_id
        self.cgroups = cgroups

    def kill_all(self, pgid: int | None) -> None:
        if pgid is not None:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
        for _ in range(50):
            pids = self._members()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def _members(self) -> list[int]:
        pids = self.cgroups.members()
        marker = f"SEMCODER_RUN_ID={self.run_id}".encode()
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    with open(f"/proc/{entry}/environ", "rb") as fh:
                        if marker in fh.read().split(b"\0"):
                            pids.add(int(entry))
                except OSError:
                    pass
        return sorted(pids)
