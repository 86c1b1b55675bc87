"""Real models for the backend tests: a tiny Hugging Face Llama built on the spot (SmolLM2 and the
real ``llama_cpp.server`` come from tests/support/models.py, shared with the server tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.models import SERVER_KEY, free_port  # noqa: F401 - the tests import them from here

# Greedy, and a prompt SmolLM2 answers at length: tests cut it with stop strings and max_tokens.
PROMPT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'


@pytest.fixture(scope="session")
def tiny_hf_model(tmp_path_factory) -> Path:
    pytest.importorskip("torch", reason="torch is not installed (pip install 'semcoder[hf]')")
    pytest.importorskip("transformers", reason="transformers is not installed (pip install 'semcoder[hf]')")
    from .tiny_hf import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def hf_backend(tiny_hf_model):
    from semcoder_core.models.transformers import TransformersBackend

    backend = TransformersBackend(str(tiny_hf_model), device="cpu")
    yield backend
    backend.close()


@pytest.fixture
def api_key_env(monkeypatch) -> str:
    """The name of an environment variable holding the test server's key."""
    name = "SEMCODER_TEST_MODEL_KEY"
    monkeypatch.setenv(name, SERVER_KEY)
    return name
