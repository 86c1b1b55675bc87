"""Fixed-width histograms for response-time dashboards."""

from __future__ import annotations

from typing import Iterable


def bin_edges(lo: float, hi: float, bins: int) -> list[float]:
    width = (hi - lo) / bins
    return [lo + i * width for i in range(bins + 1)]


def histogram(values: Iterable[float], bins: int, lo: float, hi: float) -> list[int]:
    """Counts of ``values`` in ``bins`` equal bins over [lo, hi]; values outside the range are ignored."""
    if bins < 1 or hi <= lo:
        raise ValueError("need at least one bin and lo < hi")
    width = (hi - lo) // bins
    counts = [0] * bins
    for x in values:
        if x < lo or x > hi:
            continue
        index = min(int((x - lo) / width), bins - 1)
        counts[index] += 1
    return counts
