"""Two processes on the CPU (gloo): DeepSpeed ZeRO-3 through ``semcoder-train sft`` and accelerate, and
PyTorch FSDP2 on the same model and rows (accelerate's FSDP needs a GPU: on the CPU the Trainer runs DDP,
which ``train_report.json`` says, so FSDP2 itself is run here by torchrun)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="SFT needs the train extra: pip install 'semcoder[train]'")
pytest.importorskip("datatrove", reason="the rows come from the pipeline: pip install 'semcoder[data]'")

from semcoder_training.pipeline import PipelineConfig, run  # noqa: E402
from semcoder_training.tiny import train_tokenizer  # noqa: E402

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).parent / "scripts" / "fsdp2_smoke.py"
TINY = (
    "model.config={hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, "
    "num_key_value_heads: 2, max_position_embeddings: 1024, vocab_size: null}"
)
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run(PipelineConfig(out=out / "pyx", limit=60, shards=2, workers=2), log=lambda _: None)
    export = out / "pyx" / "export" / "pyx.jsonl"
    rows = [json.loads(line) for line in export.read_text().splitlines()]
    train_tokenizer(rows, out / "tok", vocab=400)
    return str(export), str(out / "tok")


def sft(out: Path, backend: str, data) -> subprocess.CompletedProcess:
    export, tok = data
    args = ["sft", "--recipe", "tiny-cpu", "--backend", backend, "--cpu", "--gpus-per-node", "2", "--out", str(out)]
    args += ["--data", export, "--tokenizer", tok, "--set", "training.max_steps=2", "--set", TINY]
    args += ["--set", "training.per_device_train_batch_size=2", "--set", "hardware.gpus=2"]
    args += ["--set", "hardware.global_batch_size=4"]
    return subprocess.run(
        [sys.executable, "-m", "semcoder_training.cli", *args], capture_output=True, text=True, timeout=600, env=ENV
    )


def test_zero3_on_two_cpu_processes(data, tmp_path):
    done = sft(tmp_path / "z3", "zero3", data)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads((tmp_path / "z3" / "train_report.json").read_text())
    assert report["distributed"] == {"type": "DEEPSPEED", "processes": 2, "zero_stage": 3, "offload": False}
    assert report["steps"] == 2 and report["final_loss"] > 0
    assert (tmp_path / "z3" / "final" / "model.safetensors").stat().st_size > 0  # the shards gathered to save


def test_fsdp2_on_two_cpu_processes(data, tmp_path):
    export, tok = data
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29613",
         str(SCRIPT), export, tok, str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    ranks = [json.loads((tmp_path / f"rank{k}.json").read_text()) for k in (0, 1)]
    assert sorted(r["rank"] for r in ranks) == [0, 1]
    for r in ranks:
        assert r["dtensors"] == 21 and r["local"] * 2 == r["full"]  # every parameter sharded in two
        assert r["losses"] == ranks[0]["losses"] and r["losses"][-1] < r["losses"][0]


def test_fsdp2_through_the_trainer_on_cpu_says_it_ran_ddp(data, tmp_path):
    """The fallback is reported, not hidden: a user reading the report knows FSDP did not run."""
    done = sft(tmp_path / "f2", "fsdp2", data)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads((tmp_path / "f2" / "train_report.json").read_text())
    assert report["distributed"]["type"] == "MULTI_CPU" and report["distributed"]["processes"] == 2
