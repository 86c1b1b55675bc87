"""The PyX / PyX-R pipeline end to end on real stdlib seeds: the command contract, every row
re-checked by execution, resumption after a kill (same bytes), and the Hugging Face export."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("datatrove", reason="the data pipeline needs the data extra: pip install 'semcoder[data]'")

from semcoder_core.prompts.answers import extract_refined  # noqa: E402
from semcoder_core.prompts.formats import backward_monologue, forward_monologue  # noqa: E402
from semcoder_core.sandbox import Sandbox  # noqa: E402

LIMIT = 50
COMMAND = [sys.executable, "-m", "semcoder_training.cli", "data", "run", "--seeds", "stdlib", "--limit", str(LIMIT)]
ID = re.compile(r"^(?:(?:fwd|bwd)_mnl_\d+_ipt\d+|nl_\d+)$")
TAIL = re.compile(r"\n\[/MONOLOGUE\]\n\[ANSWER\]\n(assert f\(.*\) == .*)\n\[/ANSWER\]$", re.S)
LABEL = re.compile(r" # \[L\d+\]$", re.M)
STAGES = ("seeds", "synthesize", "filter", "inputs", "trace", "monologue", "pyx-r", "decontaminate")


def run_cli(out: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    return subprocess.run(
        [*COMMAND, "--out", str(out), "--workers", "2", *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="module")
def run50(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pyx") / "run"
    done = run_cli(out)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["out"] == str(out / "export")
    return out


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def fwd_code(prompt: str) -> str:
    body = prompt.split("[PYTHON]\n", 1)[1].rsplit("\nassert f(", 1)[0]
    return LABEL.sub("", body)


def bwd_code(prompt: str) -> str:
    return prompt.split("\nPYTHON]\n", 1)[1].rsplit("\nassert f(??)", 1)[0]


def blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)\n```", text, re.S)


def test_the_export_keeps_the_public_pyx_contract(run50):
    export = run50 / "export"
    pyx = rows(export / "pyx.jsonl")
    assert pyx, "no PyX row"
    kinds = {"fwd_mnl": 0, "bwd_mnl": 0, "nl": 0}
    for row in pyx:
        assert set(row) == {"id", "nl", "fwd_mnl", "bwd_mnl", "response"}
        filled = [k for k in ("nl", "fwd_mnl", "bwd_mnl") if row[k] is not None]
        assert len(filled) == 1, row["id"]
        kinds[filled[0]] += 1
        assert ID.match(row["id"]), row["id"]
        assert row["id"].startswith(filled[0] + "_")
        if filled[0] != "nl":
            tail = TAIL.search(row["response"])
            assert tail, row["response"][-200:]
            assert row["response"].startswith("### Understanding the Function\n")
    assert kinds["fwd_mnl"] == kinds["bwd_mnl"] >= 20
    order = [(r["id"].split("_")[-2] if "_ipt" in r["id"] else r["id"][3:]) for r in pyx]
    assert order == sorted(order)  # each program's rows together, so a block-wise schema sees every field
    # the prompt is semcoder_core's byte-exact format around the program and the call
    for row in pyx:
        if row["fwd_mnl"]:
            code = fwd_code(row["fwd_mnl"])
            call = TAIL.search(row["response"]).group(1)[len("assert ") :].split(" == ")[0]
            assert row["fwd_mnl"] == forward_monologue(code, call)
        elif row["bwd_mnl"]:
            code = bwd_code(row["bwd_mnl"])
            output = row["bwd_mnl"].rsplit("assert f(??) == ", 1)[1].split("\n[/PYTHON]")[0]
            assert row["bwd_mnl"] == backward_monologue(code, "f", output)
    stats = json.loads((export / "stats.json").read_text())
    assert stats["rows"]["fwd_mnl"] == kinds["fwd_mnl"] and stats["rows"]["pyx"] == len(pyx)
    assert tuple(stats["stages"]) == STAGES
    assert stats["stages"]["seeds"]["out"] == LIMIT
    for before, after in zip(STAGES[1:], STAGES[2:]):  # what one stage writes the next one reads
        assert stats["stages"][before]["out"] == stats["stages"][after]["in"], (before, after)
    rejected = stats["stages"]["filter"]["rejected"]
    assert sum(rejected.values()) == stats["stages"]["filter"]["in"] - stats["stages"]["filter"]["out"]
    assert {"io", "raises"} <= set(rejected), rejected
    card = (export / "README.md").read_text()
    assert "| filter |" in card and f"PyX rows: {len(pyx)}" in card


def test_every_monologue_row_is_true_when_executed(run50, tmp_path):
    programs = []
    for row in rows(run50 / "export" / "pyx.jsonl"):
        if row["nl"]:
            continue
        code = fwd_code(row["fwd_mnl"]) if row["fwd_mnl"] else bwd_code(row["bwd_mnl"])
        assertion = TAIL.search(row["response"]).group(1)
        programs.append((row["id"], f"{code}\n{assertion}\n", 5.0))
    results = Sandbox(tmp_path, python=sys.executable).run_programs(programs)
    failed = {k: r["exception"] for k, r in results.items() if r["status"] != "passed"}
    assert not failed and len(results) == len(programs)


def test_every_pyx_r_row_has_a_bug_that_fails_and_a_fix_that_passes(run50, tmp_path):
    refine = rows(run50 / "export" / "pyx_r.jsonl")
    assert refine, "no PyX-R row"
    programs = []
    for n, row in enumerate(refine):
        assert set(row) == {"fault", "response"}
        assert row["fault"].startswith("Debug and Refine the Code: You are given a a problem")
        buggy, test = blocks(row["fault"])
        fixed = extract_refined(row["response"])
        assert fixed and fixed != buggy
        assert test.startswith("retv = f(") and "\nassert retv == " in test
        programs += [(f"bug{n}", f"{buggy}\n{test}\n", 5.0), (f"fix{n}", f"{fixed}\n{test}\n", 5.0)]
    results = Sandbox(tmp_path, python=sys.executable).run_programs(programs)
    for n in range(len(refine)):
        assert results[f"bug{n}"]["status"] != "passed", refine[n]["fault"]
        assert results[f"fix{n}"]["status"] == "passed", results[f"fix{n}"]


def test_the_export_loads_with_datasets(run50):
    datasets = pytest.importorskip("datasets")
    export = run50 / "export"
    pyx = datasets.load_dataset("json", data_files=str(export / "pyx.jsonl"), split="train")
    assert pyx.column_names == ["id", "nl", "fwd_mnl", "bwd_mnl", "response"]
    assert pyx.num_rows == len(rows(export / "pyx.jsonl"))
    saved = datasets.load_from_disk(str(export / "hf" / "pyx_r"))
    assert saved.column_names == ["fault", "response"]
    assert (export / "pyx.parquet").stat().st_size > 0 and (export / "lengths.png").stat().st_size > 0


def test_killed_mid_run_and_resumed_gives_the_same_rows(run50, tmp_path):
    out = tmp_path / "resumed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [*COMMAND, "--out", str(out), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    completions = out / "logs" / "inputs" / "completions"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if completions.is_dir() and any(completions.iterdir()):
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-stage: some of its tasks done, others half-written
    proc.wait()
    assert not (out / "export" / "stats.json").exists(), "the run finished before it could be killed"
    assert len(list(completions.iterdir())) < 8
    done = run_cli(out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Skipping" in done.stderr  # datatrove skipped the tasks the first run had finished
    for name in ("pyx.jsonl", "pyx_r.jsonl"):
        assert (out / "export" / name).read_bytes() == (run50 / "export" / name).read_bytes(), name


PLANTED = '''
from typing import List, Optional


def count_pairs(values):
    pairs = []
    for v in values:
        pairs.append((values.count(v), v))
    pairs.sort(reverse=True)
    return pairs


def longest(strings: List[str]) -> Optional[str]:
    """ Out of list of strings, return the longest one. Return the first one in case of multiple
    strings of the same length. Return None in case the input list is empty.
    """
    if not strings:
        return None

    maxlen = max(len(x) for x in strings)
    for s in strings:
        if len(s) == maxlen:
            return s


def running_max(nums):
    best = None
    out = []
    for n in nums:
        if best is None or n > best:
            best = n
        out.append(best)
    return out


def initials(text):
    letters = []
    for word in text.split():
        if word[:1].isalpha():
            letters.append(word[0].upper())
    return "".join(letters)
'''


def test_planted_benchmark_problems_are_removed_and_reported(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "planted.py").write_text(PLANTED, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "semcoder_training.cli",
            "data",
            "run",
            "--seeds",
            str(seeds),
            "--limit",
            "10",
            "--out",
            str(out),
            "--workers",
            "2",
            "--shards",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    removed = json.loads((out / "export" / "decontamination.json").read_text())["removed"]
    assert {(r["origin"], r["benchmark"]) for r in removed} == {
        ("file:planted.count_pairs", "cruxeval"),  # CRUXEval sample_0, every name changed
        ("file:planted.longest", "humaneval"),  # HumanEval/12 as published
    }
    assert any("sample_0" in r["reason"] for r in removed) and any("HumanEval/12" in r["reason"] for r in removed)
    exported = (out / "export" / "pyx.jsonl").read_text()
    assert "pairs.sort(reverse=True)" not in exported and "maxlen" not in exported
    assert "best = n" in exported and "letters.append" in exported  # the clean ones stay
    stats = json.loads((out / "export" / "stats.json").read_text())
    assert stats["stages"]["decontaminate"]["rejected"] == {
        "contaminated/cruxeval/ast": 1,
        "contaminated/humaneval/ngram": 1,
    }
    assert "2 program(s) removed" in (out / "export" / "README.md").read_text()
