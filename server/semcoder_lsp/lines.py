"""Map line numbers of the text a run executed onto the text in the editor now.

While the user types, the last trace stays useful: unchanged lines keep their
hints at their new positions, edited lines lose theirs until the next run.
"""

from __future__ import annotations

import difflib

_MAX_LINES = 20_000  # past this, only identical texts map (difflib is quadratic at worst)


class LineMap:
    def __init__(self, old: str, new: str) -> None:
        self.identical = old == new
        self._map: dict[int, int] = {}
        if self.identical:
            return
        a, b = old.splitlines(), new.splitlines()
        if len(a) > _MAX_LINES or len(b) > _MAX_LINES:
            return
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
            if tag == "equal":
                for k in range(i2 - i1):
                    self._map[i1 + k + 1] = j1 + k + 1

    def new(self, line: int) -> int | None:
        """1-based line of the run's text -> 1-based line now, or None when that line changed."""
        return line if self.identical else self._map.get(line)

    def old(self, line: int) -> int | None:
        """1-based line now -> the run's line, or None."""
        if self.identical:
            return line
        if not hasattr(self, "_inverse"):
            self._inverse = {v: k for k, v in self._map.items()}
        return self._inverse.get(line)
