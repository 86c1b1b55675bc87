"""Where to look first, by experiment (mutation-based fault localisation): the one-edit changes the
fix search would try at the suspect lines, each run against the failing test and then the passing
tests that reach the same code. A line where such a change makes the failing test pass and keeps
those tests green is where the bug most likely is, whatever the spectrum says: the spectrum cannot
tell apart lines that passing tests run too, and real bugs mostly sit on such lines.

This is evidence for an explanation, not a fix: one run of the neighbours, not three of the whole
suite (``semcoder fix`` validates fixes).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from ..annotate import is_test_file
from ..sandbox import RunCancelled, Sandbox
from ..spectrum import localize
from ..testruns import node_distance
from ..tracer.schema import Trace
from .search import Candidate, FixReport, _Checker, _rank, add_blamed, candidates_at, check_all, order_suspects

MAX_NEIGHBOURS = 200
MAX_OTHERS = 40  # other failing tests near the one explained, run with each change that makes it pass


@dataclass(frozen=True)
class Probe:
    """The best-ranked change (as the fix search ranks them: the most of the other failing tests made
    to pass first) that made the failing test pass and kept the ``kept`` passing tests that reach the
    same code green; it made ``fixed_others`` of the ``others`` failing tests near it pass too;
    ``checked`` of ``tried`` changes were run."""

    candidate: Candidate
    kept: int
    checked: int
    tried: int
    others: int = 0
    fixed_others: int = 0

    @property
    def line(self) -> tuple[str, int]:
        return (self.candidate.file, self.candidate.edit.line)


def probe(
    sandbox: Sandbox,
    node: str,
    failing: Trace,
    passing: list[Trace],
    blamed: Optional[tuple[str, int]],
    overlay: dict[str, str],
    budget_s: float,
    cancel: Optional[threading.Event] = None,
    workers: Optional[int] = None,
    progress: Callable[[str], None] = lambda text: None,
    failing_near: Optional[dict[str, float]] = None,
) -> Optional[Probe]:
    """Try the changes at the top suspect lines of ``failing`` (ranked against ``passing``, the
    explanation's ``blamed`` line first) for at most ``budget_s``; the best one that made ``node``
    pass and kept every test of ``passing`` passing, or None (also when it made none of
    ``failing_near`` pass). ``failing_near`` (node id -> seconds)
    are other failing tests near it: a change that makes them pass too ranks first (a bug fails every
    test that runs it; a change that fixes one test alone is likelier a patch of that test's case)."""
    started = time.monotonic()
    deadline = started + budget_s
    suspects = [s for s in localize([failing], passing) if not is_test_file(s.file)]
    add_blamed(suspects, blamed if blamed and not is_test_file(blamed[0]) else None, len(passing))
    order_suspects(suspects, blamed, None, {})
    edits = candidates_at(suspects, overlay)
    if not edits:
        return None
    ran = [(test["nodeid"], float(d.get("duration_s") or 0.0)) for d in passing if (test := d.get("test"))]
    neighbours = [n for n, _ in ran[:MAX_NEIGHBOURS]]
    durations = [s for _, s in ran[:MAX_NEIGHBOURS]]
    own = float(failing.get("duration_s") or 0.0)
    # Traced durations: an overestimate of the untraced run's, so a generous limit. A test that hung
    # gets one calibrated on its neighbours (a change that leaves it looping costs about a second).
    hung = failing.get("status") == "timeout"
    home = node.partition("::")[0]  # a hung test's limit: from the tests of its own file, the most like it
    alike = [d for n, d in zip(neighbours, durations) if n.partition("::")[0] == home]
    basis = max(alike) if alike else statistics.median(durations or [0.0])
    target_limit = max(1.0, 5 * basis + 1.0) if hung else max(1.0, 5 * own + 1.0)
    limits = {node: min(sandbox.limits.timeout_s, target_limit)}
    limits.update({n: min(sandbox.limits.timeout_s, max(1.0, 5 * d + 1.0)) for n, d in zip(neighbours, durations)})
    near = sorted(failing_near or {}, key=lambda n: node_distance(node, n))[:MAX_OTHERS]
    for other in near:  # a test that hung before gets the hung test's limit; it passes fast when fixed
        seconds = (failing_near or {})[other]
        limits[other] = min(sandbox.limits.timeout_s, max(1.0, 5 * seconds + 1.0), limits[node] if hung else 1e9)
    spent = own + sum(durations) + sum(limits[n] for n in near) / 5
    per_run = round(min(sandbox.limits.timeout_s * 3, 5 * spent + 2.0 + limits[node]), 2)
    stages = [
        {"node_ids": [node], "require": [node]},
        {"node_ids": [node, *neighbours, *near], "require": [node]},
    ]
    report = FixReport("not-fixed")
    checker = _Checker(edits, node, near, neighbours, 3, deadline, cancel, report, repeats=1)
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    progress(f"Trying {len(edits)} one-edit changes at the suspect lines")
    check_all(sandbox, checker, overlay, per_run, stages, limits, limits[node], workers, progress)
    if cancel is not None and cancel.is_set():
        raise RunCancelled("the explanation was cancelled")
    if not checker.fixes:
        return None
    best = min(checker.fixes, key=lambda c: (len(c.still_failing), *_rank(c)))
    fixed_others = len(near) - len(best.still_failing)
    if near and not fixed_others:
        return None  # it fixes this test's case and none of the others': a patch of the case, not the bug
    return Probe(best, len(neighbours), report.checked, len(edits), len(near), fixed_others)
