"""Supervised fine-tuning as SemCoder did it, on TRL's ``SFTTrainer``: one readable script.

The rows (PyX / PyX-R exports) are mixed by the recipe's ratios, 5% held out, formatted and tokenized
exactly as SemCoder's reference code did (``formatting.py``: BOS + prompt with labels -100, completion
+ EOS, cut at the tail), and handed to TRL already tokenized, so its own templating cannot change a
byte. Everything distributed (DDP, FSDP2, DeepSpeed ZeRO-3, several nodes) is accelerate's: this file is
what every process runs (``python -m semcoder_training.sft``), ``launch.py`` writes the accelerate /
DeepSpeed configuration and the command.

    python -m semcoder_training.sft --recipe tiny-cpu --data pyx/export/pyx.jsonl --tokenizer tok --out run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Optional

from transformers import TrainerCallback

from .formatting import build
from .launch import parse_set
from .mixture import load_rows, mix, split_eval
from .recipe import Recipe, load_recipe


def load_tokenizer(recipe: Recipe, tokenizer: Optional[str] = None):
    from transformers import AutoTokenizer

    source = tokenizer or recipe.model.tokenizer or recipe.model.name_or_path
    if source is None:
        raise ValueError(f"recipe {recipe.name} trains its model from scratch: give --tokenizer DIR")
    return AutoTokenizer.from_pretrained(source)


def build_model(recipe: Recipe, tokenizer):
    """The recipe's model: its checkpoint, or a new one from its config (the vocabulary from the tokenizer)."""
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    if recipe.model.name_or_path:
        return AutoModelForCausalLM.from_pretrained(recipe.model.name_or_path, torch_dtype="auto")
    config = dict(recipe.model.config or {})
    config["vocab_size"] = len(tokenizer)
    config.update(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    config["pad_token_id"] = tokenizer.pad_token_id
    return LlamaForCausalLM(LlamaConfig(**config))


def datasets_for(recipe: Recipe, tokenizer, files: Optional[list[str]] = None):
    """(train, eval, report): the recipe's mixture of the rows, SemCoder's hold-out, tokenized."""
    rows_by_task = load_rows(files or recipe.data.files)
    rows, mixture = mix(rows_by_task, recipe.data.mixture, seed=recipe.training.seed)
    if not rows:
        raise ValueError(f"no rows for the mixture {recipe.data.mixture} in {files or recipe.data.files}")
    train_rows, eval_rows = split_eval(rows, recipe.data.eval_fraction, seed=recipe.training.seed)
    train, train_stats = build(train_rows, tokenizer, recipe.training.max_seq_length)
    held, eval_stats = build(eval_rows, tokenizer, recipe.training.max_seq_length) if eval_rows else (None, None)
    report = {
        "mixture": mixture,
        "train": train_stats.to_dict(),
        "eval": eval_stats.to_dict() if eval_stats else None,
    }
    return train, held, report


def sft_config(recipe: Recipe, out: Path, has_eval: bool, cpu: bool):
    from trl import SFTConfig

    t = recipe.training
    return SFTConfig(
        output_dir=str(out),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps if t.max_steps else -1,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler_type,
        warmup_steps=t.warmup_steps,
        weight_decay=t.weight_decay,
        per_device_train_batch_size=t.per_device_train_batch_size,
        per_device_eval_batch_size=t.per_device_train_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        bf16=t.bf16 and not cpu,
        gradient_checkpointing=t.gradient_checkpointing,
        max_length=t.max_seq_length,
        logging_steps=t.logging_steps,
        save_steps=t.save_steps,
        save_strategy="steps",
        eval_strategy="steps" if has_eval else "no",
        eval_steps=t.save_steps if has_eval else None,
        seed=t.seed,
        data_seed=t.seed,
        report_to=[],
        use_cpu=cpu,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        disable_tqdm=True,
    )


def train(
    recipe: Recipe,
    out: Path,
    tokenizer: Optional[str] = None,
    files: Optional[list[str]] = None,
    resume: bool = False,
    cpu: Optional[bool] = None,
    time_limit_s: Optional[float] = None,
    callbacks: Optional[list] = None,
) -> dict:
    """Fine-tune as the recipe says; returns (and writes to ``out/train_report.json``) the numbers."""
    if time_limit_s and (resume or int(os.environ.get("WORLD_SIZE", "1")) > 1):
        raise ValueError(
            "a time limit is for one process's one run (the tiny loop): each process would keep its own clock, "
            "and a resumed run would start it again; bound this run by max_steps"
        )
    import torch
    from trl import SFTTrainer

    cpu = (not torch.cuda.is_available()) if cpu is None else cpu
    out.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(recipe, tokenizer)
    train_set, eval_set, data_report = datasets_for(recipe, tok, files)
    torch.manual_seed(recipe.training.seed)
    model = build_model(recipe, tok)
    attn = "flash_attention_2" if _flash_attention() and not cpu else None
    if attn:
        model.config._attn_implementation = attn
    args = sft_config(recipe, out, eval_set is not None, cpu)
    t = recipe.training
    clock = TimeLimit(time_limit_s, t.lr_scheduler_type, t.warmup_steps) if time_limit_s else None
    trainer_cls = clock.trainer_class(SFTTrainer) if clock else SFTTrainer
    trainer = trainer_cls(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set, processing_class=tok)
    if clock:
        trainer.add_callback(clock)
    for callback in callbacks or ():
        trainer.add_callback(callback)
    last = _last_checkpoint(out) if resume else None
    start = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - start
    losses = [(h["step"], h["loss"]) for h in trainer.state.log_history if "loss" in h]
    report = {
        "recipe": recipe.name,
        "resumed_from": last,
        "train_seconds": round(seconds, 2),
        "steps": trainer.state.global_step,
        "final_loss": losses[-1][1] if losses else output.training_loss,  # the mean when no step was logged
        "losses": losses,
        "eval_loss": next((h["eval_loss"] for h in reversed(trainer.state.log_history) if "eval_loss" in h), None),
        "data": data_report,
        "attention": attn or "sdpa/eager",
        "distributed": _distributed(trainer),
    }
    trainer.save_model(str(out / "final"))  # every rank: ZeRO-3 and FSDP gather the shards to save them
    if trainer.is_world_process_zero():
        tok.save_pretrained(str(out / "final"))
        (out / "train_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


class TimeLimit(TrainerCallback):
    """Stop (and save) once the wall-clock budget is spent: the tiny loop trains for minutes, not steps.

    The learning rate's schedule runs over that budget too, warm-up, stable, decay (WSD: Hägele et al.
    2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations"): the peak rate
    until the last ``DECAY_FRACTION`` of the run, then down to zero as a cosine or a line (the recipe's
    shape; ``constant`` shapes stay at the peak). The run's progress is the larger of the time spent and
    the steps done (when ``max_steps`` ends it first). A step-count schedule cannot do this: nobody knows
    how many steps the minutes will hold (a busy machine makes fewer), and a cosine over a guessed 100,000
    steps never decays. Measured on the tiny loop's own data (2 minutes, one thread, ~150 steps; loss over
    every training row): peak 2e-3 constant 0.318, cosine over the whole time 0.610 (a decay that long
    starves a run this short), 4e-3 constant 0.241, 4e-3 with the last 20% decayed 0.210. Warm-up stays
    counted in steps, and every shape has it (it reaches the peak at step ``warmup_steps`` as HF's does,
    without a first step at rate 0). One process, one run: the clock is this process's, and a resumed
    run would start it again (``train`` refuses both)."""

    SHAPES = ("cosine", "linear", "constant", "constant_with_warmup")
    DECAY_FRACTION = 0.2

    def __init__(self, seconds: float, shape: str = "constant", warmup_steps: int = 0, clock=time.perf_counter):
        if shape not in self.SHAPES:
            raise ValueError(f"a time-limited run schedules its learning rate over time: lr_scheduler_type "
                             f"must be one of {', '.join(self.SHAPES)}, not {shape!r}")  # fmt: skip
        self.seconds, self.shape, self.warmup_steps, self.clock = seconds, shape, warmup_steps, clock
        self.start = clock()
        self.max_steps = 0  # known at the start of training

    def on_train_begin(self, args, state, control, **kwargs):
        self.start, self.max_steps = self.clock(), state.max_steps
        return control

    def on_step_end(self, args, state, control, **kwargs):
        if self.spent() >= 1.0:
            control.should_training_stop = True
            control.should_save = True
        return control

    def spent(self, step: int = 0) -> float:
        """The fraction of the run done, 0 to 1: of the time budget, or of ``max_steps`` if that is more."""
        steps = step / self.max_steps if self.max_steps > 0 else 0.0
        return min(1.0, max((self.clock() - self.start) / self.seconds, steps))

    def factor(self, step: int) -> float:
        """The learning rate's multiplier at ``step`` (``LambdaLR`` calls it once per optimizer step)."""
        if step < self.warmup_steps:
            return (step + 1) / (self.warmup_steps + 1)
        decayed = (self.spent(step) - (1.0 - self.DECAY_FRACTION)) / self.DECAY_FRACTION
        if decayed <= 0.0 or self.shape.startswith("constant"):
            return 1.0
        if self.shape == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * decayed))
        return 1.0 - decayed

    def trainer_class(self, base):
        """``base`` (TRL's SFTTrainer) with this clock's schedule instead of a step-count one."""
        clock = self

        class TimeScheduledTrainer(base):
            def create_scheduler(self, num_training_steps, optimizer=None):
                if self.lr_scheduler is None:
                    from torch.optim.lr_scheduler import LambdaLR

                    self.lr_scheduler = LambdaLR(optimizer or self.optimizer, clock.factor)
                    self._created_lr_scheduler = True
                return self.lr_scheduler

        return TimeScheduledTrainer


