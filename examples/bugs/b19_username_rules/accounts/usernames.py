"""Sign-up checks for usernames."""

from __future__ import annotations

RESERVED = {"admin", "root", "support", "help"}
MIN_LENGTH, MAX_LENGTH = 3, 20


def is_valid_username(name: str) -> bool:
    """3 to 20 letters, digits or underscores, and not a reserved word."""
    if name.lower() in RESERVED:
        return False
    return MIN_LENGTH <= len(name) <= MAX_LENGTH or name.replace("_", "").isalnum()


def suggest(name: str, taken: set[str]) -> str:
    """``name`` itself when free, else ``name`` with the smallest free number appended."""
    if name not in taken:
        return name
    n = 1
    while f"{name}{n}" in taken:
        n += 1
    return f"{name}{n}"
