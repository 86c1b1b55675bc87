"""The PyX / PyX-R pipeline: its configuration, and its stages run by datatrove's executors.

Every stage is one datatrove executor: ``JsonlReader(DIR/stages/<previous>)`` → the stage's step →
``JsonlWriter(DIR/stages/<stage>)``, over ``shards`` tasks (``seeds`` writes one file per shard, so
task *k* of every later stage reads shard *k*). Datatrove records each finished task under
``DIR/logs/<stage>/completions``, so running the same command again skips what is done and redoes
only the tasks a kill interrupted; every random choice is seeded from a program's id, so the result is
the same either way. The same configuration runs on datatrove's local executor (processes on this
machine), its Ray executor (a running Ray cluster) or its Slurm executor (one job array per stage,
chained by ``depends``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, Field

from semcoder_core.errors import SemcoderError

STAGES = ("seeds", "synthesize", "filter", "inputs", "trace", "monologue", "pyx-r", "decontaminate", "export")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class PipelineError(SemcoderError):
    """``resumable``: a stage stopped part way (exit 1: rerun the same command); else a usage error (exit 2)."""

    def __init__(self, message: str, resumable: bool = False) -> None:
        super().__init__(message)
        self.resumable = resumable


class ModelConfig(BaseModel):
    """A ``semcoder_core`` backend (``none``: the verbaliser and the seeds themselves, no model)."""

    backend: Literal["none", "llama-cpp", "openai", "vllm", "transformers"] = "none"
    path: Optional[str] = None
    url: Optional[str] = None
    name: Optional[str] = None
    max_tokens: int = 768
    temperature: float = 0.7
    samples: int = 2  # monologue samples per input (rejection sampling)
    model_only: bool = False  # keep only model-written monologues (no verbaliser fallback)

    @property
    def enabled(self) -> bool:
        return self.backend != "none"


class SlurmConfig(BaseModel):
    partition: Optional[str] = None
    time: str = "04:00:00"
    cpus_per_task: int = 1
    mem_per_cpu_gb: float = 2
    venv_path: Optional[str] = None
    sbatch_args: dict = Field(default_factory=dict)


class RayConfig(BaseModel):
    address: Optional[str] = None  # ray.init(address=...); None: the cluster RAY_ADDRESS names, or a local one
    cpus_per_task: int = 1
    mem_per_cpu_gb: float = 1


class PipelineConfig(BaseModel):
    out: Path
    seeds: str = "stdlib"
    limit: int = 1000
    shards: int = 8
    workers: int = Field(
        default_factory=lambda: len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
    )
    executor: Literal["local", "ray", "slurm"] = "local"
    slurm: SlurmConfig = Field(default_factory=SlurmConfig)
    ray: RayConfig = Field(default_factory=RayConfig)
    isolation: Literal["auto", "bwrap", "copy"] = "auto"
    allow_copy_sandbox: bool = False
    # A call that runs longer is "slow": the programs a monologue can walk through run in milliseconds
    # (at most a hundred or so line executions), so this is a wide margin, and it bounds what a hang costs.
    timeout_s: float = 0.5
    max_inputs: int = 8
    pyx_r_per_program: int = 1
    benchmarks: list[str] = Field(default_factory=lambda: ["humaneval", "cruxeval"])
    benchmark_files: list[str] = Field(default_factory=list)
    model: ModelConfig = Field(default_factory=ModelConfig)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides) -> PipelineConfig:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)


def _previous(stage: str) -> Optional[str]:
    i = STAGES.index(stage)
    return STAGES[i - 1] if i else None


def stage_pipeline(cfg: PipelineConfig, stage: str) -> list:
    """The datatrove steps of one stage: reader, the stage's step, writer."""
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from .export import ExportStep
    from .pyxr import PyXRStep
    from .steps import (
        DecontaminateStep,
        FilterStep,
        InputsStep,
        MonologueStep,
        SeedsStep,
        SynthesizeStep,
        TraceStep,
    )

    stages = cfg.out / "stages"
    run = {"isolation": cfg.isolation, "allow_copy": cfg.allow_copy_sandbox, "timeout_s": cfg.timeout_s}
    model = cfg.model.model_dump() if cfg.model.enabled else None
    if stage == "seeds":
        return [
            SeedsStep(cfg.seeds, cfg.limit, cfg.shards),
            JsonlWriter(str(stages / "seeds"), output_filename="${shard}.jsonl.gz"),
        ]
    step = {
        "synthesize": lambda: SynthesizeStep(model=model, **run),
        "filter": lambda: FilterStep(**run),
        "inputs": lambda: InputsStep(max_inputs=cfg.max_inputs, **run),
        "trace": lambda: TraceStep(**run),
        "monologue": lambda: MonologueStep(model=model, model_only=cfg.model.model_only, **run),
        "pyx-r": lambda: PyXRStep(per_program=cfg.pyx_r_per_program, **run),
        "decontaminate": lambda: DecontaminateStep(
            tuple(cfg.benchmarks), tuple(cfg.benchmark_files), report_dir=str(cfg.out / "reports"), **run
        ),
        "export": lambda: ExportStep(str(cfg.out / "export"), str(cfg.out / "logs")),
    }[stage]()
    reader = JsonlReader(str(stages / _previous(stage)), glob_pattern="*.jsonl.gz", add_file_path=False)
    if stage == "export":
        return [reader, step]
    return [reader, step, JsonlWriter(str(stages / stage), output_filename="${rank}.jsonl.gz")]


