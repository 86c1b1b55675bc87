"""Completions cached by (model, prompt, decoding): a repeated hover or a re-opened file asks nothing new."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace

from .base import Backend, Completion, Decoding


class CachedBackend(Backend):
    """Wraps a backend; only finished (not cancelled, not failed) completions are kept."""

    def __init__(self, inner: Backend, maxsize: int = 512) -> None:
        super().__init__()
        self.inner = inner
        self.name = inner.name
        self.maxsize = maxsize
        self._items: OrderedDict[tuple, Completion] = OrderedDict()
        self._items_lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, prompt: str, decoding: Decoding) -> tuple:
        return (self.inner.name, prompt, decoding.key())

    def lookup(self, prompt: str, decoding: Decoding) -> Completion | None:
        with self._items_lock:
            hit = self._items.get(self._key(prompt, decoding))
            if hit is not None:
                self._items.move_to_end(self._key(prompt, decoding))
                self.hits += 1
                return replace(hit, cached=True, seconds=0.0)
            return None

    def _store(self, prompt: str, decoding: Decoding, completion: Completion) -> None:
        with self._items_lock:
            self._items[self._key(prompt, decoding)] = completion
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def generate(self, prompt, decoding, cancel=None) -> Completion:
        hit = self.lookup(prompt, decoding)
        if hit is not None:
            return hit
        self.misses += 1
        completion = self.inner.generate(prompt, decoding, cancel)
        self._store(prompt, decoding, completion)
        return completion

    def stream(self, prompt, decoding, cancel=None) -> Iterator[str]:
        hit = self.lookup(prompt, decoding)
        if hit is not None:
            yield hit.text
            return
        self.misses += 1
        pieces: list[str] = []
        info: dict = {}
        for piece in self.inner._stream(prompt, decoding, cancel, info):
            pieces.append(piece)
            yield piece
        self._store(
            prompt,
            decoding,
            Completion("".join(pieces), info.get("finish_reason") or "stop", info.get("tokens")),
        )

    def sample(self, prompt, decoding, n, cancel=None) -> list[Completion]:
        seeds = [None if decoding.seed is None else decoding.seed + i for i in range(n)]
        found = [self.lookup(prompt, replace(decoding, seed=s)) if s is not None else None for s in seeds]
        missing = [i for i, c in enumerate(found) if c is None]
        if missing:
            self.misses += len(missing)
            fresh = self.inner.sample(prompt, decoding, n, cancel)
            for i in missing:
                found[i] = fresh[i]
                if seeds[i] is not None:
                    self._store(prompt, replace(decoding, seed=seeds[i]), fresh[i])
        return [c for c in found if c is not None]

    def cancel(self) -> None:
        self.inner.cancel()

    def close(self) -> None:
        self.inner.close()
