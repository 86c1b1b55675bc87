"""Reading JSON Lines files (datasets, generations, exports) with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union


class JsonlError(ValueError):
    """A line of a JSONL file is not JSON."""


def read_jsonl(path: Union[str, Path]) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of every non-blank line of ``path``; a line that is not JSON raises
    :class:`JsonlError` saying ``path:N``."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError as exc:
                raise JsonlError(f"{path}:{number}: not a JSON line ({exc})") from exc
