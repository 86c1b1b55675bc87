"""Collapse repeated consecutive log lines, the way syslog prints "message repeated N times"."""

from __future__ import annotations


def render(message: str, count: int) -> str:
    return message if count == 1 else f"{message} (x{count})"


def squash(lines: list[str]) -> list[str]:
    """``["a", "a", "b"]`` -> ``["a (x2)", "b"]``; only neighbours are merged."""
    out: list[str] = []
    last: str | None = None
    count = 0
    for line in lines:
        if line == last:
            continue
        if last is not None:
            out.append(render(last, count))
        last, count = line, 1
    if last is not None:
        out.append(render(last, count))
    return out
