"""CRUXEval scoring throughput: semcoder's forking sandboxed workers vs one python process per check.

Scores the 800 recorded output-prediction generations (4 files x 200 problems, in
``../shared/data/recorded-generations``) both ways, with the same parallelism, in one run:

- ours: ``cruxeval.score`` as ``semcoder eval cruxeval --generations`` runs it - answers read,
  each problem's reference solution timed, then every check, in one sandboxed (bubblewrap where
  installed) worker per core that forks a child per program; once with one executor for the
  four files (a reference is timed once), once with a new executor per file (timed four times,
  as four separate ``semcoder eval`` runs would);
- reference: CRUXEval's approach, ``{code}\\nassert {output} == {answer}`` run by a fresh
  ``python -c`` per check with a 3 s timeout (no sandbox), on a thread pool of the same size.

All must agree on every verdict (and on the published pass@1 of each file). Rounds alternate
the order so that noise from other processes hits each alike; the best round of each is reported.

    python benchmarks/eval_scoring.py [--workers 2] [--rounds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from semcoder_core.config import Settings
from semcoder_core.evaluation import Executor, cruxeval, scratch_sandbox
from semcoder_core.evaluation.execution import default_workers

RECORDED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "recorded-generations"
FILES = [
    "cruxeval_output__semcoder_1030_monologue",
    "cruxeval_output__semcoder_1030_direct",
    "cruxeval_output__deepseek-coder-6.7b-base_monologue",
    "cruxeval_output__deepseek-coder-6.7b-instruct_monologue",
]
PUBLISHED = {FILES[0]: 58.5, FILES[1]: 45.0, FILES[2]: 34.0, FILES[3]: 40.5}


def load() -> tuple[list, dict[str, dict[str, list[str]]]]:
    problems = cruxeval.load_problems(RECORDED / "cruxeval_renamed.jsonl")
    runs = {name: cruxeval.load_generations(RECORDED / f"{name}.json") for name in FILES}
    return problems, runs


ISOLATION = {}


def ours(problems, runs, workers: int, per_file: bool = False) -> tuple[float, dict[str, list[bool]]]:
    """One executor for the four files (each problem's reference timed once), or with ``per_file``
    a new one per file, as four ``semcoder eval`` runs would (every reference timed four times)."""
    verdicts = {}
    started = time.perf_counter()
    with scratch_sandbox(Settings()) as sandbox:
        ISOLATION["mode"] = sandbox.isolation
        executor = Executor(sandbox, workers=workers)
        for name, generations in runs.items():
            if per_file:
                executor = Executor(sandbox, workers=workers)
            result = cruxeval.score(problems, generations, "output", executor)
            verdicts[name] = [result.per_sample[k][0] for k in sorted(result.per_sample)]
    return time.perf_counter() - started, verdicts


def _one_process(program: str | None) -> bool:
    if program is None:
        return False
    try:
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=3)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def reference(problems, runs, workers: int) -> tuple[float, dict[str, list[bool]]]:
    by_id = {p.id: p for p in problems}
    verdicts = {}
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for name, generations in runs.items():
            programs = []
            for ident in sorted(generations):
                answer = cruxeval.extract(generations[ident][0], "output")
                programs.append(None if answer is None else cruxeval.check_program(by_id[ident], "output", answer))
            verdicts[name] = list(pool.map(_one_process, programs))
    return time.perf_counter() - started, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    problems, runs = load()
    checks = sum(len(g) for g in runs.values())
    times: dict[str, list[float]] = {"ours": [], "ours_per_file": [], "reference": []}
    per_file = lambda p, r, w: ours(p, r, w, per_file=True)  # noqa: E731
    for round_ in range(args.rounds):
        order = [("ours", ours), ("ours_per_file", per_file), ("reference", reference)]
        for label, job in order if round_ % 2 == 0 else order[::-1]:
            seconds, verdicts = job(problems, runs, args.workers)
            times[label].append(seconds)
            for name in FILES:
                score = round(100 * sum(verdicts[name]) / len(verdicts[name]), 1)
                if score != PUBLISHED[name]:
                    print(f"{label}: {name} scored {score}, published {PUBLISHED[name]}", file=sys.stderr)
                    return 1
            if label == "reference":
                reference_verdicts = verdicts
            elif label == "ours":
                our_verdicts = verdicts
            else:
                per_file_verdicts = verdicts
        if not our_verdicts == per_file_verdicts == reference_verdicts:
            print("the two scorers disagree on some verdicts", file=sys.stderr)
            return 1
    best = {label: min(values) for label, values in times.items()}
    report = {
        "checks": checks,
        "workers": args.workers,
        "isolation": ISOLATION["mode"],
        "seconds": best,
        "checks_per_second": {label: checks / s for label, s in best.items()},
        "ratio": best["reference"] / best["ours"],
        "ratio_per_file": best["reference"] / best["ours_per_file"],
        "rounds": times,
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"{checks} CRUXEval output checks (4 recorded runs x 200), {args.workers} workers, best of {args.rounds}")
    rows = [
        ("ours", f"ours: forking workers ({report['isolation']}), calibrated limits"),
        ("ours_per_file", "ours, references re-timed for each file"),
        ("reference", "one python process per check, 3 s limit"),
    ]
    for label, what in rows:
        print(f"  {what:52s} {best[label]:6.2f} s  {checks / best[label]:7.1f} checks/s")
    verdict = "PASS" if report["ratio"] >= 5 else "MISS"
    ratios = f"{report['ratio']:.1f}x (target >= 5x: {verdict}), {report['ratio_per_file']:.1f}x re-timing per file"
    print(f"  ratio {ratios}")
    print("  all verdicts agree; every file scores its published pass@1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
