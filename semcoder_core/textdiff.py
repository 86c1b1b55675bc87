"""What two texts share at each end: the rest, between, is where they differ."""

from __future__ import annotations


def common_ends(a: str, b: str) -> tuple[int, int]:
    """(head, tail): the lengths of the longest common prefix and, after it, suffix of ``a`` and ``b``."""
    shortest = min(len(a), len(b))
    head = 0
    while head < shortest and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < shortest - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail
