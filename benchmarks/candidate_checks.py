"""Validated candidates per second: semcoder's warmed forking workers vs a fresh pytest per candidate.

Both check the same mutants of the example project (every test of the project per candidate, as
the final validation of a fix does) with the same parallelism, in one run:

- ours: `Sandbox.check_candidates`, one sandboxed worker per core that imports pytest and its
  plugins once, then forks a child per candidate (the candidate's text served by an import hook);
- fresh: the usual harness, per candidate a temporary copy of the project with the edit written
  in, and a new `python -m pytest` process.

    python benchmarks/candidate_checks.py [--candidates 48] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from semcoder_core.config import Settings
from semcoder_core.repair.mutate import mutants

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "inventory"


def edits(project: Path, count: int) -> list[tuple[str, str]]:
    """(file, new text) for the first ``count`` mutants of the lines of stats.percentile."""
    file = project / "inventory" / "stats.py"
    source = file.read_text()
    found: list[tuple[str, str]] = []
    for line in range(31, 41):
        for edit in mutants(source, line):
            found.append((str(file), edit.source))
            if len(found) == count:
                return found
    return found


def ours(project: Path, candidates: list[tuple[str, str]], workers: int) -> tuple[float, list[dict]]:
    sandbox = Settings().sandbox(project)
    per_worker = [candidates[i::workers] for i in range(workers)]
    started = time.perf_counter()

    def run(batch: list[tuple[str, str]]) -> list[dict]:
        items = [(str(i), {file: text}) for i, (file, text) in enumerate(batch)]
        return list(sandbox.check_candidates([], items, 10.0).values())

    with ThreadPoolExecutor(workers) as pool:
        results = [r for batch in pool.map(run, per_worker) for r in batch]
    return time.perf_counter() - started, results


def fresh(project: Path, candidates: list[tuple[str, str]], workers: int) -> tuple[float, list[int]]:
    started = time.perf_counter()

    def run(candidate: tuple[str, str]) -> int:
        file, text = candidate
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "p"
            shutil.copytree(project, copy, ignore=shutil.ignore_patterns("__pycache__"))
            (copy / Path(file).relative_to(project)).write_text(text)
            try:
                out = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                    cwd=copy,
                    capture_output=True,
                    timeout=10,
                )
                return out.returncode
            except subprocess.TimeoutExpired:
                return -1

    with ThreadPoolExecutor(workers) as pool:
        codes = list(pool.map(run, candidates))
    return time.perf_counter() - started, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=48)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "inventory"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
        candidates = edits(project, args.candidates)
        n = len(candidates)
        version = sys.version.split()[0]
        print(f"{n} candidates of examples/inventory (25 tests each), {args.workers} workers, Python {version}")
        t_ours, results = ours(project, candidates, args.workers)
        t_fresh, codes = fresh(project, candidates, args.workers)
        passed_ours = sum(1 for r in results if r["status"] == "done" and r["exit_code"] == 0)
        passed_fresh = sum(1 for c in codes if c == 0)
        print(f"  ours  (warmed forking workers): {t_ours:7.2f} s  {n / t_ours:6.2f} candidates/s")
        print(f"  fresh (a new pytest each)     : {t_fresh:7.2f} s  {n / t_fresh:6.2f} candidates/s")
        print(f"  speed-up: {t_fresh / t_ours:.1f}x")
        print(f"  candidates passing every test: ours {passed_ours}, fresh {passed_fresh} (the other two bugs remain)")


if __name__ == "__main__":
    main()
