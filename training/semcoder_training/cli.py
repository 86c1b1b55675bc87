"""``semcoder-train``: build SemCoder's training data (and, later, train it).

    semcoder-train data run --seeds stdlib --limit 50 --out /tmp/pyx           # every stage, no model
    semcoder-train data run --config pipeline.yaml                               # the same from a file
    semcoder-train data filter --out /tmp/pyx                                    # one stage again

Exit codes: 0 done, 1 a stage failed (rerun the same command to resume), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Optional

from pydantic import ValidationError

from semcoder_core.errors import SemcoderError

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


def _terminate(signum, frame) -> None:
    # Unwind (datatrove's process pool terminates its workers on the way out) instead of dying at once and
    # leaving workers that go on writing into the output folder.
    raise SystemExit(128 + signum)


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
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
    except SemcoderError as exc:
        print(f"semcoder-train: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
