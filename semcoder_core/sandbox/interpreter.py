"""Which Python runs the user's code, and what of the file system it needs."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import SemcoderError

_PROBE = (
    "import json, sys, sysconfig\n"
    "print(json.dumps({'executable': sys.executable, 'prefix': sys.prefix, 'base_prefix': sys.base_prefix,"
    " 'version': list(sys.version_info[:3]), 'path': [p for p in sys.path if p],"
    " 'stdlib': sysconfig.get_paths()['stdlib']}))"
)


@dataclass(frozen=True)
class Interpreter:
    executable: str
    prefix: str
    base_prefix: str
    version: tuple[int, int, int]
    path: tuple[str, ...]

    def roots(self) -> list[str]:
        """Folders the interpreter reads at run time (prefixes and import path), without nesting."""
        candidates = {self.prefix, self.base_prefix, os.path.dirname(os.path.realpath(self.executable))}
        candidates.update(p for p in self.path if os.path.isdir(p))
        real = sorted({os.path.realpath(p) for p in candidates} | candidates)
        roots: list[str] = []
        for path in real:
            if not any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots):
                roots.append(path)
        return roots


def find_interpreter(project: Path, setting: str | None = None) -> str:
    """The interpreter setting, else the project's ``.venv``, else ``VIRTUAL_ENV``, else this one."""
    if setting:
        return setting
    for venv in (".venv", "venv"):
        candidate = project / venv / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    env = os.environ.get("VIRTUAL_ENV")
    if env and (Path(env) / "bin" / "python").exists():
        return str(Path(env) / "bin" / "python")
    return sys.executable


@functools.lru_cache(maxsize=16)
def probe(executable: str) -> Interpreter:
    try:
        out = subprocess.run(
            [executable, "-c", _PROBE], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SemcoderError(f"cannot start the Python interpreter {executable!r}: {exc}") from exc
    if out.returncode != 0:
        raise SemcoderError(f"the Python interpreter {executable!r} failed: {out.stderr.strip()[-500:]}")
    info = json.loads(out.stdout)
    version = tuple(info["version"])
    if version < (3, 9):
        raise SemcoderError(f"{executable} is Python {'.'.join(map(str, version))}; semcoder needs 3.9 or newer")
    return Interpreter(
        # What the interpreter says it is: a pyenv shim or a wrapper script names the real one,
        # and a wrapper needs files (pyenv's libexec) that the sandbox does not mount.
        executable=info["executable"] or executable,
        prefix=info["prefix"],
        base_prefix=info["base_prefix"],
        version=version,  # type: ignore[arg-type]
        path=tuple(info["path"]) + (info["stdlib"],),
    )
