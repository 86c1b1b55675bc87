"""The one protocol every model backend implements, and what they share.

A backend turns a raw prompt into a completion. SemCoder's tasks are raw completion prompts,
never chat turns (semcoder-model.md), so that is the only shape here. Every backend:

- ``stream(prompt, decoding, cancel)`` yields text pieces as they are produced and stops at the
  first stop string (which is not included);
- ``generate(prompt, decoding, cancel)`` returns the whole :class:`Completion`;
- ``sample(prompt, decoding, n)`` returns ``n`` completions (batched where the engine can);
- ``cancel()`` stops every generation in flight; ``close()`` frees the model.

Cancellation is checked between tokens: setting the ``cancel`` event (or calling ``cancel()``)
makes the generation stop within one token and raise :class:`GenerationCancelled`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Optional

from ..errors import SemcoderError


class ModelError(SemcoderError):
    """The model could not answer: server unreachable or failing, timeout, model file unusable."""


class MissingExtra(ModelError):
    """A backend's optional dependency is not installed; the message says what to install."""

    def __init__(self, backend: str, extra: str, module: str) -> None:
        super().__init__(f"the {backend} backend needs the '{module}' package: pip install 'semcoder[{extra}]'")
        self.extra = extra


class GenerationCancelled(ModelError):
    """The generation was cancelled before it finished."""

    def __init__(self, partial: str = "") -> None:
        super().__init__("the model generation was cancelled")
        self.partial = partial


@dataclass(frozen=True)
class Decoding:
    """How to decode. Part of the cache key: two requests with equal prompts and decodings are the same."""

    max_tokens: int = 2048
    temperature: float = 0.2
    top_p: float = 0.95
    stop: tuple[str, ...] = ()
    seed: Optional[int] = 0

    def key(self) -> tuple:
        return (self.max_tokens, self.temperature, self.top_p, self.stop, self.seed)

    def with_stop(self, *stop: str) -> Decoding:
        return replace(self, stop=tuple(dict.fromkeys((*self.stop, *stop))))

    @classmethod
    def from_settings(cls, model) -> Decoding:
        """From :class:`semcoder_core.config.ModelSettings`."""
        return cls(max_tokens=model.max_tokens, temperature=model.temperature, top_p=model.top_p, seed=model.seed)


@dataclass
class Completion:
    text: str
    finish_reason: str  # "stop" (EOS or a stop string) or "length"
    tokens: Optional[int] = None  # new tokens, where the backend reports them
    seconds: float = 0.0
    cached: bool = False
    extra: dict = field(default_factory=dict)


class StopScanner:
    """Cuts a stream of text pieces at the first stop string, even one split across pieces.

    ``feed`` returns the text that is safe to emit now (a tail that could begin a stop string is
    held back); ``stopped`` turns true once a stop string was seen."""

    def __init__(self, stop: Iterable[str]) -> None:
        self.stop = tuple(s for s in stop if s)
        self._hold = max((len(s) - 1 for s in self.stop), default=0)
        self._pending = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        if self.stopped:
            return ""
        text = self._pending + piece
        cut = min((i for i in (text.find(s) for s in self.stop) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._pending = ""
            return text[:cut]
        keep = min(self._hold, len(text))
        # hold back only a tail that really is a prefix of some stop string
        while keep and not any(s.startswith(text[len(text) - keep :]) for s in self.stop):
            keep -= 1
        self._pending = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep] if keep else text

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return "" if self.stopped else rest


class Backend:
    """Base class: subclasses implement ``_pieces`` (and may override ``sample`` to batch)."""

    #: identity of the model for cache keys and messages, e.g. ``llama-cpp:/models/x.gguf``
    name: str = "backend"

    def __init__(self) -> None:
        self._epoch = 0  # bumped by cancel(): generations started before it stop
        self._lock = threading.Lock()

    # -- to implement ---------------------------------------------------------------------------

    def _pieces(self, prompt: str, decoding: Decoding, should_stop) -> Iterator[tuple[str, Optional[str]]]:
        """Yield ``(text, finish_reason)`` pieces, one per token where the engine allows (the count
        is reported as ``Completion.tokens``) with ``finish_reason`` None: a token that decodes to no
        text yet (half a UTF-8 character) is ``("", None)``. The last piece, ``(rest, reason)``,
        carries the finish reason and any text held back at the end; it is not counted as a token.

        Call ``should_stop()`` between tokens and stop producing when it returns True."""
        raise NotImplementedError

    # -- the protocol ---------------------------------------------------------------------------

    def stream(self, prompt: str, decoding: Decoding, cancel: threading.Event | None = None) -> Iterator[str]:
        yield from self._stream(prompt, decoding, cancel, {})

    def generate(self, prompt: str, decoding: Decoding, cancel: threading.Event | None = None) -> Completion:
        info: dict = {}
        start = time.perf_counter()
        text = "".join(self._stream(prompt, decoding, cancel, info))
        return Completion(
            text=text,
            finish_reason=info.get("finish_reason") or "stop",
            tokens=info.get("tokens"),
            seconds=time.perf_counter() - start,
        )

    def sample(
        self, prompt: str, decoding: Decoding, n: int, cancel: threading.Event | None = None
    ) -> list[Completion]:
        """``n`` completions of one prompt; seeds ``seed, seed+1, …`` keep them distinct and repeatable."""
        out = []
        for i in range(n):
            seed = None if decoding.seed is None else decoding.seed + i
            out.append(self.generate(prompt, replace(decoding, seed=seed), cancel))
        return out

    def cancel(self) -> None:
        """Stop every generation in flight."""
        with self._lock:
            self._epoch += 1

    def close(self) -> None:
        """Free the model; the backend is not used afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- shared machinery -----------------------------------------------------------------------

    def _stream(self, prompt: str, decoding: Decoding, cancel, info: dict) -> Iterator[str]:
        epoch = self._epoch
        scanner = StopScanner(decoding.stop)
        emitted: list[str] = []

        def should_stop() -> bool:
            return scanner.stopped or self._epoch != epoch or (cancel is not None and cancel.is_set())

        pieces = self._pieces(prompt, decoding, should_stop)
        count = info["tokens"] = 0
        try:
            for text, reason in pieces:
                if reason is None:  # the last piece, with the reason, is not a token of its own
                    count += 1
                    info["tokens"] = count
                if self._epoch != epoch or (cancel is not None and cancel.is_set()):
                    raise GenerationCancelled("".join(emitted))
                out = scanner.feed(text)
                if out:
                    emitted.append(out)
                    yield out
                if scanner.stopped:
                    info["finish_reason"] = "stop"
                    break
                if reason is not None:
                    info["finish_reason"] = reason
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # a generator backend frees its request / stream here
        if self._epoch != epoch or (cancel is not None and cancel.is_set()):
            raise GenerationCancelled("".join(emitted))
        rest = scanner.flush()
        if rest:
            yield rest
