"""Memoise expensive lookups, one namespace per function."""

from __future__ import annotations

from typing import Any, Callable

from memo.keys import cache_key


class Memo:
    def __init__(self) -> None:
        self._results: dict[str, Any] = {}
        self.computed = 0

    def call(self, namespace: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, computed once per distinct arguments within ``namespace``."""
        key = cache_key(namespace, *args, **kwargs)
        if key in self._results:
            return self._results[key]
        self.computed += 1
        result = func(*args, **kwargs)
        self._results[key] = result
        return result

    def forget(self, namespace: str) -> int:
        """Drop the results cached under ``namespace``; returns how many there were."""
        doomed = [key for key in self._results if key.split(":", 1)[0] == namespace]
        for key in doomed:
            del self._results[key]
        return len(doomed)