def _tasks(cfg: PipelineConfig, stage: str) -> int:
    return 1 if stage in ("seeds", "export") else cfg.shards


def make_executor(cfg: PipelineConfig, stage: str, depends=None):
    """The datatrove executor that runs ``stage`` as configured (local, Ray or Slurm)."""
    pipeline = stage_pipeline(cfg, stage)
    tasks = _tasks(cfg, stage)
    logs = str(cfg.out / "logs" / stage)
    if cfg.executor == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(pipeline, tasks=tasks, workers=min(cfg.workers, tasks), logging_dir=logs)
    if cfg.executor == "ray":
        from datatrove.executor.ray import RayPipelineExecutor

        return RayPipelineExecutor(
            pipeline,
            tasks=tasks,
            workers=min(cfg.workers, tasks),
            logging_dir=logs,
            cpus_per_task=cfg.ray.cpus_per_task,
            mem_per_cpu_gb=cfg.ray.mem_per_cpu_gb,
        )
    from datatrove.executor.slurm import SlurmPipelineExecutor

    return SlurmPipelineExecutor(
        pipeline,
        tasks=tasks,
        workers=min(cfg.workers, tasks),
        time=cfg.slurm.time,
        partition=cfg.slurm.partition,
        logging_dir=logs,
        job_name=f"pyx-{stage}",
        cpus_per_task=cfg.slurm.cpus_per_task,
        mem_per_cpu_gb=cfg.slurm.mem_per_cpu_gb,
        venv_path=cfg.slurm.venv_path,
        sbatch_args=cfg.slurm.sbatch_args,
        depends=depends,
    )


def _task_error(log: Path) -> str:
    """The last exception line of a datatrove task's log (what the user needs to know first)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    pattern = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Unavailable|Sandbox)): (.+)$")
    for line in reversed(lines):
        match = pattern.match(line.strip())
        if match:
            return f"{match.group(1)}: {match.group(2)}"
    return ""


def run(cfg: PipelineConfig, stages: tuple[str, ...] = STAGES, log=print) -> dict:
    """Run ``stages`` in order (each after the one before it finished); returns seconds per stage.
    Slurm: submits one job per stage, each depending on the one before, and returns at once."""
    from .execute import check_isolation

    if any(s not in ("seeds", "export") for s in stages):
        check_isolation(cfg.isolation, cfg.allow_copy_sandbox)
    cfg.out.mkdir(parents=True, exist_ok=True)
    (cfg.out / "pipeline.yaml").write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    if cfg.executor == "slurm":
        previous = None
        for stage in stages:
            previous = make_executor(cfg, stage, depends=previous)
        previous.run()
        return {}
    if cfg.executor == "ray":
        import ray

        if not ray.is_initialized():
            ray.init(address=cfg.ray.address, ignore_reinit_error=True, log_to_driver=False)
    seconds: dict[str, float] = {}
    for stage in stages:
        if stage != "seeds" and not (cfg.out / "stages" / _previous(stage)).is_dir():
            raise PipelineError(f"stage {stage} needs the output of {_previous(stage)} first (run it, or `data run`)")
        start = time.perf_counter()
        executor = make_executor(cfg, stage)
        try:
            executor.run()
        except SemcoderError as exc:  # raised in a task and passed on by the executor's pool
            raise PipelineError(f"stage {stage} stopped: {exc}", resumable=True) from exc
        missing = executor.get_incomplete_ranks()
        if missing:
            logs = cfg.out / "logs" / stage / "logs"
            cause = _task_error(logs / f"task_{missing[0]:05d}.log")
            raise PipelineError(
                f"stage {stage}: tasks {missing} did not finish{f': {cause}' if cause else ''} (logs in {logs}); "
                "run the same command again to resume",
                resumable=True,
            )
        seconds[stage] = round(time.perf_counter() - start, 2)
        log(f"{stage}: done in {seconds[stage]:.1f} s")
    return seconds
