"""Map line numbers of the text a run executed onto the text in the editor now.

While the user types, the last trace stays useful: unchanged lines keep their
hints at their new positions, edited lines lose theirs until the next run.

The map is built in time linear in the file (up to a log factor): the common
head and tail are matched directly, which is all a keystroke leaves to do; a
larger edited middle is split at lines that occur exactly once on both sides and
in the same order (patience diff: a longest increasing subsequence), and only
small pieces left between those anchors go to ``difflib``, whose cost grows with
the product of their lengths (bounded in all: past the budget, such pieces count
as changed). A real library module of 12,000 lines maps in about 10 ms after a
keystroke, where one ``difflib`` pass over it took a second or more.
"""

from __future__ import annotations

import bisect
import difflib

_DIFFLIB_CELLS = 40_000  # pieces up to this product of lengths are aligned by difflib (about 10 ms)
_DIFFLIB_BUDGET = 400_000  # and no more than this in all: past it, such pieces count as changed


class LineMap:
    texts: object = None  # the runs' texts the old text came from: kept alive, so their id in a cache key stays theirs

    def __init__(self, old: str, new: str) -> None:
        self.identical = old == new
        self._map: dict[int, int] = {}
        if self.identical:
            return
        for i, j in matching_lines(old.splitlines(), new.splitlines()):
            self._map[i + 1] = j + 1

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


def matching_lines(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """0-based pairs ``(i, j)`` with ``a[i] == b[j]``, increasing in both, that a diff keeps unchanged."""
    pairs: list[tuple[int, int]] = []
    pieces = [(0, len(a), 0, len(b))]
    budget = _DIFFLIB_BUDGET
    while pieces:
        a1, a2, b1, b2 = pieces.pop()
        while a1 < a2 and b1 < b2 and a[a1] == b[b1]:  # the common head
            pairs.append((a1, b1))
            a1, b1 = a1 + 1, b1 + 1
        while a1 < a2 and b1 < b2 and a[a2 - 1] == b[b2 - 1]:  # the common tail
            a2, b2 = a2 - 1, b2 - 1
            pairs.append((a2, b2))
        if a1 == a2 or b1 == b2:
            continue
        cells = (a2 - a1) * (b2 - b1)
        if cells <= _DIFFLIB_CELLS and cells <= budget:
            budget -= cells
            matcher = difflib.SequenceMatcher(None, a[a1:a2], b[b1:b2], autojunk=False)
            for block in matcher.get_matching_blocks():
                pairs.extend((a1 + block.a + k, b1 + block.b + k) for k in range(block.size))
            continue
        anchors = _unique_anchors(a, a1, a2, b, b1, b2)
        if not anchors:
            continue  # nothing in common that can be placed cheaply: these lines changed
        # the pieces between consecutive anchors, each matched on its own
        previous = (a1 - 1, b1 - 1)
        for i, j in anchors + [(a2, b2)]:
            if i < a2:
                pairs.append((i, j))
            if i - previous[0] > 1 and j - previous[1] > 1:
                pieces.append((previous[0] + 1, i, previous[1] + 1, j))
            previous = (i, j)
    pairs.sort()
    return pairs


def _unique_anchors(a: list[str], a1: int, a2: int, b: list[str], b1: int, b2: int) -> list[tuple[int, int]]:
    """Lines that occur once in ``a[a1:a2]`` and once in ``b[b1:b2]``, the longest run of them in the same
    order on both sides."""
    count: dict[str, int] = {}
    where_a: dict[str, int] = {}
    for i in range(a1, a2):
        line = a[i]
        count[line] = count.get(line, 0) + 1
        where_a[line] = i
    seen_b: dict[str, int] = {}
    where_b: dict[str, int] = {}
    for j in range(b1, b2):
        line = b[j]
        if count.get(line) == 1:
            seen_b[line] = seen_b.get(line, 0) + 1
            where_b[line] = j
    candidates = sorted((where_a[line], where_b[line]) for line, n in seen_b.items() if n == 1)
    return _longest_increasing(candidates)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by the first) whose second items increase."""
    tails: list[int] = []  # tails[k]: the smallest second item ending an increasing run of length k + 1
    tail_at: list[int] = []  # the index in pairs of that item
    parent = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(index)
        else:
            tails[k] = j
            tail_at[k] = index
        parent[index] = tail_at[k - 1] if k else -1
    out = []
    index = tail_at[-1] if tail_at else -1
    while index != -1:
        out.append(pairs[index])
        index = parent[index]
    return out[::-1]
