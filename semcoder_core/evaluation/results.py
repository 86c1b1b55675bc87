"""What an evaluation produced: per problem, per generation; pass@k; the ``--json`` document."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from .passk import pass_at_ks

KS = (1, 5, 10, 100)


@dataclass
class Attempt:
    """One generation of one problem and how its check went."""

    passed: bool
    status: str  # passed, failed, error, timeout, memory-limit, crashed, missing (no answer), invalid
    answer: Optional[str] = None  # the extracted answer or code; None when there was none
    raw: Optional[str] = None
    detail: Optional[str] = None  # the exception, for a failed check
    plus: Optional[bool] = None  # the extra ("plus") tests, where the data has them


@dataclass
class ProblemResult:
    id: str
    category: str
    attempts: list[Attempt]
    prompt: Optional[str] = None
    time_limit_s: Optional[float] = None

    @property
    def outcomes(self) -> list[bool]:
        return [a.passed for a in self.attempts]


@dataclass
class EvalResult:
    benchmark: str  # e.g. "cruxeval-output", "humaneval"
    problems: list[ProblemResult]
    settings: dict = field(default_factory=dict)  # prompt style, model, decoding, time limits...
    notes: list[str] = field(default_factory=list)
    category_label: str = "category"

    @property
    def per_sample(self) -> dict[str, list[bool]]:
        return {p.id: p.outcomes for p in self.problems}

    @property
    def pass_at_k(self) -> dict[int, float]:
        return pass_at_ks(self.per_sample, KS)

    @property
    def pass_at_1(self) -> float:
        return self.pass_at_k.get(1, 0.0)

    @property
    def has_plus(self) -> bool:
        return any(a.plus is not None for p in self.problems for a in p.attempts)

    def plus_per_sample(self) -> dict[str, list[bool]]:
        """Base and extra tests both passed (EvalPlus' "base + extra")."""
        return {p.id: [a.passed and bool(a.plus) for a in p.attempts] for p in self.problems}

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for problem in self.problems:
            for attempt in problem.attempts:
                counts[attempt.status] += 1
        return dict(sorted(counts.items()))

    def by_category(self) -> dict[str, tuple[int, float]]:
        """category -> (problems, pass@1), in the order categories first appear when sorted by name."""
        groups: dict[str, list[ProblemResult]] = defaultdict(list)
        for problem in self.problems:
            groups[problem.category].append(problem)
        out = {}
        for name in sorted(groups, key=_natural):
            members = groups[name]
            out[name] = (len(members), pass_at_ks({p.id: p.outcomes for p in members}, (1,)).get(1, 0.0))
        return out

    def document(self) -> dict:
        """The ``--json`` answer (design.md: ``pass_at_1``, ``n_samples``, ``per_sample``) and more."""
        doc: dict = {
            "benchmark": self.benchmark,
            "pass_at_1": self.pass_at_1,
            "n_samples": len(self.problems),
            "per_sample": self.per_sample,
            "pass_at_k": {str(k): v for k, v in self.pass_at_k.items()},
            "generations_per_sample": max((len(p.attempts) for p in self.problems), default=0),
            "answers": {p.id: [a.answer for a in p.attempts] for p in self.problems},
            "statuses": self.statuses(),
            "settings": self.settings,
            "notes": self.notes,
        }
        if self.has_plus:
            plus = self.plus_per_sample()
            doc["plus"] = {"pass_at_1": pass_at_ks(plus, (1,)).get(1, 0.0), "per_sample": plus}
        return doc

    def full_document(self) -> dict:
        """Everything, for ``--report``: prompts, raw generations, answers, statuses, limits."""
        doc = self.document()
        doc["by_category"] = {
            "label": self.category_label,
            "groups": {k: {"problems": n, "pass_at_1": v} for k, (n, v) in self.by_category().items()},
        }
        doc["problems"] = [
            {
                "id": p.id,
                "category": p.category,
                "prompt": p.prompt,
                "time_limit_s": p.time_limit_s,
                "attempts": [
                    {
                        "passed": a.passed,
                        "status": a.status,
                        "answer": a.answer,
                        "detail": a.detail,
                        "plus": a.plus,
                        "raw": a.raw,
                    }
                    for a in p.attempts
                ],
            }
            for p in self.problems
        ]
        return doc


def _natural(name: str) -> tuple:
    """``"2-3 lines"`` before ``"10+ lines"``: by the first number in the name, then the name."""
    digits = ""
    for char in name:
        if char.isdigit():
            digits += char
        elif digits:
            break
    return (int(digits) if digits else float("inf"), name)
