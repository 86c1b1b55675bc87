"""Choose which files a backup includes, with shell-style include and exclude patterns."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Sequence


def matches_any(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch(pattern, name) for pattern in patterns)


def select(names: Sequence[str], include: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """Names matching an include pattern and no exclude pattern, in their original order."""
    return [name for name in names if matches_any(name, include) and not matches_any(name, exclude)]
