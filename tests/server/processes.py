"""The processes below a server and their memory, read from /proc (Linux): for the tests that check no
process outlives the server, and for the fuzzer's memory figures."""

from __future__ import annotations

import os
from pathlib import Path


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), int(fields[1]), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def process_tree(pid: int) -> list[tuple[int, int]]:
    """(pid, start time) of the live processes below ``pid``."""
    parent: dict[int, int] = {}
    start: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found and found[0] != "Z":
                parent[int(entry)], start[int(entry)] = found[1], found[2]
    out = []
    for child in parent:
        node = child
        while node in parent and node > 1:
            node = parent[node]
            if node == pid:
                out.append((child, start[child]))
                break
    return out


def alive(pid: int, started: int) -> bool:
    found = _stat(pid)
    return found is not None and found[0] != "Z" and found[2] == started


def memory_kb(pid: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return fields


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")[:160]
    except OSError:
        return "?"
