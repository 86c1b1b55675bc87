"""``monologue`` with a model: forward and backward monologues sampled from the code and its real
trace, kept only when their final answer checks out against execution (rejection sampling).

The prompt is a short instruction, the program with the run's concrete trace as comments (the format
of SemCoder's debugging baselines, ``semcoder_core.tracer.render``), then SemCoder's exact monologue
prompt, so the completion is a monologue as the row will hold it. A forward answer is accepted when
its value equals the run's output; a backward answer when its call, run for real in the sandbox,
returns the output. Samples are drawn in rounds (round *r* only for the runs no earlier sample
settled), each round one batch on engines that batch. An accepted monologue gets the row's exact tail,
``[/MONOLOGUE]\\n[ANSWER]\\nassert f(<args>) == <output>\\n[/ANSWER]``, written from the verified values.

Counters: ``annotation/forward-accepted`` / ``forward-rejected`` (one of the two per run), the same
for ``backward``, and ``annotation/model-error`` per failed generation.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Optional

from semcoder_core.models.base import Decoding, ModelError
from semcoder_core.prompts.answers import extract_answer
from semcoder_core.prompts.formats import STOP_ANSWER, backward_monologue, forward_monologue
from semcoder_core.tracer.render import render_concrete_trace

from .execute import Runner
from .rows import ENTRY, Program, Run
from .steps import trace_file
from .synthesis import backend_for, complete_all, model_label, raise_if_all_failed

INSTRUCTION = """\
Below is a Python function with the trace of one real execution of it, written as comments: \
[INPUT] holds the arguments, [STATE-k] the variables a line changed (k counts the changes in order), \
[OUTPUT] the value returned. Use the trace as the ground truth, but write the reasoning the task after \
it asks for as if you worked it out yourself, without mentioning the trace.

[TRACE]
{trace}
[/TRACE]

"""

#: a monologue shorter than this before its answer reasons about nothing
MIN_BODY_CHARS = 40


def trace_hint(code: str, run: Run) -> str:
    """The program with ``run``'s concrete trace as comments (the code alone when it has no trace)."""
    trace = run.trace or {}
    file = trace_file(trace)
    lines = (trace.get("lines") or {}).get(file) or {}
    if not lines:
        return code.rstrip("\n")
    calls = [c for c in trace.get("calls") or () if c.get("name") == ENTRY and c.get("file") == file]
    records = calls[0].get("records") if calls else None
    inputs = records[0].get("args") if records else None
    returned = [int(n) for n, e in lines.items() if e.get("returned") and run.output in (e.get("returns") or ())]
    return render_concrete_trace(
        code.rstrip("\n"),
        lines,
        inputs=inputs,
        output=run.output,
        output_line=returned[-1] if returned else None,
        exception=trace.get("exception"),
    )


def annotation_prompt(code: str, run: Run, direction: str) -> str:
    """The whole prompt for ``direction`` (``forward`` / ``backward``): instruction, traced code, and
    SemCoder's monologue prompt exactly as the exported row has it."""
    task = forward_monologue(code, run.call) if direction == "forward" else backward_monologue(code, ENTRY, run.output)
    return INSTRUCTION.format(trace=trace_hint(code, run)) + task


def _strict_equal(a, b) -> bool:
    """Equal with the same types all the way down (``1``, ``1.0`` and ``True`` are different answers)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    return a == b


def _literal(text: str):
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def forward_answer_ok(completion: str, output: str) -> bool:
    """The completion's output answer is the run's ``output``."""
    answer = extract_answer(completion, "output", restore=False)
    if not answer:
        return False
    ok, value = _literal(answer)
    ok_out, expected = _literal(output)
    return ok and ok_out and _strict_equal(value, expected)


def backward_call_args(completion: str) -> Optional[str]:
    """The argument text of the completion's input answer ``f(...)``, when every argument is a literal."""
    answer = extract_answer(completion, "input", restore=False)
    if not answer:
        return None
    try:
        node = ast.parse(answer.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == ENTRY):
        return None
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None
    values = [*node.args, *(k.value for k in node.keywords)]
    if not all(_literal(ast.unparse(v))[0] for v in values):
        return None
    return ", ".join(
        [*(ast.unparse(a) for a in node.args), *(f"{k.arg}={ast.unparse(k.value)}" for k in node.keywords)]
    )


