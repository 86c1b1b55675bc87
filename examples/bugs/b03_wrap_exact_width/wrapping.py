"""Greedy word wrapping for plain-text emails."""

from __future__ import annotations


def wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` characters, never splitting a word."""
    if width < 1:
        raise ValueError("width must be at least 1")
    lines: list[str] = []
    line = ""
    for word in text.split():
        if not line:
            line = word
        elif len(line) + 1 + len(word) < width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def fill(text: str, width: int, indent: str = "") -> str:
    """Wrapped ``text`` as one string, every line starting with ``indent``."""
    return "\n".join(indent + line for line in wrap(text, width - len(indent)))
