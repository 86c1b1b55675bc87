"""How a run is isolated: bubblewrap where it exists, else a copy of the project plus rlimits.

bubblewrap: the project is bound read-only at its real path (traces name the
user's real files), the interpreter's folders read-only, a private /tmp,
no network, a pid namespace that dies with the run. Started as root it drops
to a throwaway uid, because the kernel does not apply RLIMIT_NPROC to root.

Fallback: the project is copied to a temporary folder that the run may
scribble on; paths in the result are mapped back. As root, a pids cgroup caps
and later kills every process of the run (setsid cannot escape it).
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
_CGROUP_PIDS = Path("/sys/fs/cgroup/pids")
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


class ProcessGroupCage:
    """Collects and kills every process of a fallback run."""

    def __init__(self, run_id: str, max_processes: int) -> None:
        self.run_id = run_id
        self.cgroup: Path | None = None
        if os.geteuid() == 0 and os.access(_CGROUP_PIDS, os.W_OK):
            try:
                path = _CGROUP_PIDS / f"semcoder-{run_id}"
                path.mkdir()
                (path / "pids.max").write_text(str(max_processes + 1))
                self.cgroup = path
            except OSError:
                self.cgroup = None

    def adopt(self, pid: int) -> None:
        if self.cgroup is not None:
            try:
                (self.cgroup / "cgroup.procs").write_text(str(pid))
            except OSError:
                pass

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
        if self.cgroup is not None:
            for _ in range(100):
                try:
                    self.cgroup.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)

    def _members(self) -> list[int]:
        pids: set[int] = set()
        if self.cgroup is not None:
            try:
                pids.update(int(p) for p in (self.cgroup / "cgroup.procs").read_text().split())
            except OSError:
                pass
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
