"""Where a user's project starts, and how a path or node id maps into it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import SemcoderError

_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini", ".git")


def find_root(path: Path) -> Path:
    """The nearest folder at or above ``path`` that looks like a project root; else the path's folder."""
    path = path.resolve()
    start = path if _is(path, Path.is_dir) else path.parent
    for folder in (start, *start.parents):
        if any(_is(folder / marker, Path.exists) for marker in _MARKERS):
            return folder
    return start


def _is(path: Path, test) -> bool:
    """``test(path)``, False where the system cannot even look (a name longer than it allows, no access)."""
    try:
        return test(path)
    except OSError:
        return False


@dataclass(frozen=True)
class Target:
    """A path given on the command line, or a pytest node id ``path::name``, resolved to a project."""

    project: Path
    path: Path
    node: str  # relative to the project, as pytest takes it

    @property
    def is_node_id(self) -> bool:
        return "::" in self.node


def parse_target(text: str) -> Target:
    file_part, sep, rest = text.partition("::")
    path = Path(file_part)
    if not path.exists():
        raise SemcoderError(f"no such file or folder: {file_part}")
    project = find_root(path)
    rel = path.resolve().relative_to(project).as_posix()
    node = (rel if rel != "." else "") + (sep + rest if sep else "")
    return Target(project=project, path=path.resolve(), node=node or ".")
