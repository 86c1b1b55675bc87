"""Spectrum-based fault localisation: lines run by the failing test and few passing ones rank first."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .annotate import is_test_file
from .tracer.schema import Trace


@dataclass(frozen=True)
class Suspect:
    file: str
    line: int
    score: float  # Ochiai: failing(line) / sqrt(total failing * (failing(line) + passing(line)))
    failing: int
    passing: int
    imported: bool = False  # run only while the modules were imported (a ``def``, a table), not by the test itself


def covered(doc: Trace, imports: bool = True) -> set[tuple[str, int]]:
    """(file, line) of the code under test (not test files) that a run executed, with its imports
    unless ``imports`` is False (a module-level table is evidence for every test that reads it, but
    says nothing about which tests a bug fails: every test of the run imported it)."""
    out = set()
    imported = (doc.get("import_lines") or {}).items() if imports else []
    for file, lines in [*imported, *(doc.get("lines") or {}).items()]:
        if is_test_file(file):
            continue
        for key, entry in lines.items():
            if entry.get("hits"):
                out.add((file, int(key)))
    return out


def localize(failing: list[Trace], passing: list[Trace], origin: tuple[str, int] | None = None) -> list[Suspect]:
    """Lines executed by every failing run, ranked by Ochiai over all runs; ``origin`` (the line that
    produced the wrong value, from the trace) breaks ties upwards."""
    if not failing:
        return []
    fail_sets = [covered(d) for d in failing]
    pass_sets = [covered(d) for d in passing]
    candidates = set().union(*fail_sets)
    ran = set().union(*[covered(d, imports=False) for d in failing])
    suspects = []
    for where in candidates:
        ef = sum(where in s for s in fail_sets)
        ep = sum(where in s for s in pass_sets)
        score = ef / math.sqrt(len(fail_sets) * (ef + ep)) if ef else 0.0
        suspects.append(Suspect(where[0], where[1], round(score, 4), ef, ep, where not in ran))

    def distance(s: Suspect) -> int:  # near the origin first: the wrong value is often made close by
        return abs(s.line - origin[1]) if origin and s.file == origin[0] else 10_000

    # Among equals, what the test itself ran before what only ran at import: every test imports the
    # same `def` lines and tables, so they tie with the code when the passing tests ran it all too.
    suspects.sort(key=lambda s: (-s.score, s.imported, distance(s), s.file, s.line))
    return suspects
