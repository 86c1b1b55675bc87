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


@dataclass(frozen=True)
class Tried:
    """A one-edit change that made the failing test pass and kept the ``kept`` passing tests that reach
    the same code passing, and made ``fixed_others`` of the ``others`` failing tests near it pass
    (``repair.probe``): evidence by experiment of where the bug is."""

    file: str
    line: int
    title: str  # the change, e.g. "`a < b` → `a <= b`"
    kept: int
    others: int = 0  # other failing tests near this one, run with the change
    fixed_others: int = 0  # ... and made to pass by it


@dataclass
class Explanation:
    markdown: str
    failure: dict  # {test, message, expected, actual}
    line: Optional[tuple[str, int]]  # the line blamed: where to look first (see markdown._look_first)
    chain: list[Step] = field(default_factory=list)  # backwards from the blamed line
    divergence: Optional[Step] = None  # first difference from the passing runs (in the failing run)
    origin: Optional[tuple[str, int]] = None  # where the failure came from: the chain's first line
    tried: Optional[Tried] = None  # a change at ``line`` that made the test pass, where one was tried
