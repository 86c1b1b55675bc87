"""The llama.cpp backend on a real GGUF model (SmolLM2-135M-Instruct, Q4_1)."""

from __future__ import annotations

import threading

import pytest

from semcoder_core.config import ModelSettings
from semcoder_core.models import Decoding, GenerationCancelled, ModelError, load_backend

from .conftest import PROMPT

GREEDY = Decoding(max_tokens=48, temperature=0)


@pytest.fixture(scope="module")
def greedy_text(llama_backend) -> str:
    return llama_backend.generate(PROMPT, GREEDY).text


def test_greedy_is_deterministic(llama_backend, greedy_text):
    again = llama_backend.generate(PROMPT, GREEDY)
    assert again.text == greedy_text
    assert len(greedy_text) > 40


def test_stream_yields_token_pieces_that_join_to_the_generated_text(llama_backend, greedy_text):
    pieces = list(llama_backend.stream(PROMPT, GREEDY))
    assert len(pieces) > 10
    assert "".join(pieces) == greedy_text


def test_stop_string_cuts_the_output(llama_backend, greedy_text):
    # a stop the greedy answer really contains, well after its start
    stop = greedy_text[20:26]
    assert stop.strip() and greedy_text.find(stop) >= 1
    expected = greedy_text[: greedy_text.find(stop)]
    done = llama_backend.generate(PROMPT, GREEDY.with_stop(stop))
    assert done.text == expected
    assert done.finish_reason == "stop"
    assert llama_backend.engine_tokens < GREEDY.max_tokens  # llama.cpp stopped decoding there
    assert "".join(llama_backend.stream(PROMPT, GREEDY.with_stop(stop))) == expected


def test_max_tokens_is_respected(llama_backend, greedy_text):
    done = llama_backend.generate(PROMPT, Decoding(max_tokens=7, temperature=0))
    assert done.finish_reason == "length"
    assert done.tokens == 7
    assert greedy_text.startswith(done.text) and len(done.text) < len(greedy_text)


def test_cancel_from_another_thread_stops_the_generation(llama_backend, greedy_text):
    cancel = threading.Event()
    seen: list[str] = []
    long = Decoding(max_tokens=400, temperature=0)

    def consume():
        for piece in llama_backend.stream(PROMPT, long, cancel):
            seen.append(piece)
            if len(seen) == 3:
                # another thread asks for the cancel, as the language server does
                t = threading.Thread(target=cancel.set)
                t.start()
                t.join()

    with pytest.raises(GenerationCancelled) as info:
        consume()
    assert len(seen) == 3
    assert info.value.partial == "".join(seen)
    assert llama_backend.engine_tokens <= 4  # decoding really stopped, not just our reading
    # the model is free and answers normally afterwards
    assert llama_backend.generate(PROMPT, GREEDY).text == greedy_text


def test_backend_cancel_stops_a_generation_in_flight(llama_backend):
    pieces = []
    with pytest.raises(GenerationCancelled):
        for piece in llama_backend.stream(PROMPT, Decoding(max_tokens=400, temperature=0)):
            pieces.append(piece)
            if len(pieces) == 2:
                threading.Thread(target=llama_backend.cancel).start()
    assert len(pieces) < 400 and llama_backend.engine_tokens < 400


def test_abandoned_stream_frees_the_model(llama_backend, greedy_text):
    stream = llama_backend.stream(PROMPT, Decoding(max_tokens=400, temperature=0))
    next(stream)
    stream.close()
    assert llama_backend.engine_tokens <= 2
    assert llama_backend.generate(PROMPT, GREEDY).text == greedy_text


def test_two_threads_take_turns(llama_backend, greedy_text):
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(llama_backend.generate(PROMPT, GREEDY).text)) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [greedy_text, greedy_text]


def test_seeded_sampling_is_repeatable(llama_backend):
    d = Decoding(max_tokens=16, temperature=0.8, top_p=0.95, seed=7)
    first = [c.text for c in llama_backend.sample(PROMPT, d, 3)]
    assert first == [c.text for c in llama_backend.sample(PROMPT, d, 3)]
    assert len(set(first)) > 1  # seeds 7, 8, 9 differ


def test_bos_is_added_once(smollm2_gguf):
    from semcoder_core.models.llama_cpp import LlamaCppBackend

    # SmolLM2's GGUF says add_bos_token = false; SemCoder's (DeepSeek) says true: force it to see both
    with LlamaCppBackend(
        str(smollm2_gguf), context_length=512, kv_overrides={"tokenizer.ggml.add_bos_token": True}
    ) as backend:
        bos = backend.llama.token_bos()
        bos_text = backend.llama.detokenize([bos], special=True).decode()
        tokens = backend.tokenize("def f(x):")
        assert tokens[0] == bos and tokens[1] != bos
        assert backend.tokenize(bos_text + "def f(x):") == tokens  # a prompt carrying its own BOS
        assert backend.generate("def f(x):", Decoding(max_tokens=3, temperature=0)).tokens == 3


def test_bos_follows_the_model_when_it_adds_none(llama_backend):
    tokens = llama_backend.tokenize("def f(x):")
    assert tokens[0] != llama_backend.llama.token_bos()
    raw = llama_backend.llama.tokenize(b"def f(x):", add_bos=False, special=True)
    assert tokens == raw


def test_prompt_longer_than_the_context_is_a_clear_error(smollm2_gguf):
    from semcoder_core.models.llama_cpp import LlamaCppBackend

    with LlamaCppBackend(str(smollm2_gguf), context_length=256) as backend:
        with pytest.raises(ModelError, match=r"more than the model's context of 256 \(model.context_length\)"):
            backend.generate("word " * 400, GREEDY)


def test_missing_model_file_names_the_path(tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    missing = tmp_path / "nope" / "semcoder-s.Q4_K_M.gguf"
    with pytest.raises(ModelError, match="does not exist") as info:
        load_backend(ModelSettings(backend="llama-cpp", path=str(missing)))
    assert str(missing) in str(info.value)


def test_file_that_is_not_gguf_names_the_path(tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    bogus = tmp_path / "model.gguf"
    bogus.write_text("<html>404 Not Found</html>")
    with pytest.raises(ModelError, match="not a GGUF file") as info:
        load_backend(ModelSettings(backend="llama-cpp", path=str(bogus)))
    assert str(bogus) in str(info.value)


def test_truncated_gguf_is_a_model_error(tmp_path, smollm2_gguf):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    cut = tmp_path / "cut.gguf"
    with smollm2_gguf.open("rb") as f:
        cut.write_bytes(f.read(1 << 20))
    with pytest.raises(ModelError, match="cannot load") as info:
        load_backend(ModelSettings(backend="llama-cpp", path=str(cut)))
    assert str(cut) in str(info.value)


def test_from_settings(smollm2_gguf):
    settings = ModelSettings(backend="llama-cpp", path=str(smollm2_gguf), context_length=512, threads=1)
    with load_backend(settings) as backend:
        assert backend.name == f"llama-cpp:{smollm2_gguf.resolve()}"
        assert backend.llama.n_ctx() == 512
        assert backend.generate("x = ", Decoding(max_tokens=2, temperature=0)).tokens == 2
