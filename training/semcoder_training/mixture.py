"""Reading PyX / PyX-R rows, mixing the tasks by ratio with a seeded sampler, and SemCoder's 5% eval split.

SemCoder published no mixing ratios (all rows came from one shuffled file): ratio 1.0 for every task
reproduces that; other ratios are ours and the report says what each task contributed.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path
from typing import Optional

from semcoder_core.jsonl import read_jsonl
from semcoder_training.formatting import TASKS, task_of


def load_rows(paths: list[str]) -> dict[str, list[dict]]:
    """Rows of JSONL files (our pyx.jsonl / pyx_r.jsonl or the public schemas) grouped by task."""
    by_task: dict[str, list[dict]] = {task: [] for task in TASKS}
    for path in paths:
        for number, row in read_jsonl(path):
            try:
                by_task[task_of(row)].append(row)
            except ValueError as e:
                raise ValueError(f"{Path(path).name}:{number}: {e}") from None
    return by_task


def _counts(available: dict[str, int], ratios: dict[str, float], total: Optional[int]) -> dict[str, int]:
    wanted = {task: n * ratios.get(task, 1.0) for task, n in available.items()}
    if total is None:
        return {task: math.floor(x + 0.5) for task, x in wanted.items()}
    if not sum(wanted.values()):
        return {task: 0 for task in wanted}
    # Scale to exactly ``total`` rows, keeping the tasks' proportions (largest remainder).
    exact = {task: x * total / sum(wanted.values()) for task, x in wanted.items()}
    counts = {task: math.floor(x) for task, x in exact.items()}
    by_remainder = sorted(exact, key=lambda task: (counts[task] - exact[task], task))
    for task in by_remainder[: total - sum(counts.values())]:
        counts[task] += 1
    return counts


def mix(
    rows_by_task: dict[str, list[dict]], ratios: dict[str, float], seed: int, total: Optional[int] = None
) -> tuple[list[dict], dict]:
    """Rows of each task in proportion to ``ratios`` (a multiplier of the task's rows, 1.0 when absent), shuffled.

    A ratio of 2.0 repeats every row twice; 1.5 takes every row once and a seeded half of them again; 0
    drops the task. With ``total`` the counts are scaled to exactly ``total`` rows. The report maps each
    task to ``{"rows", "available", "ratio", "tokens"}`` (``tokens`` is filled by whoever tokenizes).
    """
    unknown = set(ratios) - set(TASKS)
    if unknown:
        raise ValueError(f"unknown task(s) in ratios: {sorted(unknown)}; tasks are {list(TASKS)}")
    if any(r < 0 for r in ratios.values()):
        raise ValueError("ratios must be >= 0")
    tasks = sorted(rows_by_task, key=lambda t: TASKS.index(t) if t in TASKS else len(TASKS))
    counts = _counts({t: len(rows_by_task[t]) for t in tasks}, ratios, total)
    mixed: list[dict] = []
    report: dict[str, dict] = {}
    for task in tasks:
        rows, count = rows_by_task[task], counts[task]
        # One generator per task, so a task's sample does not change when another task is added.
        rng = random.Random(f"{seed}/{task}")
        taken = rows * (count // len(rows)) + rng.sample(rows, count % len(rows)) if rows else []
        mixed.extend(taken)
        report[task] = {"rows": len(taken), "available": len(rows), "ratio": ratios.get(task, 1.0), "tokens": None}
    random.Random(seed).shuffle(mixed)
    return mixed, report


def _key(row: dict) -> str:
    # PyX rows have an id; PyX-R rows do not, their content identifies them.
    return row.get("id") or json.dumps(row, sort_keys=True, ensure_ascii=False)


def split_eval(rows: list[dict], fraction: float = 0.05, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """``(train, eval)``: the ``fraction`` of distinct rows with the smallest seeded hash go to eval.

    The side a row lands on depends on the row and the seed, not on the order; copies of a row (an
    upsampled mix) stay on one side, so eval never leaks into train.
    """
    keys = sorted({_key(row) for row in rows}, key=lambda k: hashlib.sha256(f"{seed}\0{k}".encode()).digest())
    held_out = set(keys[: round(fraction * len(keys))])
    train = [row for row in rows if _key(row) not in held_out]
    evaluation = [row for row in rows if _key(row) in held_out]
    return train, evaluation
