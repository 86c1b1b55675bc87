"""CRUXEval: predict a function's output from its input (``output``), or an input from its output (``input``).

Follows the released SemCoder evaluation, which reproduces the recorded runs'
published pass@1 exactly (tests/evaluation): quotes in code, input and output
normalised to ``"`` in the prompt and restored in the answer; the answer read
from the last ``[ANSWER]`` (or bare ``ANSWER]``) block of the completion - after the
prompt when the raw carries it, continuing the block a direct prompt opens; the check
``{code}\\nassert {output} == {answer}`` (output) or ``{code}\\nassert {answer} == {output}``
(input) run on the original code in a process of its own, 3 s at least.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from ..errors import SemcoderError, UsageError
from ..jsonl import JsonlError, read_jsonl
from ..prompts import formats as F
from ..prompts.answers import extract_answer
from .execution import Check, Executor, Group, TimeLimits
from .results import Attempt, EvalResult, ProblemResult

BUNDLED = Path(__file__).resolve().parent / "data" / "cruxeval.jsonl"
MODES = ("output", "input")
STYLES = ("monologue", "direct", "cot")
STOP = F.STOP_ANSWER
OPENING = "[ANSWER]"
# The reference scorer's fixed limit; calibration only ever raises it.
TIME_LIMITS = TimeLimits(floor_s=3.0, factor=10.0)


class DatasetError(SemcoderError):
    """A benchmark file is missing or not in a format we read; the message says how to provide one."""


@dataclass(frozen=True)
class Problem:
    id: str  # "sample_N", the key of CRUXEval's generation files
    code: str
    input: str  # the call's arguments, as source
    output: str  # repr of the return value
    name: str  # the function's name: "f", or the renamed data's entry point

    @property
    def call(self) -> str:
        return f"{self.name}({self.input})"

    @property
    def category(self) -> str:
        lines = len(self.code.strip().splitlines())
        for low, high in ((2, 3), (4, 5), (6, 7), (8, 9)):
            if lines <= high:
                return f"{low}-{high} lines"
        return "10+ lines"


def load_problems(path: Optional[Path] = None) -> list[Problem]:
    """CRUXEval rows ``{code, input, output, id}`` or the renamed ``{task_id, prompt, input, output,
    entry_point}``; without ``path``, the bundled CRUXEval (MIT, facebookresearch/cruxeval)."""
    path = Path(path) if path is not None else BUNDLED
    if not path.is_file():
        raise DatasetError(f"CRUXEval data not found at {path}: give --data FILE (cruxeval.jsonl)")
    problems = []
    try:
        for number, row in read_jsonl(path):
            try:
                if "code" in row:
                    problems.append(Problem(row["id"], row["code"], row["input"], row["output"], "f"))
                else:
                    ident = "sample_" + str(row["task_id"]).rsplit("/", 1)[-1]
                    name = row.get("entry_point", "f")
                    problems.append(Problem(ident, row["prompt"], row["input"], row["output"], name))
            except (KeyError, TypeError) as exc:
                raise DatasetError(
                    f"{path}:{number}: not a CRUXEval row ({exc}); expected {{code, input, output, id}} "
                    "or {task_id, prompt, input, output, entry_point}"
                ) from exc
    except JsonlError as exc:
        raise DatasetError(f"{exc}; expected CRUXEval rows {{code, input, output, id}}") from exc
    return problems


def build_prompt(problem: Problem, mode: str, style: str = "monologue") -> str:
    """The prompt SemCoder's evaluation sends (``monologue``), or CRUXEval's ``direct`` / ``cot`` one."""
    n = F.normalize_quotes
    code, call, output = n(problem.code), n(problem.call), n(problem.output)
    if mode == "output":
        builders = {"monologue": F.forward_monologue, "direct": F.direct_output, "cot": F.cot_output}
        if style not in builders:
            raise UsageError(f"prompt style must be one of {', '.join(STYLES)}, not {style!r}")
        return builders[style](code, call)
    if mode == "input":
        if style == "monologue":
            return F.backward_monologue(code, problem.name, output, opening=F.EVALUATION_OPENING)
        if style == "direct":
            return F.direct_input(code, problem.name, output)
        if style == "cot":
            return F.cot_input(code, problem.name, output)
        raise UsageError(f"prompt style must be one of {', '.join(STYLES)}, not {style!r}")
    raise UsageError(f"mode must be 'output' or 'input', not {mode!r}")


def sent_prompts(problem: Problem, mode: str, style: str = "monologue") -> list[str]:
    """The prompts a raw generation of ``problem`` may start with: ``style``'s, then the mode's other
    styles' and, for ``input``, the backward monologue with the training data's ``PYTHON]`` opening
    (a raw file scored with the wrong ``--prompt`` is still read after its own prompt)."""
    prompts = [build_prompt(problem, mode, style)]
    prompts += [build_prompt(problem, mode, other) for other in STYLES if other != style]
    if mode == "input":
        n = F.normalize_quotes
        prompts.append(F.backward_monologue(n(problem.code), problem.name, n(problem.output)))
    return prompts


def split_raw(raw: str, prompts: Sequence[str]) -> tuple[Optional[str], str]:
    """The first of ``prompts`` that ``raw`` contains and the completion after it, or ``(None, raw)``
    when it contains none (the raw is the completion alone)."""
    for prompt in prompts:
        at = raw.find(prompt) if prompt else -1
        if at >= 0:
            return prompt, raw[at + len(prompt) :]
    return None, raw


def opens_block(prompt: str) -> bool:
    """Whether the prompt ends inside an answer block (CRUXEval's direct prompts end with ``[ANSWER]``)."""
    return prompt.rstrip().endswith(OPENING)


def extract(raw: str, mode: str, prompt: Optional[str] = None, others: Sequence[str] = ()) -> Optional[str]:
    """The answer of a raw generation (prompt + completion, or the completion alone), or None when
    the completion gave none; ``prompt`` is the one sent, ``others`` those the raw may carry instead.

    Read from the completion only: a monologue prompt mentions the tags and a few-shot prompt holds
    whole answer blocks, which the reference (the last block of the whole text) would read when the
    completion has no block of its own or a malformed one - such raws fail either way, so the published
    numbers stand. A direct prompt ends with ``[ANSWER]``: the completion continues that block, as in
    the reference, unless it opens a later one."""
    found, completion = split_raw(raw, [prompt, *others] if prompt is not None else others)
    sent = found if found is not None else prompt
    if sent is not None and opens_block(sent):
        return extract_answer(OPENING + "\n" + completion, mode)
    return extract_answer(completion, mode)


def check_program(problem: Problem, mode: str, answer: str) -> Optional[str]:
    """The program that passes when ``answer`` is right, or None when the answer cannot count: an
    input answer must call the function, an output answer must not be the call itself (as in
    CRUXEval's reference scorer, with the function's real name)."""
    if mode == "input":
        if f"{problem.name}(" not in answer:
            return None
        return f"{problem.code}\nassert {answer} == {problem.output}"
    if problem.call in answer:
        return None
    return f"{problem.code}\nassert {problem.output} == {answer}"


def reference_program(problem: Problem) -> str:
    return f"{problem.code}\nassert {problem.call} == {problem.output}"


def load_generations(path: Path) -> dict[str, list[str]]:
    """``{sample_id: [raw, ...]}`` as CRUXEval stores generations (a bare string counts as one)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read generations file {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise UsageError(f"generations file {path} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"generations file {path} must map sample ids to lists of generations")
    return {str(k): [v] if isinstance(v, str) else [str(x) for x in v] for k, v in data.items()}


def score(
    problems: list[Problem],
    generations: dict[str, list[str]],
    mode: str,
    executor: Executor,
    style: str = "monologue",
    limits: TimeLimits = TIME_LIMITS,
    progress=None,
) -> EvalResult:
    """Score raw generations of the problems that have some; ``progress(total)`` returns the
    ``advance`` callback of a progress bar (called for each check)."""
    chosen = [p for p in problems if p.id in generations]
    missing_ids = sorted(set(generations) - {p.id for p in problems})
    notes = [f"{len(missing_ids)} generation ids are not in the data and were skipped"] if missing_ids else []
    sent = {p.id: sent_prompts(p, mode, style) for p in chosen}
    prompts = {ident: candidates[0] for ident, candidates in sent.items()}
    problems_by_id = {p.id: p for p in chosen}
    attempts: dict[str, list[Attempt]] = {}
    checks: list[Check] = []
    foreign = 0  # raws that carry another style's prompt than the one asked for
    for problem in chosen:
        attempts[problem.id] = []
        for index, raw in enumerate(generations[problem.id]):
            found, _ = split_raw(raw, sent[problem.id])
            if found is not None and found != prompts[problem.id]:
                foreign += 1
            answer = extract(raw, mode, prompts[problem.id], sent[problem.id][1:])
            if answer is None:
                attempts[problem.id].append(Attempt(False, "missing", None, raw))
                continue
            program = check_program(problem, mode, answer)
            attempts[problem.id].append(Attempt(False, "invalid" if program is None else "pending", answer, raw))
            if program is not None:
                checks.append(Check(f"{problem.id}#{index}", program, 0.0))
    if foreign:
        notes.append(
            f"{foreign} generations carry another prompt than the {style!r} one; their answers were read "
            "after the prompt they carry"
        )
    by_problem: dict[str, list[Check]] = {}
    for check in checks:
        by_problem.setdefault(check.id.split("#")[0], []).append(check)
    groups = [Group(pid, reference_program(problems_by_id[pid]), items) for pid, items in by_problem.items()]
    advance = progress(len(checks)) if progress else (lambda: None)
    outcome = executor.run_calibrated(groups, limits, advance)
    if outcome.broken:
        notes.append(f"reference run failed for {len(outcome.broken)} problems (given the {limits.floor_s:g} s floor)")
    for check in checks:
        pid, number = check.id.split("#")
        result = outcome.results.get(check.id, {"status": "crashed"})
        attempt = attempts[pid][int(number)]
        attempt.passed = result["status"] == "passed"
        attempt.status = result["status"]
        if result.get("exception"):
            attempt.detail = f"{result['exception']['type']}: {result['exception']['message']}"
    time_limits = outcome.time_limits
    return EvalResult(
        benchmark=f"cruxeval-{mode}",
        problems=[
            ProblemResult(p.id, p.category, attempts[p.id], prompts[p.id], time_limits.get(p.id)) for p in chosen
        ],
        settings={"mode": mode, "prompt": style, "time_floor_s": limits.floor_s, "time_factor": limits.factor},
        notes=notes,
        category_label="code length",
    )
