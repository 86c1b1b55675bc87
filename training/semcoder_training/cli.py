"""``semcoder-train``: build SemCoder's training data, plan and run its fine-tuning, or the tiny loop.

    semcoder-train data run --seeds stdlib --limit 50 --out /tmp/pyx           # every stage, no model
    semcoder-train data run --config pipeline.yaml                               # the same from a file
    semcoder-train data filter --out /tmp/pyx                                    # one stage again
    semcoder-train plan --recipe semcoder --gpus 8xH100 --json                   # before renting GPUs
    semcoder-train sft --recipe semcoder --backend zero3 --out run               # accelerate launch
    semcoder-train tiny --out /tmp/tiny --minutes 6                              # the loop on a laptop

Exit codes: 0 done, 1 a stage failed (rerun the same command to resume), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

from pydantic import ValidationError

from semcoder_core.errors import SemcoderError

from .launch import BACKENDS, Topology, launch_command, launch_files, parse_set, slurm_script
from .pipeline import STAGES, ModelConfig, PipelineConfig, PipelineError


def _add_data_options(p: argparse.ArgumentParser, config: bool) -> None:
    if config:
        p.add_argument("--config", metavar="YAML", help="pipeline configuration (flags override it)")
    p.add_argument("--out", metavar="DIR", help="output folder (rerunning with the same one resumes)")
    p.add_argument("--seeds", metavar="SOURCE", help="stdlib (default), a folder, a .jsonl file, or hf:NAME")
    p.add_argument("--limit", type=int, metavar="N", help="seeds to take (default 1000)")
    p.add_argument("--shards", type=int, metavar="N", help="tasks per stage (default 8; keep it when resuming)")
    p.add_argument("--workers", type=int, metavar="K", help="tasks run at once (default: the cores)")
    p.add_argument("--executor", choices=["local", "ray", "slurm"], help="datatrove executor (default local)")
    p.add_argument("--isolation", choices=["auto", "bwrap", "copy"], help="sandbox for the programs")
    p.add_argument(
        "--allow-copy-sandbox",
        action="store_true",
        default=None,
        help="run untrusted programs without bubblewrap (they can read your files): not recommended",
    )
    p.add_argument("--benchmark-file", action="append", metavar="JSONL", help="more decontamination references")
    g = p.add_argument_group("model (default none: the seeds are the programs, the verbaliser writes monologues)")
    g.add_argument("--backend", choices=["none", "llama-cpp", "openai", "vllm", "transformers"])
    g.add_argument("--model-path", metavar="PATH", help="GGUF file or model folder")
    g.add_argument("--model-url", metavar="URL", help="OpenAI-compatible server")
    g.add_argument("--model-name", metavar="NAME")
    g.add_argument("--max-tokens", type=int, metavar="N", help="new tokens per generation (default 768)")
    g.add_argument("--temperature", type=float, metavar="T", help="sampling temperature (default 0.7)")
    g.add_argument("--samples", type=int, metavar="N", help="monologue samples per input (default 2)")
    g.add_argument(
        "--model-only",
        action="store_true",
        default=None,
        help="keep only model-written monologues that matched execution (no verbaliser fallback)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="semcoder-train", description="Build SemCoder's training data.")
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="the PyX / PyX-R data pipeline (datatrove)")
    verbs = data.add_subparsers(dest="verb", required=True)
    run = verbs.add_parser("run", help="every stage, seeds to export")
    _add_data_options(run, config=True)
    for stage in STAGES:
        p = verbs.add_parser(stage, help=f"only the {stage} stage (reads the previous stage's output)")
        _add_data_options(p, config=True)

    sft = sub.add_parser("sft", help="fine-tune with a recipe (TRL + accelerate: ddp, fsdp2, zero3, zero3-offload)")
    sft.add_argument("--recipe", required=True, help="semcoder, pyx-r-refine, tiny-cpu, or a YAML path")
    sft.add_argument("--backend", choices=BACKENDS, default="ddp", help="how the processes share the model")
    sft.add_argument("--out", required=True, metavar="DIR", help="checkpoints, final model, launch files")
    sft.add_argument("--data", action="append", metavar="JSONL", help="PyX / PyX-R exports (default: the recipe's)")
    sft.add_argument("--tokenizer", metavar="DIR", help="tokenizer (default: the recipe's)")
    sft.add_argument("--nodes", type=int, default=1, metavar="N")
    sft.add_argument("--node-rank", type=int, default=0, metavar="K")
    sft.add_argument("--main-addr", default="127.0.0.1", metavar="HOST")
    sft.add_argument("--main-port", type=int, default=29500, metavar="PORT")
    sft.add_argument("--gpus-per-node", type=int, metavar="G", help="default: the recipe's GPUs over the nodes")
    sft.add_argument("--cpu", action="store_true", help="processes on the CPU (gloo): smoke tests")
    sft.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="recipe override")
    sft.add_argument("--resume", action="store_true", help="go on from the last checkpoint in --out")
    sft.add_argument("--print", action="store_true", help="print the launch command (and a Slurm script), run nothing")
    sft.add_argument("--dry-run", action="store_true", help="check the recipe and write the launch files only")

    plan = sub.add_parser("plan", help="parameters, tokens, steps, FLOPs, memory per GPU and hours, before renting")
    plan.add_argument("--recipe", required=True)
    plan.add_argument("--gpus", default="8xH100", help="e.g. 8xH100, 2x8xA100 (nodes x GPUs)")
    plan.add_argument("--data", action="append", metavar="JSONL", help="count tokens of these files")
    plan.add_argument("--mfu", type=float, default=0.4, help="model FLOPs utilisation assumed for the hours")
    plan.add_argument("--json", action="store_true")

    tiny = sub.add_parser("tiny", help="the whole loop at laptop scale: data, training, GGUF, predictions")
    tiny.add_argument("--out", required=True, metavar="DIR")
    tiny.add_argument("--minutes", type=float, default=6.0, help="training time (default 6)")
    tiny.add_argument("--seeds", type=int, default=1500, help="stdlib seeds for the data (default 1500)")
    tiny.add_argument("--heldout", type=int, default=60, help="held-out forward rows scored (default 60)")
    tiny.add_argument("--workers", type=int)
    return parser


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    overrides = {
        "out": args.out,
        "seeds": args.seeds,
        "limit": args.limit,
        "shards": args.shards,
        "workers": args.workers,
        "executor": args.executor,
        "isolation": args.isolation,
        "allow_copy_sandbox": args.allow_copy_sandbox,
        "benchmark_files": args.benchmark_file,
    }
    model = {
        "backend": args.backend,
        "path": args.model_path,
        "url": args.model_url,
        "name": args.model_name,
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "samples": args.samples,
        "model_only": args.model_only,
    }
    model = {k: v for k, v in model.items() if v is not None}
    if args.config:
        cfg = PipelineConfig.from_yaml(args.config, **overrides)
        if model:
            cfg.model = ModelConfig(**{**cfg.model.model_dump(), **model})
        return cfg
    if not args.out:
        raise PipelineError("--out DIR is required (or --config with an `out:`)")
    return PipelineConfig(**{k: v for k, v in overrides.items() if v is not None}, model=ModelConfig(**model))


def _sft(args: argparse.Namespace) -> int:
    from .recipe import load_recipe

    recipe = load_recipe(args.recipe)
    overrides = dict(parse_set(item) for item in args.set)
    if overrides:
        recipe = recipe.with_overrides(**overrides)
    gpus = args.gpus_per_node or max(1, recipe.hardware.gpus // args.nodes)
    topo = Topology(args.nodes, gpus, args.node_rank, args.main_addr, args.main_port, args.cpu)
    config = launch_files(Path(args.out), args.backend, topo, recipe.training.bf16)
    extra = [f"--set={item}" for item in args.set]
    extra += [f"--data={d}" for d in args.data or []] + ([f"--tokenizer={args.tokenizer}"] if args.tokenizer else [])
    extra += ["--resume"] if args.resume else []
    command = launch_command(config, args.recipe, Path(args.out), extra, topo)
    per_step = recipe.training.per_device_train_batch_size * recipe.training.gradient_accumulation_steps
    summary = {
        "recipe": recipe.name,
        "backend": args.backend,
        "processes": topo.processes,
        "global_batch_size": per_step * topo.processes,
        "accelerate_config": str(config),
        "command": shlex.join(command),
    }
    if args.print or args.dry_run:
        print(json.dumps(summary, indent=2))
        if args.print and args.nodes > 1:
            print(slurm_script(command, args.nodes, gpus))
        return 0
    print(f"semcoder-train: {summary['command']}", file=sys.stderr)
    return subprocess.call(command)


def _plan(args: argparse.Namespace) -> int:
    from .plan import plan, render
    from .recipe import load_recipe

    result = plan(load_recipe(args.recipe), gpus=args.gpus, data_files=args.data, mfu=args.mfu)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


def _tiny(args: argparse.Namespace) -> int:
    from .tiny import tiny

    report = tiny(
        Path(args.out), args.minutes, args.seeds, args.heldout, args.workers, log=lambda m: print(m, file=sys.stderr)
    )
    keys = ("heldout_exact", "baseline_exact", "train_seconds", "final_loss", "model")
    print(json.dumps({k: report[k] for k in keys}))
    return 0


def _terminate(signum, frame) -> None:
    # Unwind (datatrove's process pool terminates its workers on the way out) instead of dying at once and
    # leaving workers that go on writing into the output folder.
    raise SystemExit(128 + signum)


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command == "sft":
            return _sft(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "tiny":
            return _tiny(args)
        cfg = config_from_args(args)
        stages = STAGES if args.verb == "run" else (args.verb,)
        from .pipeline import run

        run(cfg, stages, log=lambda m: print(m, file=sys.stderr))
        stats = cfg.out / "export" / "stats.json"
        if "export" in stages and stats.exists():
            summary = json.loads(stats.read_text())
            print(
                json.dumps({"out": str(cfg.out / "export"), "programs": summary["programs"], "rows": summary["rows"]})
            )
        return 0
    except ValidationError as exc:
        print(f"semcoder-train: bad configuration: {exc}", file=sys.stderr)
        return 2
    except PipelineError as exc:
        print(f"semcoder-train: {exc}", file=sys.stderr)
        return 1 if exc.resumable else 2
    except (SemcoderError, ValueError, FileNotFoundError) as exc:
        print(f"semcoder-train: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
