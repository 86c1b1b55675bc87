"""Plain-text tables for command-line reports."""

from __future__ import annotations

from typing import Sequence

from report.text import pad


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int]) -> list[str]:
    """Header, rule and one line per row; numbers are right-aligned, text left-aligned."""
    lines = [" | ".join(pad(header, width) for header, width in zip(headers, widths))]
    lines.append("-+-".join("-" * width for width in widths))
    for row in rows:
        cells = []
        for value, width in zip(row, widths):
            align = ">" if isinstance(value, (int, float)) else "<"
            cells.append(pad(str(value), width, align))
        lines.append(" | ".join(cells))
    return lines
