"""Recipes: the shipped YAML files load with the published values and a source for every value; what a
broken recipe gets wrong is named in the error; overrides change copies."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from semcoder_training.recipe import RECIPES_DIR, TASKS, RecipeError, load_recipe, recipe_names


def _write(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def _semcoder_data() -> dict:
    return yaml.safe_load((RECIPES_DIR / "semcoder.yaml").read_text(encoding="utf-8"))


def test_the_shipped_recipes_load_and_every_leaf_has_a_source() -> None:
    assert recipe_names() == ["pyx-r-refine", "semcoder", "tiny-cpu"]
    for name in recipe_names():
        recipe = load_recipe(name)
        assert recipe.name == name
        for section in ("model", "data", "training", "hardware"):
            for leaf in type(getattr(recipe, section)).model_fields:
                kind, _ = recipe.source(f"{section}.{leaf}")
                assert kind in ("paper", "repo", "ours"), (name, section, leaf)
        t, h = recipe.training, recipe.hardware
        assert t.per_device_train_batch_size * t.gradient_accumulation_steps * h.gpus == h.global_batch_size
        assert set(recipe.data.mixture) == set(TASKS)


def test_semcoder_recipe_has_the_published_main_stage() -> None:
    r = load_recipe("semcoder")
    assert r.model.name_or_path == "deepseek-ai/deepseek-coder-6.7b-base"
    assert r.model.config["num_hidden_layers"] == 32 and r.model.config["vocab_size"] == 32256
    assert r.model.config["rope_scaling"] == {"type": "linear", "factor": 4.0}
    t = r.training
    assert (t.epochs, t.learning_rate, t.lr_scheduler_type, t.warmup_steps) == (3, 5e-5, "cosine", 65)
    assert (t.per_device_train_batch_size, t.gradient_accumulation_steps, r.hardware.gpus) == (16, 4, 8)
    assert (r.hardware.global_batch_size, t.max_seq_length, t.bf16, t.gradient_checkpointing) == (512, 1216, True, True)
    assert r.data.mixture == {"nl": 1.0, "fwd_mnl": 1.0, "bwd_mnl": 1.0, "pyx_r": 0.0}
    assert r.data.eval_fraction == 0.05
    assert r.source("training.learning_rate") == ("paper", "peak learning rate")
    assert r.source("training.max_seq_length")[0] == "repo"
    assert r.source("training.seed") == ("ours", "not published")


def test_pyx_r_refine_and_tiny_cpu_values() -> None:
    r = load_recipe("pyx-r-refine")
    assert r.model.name_or_path == "semcoder/semcoder_s_1030"
    t = r.training
    assert (t.learning_rate, t.epochs, t.warmup_steps, t.lr_scheduler_type, t.max_seq_length) == (
        1e-5,
        2,
        5,
        "cosine",
        2048,
    )
    assert r.hardware.global_batch_size == 512
    assert r.data.mixture == {"nl": 0.0, "fwd_mnl": 0.0, "bwd_mnl": 0.0, "pyx_r": 1.0}
    tiny = load_recipe("tiny-cpu")
    assert tiny.model.name_or_path is None and tiny.model.tokenizer is None
    assert tiny.model.config["vocab_size"] is None and tiny.model.config["num_hidden_layers"] == 2
    assert tiny.training.bf16 is False
    assert tiny.source("model.config.vocab_size") == (
        "ours",
        "null here, filled at run time from the trained tokenizer",
    )
    # Every other config key falls back to the dict's source.
    assert tiny.source("model.config.hidden_size")[0] == "ours"
    assert {tiny.source(k)[0] for k in tiny.sources} == {"ours"}


def test_a_recipe_missing_sources_fails_naming_them(tmp_path: Path) -> None:
    data = _semcoder_data()
    del data["sources"]["training.seed"]
    del data["sources"]["hardware.gpus"]
    with pytest.raises(RecipeError, match=r"no source for: hardware\.gpus, training\.seed \(say paper, repo or ours\)"):
        load_recipe(_write(tmp_path, data))


def test_a_source_for_no_field_or_of_no_kind_fails(tmp_path: Path) -> None:
    data = _semcoder_data()
    data["sources"]["training.learning_rat"] = "paper"
    with pytest.raises(RecipeError, match=r"sources names 'training\.learning_rat', which is not a field"):
        load_recipe(_write(tmp_path, data))
    data = _semcoder_data()
    data["sources"]["training.epochs"] = "blog: someone said so"
    with pytest.raises(RecipeError, match=r"source of training\.epochs is 'blog: someone said so'"):
        load_recipe(_write(tmp_path, data))


def test_a_misspelt_field_and_an_unknown_task_fail(tmp_path: Path) -> None:
    data = _semcoder_data()
    data["training"]["learning_rat"] = 1e-4
    with pytest.raises(RecipeError, match=r"training\.learning_rat: Extra inputs are not permitted"):
        load_recipe(_write(tmp_path, data))
    data = _semcoder_data()
    data["data"]["mixture"]["cot"] = 1.0
    with pytest.raises(RecipeError, match=r"unknown task\(s\) \['cot'\] in mixture"):
        load_recipe(_write(tmp_path, data))


def test_the_global_batch_must_be_what_the_devices_make(tmp_path: Path) -> None:
    data = _semcoder_data()
    data["training"]["gradient_accumulation_steps"] = 2
    with pytest.raises(
        RecipeError, match=r"16 x gradient_accumulation_steps 2 x gpus 8 = 256, not global_batch_size 512"
    ):
        load_recipe(_write(tmp_path, data))


def test_load_by_path_and_unknown_name(tmp_path: Path) -> None:
    data = _semcoder_data()
    data["name"] = "mine"
    data["training"]["learning_rate"] = 2e-5
    data["sources"]["training.learning_rate"] = "ours: half the paper's"
    r = load_recipe(_write(tmp_path, data))
    assert (r.name, r.training.learning_rate, r.source("training.learning_rate")) == (
        "mine",
        2e-5,
        ("ours", "half the paper's"),
    )
    with pytest.raises(RecipeError, match=r"no recipe 'semcodr'.*\['pyx-r-refine', 'semcoder', 'tiny-cpu'\]"):
        load_recipe("semcodr")


def test_with_overrides_changes_a_copy_and_records_the_source() -> None:
    r = load_recipe("semcoder")
    one = r.with_overrides(**{"training.max_steps": 1, "model.config.vocab_size": 100}, training__seed=7)
    assert (one.training.max_steps, one.training.seed, one.model.config["vocab_size"]) == (1, 7, 100)
    assert one.sources["training.max_steps"] == "ours: override (was None, ours: none, the epochs decide)"
    assert one.source("model.config.vocab_size")[0] == "ours"
    assert one.source("training.seed") == ("ours", "override (was 42, ours: not published)")
    assert (r.training.max_steps, r.training.seed, r.model.config["vocab_size"]) == (None, 42, 32256)
    with pytest.raises(RecipeError, match=r"cannot override 'training\.nope': no such field"):
        r.with_overrides(**{"training.nope": 1})
    with pytest.raises(RecipeError, match=r"hardware\.gpus: Input should be greater than or equal to 1"):
        r.with_overrides(**{"hardware.gpus": 0})


def test_for_gpus_keeps_the_global_batch() -> None:
    r = load_recipe("semcoder").for_gpus(2)
    assert (r.hardware.gpus, r.training.gradient_accumulation_steps, r.hardware.global_batch_size) == (2, 16, 512)
    with pytest.raises(RecipeError, match="not a multiple of 3 GPUs"):
        load_recipe("semcoder").for_gpus(3)
