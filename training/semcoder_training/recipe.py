"""Training recipes: YAML files validated by pydantic, every value with its source.

A recipe has four sections (``model``, ``data``, ``training``, ``hardware``) and ``sources``, which maps
each leaf of those sections (``training.learning_rate``) to where the value comes from: ``paper`` (the
SemCoder paper), ``repo`` (a published repository or model card: SemCoder's code, DeepSeek-Coder's
``config.json``) or ``ours`` (a choice of this project), optionally followed by ``: note``. A recipe
that leaves a value without a source does not load. Dictionaries (``model.config``, ``data.mixture``)
are one leaf each; a key inside them may have its own entry (``model.config.vocab_size``).

The shipped recipes (``semcoder``, ``pyx-r-refine``, ``tiny-cpu``) live in ``recipes/`` next to this
module; ``load_recipe`` takes one of those names or a path to a YAML file of the same shape.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from semcoder_core.errors import SemcoderError

RECIPES_DIR = Path(__file__).parent / "recipes"
SECTIONS = ("model", "data", "training", "hardware")
SOURCE_KINDS = ("paper", "repo", "ours")
#: The tasks rows are mixed from: PyX's three row kinds (by their filled field) and PyX-R's rows.
TASKS = ("nl", "fwd_mnl", "bwd_mnl", "pyx_r")


class RecipeError(SemcoderError, ValueError):
    """A recipe that does not exist, does not parse, or does not validate."""


class _Section(BaseModel):
    # A misspelt key would otherwise silently keep its default.
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class ModelSpec(_Section):
    name_or_path: Optional[str] = None  # a Hub id or a local folder; None: built from ``config`` (from scratch)
    config: Optional[dict[str, Any]] = None  # LlamaConfig kwargs (meta-device planning, from-scratch models)
    tokenizer: Optional[str] = None  # a Hub id or a local folder; None: the tiny loop trains one

    @model_validator(mode="after")
    def _something_to_build(self) -> ModelSpec:
        if self.name_or_path is None and self.config is None:
            raise ValueError("model needs name_or_path (pretrained weights) or config (a model from scratch)")
        return self


class DataSpec(_Section):
    files: list[str] = Field(default_factory=list)  # PyX / PyX-R JSONL exports; relative paths: to the cwd
    # Per task, how many times each of its rows is used in an epoch: 1.0 all, 0.5 a seeded half, 0 none.
    mixture: dict[str, float]
    eval_fraction: float = Field(ge=0.0, lt=1.0)

    @field_validator("mixture")
    @classmethod
    def _known_tasks(cls, mixture: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(mixture) - set(TASKS))
        if unknown:
            raise ValueError(f"unknown task(s) {unknown} in mixture; tasks are {list(TASKS)}")
        if any(r < 0 for r in mixture.values()):
            raise ValueError("mixture ratios must be >= 0")
        if not any(r > 0 for r in mixture.values()):
            raise ValueError("mixture uses no task (every ratio is 0)")
        # A task the recipe does not name is not trained on; naming all four keeps the file explicit.
        return {task: float(mixture.get(task, 0.0)) for task in TASKS}


class TrainingSpec(_Section):
    epochs: float = Field(gt=0)
    learning_rate: float = Field(gt=0)
    lr_scheduler_type: str
    warmup_steps: int = Field(ge=0)
    per_device_train_batch_size: int = Field(ge=1)
    gradient_accumulation_steps: int = Field(ge=1)
    max_seq_length: int = Field(ge=8)
    bf16: bool
    gradient_checkpointing: bool
    seed: int
    logging_steps: int = Field(ge=1)
    save_steps: int = Field(ge=1)
    max_steps: Optional[int] = Field(default=None, ge=1)  # set: stops there (HF semantics: overrides epochs)
    weight_decay: float = Field(ge=0.0)


class HardwareSpec(_Section):
    gpus: int = Field(ge=1)  # the devices the stated global batch assumes (processes, for a CPU recipe)
    global_batch_size: int = Field(ge=1)


def _leaves(section: BaseModel) -> list[str]:
    return list(type(section).model_fields)


class Recipe(BaseModel):
    """A validated recipe; ``sources`` names where every value comes from."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str
    description: str = ""
    model: ModelSpec
    data: DataSpec
    training: TrainingSpec
    hardware: HardwareSpec
    sources: dict[str, str]

    @model_validator(mode="after")
    def _check(self) -> Recipe:
        fields = {f"{s}.{leaf}" for s in SECTIONS for leaf in _leaves(getattr(self, s))}
        missing = sorted(fields - set(self.sources))
        if missing:
            raise ValueError(f"no source for: {', '.join(missing)} (say paper, repo or ours)")
        dicts = {"model.config": self.model.config or {}, "data.mixture": self.data.mixture}
        for key, source in self.sources.items():
            parent, _, sub = key.rpartition(".")
            if key not in fields and not (parent in dicts and sub in dicts[parent]):
                raise ValueError(f"sources names {key!r}, which is not a field of the recipe")
            kind = source.split(":", 1)[0].strip()
            if kind not in SOURCE_KINDS:
                raise ValueError(f"source of {key} is {source!r}: it must start with paper, repo or ours")
        t, h = self.training, self.hardware
        per_step = t.per_device_train_batch_size * t.gradient_accumulation_steps * h.gpus
        if per_step != h.global_batch_size:
            raise ValueError(
                f"per_device_train_batch_size {t.per_device_train_batch_size} x gradient_accumulation_steps "
                f"{t.gradient_accumulation_steps} x gpus {h.gpus} = {per_step}, "
                f"not global_batch_size {h.global_batch_size}"
            )
        return self

    def source(self, field: str) -> tuple[str, str]:
        """``(kind, note)`` of a dotted field; a key inside a dict falls back to the dict's source."""
        text = self.sources.get(field) or self.sources[field.rpartition(".")[0]]
        kind, _, note = text.partition(":")
        return kind.strip(), note.strip()

    def with_overrides(self, **dotted: Any) -> Recipe:
        """A validated copy with some values changed, e.g. ``with_overrides(**{"training.max_steps": 1})``
        (``training__max_steps=1`` works too). A key inside a dict (``model.config.vocab_size``) changes only
        that key. Each changed value's source becomes ``ours: override`` with what it replaced."""
        data = self.model_dump()
        for raw_key, value in dotted.items():
            key = raw_key.replace("__", ".")
            parts = key.split(".")
            if parts[0] not in SECTIONS or len(parts) < 2:
                raise RecipeError(f"cannot override {raw_key!r}: name a field as section.field, e.g. training.seed")
            node = data
            for part in parts[:-1]:
                if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
                    raise RecipeError(f"cannot override {key!r}: {part!r} is not a section or dict of the recipe")
                node = node[part]
            if len(parts) == 2 and parts[1] not in node:
                raise RecipeError(f"cannot override {key!r}: no such field")
            old = node.get(parts[-1], "unset")
            old_source = self.sources.get(key) or self.sources.get(".".join(parts[:-1]), "unset")
            node[parts[-1]] = copy.deepcopy(value)
            data["sources"][key] = f"ours: override (was {old!r}, {old_source})"
        try:
            return Recipe.model_validate(data)
        except ValidationError as e:
            raise RecipeError(f"recipe {self.name} with overrides {dotted}: {_errors(e)}") from None

    def for_gpus(self, gpus: int) -> Recipe:
        """The same recipe on ``gpus`` devices, keeping the global batch by changing gradient accumulation."""
        per_device = self.training.per_device_train_batch_size
        accumulation, rest = divmod(self.hardware.global_batch_size, per_device * gpus)
        if rest or accumulation < 1:
            raise RecipeError(
                f"global batch {self.hardware.global_batch_size} is not a multiple of {gpus} GPUs x "
                f"per-device batch {per_device}: override training.per_device_train_batch_size too"
            )
        return self.with_overrides(**{"hardware.gpus": gpus, "training.gradient_accumulation_steps": accumulation})


def _errors(e: ValidationError) -> str:
    return "; ".join(
        (".".join(str(p) for p in err["loc"]) + ": " if err["loc"] else "") + err["msg"] for err in e.errors()
    )


def recipe_names() -> list[str]:
    """The shipped recipes' names."""
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def load_recipe(name_or_path: str) -> Recipe:
    """A shipped recipe by name (``semcoder``, ``pyx-r-refine``, ``tiny-cpu``) or a YAML file by path."""
    path = Path(name_or_path)
    if not path.is_file():
        shipped = RECIPES_DIR / f"{name_or_path}.yaml"
        if not shipped.is_file():
            raise RecipeError(
                f"no recipe {name_or_path!r}: not a file, and not one of the shipped recipes {recipe_names()}"
            )
        path = shipped
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise RecipeError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a mapping with model, data, training, hardware and sources")
    data.setdefault("name", path.stem)
    try:
        return Recipe.model_validate(data)
    except ValidationError as e:
        raise RecipeError(f"{path}: {_errors(e)}") from None
