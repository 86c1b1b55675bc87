"""Model backends behind one protocol (:class:`Backend`), chosen by the ``model.*`` settings.

``shared_backend(settings.model)`` loads a model once per process and hands the same object (with
its completion cache) to every caller; ``load_backend`` makes a fresh one. Backends whose extra is
not installed raise :class:`MissingExtra` with the ``pip install`` line that fixes it.
"""

from __future__ import annotations

import json
import threading

from .base import Backend, Completion, Decoding, GenerationCancelled, MissingExtra, ModelError, StopScanner
from .cache import CachedBackend

__all__ = [
    "Backend",
    "CachedBackend",
    "Completion",
    "Decoding",
    "GenerationCancelled",
    "MissingExtra",
    "ModelError",
    "StopScanner",
    "load_backend",
    "shared_backend",
    "close_shared",
]


def load_backend(model) -> Backend:
    """A new backend for :class:`semcoder_core.config.ModelSettings` ``model``."""
    kind = model.backend
    if kind == "none":
        raise ModelError("no model is configured: set model.backend (llama-cpp, transformers, vllm or openai)")
    if kind == "llama-cpp":
        from .llama_cpp import LlamaCppBackend

        return LlamaCppBackend.from_settings(model)
    if kind == "openai":
        from .openai import OpenAIBackend

        return OpenAIBackend.from_settings(model)
    if kind == "transformers":
        from .transformers import TransformersBackend

        return TransformersBackend.from_settings(model)
    if kind == "vllm":
        from .vllm import VllmBackend

        return VllmBackend.from_settings(model)
    raise ModelError(f"unknown model backend {kind!r}")


_IDENTITY = ("backend", "path", "url", "name", "api_key_env", "context_length", "threads", "gpu_layers", "device")
_shared: dict[tuple, CachedBackend] = {}
_shared_lock = threading.Lock()


def shared_backend(model) -> CachedBackend:
    """The process-wide backend for these settings: loaded on first use, then reused by every request."""
    extra = json.dumps(model.extra_body, sort_keys=True, default=str)
    key = tuple(getattr(model, f) for f in _IDENTITY) + (model.timeout_seconds, model.retries, extra)
    with _shared_lock:
        backend = _shared.get(key)
        if backend is None:
            backend = CachedBackend(load_backend(model))
            _shared[key] = backend
        return backend


def close_shared() -> None:
    with _shared_lock:
        backends = list(_shared.values())
        _shared.clear()
    for backend in backends:
        backend.close()
