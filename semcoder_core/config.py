"""One settings model shared by the CLI, the language server and the editor extension.

Sources, later ones winning: defaults, ``[tool.semcoder]`` in the project's
``pyproject.toml``, environment variables ``SEMCODER_<KEY>`` (``__`` between
nested keys, e.g. ``SEMCODER_RUN__TIMEOUT_SECONDS=5``), then explicit
overrides (command-line flags, editor settings). Editor-style camelCase keys
(``run.timeoutSeconds``) name the same fields.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

from .errors import SemcoderError, UsageError
from .sandbox.limits import Limits


class RunSettings(BaseModel):
    timeout_seconds: float = Field(10.0, gt=0, description="Wall-clock limit of one run.")
    memory_mb: int = Field(1024, ge=64, description="Memory one run may use (resident, not reserved address space).")
    max_processes: int = Field(32, ge=1, description="Processes one run may start.")
    isolation: Literal["auto", "bwrap", "copy"] = Field(
        "auto", description="bubblewrap when installed, else a temporary copy of the project."
    )

    def limits(self) -> Limits:
        return Limits(timeout_s=self.timeout_seconds, memory_mb=self.memory_mb, max_processes=self.max_processes)


class TraceSettings(BaseModel):
    max_states_per_line: int = Field(10, ge=1, le=1000, description="States kept per line (first N, plus the last).")
    max_repr: int = Field(200, ge=20, description="Characters kept of one value's repr.")

    def caps(self) -> dict[str, int]:
        return {"max_states": self.max_states_per_line, "max_repr": self.max_repr}


class AnnotationSettings(BaseModel):
    enabled: bool = True
    max_values_per_line: int = Field(5, ge=1, description="Values shown per variable in a line's annotation.")


class RepairSettings(BaseModel):
    time_budget_seconds: float = Field(60.0, gt=0, description="How long one fix search may take.")
    probe_seconds: float = Field(
        20.0,
        ge=0,
        description="How long an explanation may try one-edit changes at the suspect lines to find where to look "
        "first (0: the trace alone).",
    )


class ModelSettings(BaseModel):
    """Which model answers, and how it decodes (design.md: ``model.*``)."""

    backend: Literal["none", "llama-cpp", "transformers", "vllm", "openai"] = Field(
        "none", description="none: no model; the tracer alone answers."
    )
    path: Optional[str] = Field(None, description="GGUF file (llama-cpp) or model folder (transformers, vllm).")
    url: Optional[str] = Field(None, description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000.")
    name: Optional[str] = Field(None, description="Model name sent to the server (openai backend).")
    api_key_env: Optional[str] = Field(None, description="Environment variable holding the server's API key.")
    max_tokens: int = Field(2048, ge=1, description="New tokens per completion.")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature (SemCoder's evaluation uses 0.2).")
    top_p: float = Field(0.95, gt=0, le=1)
    seed: Optional[int] = Field(0, description="Sampling seed, where the backend takes one (None: random).")
    samples: int = Field(5, ge=1, le=50, description="Completions asked for when proposing fixes.")
    timeout_seconds: float = Field(120.0, gt=0, description="Longest wait for one completion (openai backend).")
    retries: int = Field(2, ge=0, le=10, description="Retries of a failed request (openai backend).")
    context_length: int = Field(4096, ge=256, description="Context window (llama-cpp).")
    threads: Optional[int] = Field(None, ge=1, description="CPU threads (llama-cpp); default: cores.")
    gpu_layers: int = Field(0, description="Layers offloaded to the GPU (llama-cpp); -1 for all.")
    device: Optional[str] = Field(None, description="torch device for transformers, e.g. cpu or cuda.")
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description='Fields added to each request (openai backend), e.g. {"repeat_penalty": 1.0}: llama.cpp\'s '
        "server otherwise penalises repeats even when greedy.",
    )

    @property
    def configured(self) -> bool:
        return self.backend != "none"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEMCODER_", env_nested_delimiter="__", extra="ignore")

    python: Optional[str] = Field(None, description="Interpreter that runs the user's code.")
    run: RunSettings = RunSettings()
    trace: TraceSettings = TraceSettings()
    annotations: AnnotationSettings = AnnotationSettings()
    repair: RepairSettings = RepairSettings()
    model: ModelSettings = ModelSettings()

    def sandbox(self, project: Path, max_states: int | None = None):
        """The sandbox these settings describe, for ``project``; ``max_states`` raises the states kept per
        line (checking a prediction needs every value a line took, not the first few)."""
        from .sandbox import Sandbox

        caps = self.trace.caps()
        if max_states is not None:
            caps["max_states"] = max(caps["max_states"], max_states)
        return Sandbox(
            project,
            python=self.python,
            limits=self.run.limits(),
            isolation_mode=self.run.isolation,
            caps=caps,
        )

    @classmethod
    def load(cls, project: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
        data: dict[str, Any] = {}
        if project is not None:
            data = deep_merge(data, _pyproject_settings(project))
        # Environment variables beat the file: build from env alone, then keep what env set.
        from_env = cls().model_dump(exclude_unset=True)
        data = deep_merge(data, from_env)
        data = deep_merge(data, snake_keys(overrides or {}))
        try:
            return cls.model_validate(data)
        except ValueError as exc:
            raise UsageError(f"invalid semcoder settings: {exc}") from exc


def _pyproject_settings(project: Path) -> dict[str, Any]:
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SemcoderError(f"cannot read {path}: {exc}") from exc
    return snake_keys(doc.get("tool", {}).get("semcoder", {}))


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_keys(value: Any) -> Any:
    """``{"run": {"timeoutSeconds": 5}}`` -> ``{"run": {"timeout_seconds": 5}}``; dotted keys nest."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        parts = [_CAMEL.sub("_", part).lower() for part in str(key).split(".")]
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = deep_merge(node.get(parts[-1], {}), snake_keys(item)) if isinstance(item, dict) else item
    return out


def deep_merge(base: Any, extra: Any) -> Any:
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return extra
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = deep_merge(merged.get(key), value) if key in merged else value
    return merged
