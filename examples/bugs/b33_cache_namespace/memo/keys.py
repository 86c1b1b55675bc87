"""Stable cache keys for function results."""

from __future__ import annotations


def cache_key(namespace: str, *args: object, **kwargs: object) -> str:
    """``cache_key("price", 3, region="eu")`` -> ``"price:3:region='eu'"``; keyword order does not matter."""
    parts = [*map(repr, args)]
    parts += [f"{name}={value!r}" for name, value in sorted(kwargs.items())]
    return ":".join(parts)
