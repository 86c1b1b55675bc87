"""Text helpers for fixed-width terminal output."""

from __future__ import annotations

ELLIPSIS = "~"


def truncate(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters, ending in ``ELLIPSIS`` when something was cut."""
    if len(text) >= width:
        return text[: width - 1] + ELLIPSIS
    return text


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` truncated and padded to exactly ``width`` characters."""
    return f"{truncate(text, width):{align}{width}}"
