"""SFT on real TRL, transformers and accelerate, with a tiny Llama and a tokenizer built here: every
recipe's one-step run, resumption that continues the same loss curve, the launch files and commands."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="SFT needs the train extra: pip install 'semcoder[train]'")
pytest.importorskip("datatrove", reason="the tiny data comes from the pipeline: pip install 'semcoder[data]'")

import torch  # noqa: E402
from semcoder_training.pipeline import PipelineConfig, run  # noqa: E402
from semcoder_training.recipe import load_recipe  # noqa: E402
from semcoder_training.sft import train  # noqa: E402
from semcoder_training.tiny import train_tokenizer  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

os.environ["HF_HUB_OFFLINE"] = "1"
TINY = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
    "vocab_size": None,  # filled from the tokenizer
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A real PyX / PyX-R export (the pipeline on 80 stdlib seeds) and a tokenizer trained on it."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("sft")
    run(PipelineConfig(out=out / "pyx", limit=80, shards=2, workers=2), log=lambda _: None)
    export = out / "pyx" / "export"
    rows = [json.loads(line) for line in (export / "pyx.jsonl").read_text().splitlines()]
    train_tokenizer(rows, out / "tok", vocab=400)
    return {"files": [str(export / "pyx.jsonl"), str(export / "pyx_r.jsonl")], "tokenizer": str(out / "tok")}


def tiny_version(name: str, data: dict, **more):
    """The recipe as written, on the tiny model: its mixture, schedule and lengths kept."""
    return load_recipe(name).with_overrides(
        **{
            "model.name_or_path": None,
            "model.config": TINY,
            "model.tokenizer": None,
            "data.files": data["files"],
            "training.per_device_train_batch_size": 2,
            "training.gradient_accumulation_steps": 1,
            "training.gradient_checkpointing": False,
            "training.bf16": False,
            "hardware.gpus": 1,
            "hardware.global_batch_size": 2,
            **more,
        }
    )


@pytest.mark.parametrize("name", ["semcoder", "pyx-r-refine", "tiny-cpu"])
def test_every_recipe_runs_one_step_on_the_tiny_model(name, data, tmp_path):
    recipe = tiny_version(name, data, **{"training.max_steps": 1})
    report = train(recipe, tmp_path / "run", tokenizer=data["tokenizer"], cpu=True)
    assert report["steps"] == 1 and math.isfinite(report["final_loss"]) and report["final_loss"] > 0
    mixture = report["data"]["mixture"]
    used = {task for task, entry in mixture.items() if entry["rows"]}
    wanted = {task for task, ratio in load_recipe(name).data.mixture.items() if ratio > 0}
    assert used == wanted & {"nl", "fwd_mnl", "bwd_mnl", "pyx_r"}
    saved = json.loads((tmp_path / "run" / "train_report.json").read_text())
    assert saved["steps"] == 1 and (tmp_path / "run" / "final" / "config.json").exists()


class StopAt(TrainerCallback):
    """An interruption at a given step, after the checkpoint of that step was written."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_save(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_training_stop = True
        return control


def test_resuming_from_a_checkpoint_continues_the_same_loss_curve(data, tmp_path):
    more = {"training.max_steps": 8, "training.save_steps": 4, "training.logging_steps": 1}
    recipe = tiny_version("tiny-cpu", data, **more)
    whole = train(recipe, tmp_path / "whole", tokenizer=data["tokenizer"], cpu=True)
    first = train(recipe, tmp_path / "cut", tokenizer=data["tokenizer"], cpu=True, callbacks=[StopAt(4)])
    assert first["steps"] == 4 and (tmp_path / "cut" / "checkpoint-4").is_dir()
    rest = train(recipe, tmp_path / "cut", tokenizer=data["tokenizer"], cpu=True, resume=True)
    assert rest["resumed_from"].endswith("checkpoint-4") and rest["steps"] == 8
    curve = dict(whole["losses"])
    assert [s for s, _ in rest["losses"]] == [1, 2, 3, 4, 5, 6, 7, 8]  # the checkpoint carries the first four
    for step, loss in rest["losses"]:
        assert loss == pytest.approx(curve[step], rel=1e-5, abs=1e-6), step
    assert dict(first["losses"]) == {s: curve[s] for s in (1, 2, 3, 4)}


class Rates(TrainerCallback):
    """The learning rate of every logged step, as the trainer reports it."""

    def __init__(self) -> None:
        self.rates: list[tuple[int, float]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "learning_rate" in logs:
            self.rates.append((state.global_step, logs["learning_rate"]))
        return control


def test_a_time_limited_run_decays_its_learning_rate_at_the_end_of_the_time_budget(data, tmp_path):
    """``--minutes`` bounds the tiny loop: warm-up, the peak rate, and a decay at the end of those minutes, not
    over max_steps (100,000 here: a step-count cosine would end the run at the peak). The exact values are
    pinned on a set clock below; here the real trainer, with its real clock, follows them."""
    more = {"training.max_steps": 100_000, "training.warmup_steps": 3, "training.logging_steps": 1}
    recipe = tiny_version("tiny-cpu", data, **more)
    peak = recipe.training.learning_rate
    rates = Rates()
    report = train(recipe, tmp_path / "run", tokenizer=data["tokenizer"], cpu=True, time_limit_s=6, callbacks=[rates])
    steps = [s for s, _ in rates.rates]
    lrs = [lr for _, lr in rates.rates]
    assert report["steps"] == steps[-1] > 20 and report["train_seconds"] >= 6  # stopped by the clock
    assert lrs[:3] == pytest.approx([peak / 4, peak / 2, peak * 3 / 4])  # warm-up, counted in steps
    assert lrs[steps[-1] // 2] == peak  # stable at half time
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))  # never up again
    assert lrs[-1] < 0.5 * peak  # the last step came in the last tenth of the time, well into the decay
    assert (tmp_path / "run" / "final" / "config.json").exists()


class SetClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("shape", "at_90", "at_end"), [("cosine", 0.5, 0.0), ("linear", 0.5, 0.0), ("constant", 1.0, 1.0)]
)
def test_the_time_schedule_warms_up_holds_the_peak_and_decays_over_the_last_fifth(shape, at_90, at_end):
    from semcoder_training.sft import TimeLimit

    clock = SetClock()
    limit = TimeLimit(100.0, shape, warmup_steps=3, clock=clock)
    limit.on_train_begin(None, type("State", (), {"max_steps": 100_000})(), None)
    assert [limit.factor(step) for step in range(4)] == [0.25, 0.5, 0.75, 1.0]
    for now, expected in [(50.0, 1.0), (80.0, 1.0), (90.0, at_90), (100.0, at_end), (150.0, at_end)]:
        clock.now = now
        assert limit.factor(10) == pytest.approx(expected, abs=1e-12), now
    clock.now = 85.0  # a quarter into the decay
    quarter = {"cosine": 0.5 + 0.5 * math.cos(math.pi / 4), "linear": 0.75, "constant": 1.0}[shape]
    assert limit.factor(10) == pytest.approx(quarter)
    # max_steps ending the run first: the steps done are its progress
    limit.on_train_begin(None, type("State", (), {"max_steps": 10})(), None)
    assert limit.factor(9) == pytest.approx(at_90) and limit.spent(9) == pytest.approx(0.9)


def test_a_time_limit_refuses_what_it_cannot_schedule(data, tmp_path, monkeypatch):
    recipe = tiny_version("tiny-cpu", data, **{"training.lr_scheduler_type": "polynomial"})
    with pytest.raises(ValueError, match="lr_scheduler_type must be one of cosine, linear, constant"):
        train(recipe, tmp_path / "run", tokenizer=data["tokenizer"], cpu=True, time_limit_s=5)
    recipe = tiny_version("tiny-cpu", data)
    with pytest.raises(ValueError, match="a resumed run would start it again; bound this run by max_steps"):
        train(recipe, tmp_path / "run", tokenizer=data["tokenizer"], cpu=True, time_limit_s=5, resume=True)
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="each process would keep its own clock"):
        train(recipe, tmp_path / "run", tokenizer=data["tokenizer"], cpu=True, time_limit_s=5)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "semcoder_training.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("backend", ["ddp", "fsdp2", "zero3", "zero3-offload"])
def test_dry_run_writes_the_launch_files_of_each_backend(backend, tmp_path):
    import yaml

    done = cli("sft", "--recipe", "semcoder", "--backend", backend, "--out", str(tmp_path), "--dry-run")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["global_batch_size"] == 512 and summary["processes"] == 8  # 16 x 4 x 8 GPUs, the paper's
    config = yaml.safe_load(Path(summary["accelerate_config"]).read_text())
    assert config["num_processes"] == 8
    assert config.get("mixed_precision") == (None if backend.startswith("zero3") else "bf16")
    if backend == "fsdp2":
        assert config["distributed_type"] == "FSDP" and config["fsdp_config"]["fsdp_version"] == 2
        assert config["fsdp_config"]["fsdp_transformer_layer_cls_to_wrap"] == "LlamaDecoderLayer"
    elif backend.startswith("zero3"):
        ds = json.loads(Path(config["deepspeed_config"]["deepspeed_config_file"]).read_text())
        assert ds["zero_optimization"]["stage"] == 3
        assert ("offload_optimizer" in ds["zero_optimization"]) == (backend == "zero3-offload")
    else:
        assert config["distributed_type"] == "MULTI_GPU"
    assert "-m semcoder_training.sft --recipe semcoder" in summary["command"]


def test_multi_node_print_gives_each_node_its_rank(tmp_path):
    done = cli(
        "sft", "--recipe", "pyx-r-refine", "--backend", "zero3-offload", "--nodes", "2", "--node-rank", "1",
        "--main-addr", "10.0.0.1", "--out", str(tmp_path), "--print",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout[: done.stdout.index("#!/bin/bash")])
    assert "--machine_rank 1 --num_machines 2 --num_processes 8 --main_process_ip 10.0.0.1" in summary["command"]
    script = done.stdout[done.stdout.index("#!/bin/bash") :]
    assert "#SBATCH --nodes=2" in script and "--machine_rank $SLURM_NODEID" in script
    assert "--main_process_ip $MAIN_ADDR" in script


def test_a_bad_override_is_a_clear_error(tmp_path):
    done = cli("sft", "--recipe", "semcoder", "--out", str(tmp_path), "--set", "training.max_steps", "--dry-run")
    assert done.returncode == 2 and "write KEY=VALUE" in done.stderr
    done = cli("sft", "--recipe", "no-such-recipe", "--out", str(tmp_path), "--dry-run")
    assert done.returncode == 2 and "no-such-recipe" in done.stderr


@pytest.mark.parametrize("name", ["semcoder", "pyx-r-refine", "tiny-cpu"])
def test_every_recipe_passes_its_dry_run(name, tmp_path):
    done = cli("sft", "--recipe", name, "--out", str(tmp_path), "--dry-run")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    recipe = load_recipe(name)
    assert summary["recipe"] == name and summary["global_batch_size"] == recipe.hardware.global_batch_size
    assert Path(summary["accelerate_config"]).is_file()
