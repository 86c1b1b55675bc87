"""What an explanation is: the failure, the blamed line, the chain of steps and the divergence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Step:
    """One line of the explanation: the line, its text and the values it had (variable -> repr)."""

    file: str
    line: int
    text: str
    values: dict[str, str]
    note: str = ""  # what the step shows, in words (e.g. "raised IndexError: …", "→ True 1×, False 2×")


@dataclass
class Explanation:
    markdown: str
    failure: dict  # {test, message, expected, actual}
    line: Optional[tuple[str, int]]  # the line blamed: where to look first (see markdown._look_first)
    chain: list[Step] = field(default_factory=list)  # backwards from the blamed line
    divergence: Optional[Step] = None  # first difference from the passing runs (in the failing run)
    origin: Optional[tuple[str, int]] = None  # where the failure came from: the chain's first line
