"""``pyx-r``: debugging rows, from a verified program, a bug injected into it and the test it fails.

The bug comes from the repair search's own mutation operators (``semcoder_core.repair.mutate``: the
slips it knows how to fix are the slips it can make), at a line the program's runs executed. A mutant
becomes a row only when it really fails one of the program's verified inputs (a different output or
an exception, not a hang), so the failed test ``retv = f(...)`` / ``assert retv == <expected>`` fails
on the buggy code and passes on the original, which is the fix. The rationale is written from the
buggy run's trace by the verbaliser.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterable
from typing import Optional

from semcoder_core.prompts.formats import debug_refine, failed_test
from semcoder_core.repair.mutate import mutants

from .rows import ENTRY, Program
from .steps import _ProgramStep, trace_file

MUTANT_TIMEOUT_S = 0.5


def problem_text(program: Program) -> str:
    """The problem statement of a row: the program's own, or its signature and an example."""
    if program.nl:
        return program.nl
    signature = _signature(program.code)
    example = program.runs[0] if program.runs else None
    text = f"Write a function `{signature}`."
    if example is not None:
        text += f" For example, `{example.call}` should return `{example.output}`."
    return text


def _signature(code: str) -> str:
    tree = ast.parse(code)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY)
    return f"{ENTRY}({ast.unparse(func.args)})"


def _entry_lines(code: str) -> set[int]:
    tree = ast.parse(code)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY)
    return {n.lineno for n in ast.walk(func) if isinstance(n, ast.stmt) and n is not func}


class PyXRStep(_ProgramStep):
    """Up to ``per_program`` PyX-R rows per program, each with a bug that really fails a test."""

    name = "pyx-r"
    type = "🐞 - PYX-R"

    def __init__(self, per_program: int = 1, tries: int = 8, **kw) -> None:
        # The original runs in milliseconds: a mutant that needs longer is a hang, not a row (and a
        # short limit keeps the mutants that loop for ever from eating the stage's time).
        kw["timeout_s"] = min(kw.get("timeout_s", MUTANT_TIMEOUT_S), MUTANT_TIMEOUT_S)
        super().__init__(**kw)
        self.per_program, self.tries = per_program, tries

    def process(self, programs: list[Program]) -> Iterable[Program]:
        from . import verbalise

        candidates: dict[str, list] = {}
        for program in programs:
            program.refine = []
            ran = sorted({n for r in program.runs for n in r.lines} & _entry_lines(program.code))
            edits = [e for line in ran for e in mutants(program.code, line)]
            random.Random(f"pyxr:{program.id}").shuffle(edits)
            candidates[program.id] = edits[: self.tries]
        calls = [
            (f"{p.id}#{k}#{i}", edit.source, run.args)
            for p in programs
            for k, edit in enumerate(candidates[p.id])
            for i, run in enumerate(p.runs)
        ]
        outcomes = self.runner.run(calls)
        chosen: list[tuple[Program, object, int, str]] = []
        for program in programs:
            for k, edit in enumerate(candidates[program.id]):
                if len([c for c in chosen if c[0] is program]) >= self.per_program:
                    break
                failing = _first_failure(program, [outcomes[f"{program.id}#{k}#{i}"] for i in range(len(program.runs))])
                if failing is None:
                    self.stat_update("pyx-r/mutant-passes")
                    continue
                i, actual = failing
                chosen.append((program, edit, i, actual))
        traced = self.runner.run(
            [(f"{p.id}#{n}", edit.source, p.runs[i].args) for n, (p, edit, i, _) in enumerate(chosen)], keep_trace=True
        )
        for n, (program, edit, i, actual) in enumerate(chosen):
            run = program.runs[i]
            trace = traced[f"{program.id}#{n}"].trace or {}
            try:
                response = verbalise.refine_response(
                    edit.source, run.args, run.output, actual, trace, trace_file(trace), edit.line, program.code
                )
            except ValueError:
                self.stat_update("pyx-r/unverbalisable")
                continue
            test = failed_test(run.call, run.output)
            program.refine.append(
                {
                    "fault": debug_refine(problem_text(program), edit.source.rstrip("\n"), test),
                    "response": response,
                    "buggy": edit.source,
                    "failed_test": test,
                    "operator": edit.operator,
                    "line": edit.line,
                }
            )
        for program in programs:
            self.stat_update("rows/pyx-r", value=len(program.refine))
            yield program


def _first_failure(program: Program, outcomes: list) -> Optional[tuple[int, str]]:
    """The first of the program's runs the mutant gets wrong: (index, what it gave instead)."""
    for i, (run, outcome) in enumerate(zip(program.runs, outcomes)):
        if outcome.status == "ok" and outcome.output != run.output:
            return i, outcome.output
        if outcome.status == "exception":
            return i, outcome.message
    return None
