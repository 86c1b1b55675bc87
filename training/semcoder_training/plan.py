"""``semcoder-train plan``: what a recipe costs before renting GPUs.

Parameters come from the model's config instantiated on the meta device (no weights are allocated or
downloaded); tokens from the real data files (counted with the recipe's tokenizer when it is available
locally, else estimated from characters at a stated ratio); then steps, FLOPs, memory per GPU for each
backend and hours at a stated model-FLOPs utilisation (MFU). Every formula is stated in the output.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from semcoder_core.errors import SemcoderError
from semcoder_core.prompts.formats import nl_to_code

from .recipe import TASKS, Recipe, load_recipe

GB = 1e9  # decimal gigabytes, as GPU memory is sold


def _sig(x: float) -> float:
    """4 significant digits: a tiny model's megabytes and a 6.7B model's hundreds of GB both stay readable."""
    return float(f"{x:.4g}")


#: Peak dense (no sparsity) bf16 tensor TFLOPs and memory in GB, from NVIDIA's datasheets: H100 SXM5 and
#: H200 SXM ("989 TFLOPS" bf16 dense; the 1,979 headline is with 2:4 sparsity), A100 SXM (312), L40S (362.05),
#: RTX A6000 (309.7 with sparsity, so ~155 dense). The paper's "8 x 48 GB GPUs" are L40S- or A6000-class.
GPU_TYPES: dict[str, tuple[float, float]] = {
    "H100": (989.0, 80.0),
    "H200": (989.0, 141.0),
    "A100": (312.0, 80.0),
    "A100-40": (312.0, 40.0),
    "L40S": (362.0, 48.0),
    "A6000": (155.0, 48.0),
}
BACKENDS = ("ddp", "fsdp2", "zero3", "zero3-offload")

#: PyX's published size (semcoder-model.md: 93,456 rows, ~23k NL->code, ~70k monologue rows split evenly
#: between forward and backward, one of each per input) and PyX-R's (~18.5k), used when no data file is given.
PUBLISHED_ROWS = {"nl": 23_000, "fwd_mnl": 35_228, "bwd_mnl": 35_228, "pyx_r": 18_500}
CHARS_PER_TOKEN = 3.5  # assumed for a code BPE tokenizer on Python + English; not measured for any one tokenizer

FLOPS_FORMULA = (
    "6 x parameters x tokens_trained + 6 x layers x hidden x sum(row_tokens^2) x epochs "
    "(Kaplan et al. 2020: 2N + 2 n_layer n_ctx d_model per token forward, x3 for forward + backward; "
    "n_ctx = the row's own length; all parameters counted, embeddings included; padding and the extra "
    "forward of gradient checkpointing not counted, as MFU defines it)"
)
MEMORY_MODEL = (
    "bytes per parameter: bf16 weights 2, bf16 grads 2, Adam fp32 master + m + v 12 (FSDP2 holds fp32 "
    "weights 4 + fp32 grads 4 + m, v 8: the same 16); ddp replicates all of it; fsdp2 and zero3 shard it over "
    "all GPUs and gather 2 decoder layers' bf16 weights at a time (computing + prefetched); zero3-offload keeps "
    "weights, grads and optimizer in CPU memory (cpu_memory_per_node_gb) and only gathered layers on the GPU. "
    "Activations per GPU (batch b = per-device batch, s = max_seq_length, h hidden, L layers, V vocab): with "
    "gradient checkpointing L x b x s x h x 2 B of layer inputs + one layer recomputed b x s x h x 34 B, "
    "without it L x b x s x h x 34 B (Korthikanti et al. 2022, without the 5 a s^2 b attention-score term that "
    "flash/SDPA attention never stores); plus logits b x s x V x 6 B (bf16 logits and the fp32 copy the loss "
    "makes). Not included: CUDA context and allocator fragmentation (keep 10-20% free). GB = 1e9 bytes."
)


class PlanError(SemcoderError, ValueError):
    """A plan that cannot be made: an unknown GPU, a model without a vocabulary size, unreadable data."""


@dataclass(frozen=True)
class Gpus:
    """``nodes`` x ``per_node`` GPUs of type ``name``."""

    nodes: int
    per_node: int
    name: str

    @property
    def total(self) -> int:
        return self.nodes * self.per_node


def parse_gpus(text: str) -> Gpus:
    """``8xH100`` (one node of 8), ``2x8xA100`` (2 nodes x 8), ``H200`` (one); ``x`` or ``×``, any case."""
    parts = [p.strip() for p in re.split(r"[x×*]", text.strip(), flags=re.IGNORECASE)]
    # "x" also splits names like "...X..."; none of the known names contains one, so this is unambiguous.
    counts, name = parts[:-1], parts[-1].upper()
    if name not in GPU_TYPES or len(counts) > 2 or not all(c.isdigit() and int(c) > 0 for c in counts):
        raise PlanError(
            f"cannot read --gpus {text!r}: write GPUS x TYPE or NODES x GPUS x TYPE, e.g. 8xH100 or 2x8xA100; "
            f"types: {', '.join(GPU_TYPES)}"
        )
    numbers = [int(c) for c in counts]
    if len(numbers) == 2:
        return Gpus(nodes=numbers[0], per_node=numbers[1], name=name)
    return Gpus(nodes=1, per_node=numbers[0] if numbers else 1, name=name)


@functools.lru_cache(maxsize=8)
def _count(config_json: str, folder: Optional[str]) -> tuple[int, int]:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig

    config = (
        AutoConfig.from_pretrained(folder, local_files_only=True) if folder else LlamaConfig(**json.loads(config_json))
    )
    # The meta device gives every tensor a shape and no storage: 6.7B parameters cost nothing.
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    layer = model.model.layers[0]
    return sum(p.numel() for p in model.parameters()), sum(p.numel() for p in layer.parameters())


def model_dimensions(recipe: Recipe) -> dict[str, int]:
    """Parameters (total, per decoder layer) and the shape numbers the memory model needs."""
    spec = recipe.model
    folder = (
        spec.name_or_path if spec.config is None and spec.name_or_path and Path(spec.name_or_path).is_dir() else None
    )
    if spec.config is not None:
        config = dict(spec.config)
    elif folder:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    else:
        raise PlanError(
            f"recipe {recipe.name}: model.config is not set and {spec.name_or_path!r} is not a local folder"
        )
    if config.get("vocab_size") is None:
        raise PlanError(
            f"recipe {recipe.name}: model.config.vocab_size is null (filled from the tokenizer at run time); "
            'set it, e.g. recipe.with_overrides(**{"model.config.vocab_size": 4096})'
        )
    total, per_layer = _count(json.dumps(config, sort_keys=True), folder)
    return {
        "parameters": total,
        "parameters_per_layer": per_layer,
        "layers": int(config["num_hidden_layers"]),
        "hidden": int(config["hidden_size"]),
        "vocab": int(config["vocab_size"]),
    }


def row_task(row: dict) -> tuple[str, str, str]:
    """``(task, prompt, completion)`` of a PyX / PyX-R row, the prompt as SemCoder trained on it."""
    if row.get("fault"):
        return "pyx_r", row["fault"], row["response"]
    for task in ("nl", "fwd_mnl", "bwd_mnl"):
        if row.get(task):
            prompt = nl_to_code(row[task]) if task == "nl" else row[task]
            return task, prompt, row["response"]
    raise ValueError("no filled nl, fwd_mnl, bwd_mnl or fault field")


def _local_tokenizer(name: Optional[str]):
    if not name:
        return None
    from transformers import AutoTokenizer

    try:
        # A local folder, or a Hub id already in the cache: never downloads.
        return AutoTokenizer.from_pretrained(name, local_files_only=True)
    except (OSError, ValueError):
        return None


def token_statistics(files: list[str], recipe: Recipe, chars_per_token: float = CHARS_PER_TOKEN) -> dict[str, Any]:
    """Rows, tokens and sum of squared row lengths per task in ``files``, as the formatter will see them:
    BOS + prompt + completion + EOS, cut at ``max_seq_length``; rows whose prompt fills the whole sequence
    (nothing left to learn) are dropped and counted."""
    max_len = recipe.training.max_seq_length
    tokenizer = _local_tokenizer(recipe.model.tokenizer)
    if tokenizer is not None:
        source = f"counted with the tokenizer {recipe.model.tokenizer}"
    else:
        why = "no tokenizer" if not recipe.model.tokenizer else f"the tokenizer {recipe.model.tokenizer} is not local"
        source = f"estimated: characters / {chars_per_token} (an assumed chars-per-token ratio; {why})"
    stats = {t: {"rows": 0, "tokens": 0, "sum_sq": 0, "dropped": 0} for t in TASKS}

    def add(batch: list[tuple[str, str, str]]) -> None:
        if tokenizer is not None:
            prompts = tokenizer([p for _, p, _ in batch], add_special_tokens=False)["input_ids"]
            completions = tokenizer([c for _, _, c in batch], add_special_tokens=False)["input_ids"]
            lengths = [(len(p), len(c)) for p, c in zip(prompts, completions)]
        else:
            lengths = [(math.ceil(len(p) / chars_per_token), math.ceil(len(c) / chars_per_token)) for _, p, c in batch]
        for (task, _, _), (n_prompt, n_completion) in zip(batch, lengths):
            s = stats[task]
            if 1 + n_prompt >= max_len:
                s["dropped"] += 1
                continue
            n = min(1 + n_prompt + n_completion + 1, max_len)
            s["rows"] += 1
            s["tokens"] += n
            s["sum_sq"] += n * n

    for file in files:
        path = Path(file)
        if not path.is_file():
            raise PlanError(f"data file {file} does not exist")
        batch: list[tuple[str, str, str]] = []
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    batch.append(row_task(json.loads(line)))
                except (ValueError, KeyError, TypeError) as e:
                    raise PlanError(f"{file}:{number}: not a PyX / PyX-R row ({e})") from None
                if len(batch) == 1000:
                    add(batch)
                    batch = []
        add(batch)
    return {"per_task": stats, "source": source}


def _published(recipe: Recipe) -> dict[str, Any]:
    n = recipe.training.max_seq_length
    stats = {t: {"rows": r, "tokens": r * n, "sum_sq": r * n * n, "dropped": 0} for t, r in PUBLISHED_ROWS.items()}
    return {
        "per_task": stats,
        "source": f"no data file: PyX / PyX-R's published row counts x max_seq_length {n} (an upper bound)",
    }


def memory_per_gpu(dims: dict[str, int], recipe: Recipe, gpus: Gpus) -> dict[str, dict[str, float]]:
    """Bytes per GPU by component for each backend (see ``MEMORY_MODEL``), in GB."""
    p, n = dims["parameters"], gpus.total
    t = recipe.training
    b, s, h, layers, v = t.per_device_train_batch_size, t.max_seq_length, dims["hidden"], dims["layers"], dims["vocab"]
    if t.gradient_checkpointing:
        activations = layers * b * s * h * 2 + b * s * h * 34
    else:
        activations = layers * b * s * h * 34
    activations += b * s * v * 6
    gathered = 2 * dims["parameters_per_layer"] * 2
    out: dict[str, dict[str, float]] = {}
    for backend in BACKENDS:
        if backend == "ddp":
            parts = {"weights": 2 * p, "grads": 2 * p, "optimizer": 12 * p, "gathered": 0}
        elif backend == "zero3-offload":
            parts = {"weights": 0, "grads": 0, "optimizer": 0, "gathered": gathered}
        else:
            parts = {"weights": 2 * p / n, "grads": 2 * p / n, "optimizer": 12 * p / n, "gathered": gathered}
        parts["activations"] = activations
        parts["total"] = sum(parts.values())
        out[backend] = {k: val / GB for k, val in parts.items()}
    return out


def plan(
    recipe: Union[Recipe, str],
    gpus: str = "8xH100",
    data_files: Optional[list] = None,
    mfu: float = 0.4,
    chars_per_token: float = CHARS_PER_TOKEN,
) -> dict[str, Any]:
    """The plan of ``recipe`` on ``gpus``: parameters, tokens, steps, FLOPs, memory per GPU per backend and
    hours at ``mfu``. ``data_files`` default to the recipe's files that exist; none: published row counts."""
    if isinstance(recipe, str):
        recipe = load_recipe(recipe)
    if not 0 < mfu <= 1:
        raise PlanError(f"mfu must be in (0, 1], not {mfu}")
    hw = parse_gpus(gpus)
    dims = model_dimensions(recipe)
    t = recipe.training

    missing: list[str] = []
    if data_files is None:
        data_files = [f for f in recipe.data.files if Path(f).is_file()]
        missing = [f for f in recipe.data.files if not Path(f).is_file()]
    stats = token_statistics(list(data_files), recipe, chars_per_token) if data_files else _published(recipe)
    source = stats["source"] + (f"; not found: {', '.join(missing)}" if missing else "")

    # Each task's rows are used `ratio` times an epoch, and SemCoder's eval split comes off the top.
    keep = 1.0 - recipe.data.eval_fraction
    mix = recipe.data.mixture
    per_task = stats["per_task"]
    rows_task = {k: round(per_task[k]["rows"] * mix[k] * keep) for k in TASKS}
    tokens_task = {k: round(per_task[k]["tokens"] * mix[k] * keep) for k in TASKS}
    sum_sq = sum(per_task[k]["sum_sq"] * mix[k] * keep for k in TASKS)
    rows, tokens = sum(rows_task.values()), sum(tokens_task.values())

    global_batch = recipe.hardware.global_batch_size
    steps_per_epoch = math.ceil(rows / global_batch)
    if t.max_steps is not None:
        steps = t.max_steps
        epochs_run = steps / steps_per_epoch if steps_per_epoch else 0.0
    else:
        steps = math.ceil(t.epochs * steps_per_epoch)
        epochs_run = float(t.epochs)
    tokens_trained = round(tokens * epochs_run)
    flops = 6 * dims["parameters"] * tokens_trained + 6 * dims["layers"] * dims["hidden"] * sum_sq * epochs_run

    peak_tflops, gpu_memory = GPU_TYPES[hw.name]
    memory = memory_per_gpu(dims, recipe, hw)
    accumulation, rest = divmod(global_batch, t.per_device_train_batch_size * hw.total)
    seconds = flops / (hw.total * peak_tflops * 1e12 * mfu)
    return {
        "recipe": recipe.name,
        "gpu": hw.name,
        "gpus": hw.total,
        "nodes": hw.nodes,
        "gpus_per_node": hw.per_node,
        "mfu": mfu,
        "parameters": dims["parameters"],
        "parameters_per_layer": dims["parameters_per_layer"],
        "rows": rows,
        "rows_per_task": rows_task,
        "rows_dropped": sum(per_task[k]["dropped"] for k in TASKS),
        "tokens": tokens,
        "tokens_per_task": tokens_task,
        "tokens_source": source,
        "data_files": [str(f) for f in data_files],
        "max_seq_length": t.max_seq_length,
        "epochs": epochs_run,
        "global_batch_size": global_batch,
        "per_device_train_batch_size": t.per_device_train_batch_size,
        # None: the global batch does not split evenly over these GPUs at this per-device batch
        "gradient_accumulation_steps": accumulation if accumulation and not rest else None,
        "steps_per_epoch": steps_per_epoch,
        "steps": steps,
        "tokens_trained": tokens_trained,
        "flops": round(flops),
        "flops_formula": FLOPS_FORMULA,
        "memory_per_gpu_gb": {k: _sig(v["total"]) for k, v in memory.items()},
        "memory_breakdown_gb": {k: {c: _sig(x) for c, x in v.items()} for k, v in memory.items()},
        "cpu_memory_per_node_gb": {"zero3-offload": _sig(16 * dims["parameters"] / hw.nodes / GB)},
        "gpu_memory_gb": gpu_memory,
        "fits": {k: v["total"] <= gpu_memory for k, v in memory.items()},
        "memory_model": MEMORY_MODEL,
        "peak_tflops_bf16": peak_tflops,
        "hours_at_mfu": _sig(seconds / 3600),
    }


