"""Functional evaluation: CRUXEval-O/I, HumanEval(+), MBPP(+), checks run sandboxed and in parallel, pass@k.

One module per concern: ``cruxeval`` and ``codegen`` (data, prompts, answers, check programs),
``generate`` (completions through any backend), ``execution`` (sandboxed parallel checks with
calibrated time limits), ``passk``, ``results``, ``report``; ``command`` is the CLI's job.
"""

from .execution import Check, Executor, TimeLimits, scratch_sandbox
from .passk import mean_pass_at_k, pass_at_k, pass_at_ks
from .results import Attempt, EvalResult, ProblemResult

__all__ = [
    "Attempt",
    "Check",
    "EvalResult",
    "Executor",
    "ProblemResult",
    "TimeLimits",
    "mean_pass_at_k",
    "pass_at_k",
    "pass_at_ks",
    "scratch_sandbox",
]
