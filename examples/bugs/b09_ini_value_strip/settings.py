"""A small reader for ``key = value`` settings files (comment lines start with # or ;)."""

from __future__ import annotations

TRUE_WORDS = {"1", "true", "yes", "on"}


def parse_settings(text: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"line {number}: expected key = value, got {raw!r}")
        settings[key.strip().lower()] = value
    return settings


def get_bool(settings: dict[str, str], key: str, default: bool = False) -> bool:
    if key not in settings:
        return default
    return settings[key].lower() in TRUE_WORDS


def get_int(settings: dict[str, str], key: str, default: int = 0) -> int:
    return int(settings.get(key, default))