def render(p: dict[str, Any]) -> str:
    """The plan as text for a person."""
    accumulation = p["gradient_accumulation_steps"]
    lines = [
        f"Recipe {p['recipe']} on {p['nodes']} x {p['gpus_per_node']} {p['gpu']} ({p['gpus']} GPUs)",
        f"  parameters      {p['parameters']:,} ({p['parameters'] / 1e9:.2f} B)",
        f"  rows / epoch    {p['rows']:,} ("
        + ", ".join(f"{k} {v:,}" for k, v in p["rows_per_task"].items() if v)
        + f"; {p['rows_dropped']:,} dropped: prompt of {p['max_seq_length']} tokens or more)",
        f"  tokens / epoch  {p['tokens']:,} - {p['tokens_source']}",
        f"  steps           {p['steps']:,} ({p['steps_per_epoch']:,} per epoch x {p['epochs']:g} epochs, "
        f"global batch {p['global_batch_size']}"
        + (
            f" = {p['per_device_train_batch_size']} per GPU x accumulation {accumulation} x {p['gpus']} GPUs)"
            if accumulation
            else f": not a multiple of {p['per_device_train_batch_size']} per GPU x {p['gpus']} GPUs)"
        ),
        f"  FLOPs           {p['flops']:.3g}",
        f"  time            {p['hours_at_mfu']:,} hours at {p['mfu']:.0%} MFU "
        f"({p['peak_tflops_bf16']:g} TFLOPs peak bf16 per GPU)",
        f"  memory per GPU  ({p['gpu_memory_gb']:g} GB each)",
    ]
    for backend, total in p["memory_per_gpu_gb"].items():
        parts = p["memory_breakdown_gb"][backend]
        detail = ", ".join(f"{k} {v:g}" for k, v in parts.items() if k != "total" and v)
        fits = "fits" if p["fits"][backend] else "does NOT fit"
        lines.append(f"    {backend:<14}{total:>8.4g} GB  {fits}  ({detail})")
    lines.append(f"    zero3-offload needs {p['cpu_memory_per_node_gb']['zero3-offload']:g} GB of CPU memory per node")
    lines.append(f"  FLOPs: {p['flops_formula']}")
    lines.append(f"  Memory: {p['memory_model']}")
    return "\n".join(lines)
