"""Running check programs: sandboxed, parallel over cores, many checks per worker.

Each worker is one sandboxed interpreter (``Sandbox.run_programs``) that forks a
child per program, so a check costs a fork, not an interpreter start. Batches
of checks are spread over one such worker per core by a small thread pool.

Time limits are calibrated per problem against the reference solution's own
run: ``max(floor, factor x reference time)`` - a fixed short limit wrongly fails
slow-but-correct programs, a fixed long one makes every infinite loop expensive.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Optional

from ..sandbox import Sandbox

# A reference solution that needs longer than this is treated as broken (its problem gets the floor).
REFERENCE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Check:
    """One program to run; it passes when it runs to its end (its asserts hold)."""

    id: str
    program: str
    timeout_s: float


@dataclass(frozen=True)
class TimeLimits:
    """Per-check limit ``max(floor_s, factor * reference run time)``."""

    floor_s: float = 1.0
    factor: float = 10.0

    def limit(self, reference_s: Optional[float]) -> float:
        if reference_s is None:
            return self.floor_s
        return round(max(self.floor_s, self.factor * reference_s), 3)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextmanager
def scratch_sandbox(settings) -> Iterator[Sandbox]:
    """A sandbox over an empty folder (checks need no project), from the ``run.*`` settings."""
    folder = tempfile.mkdtemp(prefix="semcoder-eval-")
    try:
        yield settings.sandbox(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Group:
    """A problem's checks and the reference solution whose run time sets their limit."""

    id: str
    reference: str
    checks: list[Check]


@dataclass
class Outcome:
    results: dict[str, dict]  # check id -> result
    time_limits: dict[str, float]  # group id -> the limit its checks ran under
    broken: list[str]  # groups whose reference did not pass (their checks got the floor)


class Executor:
    """Runs checks on ``workers`` sandboxed workers; ``advance`` is called once per finished check."""

    def __init__(
        self,
        sandbox: Sandbox,
        workers: Optional[int] = None,
        output_cap: int = 2048,
        cancel: Optional[threading.Event] = None,
    ) -> None:
        self.sandbox = sandbox
        self.workers = workers or default_workers()
        self.output_cap = output_cap
        self.cancel = cancel
        self._reference_times: dict[str, Optional[float]] = {}  # reference program -> seconds (None: failed)

    def run(self, checks: list[Check], advance: Callable[[], None] = lambda: None) -> dict[str, dict]:
        """id -> result (``status`` is ``passed`` when the check passed; see tracer/evalcheck.py)."""
        return self._run_batches(self._batches([[(c.id, c.program, c.timeout_s)] for c in checks]), advance)

    def run_calibrated(
        self, groups: list[Group], limits: TimeLimits, advance: Callable[[], None] = lambda: None
    ) -> Outcome:
        """Each group's reference, then its checks under ``limits.limit(reference time)``, in the same
        worker (the reference is timed where its checks run). A reference this executor timed before
        is not run again (scoring several generation files of one data set). ``advance`` is called per
        check."""
        units = []
        for group in groups:
            if group.reference in self._reference_times:
                known = self._reference_times[group.reference]
                units.append([(c.id, c.program, limits.limit(known)) for c in group.checks])
                continue
            rule = {"group": group.id, "floor": limits.floor_s, "factor": limits.factor}
            bound = max(limits.floor_s, limits.factor * REFERENCE_TIMEOUT_S)  # budget only
            unit: list[tuple] = [
                (f"{group.id}#reference", group.reference, REFERENCE_TIMEOUT_S, {"reference": group.id})
            ]
            unit += [(c.id, c.program, bound, {"calibrate": rule}) for c in group.checks]
            units.append(unit)
        results = self._run_batches(self._batches(units), advance)
        outcome = Outcome(results, {}, [])
        for group in groups:
            reference = results.pop(f"{group.id}#reference", None)
            if reference is not None:
                passed = reference.get("status") == "passed"
                self._reference_times[group.reference] = reference.get("duration_s") if passed else None
            if self._reference_times.get(group.reference) is None:
                outcome.broken.append(group.id)
            timed = [results[c.id]["timeout_s"] for c in group.checks if "timeout_s" in results.get(c.id, {})]
            outcome.time_limits[group.id] = max(timed, default=limits.floor_s)
        return outcome

    def _batches(self, units: list[list[tuple]]) -> list[list[tuple]]:
        """Units (programs that must run in order in one worker) packed into one batch per worker:
        a worker's start (~0.15 s in bubblewrap) costs as much as forty checks. Past 500 programs
        a batch is cut, so that a batch of slow checks holds up the end less."""
        total = sum(len(u) for u in units)
        size = max(25, min(500, -(-total // self.workers)))
        batches: list[list[tuple]] = [[]]
        for unit in units:
            if batches[-1] and len(batches[-1]) + len(unit) > size:
                batches.append([])
            batches[-1].extend(unit)
        return [b for b in batches if b]

    def _run_batches(self, batches: list[list[tuple]], advance: Callable[[], None]) -> dict[str, dict]:
        results: dict[str, dict] = {}
        lock = threading.Lock()

        def on_result(result: dict) -> None:
            if not str(result.get("id", "")).endswith("#reference"):
                with lock:
                    advance()

        def run_batch(batch: list[tuple]) -> dict[str, dict]:
            return self.sandbox.run_programs(batch, self.output_cap, cancel=self.cancel, on_result=on_result)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for done in pool.map(run_batch, batches):
                results.update(done)
        return results
