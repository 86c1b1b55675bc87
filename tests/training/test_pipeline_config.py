"""The pipeline's configuration, its command line's errors and exit codes, and the Slurm launch it
prepares (datatrove's Slurm executor: one job array per stage, each depending on the one before)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("datatrove", reason="the data pipeline needs the data extra: pip install 'semcoder[data]'")

from semcoder_training.pipeline import STAGES, PipelineConfig, make_executor  # noqa: E402


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "semcoder_training.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_yaml_config_and_flags(tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"out: {tmp_path / 'out'}\nseeds: stdlib\nlimit: 12\nshards: 3\n"
        "model:\n  backend: openai\n  url: http://127.0.0.1:9\n  samples: 4\n"
        "slurm:\n  partition: cpu\n  time: '01:00:00'\n"
    )
    cfg = PipelineConfig.from_yaml(config, limit=30)
    assert (cfg.limit, cfg.shards, cfg.model.backend, cfg.model.samples, cfg.slurm.partition) == (
        30,
        3,
        "openai",
        4,
        "cpu",
    )
    assert cfg.timeout_s == 0.5 and cfg.executor == "local"


def test_usage_errors_exit_2_with_a_message(tmp_path):
    done = cli("data", "run", "--limit", "5")
    assert done.returncode == 2 and "--out DIR is required" in done.stderr
    done = cli("data", "filter", "--out", str(tmp_path / "empty"))
    assert done.returncode == 2 and "needs the output of synthesize first" in done.stderr
    done = cli("data", "run", "--out", str(tmp_path / "x"), "--seeds", str(tmp_path / "missing"))
    assert done.returncode != 0 and "seed source not found" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"out: {tmp_path}\nlimit: many\n")
    done = cli("data", "run", "--config", str(bad))
    assert done.returncode == 2 and "bad configuration" in done.stderr and "limit" in done.stderr


def test_slurm_launch_is_one_job_array_per_stage_chained(tmp_path):
    cfg = PipelineConfig(out=tmp_path / "out", executor="slurm", shards=16, workers=4)
    cfg.slurm.partition, cfg.slurm.venv_path = "cpu", "/opt/venv/bin/activate"
    previous = None
    for stage in STAGES:
        previous = make_executor(cfg, stage, depends=previous)
    chain = []
    executor = previous
    while executor is not None:
        chain.append(executor)
        executor = executor.depends
    assert [e.job_name for e in reversed(chain)] == [f"pyx-{s}" for s in STAGES]
    filter_job = next(e for e in chain if e.job_name == "pyx-filter")
    script = filter_job.get_launch_file_contents(filter_job.get_sbatch_args(16), "launch_pickled_pipeline x.pik")
    assert "#SBATCH --partition=cpu" in script and "#SBATCH --array=0-15%4" in script
    assert "source /opt/venv/bin/activate" in script
    assert filter_job.world_size == 16 and next(e for e in chain if e.job_name == "pyx-export").world_size == 1


def test_a_dead_model_server_stops_the_stage_resumably(tmp_path):
    """Every generation of a batch failing means the server is gone, not that the seeds are bad: the task
    must not be recorded as done (a rerun redoes it), and the user is told what happened and what to do."""
    out = tmp_path / "out"
    args = ["data", "run", "--limit", "6", "--shards", "2", "--out", str(out)]
    done = cli(*args, "--backend", "openai", "--model-url", "http://127.0.0.1:9", "--model-name", "m")
    assert done.returncode == 1, done.stderr[-2000:]
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("semcoder-train: stage synthesize stopped: the model failed on all 3 prompts")
    assert "cannot reach the model server at http://127.0.0.1:9" in message and "run the same command again" in message
    assert not (out / "logs" / "synthesize" / "completions").exists()
    assert len(list((out / "logs" / "seeds" / "completions").iterdir())) == 1  # the seeds stay done


def test_a_missing_extra_is_named_not_a_traceback(tmp_path):
    from semcoder_training.entry import missing_extra

    assert missing_extra(ImportError("x", name="datatrove")) == (
        "semcoder-train: datatrove is not installed; the data pipeline needs it: pip install 'semcoder[data]'"
    )
    assert "pip install 'semcoder[train]'" in missing_extra(ImportError("x", name="trl.trainer"))
    assert missing_extra(ImportError("x", name="somethingelse")) is None
    # the real console script, in an interpreter where datatrove cannot be imported
    code = (
        "import sys; sys.modules['datatrove'] = None\n"
        "from semcoder_training.entry import main\n"
        "sys.exit(main(['data', 'run', '--limit', '1', '--out', sys.argv[1]]))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 2 and "pip install 'semcoder[data]'" in done.stderr