def _distributed(trainer) -> dict:
    """What accelerate really set up (a configuration it cannot honour falls back silently: say so)."""
    state = trainer.accelerator.state
    out = {"type": str(state.distributed_type).split(".")[-1], "processes": state.num_processes}
    if state.deepspeed_plugin is not None:
        out["zero_stage"] = state.deepspeed_plugin.zero_stage
        zero = state.deepspeed_plugin.deepspeed_config.get("zero_optimization", {})
        out["offload"] = "offload_optimizer" in zero
    if getattr(state, "fsdp_plugin", None) is not None:
        out["fsdp_version"] = state.fsdp_plugin.fsdp_version
        model = trainer.model_wrapped if trainer.model_wrapped is not None else trainer.model
        out["sharded_parameters"] = sum(type(p).__name__ == "DTensor" for p in model.parameters())
    return out


def _flash_attention() -> bool:
    try:
        import flash_attn  # noqa: F401
    except ImportError:
        return False
    return True


def _last_checkpoint(out: Path) -> Optional[str]:
    checkpoints = sorted(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return str(checkpoints[-1]) if checkpoints else None


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m semcoder_training.sft", description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", required=True, help="recipe name (semcoder, pyx-r-refine, tiny-cpu) or YAML")
    parser.add_argument("--out", required=True, help="checkpoints, the final model and train_report.json")
    parser.add_argument("--data", action="append", help="PyX / PyX-R JSONL (default: the recipe's)")
    parser.add_argument("--tokenizer", help="tokenizer folder (default: the recipe's)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override, e.g. training.max_steps=1"
    )
    parser.add_argument("--resume", action="store_true", help="go on from the last checkpoint in --out")
    parser.add_argument("--cpu", action="store_true", help="train on the CPU even where a GPU is present")
    args = parser.parse_args(argv)
    recipe = load_recipe(args.recipe)
    if args.set:
        recipe = recipe.with_overrides(**dict(parse_set(item) for item in args.set))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    train(recipe, Path(args.out), args.tokenizer, args.data, args.resume, cpu=True if args.cpu else None)
    _leave_process_group()
    return 0


def _leave_process_group() -> None:
    """Every rank done before any tears the process group down: gloo aborts a rank whose peer left first
    ("terminate called without an active exception", exit status -6 after a finished run)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    raise SystemExit(main())
