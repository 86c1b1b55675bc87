"""Sampling completions for benchmark prompts through any backend."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Optional

from ..models import Backend, Decoding

# Prompts per batch for engines that batch (vLLM, transformers' generate_many).
BATCH = 32


def generate(
    backend: Backend,
    prompts: dict[str, str],
    decoding: Decoding,
    samples: int = 1,
    advance: Callable[[], None] = lambda: None,
    cancel: Optional[threading.Event] = None,
) -> dict[str, list[str]]:
    """id -> ``samples`` raw generations, each the prompt followed by its completion (the way
    CRUXEval stores generations: answers are read from the whole text). ``advance`` is called once
    per prompt."""
    out: dict[str, list[str]] = {}
    engine = getattr(backend, "inner", backend)  # the cache wrapper does not batch
    batched = getattr(engine, "generate_many", None)
    ids = list(prompts)
    if batched is not None and samples == 1:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            completions = batched([prompts[i] for i in chunk], decoding, cancel)
            for ident, completion in zip(chunk, completions):
                out[ident] = [prompts[ident] + completion.text]
                advance()
        return out
    for ident in ids:
        completions = backend.sample(prompts[ident], decoding, samples, cancel)
        out[ident] = [prompts[ident] + c.text for c in completions]
        advance()
    return out


def decoding_for(model_settings, stop: tuple[str, ...], temperature: Optional[float] = None) -> Decoding:
    """The ``model.*`` settings' decoding with the benchmark's stop strings."""
    decoding = Decoding.from_settings(model_settings).with_stop(*stop)
    return replace(decoding, temperature=temperature) if temperature is not None else decoding
