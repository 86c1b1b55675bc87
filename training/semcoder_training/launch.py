"""The launch of ``sft.py`` on one or many machines: accelerate's configuration (and DeepSpeed's), and
the command, for ``ddp``, ``fsdp2``, ``zero3`` and ``zero3-offload``.

Nothing distributed is written here: accelerate starts the processes and wires DDP, FSDP2 (PyTorch's
``fully_shard``, one unit per decoder layer) or DeepSpeed ZeRO-3 (optionally with the optimizer and
parameters offloaded to CPU, as SemCoder's own DeepSpeed config did). ``launch_files`` writes the files
into ``OUT/launch/``; ``launch_command`` is the ``accelerate launch`` line, which a Slurm script runs
once per node with ``--machine_rank $SLURM_NODEID`` (``semcoder-train sft --print`` shows it).
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

BACKENDS = ("ddp", "fsdp2", "zero3", "zero3-offload")


@dataclass(frozen=True)
class Topology:
    nodes: int = 1
    gpus_per_node: int = 1
    node_rank: int = 0
    main_addr: str = "127.0.0.1"
    main_port: int = 29500
    cpu: bool = False  # processes on the CPU (gloo): smoke tests and laptops

    @property
    def processes(self) -> int:
        return self.nodes * self.gpus_per_node


def parse_set(item: str) -> tuple[str, object]:
    """``KEY=VALUE`` of ``--set`` (a dotted recipe field, a YAML value): ``training.max_steps=1``."""
    key, sep, value = item.partition("=")
    if not sep:
        raise ValueError(f"--set {item!r}: write KEY=VALUE, e.g. training.max_steps=1")
    return key, yaml.safe_load(value)


def deepspeed_config(offload: bool, bf16: bool) -> dict:
    """ZeRO-3 as SemCoder trained (its config offloaded optimizer and parameters to CPU); "auto" values
    are filled by the HF integration from the training arguments, so the batch lives in one place."""
    zero: dict = {
        "stage": 3,
        "overlap_comm": True,
        "contiguous_gradients": True,
        "reduce_bucket_size": "auto",
        "stage3_prefetch_bucket_size": "auto",
        "stage3_param_persistence_threshold": "auto",
        "stage3_gather_16bit_weights_on_model_save": True,
    }
    if offload:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
        zero["offload_param"] = {"device": "cpu", "pin_memory": True}
    return {
        "bf16": {"enabled": "auto" if bf16 else False},
        "zero_optimization": zero,
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
        "train_batch_size": "auto",
        "train_micro_batch_size_per_gpu": "auto",
    }


def accelerate_config(backend: str, topo: Topology, bf16: bool, deepspeed_file: Optional[str] = None) -> dict:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    config: dict = {
        "compute_environment": "LOCAL_MACHINE",
        "num_machines": topo.nodes,
        "num_processes": topo.processes,
        "machine_rank": topo.node_rank,
        "main_process_ip": topo.main_addr,
        "main_process_port": topo.main_port,
        "mixed_precision": "bf16" if bf16 and not topo.cpu else "no",
        "use_cpu": topo.cpu,
        "rdzv_backend": "static",
        "same_network": True,
    }
    if backend == "ddp":
        config["distributed_type"] = ("MULTI_CPU" if topo.cpu else "MULTI_GPU") if topo.processes > 1 else "NO"
    elif backend == "fsdp2":
        config["distributed_type"] = "FSDP"
        config["fsdp_config"] = {
            "fsdp_version": 2,
            "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "fsdp_transformer_layer_cls_to_wrap": "LlamaDecoderLayer",
            "fsdp_reshard_after_forward": True,
            "fsdp_state_dict_type": "SHARDED_STATE_DICT",
            "fsdp_cpu_ram_efficient_loading": True,
            "fsdp_offload_params": False,
        }
    else:
        config["distributed_type"] = "DEEPSPEED"
        config["deepspeed_config"] = {"deepspeed_config_file": deepspeed_file, "zero3_init_flag": True}
        del config["mixed_precision"]  # DeepSpeed's file decides it (bf16 "auto": from the training arguments)
    return config


def launch_files(out: Path, backend: str, topo: Topology, bf16: bool) -> Path:
    """Write ``OUT/launch/accelerate_<backend>.yaml`` (and ``deepspeed_<backend>.json``); returns the YAML."""
    folder = out / "launch"
    folder.mkdir(parents=True, exist_ok=True)
    ds_file = None
    if backend.startswith("zero3"):
        ds_path = folder / f"deepspeed_{backend}.json"
        ds_path.write_text(json.dumps(deepspeed_config(backend == "zero3-offload", bf16), indent=2) + "\n")
        ds_file = str(ds_path)
    path = folder / f"accelerate_{backend}.yaml"
    path.write_text(yaml.safe_dump(accelerate_config(backend, topo, bf16, ds_file), sort_keys=False))
    return path


def launch_command(config: Path, recipe: str, out: Path, extra: list[str], topo: Topology) -> list[str]:
    """``accelerate launch`` of ``sft.py`` with this node's rank (the same line on every node but for it)."""
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config)]
    cmd += ["--machine_rank", str(topo.node_rank), "--num_machines", str(topo.nodes)]
    cmd += ["--num_processes", str(topo.processes), "--main_process_ip", topo.main_addr]
    cmd += ["--main_process_port", str(topo.main_port)]
    cmd += ["-m", "semcoder_training.sft", "--recipe", recipe, "--out", str(out), *extra]
    if topo.cpu:
        cmd.append("--cpu")
    return cmd


def slurm_script(command: list[str], nodes: int, gpus_per_node: int, job_name: str = "semcoder-sft") -> str:
    """An sbatch script that runs the command once per node, each with its own rank."""
    line = shlex.join(command)
    for flag in ("--machine_rank", "--main_process_ip"):
        parts = line.split(f" {flag} ", 1)
        if len(parts) == 2:
            value = parts[1].split(" ", 1)
            rest = value[1] if len(value) > 1 else ""
            replacement = "$SLURM_NODEID" if flag == "--machine_rank" else "$MAIN_ADDR"
            line = f"{parts[0]} {flag} {replacement} {rest}".rstrip()
    return "\n".join(
        [
            "#!/bin/bash",
            f"#SBATCH --job-name={job_name}",
            f"#SBATCH --nodes={nodes}",
            "#SBATCH --ntasks-per-node=1",
            f"#SBATCH --gpus-per-node={gpus_per_node}",
            "#SBATCH --exclusive",
            'export MAIN_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
            f"srun bash -c '{line.replace(chr(39), chr(34))}'",
            "",
        ]
    )
