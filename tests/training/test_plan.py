"""``plan``: the parameter count from the meta device, token statistics from real JSONL (a real tokenizer
folder and the ratio fallback), and the memory / FLOPs / hours arithmetic pinned against numbers worked
out by hand."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from semcoder_training.plan import (  # noqa: E402
    GB,
    Gpus,
    PlanError,
    memory_per_gpu,
    model_dimensions,
    parse_gpus,
    plan,
    render,
    token_statistics,
)
from semcoder_training.recipe import load_recipe  # noqa: E402

from semcoder_core.prompts.formats import nl_to_code  # noqa: E402

torch.set_num_threads(1)

# DeepSeek-Coder-6.7B by hand: embeddings + untied head 2 x 32256 x 4096; per layer q, k, v, o 4 x 4096^2,
# MLP 3 x 4096 x 11008, two RMSNorms 2 x 4096; 32 layers; the final norm 4096.
DEEPSEEK_LAYER = 4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096
DEEPSEEK = 2 * 32256 * 4096 + 32 * DEEPSEEK_LAYER + 4096
# tiny-cpu with a 256-token vocabulary: 2 x 256 x 128 + 2 x (4 x 128^2 + 3 x 128 x 384 + 2 x 128) + 128
TINY = 2 * 256 * 128 + 2 * (4 * 128**2 + 3 * 128 * 384 + 2 * 128) + 128


def _tiny(**overrides):
    return load_recipe("tiny-cpu").with_overrides(**{"model.config.vocab_size": 256, **overrides})


def _jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_semcoder_has_6_740_512_768_parameters_from_the_meta_device() -> None:
    assert DEEPSEEK == 6_740_512_768
    dims = model_dimensions(load_recipe("semcoder"))
    assert dims == {
        "parameters": 6_740_512_768,
        "parameters_per_layer": DEEPSEEK_LAYER,
        "layers": 32,
        "hidden": 4096,
        "vocab": 32256,
    }
    assert model_dimensions(_tiny())["parameters"] == TINY == 492_160


def test_a_null_vocabulary_is_named() -> None:
    with pytest.raises(PlanError, match=r"model\.config\.vocab_size is null"):
        plan("tiny-cpu")


def test_gpus_parsing() -> None:
    assert parse_gpus("8xH100") == Gpus(nodes=1, per_node=8, name="H100")
    assert parse_gpus("2x8xA100") == Gpus(nodes=2, per_node=8, name="A100")
    assert parse_gpus("2x8xA100").total == 16
    assert parse_gpus("4×l40s") == Gpus(nodes=1, per_node=4, name="L40S")
    assert parse_gpus("H200") == Gpus(nodes=1, per_node=1, name="H200")
    for bad in ("8xV100", "0xH100", "x8", "2x2x2xH100", "eightxH100"):
        with pytest.raises(PlanError, match="write GPUS x TYPE or NODES x GPUS x TYPE"):
            parse_gpus(bad)


def test_fsdp2_and_ddp_memory_for_semcoder_on_8_gpus_by_hand() -> None:
    recipe = load_recipe("semcoder")
    memory = memory_per_gpu(model_dimensions(recipe), recipe, parse_gpus("8xH100"))
    p, b, s, h, layers, vocab = 6_740_512_768, 16, 1216, 4096, 32, 32256
    # FSDP2 over 8 GPUs: (2 + 2 + 12) B per parameter / 8 = 13,481,025,536 B
    assert 16 * p // 8 == 13_481_025_536
    # two gathered decoder layers in bf16: 2 x 202,383,360 x 2 B
    assert 2 * DEEPSEEK_LAYER * 2 == 809_533_440
    # checkpointed layer inputs 32 x 16 x 1216 x 4096 x 2 B + one layer recomputed 16 x 1216 x 4096 x 34 B
    # + logits 16 x 1216 x 32256 x 6 B
    assert layers * b * s * h * 2 == 5_100_273_664
    assert b * s * h * 34 == 2_709_520_384
    assert b * s * vocab * 6 == 3_765_436_416
    activations = 5_100_273_664 + 2_709_520_384 + 3_765_436_416
    fsdp2 = memory["fsdp2"]
    assert fsdp2["weights"] * GB == pytest.approx(1_685_128_192)
    assert fsdp2["grads"] * GB == pytest.approx(1_685_128_192)
    assert fsdp2["optimizer"] * GB == pytest.approx(10_110_769_152)
    assert fsdp2["gathered"] * GB == pytest.approx(809_533_440)
    assert fsdp2["activations"] * GB == pytest.approx(activations)
    assert fsdp2["total"] * GB == pytest.approx(25_865_789_440)
    assert memory["zero3"] == fsdp2
    assert memory["ddp"]["total"] * GB == pytest.approx(16 * p + activations) == 119_423_434_752
    assert memory["zero3-offload"]["total"] * GB == pytest.approx(809_533_440 + activations)

    out = plan(recipe, gpus="8xH100")
    assert out["parameters"] == 6_740_512_768
    assert out["memory_per_gpu_gb"] == {"ddp": 119.4, "fsdp2": 25.87, "zero3": 25.87, "zero3-offload": 12.38}
    assert out["fits"] == {"ddp": False, "fsdp2": True, "zero3": True, "zero3-offload": True}
    assert out["cpu_memory_per_node_gb"] == {"zero3-offload": 107.8}
    assert (out["gpu"], out["gpus"], out["gpu_memory_gb"], out["peak_tflops_bf16"]) == ("H100", 8, 80.0, 989.0)
    assert out["gradient_accumulation_steps"] == 4
    text = render(out)
    assert "parameters      6,740,512,768 (6.74 B)" in text
    assert "    fsdp2            25.87 GB  fits  (weights 1.685, grads 1.685, optimizer 10.11, gathered 0.8095" in text
    assert "    ddp              119.4 GB  does NOT fit" in text


def test_without_data_the_published_rows_give_an_upper_bound() -> None:
    out = plan("semcoder", gpus="2x8xA100")
    # 95% of PyX's 23,000 NL, 35,228 forward and 35,228 backward rows; PyX-R's rows are not in this stage
    assert out["rows_per_task"] == {"nl": 21850, "fwd_mnl": 33467, "bwd_mnl": 33467, "pyx_r": 0}
    # 1216 tokens a row, 95% kept, rounded per task: 21,850 x 1216 + 2 x round(35,228 x 1216 x 0.95)
    assert out["tokens_per_task"] == {"nl": 26_569_600, "fwd_mnl": 40_695_386, "bwd_mnl": 40_695_386, "pyx_r": 0}
    assert out["tokens"] == 107_960_372
    assert out["steps_per_epoch"] == 174 and out["steps"] == 522  # ceil(88,784 / 512) x 3
    assert out["tokens_source"].startswith("no data file: PyX / PyX-R's published row counts x max_seq_length 1216")
    assert (out["gpus"], out["nodes"], out["gradient_accumulation_steps"]) == (16, 2, 2)


def test_tokens_steps_flops_and_hours_by_hand_with_the_ratio_fallback(tmp_path: Path) -> None:
    data = _jsonl(
        tmp_path / "pyx.jsonl",
        [
            {"id": "fwd_mnl_1_ipt0", "fwd_mnl": "a" * 40, "response": "b" * 20},  # 1 + 10 + 5 + 1 = 17
            {"id": "bwd_mnl_1_ipt0", "bwd_mnl": "c" * 80, "response": "d" * 40},  # 1 + 20 + 10 + 1 = 32
            {"id": "bwd_mnl_2_ipt0", "bwd_mnl": "f" * 4000, "response": "g" * 400},  # 1102, cut to 1024
            {"id": "fwd_mnl_3_ipt0", "fwd_mnl": "e" * 4096, "response": "x"},  # prompt fills 1024: dropped
            {"fault": "h" * 40, "response": "i" * 40},  # PyX-R: ratio 0 in this recipe
        ],
    )
    out = plan(_tiny(**{"data.eval_fraction": 0.0}), gpus="1xA100", data_files=[data], mfu=0.5, chars_per_token=4)
    assert out["tokens_source"] == "estimated: characters / 4 (an assumed chars-per-token ratio; no tokenizer)"
    assert out["rows_per_task"] == {"nl": 0, "fwd_mnl": 1, "bwd_mnl": 2, "pyx_r": 0}
    assert out["tokens_per_task"] == {"nl": 0, "fwd_mnl": 17, "bwd_mnl": 32 + 1024, "pyx_r": 0}
    assert out["rows_dropped"] == 1
    assert (out["tokens"], out["steps_per_epoch"], out["steps"], out["tokens_trained"]) == (1073, 1, 3, 3219)
    # 6 x 492,160 x 3,219 + 6 x 2 layers x 128 x (17^2 + 32^2 + 1024^2) x 3 epochs
    assert 6 * 492_160 * 3219 == 9_505_578_240
    assert 6 * 2 * 128 * (289 + 1024 + 1_048_576) * 3 == 4_837_888_512
    assert out["flops"] == 14_343_466_752
    # one A100: 312 TFLOPs x 0.5 MFU -> 14,343,466,752 / 1.56e14 s = 9.1945e-5 s = 2.554e-8 h
    assert out["hours_at_mfu"] == 2.554e-8

    # SemCoder's 5% eval split comes off every task; a run capped by max_steps trains that many steps' tokens
    capped = plan(_tiny(**{"training.max_steps": 2}), gpus="1xA100", data_files=[data], chars_per_token=4)
    assert capped["tokens_per_task"]["bwd_mnl"] == round(1056 * 0.95)
    assert (capped["steps"], capped["epochs"]) == (2, 2.0)


def test_tokens_counted_with_a_local_tokenizer_folder(tmp_path: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import PreTrainedTokenizerFast

    # One token per word or punctuation run: the expected counts follow from the texts alone.
    words = ["[UNK]", "def", "f", "x", "return", "(", ")", ":", "1", "+"]
    tok = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    folder = tmp_path / "tok"
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(str(folder))

    def count(text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]+", text))

    nl = "Write a function f that adds one to x."
    fwd = "[PYTHON]\ndef f(x):\n    return x + 1\nassert f(1) == ??\n[/PYTHON]\n[MONOLOGUE]\n"
    response = "```python\ndef f(x):\n    return x + 1\n```"
    data = _jsonl(
        tmp_path / "pyx.jsonl",
        [
            {"id": "nl_1", "nl": nl, "response": response},
            {"id": "fwd_mnl_1_ipt0", "fwd_mnl": fwd, "response": "[ANSWER]\nassert f(1) == 2\n[/ANSWER]"},
        ],
    )
    recipe = _tiny(**{"model.tokenizer": str(folder)})
    stats = token_statistics([data], recipe)
    assert stats["source"] == f"counted with the tokenizer {folder}"
    # nl rows are counted as SemCoder trained on them: inside the NL->code template
    assert stats["per_task"]["nl"]["tokens"] == 1 + count(nl_to_code(nl)) + count(response) + 1
    fwd_tokens = 1 + count(fwd) + count("[ANSWER]\nassert f(1) == 2\n[/ANSWER]") + 1
    assert fwd_tokens == 1 + 25 + 13 + 1
    assert stats["per_task"]["fwd_mnl"] == {"rows": 1, "tokens": fwd_tokens, "sum_sq": fwd_tokens**2, "dropped": 0}

    # A tokenizer named by a Hub id that is not on this machine: the ratio, said so
    remote = _tiny(**{"model.tokenizer": "no-such-org/no-such-tokenizer"})
    assert token_statistics([data], remote)["source"] == (
        "estimated: characters / 3.5 (an assumed chars-per-token ratio; "
        "the tokenizer no-such-org/no-such-tokenizer is not local)"
    )


def test_bad_data_is_reported_with_its_line(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "bad.jsonl", [{"id": "nl_1", "nl": "x", "response": "y"}, {"id": "z", "response": "y"}])
    with pytest.raises(PlanError, match=r"bad\.jsonl:2: not a PyX / PyX-R row"):
        plan(_tiny(), data_files=[data])
    with pytest.raises(PlanError, match=r"data file .*missing\.jsonl does not exist"):
        plan(_tiny(), data_files=[str(tmp_path / "missing.jsonl")])


def test_the_plan_command_prints_the_contract_keys():
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "semcoder_training.cli", "plan", "--recipe", "semcoder", "--gpus", "8xH100", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["parameters"] == 6_740_512_768
    assert set(result["memory_per_gpu_gb"]) == {"ddp", "fsdp2", "zero3", "zero3-offload"}
    for key in ("tokens", "steps", "flops", "hours_at_mfu"):
        assert result[key] > 0, key
    text = subprocess.run(
        [sys.executable, "-m", "semcoder_training.cli", "plan", "--recipe", "semcoder"],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    assert "6.74" in text and "zero3-offload" in text
