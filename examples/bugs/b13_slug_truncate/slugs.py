"""URL slugs for blog posts."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 30


def slugify(title: str, max_length: int = MAX_LENGTH) -> str:
    """``"Hello, World!"`` -> ``"hello-world"``: at most ``max_length`` characters, no dash at either end."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[: max_length - 1].rstrip("-")


def unique_slug(title: str, taken: set[str]) -> str:
    """A slug for ``title`` that is not in ``taken``, numbered from 2 when needed."""
    base = slugify(title)
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug
