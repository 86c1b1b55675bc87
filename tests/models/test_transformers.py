"""The transformers backend on a tiny Llama built on the spot (random weights, real code paths)."""

from __future__ import annotations

import threading

import pytest

from semcoder_core.config import ModelSettings
from semcoder_core.models import Decoding, GenerationCancelled, ModelError, load_backend

GREEDY = Decoding(max_tokens=40, temperature=0)
PROMPTS = ["def f(x):\n", "assert f(3) ==", "### Execution Simulation\n[L5]:"]


@pytest.fixture(scope="module")
def greedy_text(hf_backend) -> str:
    return hf_backend.generate(PROMPTS[0], GREEDY).text


def test_greedy_is_deterministic(hf_backend, greedy_text):
    again = hf_backend.generate(PROMPTS[0], GREEDY)
    assert again.text == greedy_text and len(greedy_text) > 20
    assert again.tokens == 40 and again.finish_reason == "length"


def test_stream_joins_to_the_generated_text(hf_backend, greedy_text):
    pieces = list(hf_backend.stream(PROMPTS[0], GREEDY))
    assert len(pieces) > 10
    assert "".join(pieces) == greedy_text


def test_stop_string_cuts_the_output(hf_backend, greedy_text):
    stop = greedy_text[12:16]
    expected = greedy_text[: greedy_text.find(stop)]
    done = hf_backend.generate(PROMPTS[0], GREEDY.with_stop(stop))
    assert (done.text, done.finish_reason) == (expected, "stop")
    assert hf_backend.engine_tokens < GREEDY.max_tokens  # generate() itself stopped


def test_max_tokens_is_respected(hf_backend, greedy_text):
    done = hf_backend.generate(PROMPTS[0], Decoding(max_tokens=5, temperature=0))
    assert (done.finish_reason, done.tokens) == ("length", 5)
    assert hf_backend.engine_tokens == 5
    assert greedy_text.startswith(done.text)


def test_cancel_from_another_thread(hf_backend, greedy_text):
    cancel = threading.Event()
    seen: list[str] = []
    long = Decoding(max_tokens=400, temperature=0)
    with pytest.raises(GenerationCancelled) as info:
        for piece in hf_backend.stream(PROMPTS[0], long, cancel):
            seen.append(piece)
            if len(seen) == 3:
                t = threading.Thread(target=cancel.set)
                t.start()
                t.join()
    assert len(seen) == 3 and info.value.partial == "".join(seen)
    assert hf_backend.engine_tokens < 10  # the generation stopped within a few tokens, not at 400
    assert hf_backend.generate(PROMPTS[0], GREEDY).text == greedy_text


def test_generate_many_equals_one_by_one(hf_backend):
    alone = [hf_backend.generate(p, GREEDY) for p in PROMPTS]
    batch = hf_backend.generate_many(PROMPTS, GREEDY)
    assert [c.text for c in batch] == [c.text for c in alone]
    assert [c.tokens for c in batch] == [c.tokens for c in alone]
    assert [c.finish_reason for c in batch] == [c.finish_reason for c in alone]


def test_generate_many_with_stop_strings(hf_backend):
    alone = [hf_backend.generate(p, GREEDY).text for p in PROMPTS]
    stop = alone[1][8:11]
    d = GREEDY.with_stop(stop)
    batch = hf_backend.generate_many(PROMPTS, d)
    assert [c.text for c in batch] == [hf_backend.generate(p, d).text for p in PROMPTS]
    assert batch[1].text == alone[1][: alone[1].find(stop)] and batch[1].finish_reason == "stop"


def test_seeded_sampling_is_repeatable(hf_backend):
    d = Decoding(max_tokens=12, temperature=1.0, top_p=0.95, seed=11)
    first = [c.text for c in hf_backend.sample(PROMPTS[0], d, 3)]
    assert first == [c.text for c in hf_backend.sample(PROMPTS[0], d, 3)]
    assert len(set(first)) == 3
    single = hf_backend.generate(PROMPTS[0], d).text
    assert single == hf_backend.generate(PROMPTS[0], d).text


def test_greedy_sample_is_one_generation(hf_backend, greedy_text):
    samples = hf_backend.sample(PROMPTS[0], GREEDY, 3)
    assert [c.text for c in samples] == [greedy_text] * 3


def test_bos_is_added_once(hf_backend):
    tok = hf_backend.tokenizer
    ids = tok("def f(x):").input_ids
    assert ids[0] == tok.bos_token_id and ids[1] != tok.bos_token_id


def test_cancelled_batch(hf_backend):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        hf_backend.generate_many(PROMPTS, GREEDY, cancel)


def test_missing_folder_names_the_path(tmp_path):
    pytest.importorskip("transformers", reason="transformers is not installed")
    missing = tmp_path / "semcoder_s_1030"
    with pytest.raises(ModelError, match="does not exist") as info:
        load_backend(ModelSettings(backend="transformers", path=str(missing)))
    assert str(missing) in str(info.value)


def test_folder_without_a_model_is_a_model_error(tmp_path):
    pytest.importorskip("transformers", reason="transformers is not installed")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="cannot load the model folder"):
        load_backend(ModelSettings(backend="transformers", path=str(tmp_path / "empty")))


def test_from_settings(tiny_hf_model):
    with load_backend(ModelSettings(backend="transformers", path=str(tiny_hf_model), device="cpu")) as backend:
        assert backend.name == f"transformers:{tiny_hf_model.resolve()}"
        assert backend.generate("x = ", Decoding(max_tokens=3, temperature=0)).tokens == 3