def with_tail(completion: str, args: str, output: str) -> Optional[str]:
    """The monologue of ``completion`` ending in the row's exact tail; None when it has no body."""
    cut = completion.find("[/MONOLOGUE]")
    if cut < 0:
        cut = completion.rfind("[ANSWER]")
    body = (completion[:cut] if cut >= 0 else completion).rstrip()
    if len(body.strip()) < MIN_BODY_CHARS:
        return None
    return f"{body}\n[/MONOLOGUE]\n[ANSWER]\nassert {ENTRY}({args}) == {output}\n[/ANSWER]"


def annotate_with_model(
    programs: list[Program],
    model: dict,
    model_only: bool,
    stat_update: Callable[..., None],
    runner: Optional[Runner] = None,
) -> None:
    """Replace each run's monologues with the first sample of the model whose answer checks out; where
    none does, keep the verbaliser's text, or None when ``model_only``. ``runner`` runs the backward
    answers (a fresh default one when not given)."""
    backend = backend_for(model)
    samples = max(int(model.get("samples", 2)), 1)
    decoding = Decoding(
        max_tokens=int(model.get("max_tokens", 768)),
        temperature=float(model.get("temperature", 0.7)),
        stop=(STOP_ANSWER,),
        seed=0,
    )
    # (program index, run index, direction) -> accepted monologue
    pending = [
        (p, k, d)
        for p, program in enumerate(programs)
        for k in range(len(program.runs))
        for d in ("forward", "backward")
    ]
    accepted: dict[tuple[int, int, str], str] = {}
    own_runner = runner is None
    try:
        for round_ in range(samples):
            if not pending:
                break
            prompts = [annotation_prompt(programs[p].code, programs[p].runs[k], d) for p, k, d in pending]
            keys = [f"{programs[p].id}:{k}:{d}:{round_}" for p, k, d in pending]
            completions = complete_all(backend, prompts, decoding, keys)
            raise_if_all_failed(completions)
            candidates: dict[str, tuple[tuple[int, int, str], str, str]] = {}  # sandbox key -> item, args, text
            failed: set[tuple[int, int, str]] = set()
            for item, completion in zip(pending, completions):
                p, k, direction = item
                run = programs[p].runs[k]
                if isinstance(completion, ModelError):
                    stat_update("annotation/model-error")
                    failed.add(item)
                    continue
                text = completion.text + STOP_ANSWER  # the stop string is cut from the text
                if direction == "forward":
                    if forward_answer_ok(text, run.output):
                        response = with_tail(text, run.args, run.output)
                        if response is not None:
                            accepted[item] = response
                    continue
                args = backward_call_args(text)
                if args is not None:
                    candidates[f"{programs[p].id}#{k}#{round_}"] = (item, args, text)
            if candidates:
                if runner is None:
                    runner = Runner()
                done = runner.run([(key, programs[item[0]].code, args) for key, (item, args, _) in candidates.items()])
                for key, (item, args, text) in candidates.items():
                    run = programs[item[0]].runs[item[1]]
                    if done[key].ok and done[key].output == run.output:
                        response = with_tail(text, args, run.output)
                        if response is not None:
                            accepted[item] = response
            # a backend that failed is not asked again for the same item (a dead server fails every round)
            pending = [item for item in pending if item not in accepted and item not in failed]
    finally:
        if own_runner and runner is not None:
            runner.close()
    label = model_label(model)
    for p, program in enumerate(programs):
        used_model = used_verbaliser = False
        for k in range(len(program.runs)):
            for direction, texts in (("forward", program.forward), ("backward", program.backward)):
                response = accepted.get((p, k, direction))
                if response is not None:
                    stat_update(f"annotation/{direction}-accepted")
                    texts[k] = response
                    used_model = True
                    continue
                stat_update(f"annotation/{direction}-rejected")
                if model_only:
                    texts[k] = None
                elif texts[k]:
                    used_verbaliser = True
        if used_model:
            program.annotator = f"verbaliser+{label}" if used_verbaliser else label
        elif model_only:
            program.annotator = None
