"""Line and column numbers in source text, for error messages and search results."""

from __future__ import annotations


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character number ``offset`` of ``source``."""
    if not 0 <= offset <= len(source):
        raise IndexError(f"offset {offset} outside the text")
    line, column = 1, 1
    for ch in source[:offset]:
        if ch == "\n":
            column = 1
        else:
            column += 1
    return line, column


def find_all(source: str, word: str) -> list[tuple[int, int]]:
    """Positions of every occurrence of ``word``."""
    found = []
    start = source.find(word)
    while start != -1:
        found.append(position(source, start))
        start = source.find(word, start + len(word))
    return found


def describe(path: str, source: str, offset: int) -> str:
    line, column = position(source, offset)
    return f"{path}:{line}:{column}"
