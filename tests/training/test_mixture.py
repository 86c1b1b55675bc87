"""Mixing tasks by ratio with a seeded sampler, SemCoder's 5% eval split, and reading exported JSONL."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from semcoder_training.export import program_rows
from semcoder_training.mixture import load_rows, mix, split_eval
from semcoder_training.rows import Program, Run

from semcoder_core.prompts.formats import debug_refine, failed_test


def rows(task: str, n: int) -> list[dict]:
    if task == "pyx_r":
        return [
            {"fault": debug_refine(f"p{i}", "def f():\n    pass", failed_test("f()", "1")), "response": "r"}
            for i in range(n)
        ]
    return [{"id": f"{task}_{i}", task: f"prompt {i}", "response": "r"} for i in range(n)]


def by_task(**sizes: int) -> dict[str, list[dict]]:
    return {task: rows(task, n) for task, n in sizes.items()}


def key(row: dict) -> str:
    return row.get("id") or row["fault"]


def test_ratio_one_everywhere_is_every_row_once_shuffled() -> None:
    data = by_task(nl=10, fwd_mnl=20, bwd_mnl=20, pyx_r=5)
    mixed, report = mix(data, {}, seed=0)
    everything = [row for task_rows in data.values() for row in task_rows]
    assert Counter(map(key, mixed)) == Counter(map(key, everything))
    assert list(map(key, mixed)) != list(map(key, everything))
    assert report == {
        "nl": {"rows": 10, "available": 10, "ratio": 1.0, "tokens": None},
        "fwd_mnl": {"rows": 20, "available": 20, "ratio": 1.0, "tokens": None},
        "bwd_mnl": {"rows": 20, "available": 20, "ratio": 1.0, "tokens": None},
        "pyx_r": {"rows": 5, "available": 5, "ratio": 1.0, "tokens": None},
    }


def test_ratios_upsample_subsample_and_drop_exactly() -> None:
    data = by_task(nl=10, fwd_mnl=20, bwd_mnl=20, pyx_r=5)
    mixed, report = mix(data, {"fwd_mnl": 2.0, "bwd_mnl": 0.5, "pyx_r": 0.0, "nl": 1.5}, seed=3)
    assert {task: r["rows"] for task, r in report.items()} == {"nl": 15, "fwd_mnl": 40, "bwd_mnl": 10, "pyx_r": 0}
    counts = Counter(map(key, mixed))
    assert len(mixed) == 65
    assert all(counts[f"fwd_mnl_{i}"] == 2 for i in range(20))  # every row twice, none thrice
    assert sorted(counts[f"nl_{i}"] for i in range(10)) == [1] * 5 + [2] * 5
    assert sum(counts[f"bwd_mnl_{i}"] for i in range(20)) == 10 and max(counts[f"bwd_mnl_{i}"] for i in range(20)) == 1
    assert not any(k.startswith("Debug") for k in counts)


def test_total_scales_the_mixture_to_exactly_that_many_rows() -> None:
    data = by_task(nl=10, fwd_mnl=20, bwd_mnl=20)
    mixed, report = mix(data, {"fwd_mnl": 2.0}, seed=0, total=100)
    assert len(mixed) == 100
    # wanted 10 : 40 : 20 → 100 rows: 14.29 / 57.14 / 28.57, largest remainders first
    assert {task: r["rows"] for task, r in report.items()} == {"nl": 14, "fwd_mnl": 57, "bwd_mnl": 29}


def test_same_seed_same_mix_other_seed_other_order() -> None:
    data = by_task(nl=30, fwd_mnl=30, pyx_r=10)
    ratios = {"fwd_mnl": 0.5, "nl": 1.7}
    first, _ = mix(data, ratios, seed=7)
    again, _ = mix(by_task(nl=30, fwd_mnl=30, pyx_r=10), ratios, seed=7)
    other, _ = mix(data, ratios, seed=8)
    assert list(map(key, first)) == list(map(key, again))
    assert list(map(key, first)) != list(map(key, other))
    assert len(first) == len(other) == 51 + 15 + 10


def test_a_tasks_sample_does_not_depend_on_the_other_tasks() -> None:
    alone, _ = mix(by_task(fwd_mnl=40), {"fwd_mnl": 0.5}, seed=1)
    together, _ = mix(by_task(nl=9, fwd_mnl=40), {"fwd_mnl": 0.5}, seed=1)
    assert {key(r) for r in alone} == {key(r) for r in together if "fwd_mnl" in r}


def test_unknown_task_or_negative_ratio_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        mix(by_task(nl=3), {"fwd": 2.0}, seed=0)
    with pytest.raises(ValueError, match=">= 0"):
        mix(by_task(nl=3), {"nl": -1.0}, seed=0)


def test_eval_split_is_five_percent_disjoint_and_independent_of_order() -> None:
    data = rows("fwd_mnl", 150) + rows("pyx_r", 50)
    train, evaluation = split_eval(data, fraction=0.05, seed=0)
    assert abs(len(evaluation) - 10) <= 1
    assert len(train) + len(evaluation) == 200
    assert {key(r) for r in train}.isdisjoint(key(r) for r in evaluation)
    shuffled = list(reversed(data[100:])) + data[:100]
    train2, evaluation2 = split_eval(shuffled, fraction=0.05, seed=0)
    assert {key(r) for r in evaluation2} == {key(r) for r in evaluation}
    assert [key(r) for r in train] == [key(r) for r in data if r in train]  # order kept
    _, other = split_eval(data, fraction=0.05, seed=1)
    assert {key(r) for r in other} != {key(r) for r in evaluation}


def test_copies_of_a_row_land_on_the_same_side() -> None:
    mixed, _ = mix(by_task(fwd_mnl=100), {"fwd_mnl": 2.0}, seed=0)
    train, evaluation = split_eval(mixed, fraction=0.05, seed=0)
    assert len(evaluation) == 10 and len(train) == 190
    assert {key(r) for r in train}.isdisjoint(key(r) for r in evaluation)


def test_load_rows_groups_exported_jsonl_by_task(tmp_path) -> None:
    program = Program(
        id="p1",
        code="def f(x):\n    return x + 1\n",
        origin="test",
        nl="Add one.",
        runs=[Run(args="1", output="2"), Run(args="2", output="3")],
        forward=["F1", "F2"],
        backward=["B1", None],
    )
    pyx = tmp_path / "pyx.jsonl"
    pyx.write_text("".join(json.dumps(r.model_dump()) + "\n" for r in program_rows(program)))
    pyx_r = tmp_path / "pyx_r.jsonl"
    pyx_r.write_text(json.dumps(rows("pyx_r", 1)[0]) + "\n\n")
    grouped = load_rows([str(pyx), str(pyx_r)])
    assert {task: [r.get("id") for r in rs] for task, rs in grouped.items()} == {
        "nl": ["nl_p1"],
        "fwd_mnl": ["fwd_mnl_p1_ipt0", "fwd_mnl_p1_ipt1"],
        "bwd_mnl": ["bwd_mnl_p1_ipt0"],
        "pyx_r": [None],
    }
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "nl": "a", "bwd_mnl": "b", "response": "r"}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: .*got nl, bwd_mnl"):
        load_rows([str(bad)])
