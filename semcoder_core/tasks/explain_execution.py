"""Explain one call: what really ran (always), and the model's monologue checked against it (with a model)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Optional

from ..annotate import line_annotation
from ..models import Backend, Decoding
from ..sandbox import Sandbox
from ..tracer.schema import Trace
from .compare import DISAGREE, UNCHECKED
from .predict import Prediction, predict_call
from .targets import CallTarget


@dataclass
class ExecutionExplanation:
    markdown: str
    observed: Optional[Trace]
    prediction: Optional[Prediction] = None


def explain_execution(
    target: CallTarget,
    sandbox: Sandbox,
    backend: Optional[Backend] = None,
    decoding: Optional[Decoding] = None,
    overlay: Optional[dict[str, str]] = None,
    cancel: Optional[threading.Event] = None,
    on_text: Callable[[str], None] = lambda piece: None,
    max_values: int = 5,
) -> ExecutionExplanation:
    if backend is None:
        observed = sandbox.trace_call(target.function.file, target.call, None, overlay, cancel)
        return ExecutionExplanation(observed_markdown(target, observed, max_values), observed)
    prediction = predict_call(backend, target, decoding or Decoding(), sandbox, overlay, cancel, on_text)
    parts = [prediction_markdown(prediction)]
    if prediction.observed is not None:
        parts.append(observed_markdown(target, prediction.observed, max_values))
    return ExecutionExplanation("\n\n".join(parts), prediction.observed, prediction)


def observed_markdown(target: CallTarget, observed: Trace, max_values: int = 5) -> str:
    """What the run did, line by line: the tracer's facts, no model involved."""
    func = target.function
    status = observed.get("status")
    out = [f"### `{target.call}` — what really ran"]
    if status == "ok":
        out.append(f"Returned `{observed.get('return_repr')}`.")
    elif status == "exception":
        exc = observed.get("exception")
        where = f" at line {exc['line']}" if exc and exc.get("line") else ""
        out.append(f"Raised `{exc['type']}: {exc['message']}`{where}." if exc else "Raised an exception.")
    else:
        out.append(f"The run did not finish: {status}. {observed.get('error') or ''}".strip())
        return "\n\n".join(out)
    lines = (observed.get("lines") or {}).get(func.file, {})
    rows = ["| line | code | ran | values |", "|---:|---|---:|---|"]
    code_lines = func.code.splitlines()
    for offset, text in enumerate(code_lines):
        line = func.first_line + offset
        entry = lines.get(str(line))
        if not entry or not text.strip():
            continue
        note = line_annotation(entry, max_values) or ""
        rows.append(f"| {line} | `{_cell(text.strip())}` | {entry.get('hits', 0)}× | {_cell(note)} |")
    if len(rows) > 2:
        out.append("\n".join(rows))
    return "\n\n".join(out)


def prediction_markdown(prediction: Prediction) -> str:
    target = prediction.target
    out = [f"### `{target.call}` — the model's prediction"]
    out.append(f"_A prediction by `{prediction.model}`, checked against the real run where it could be run._")
    if prediction.status == "error":
        out.append(f"**The model did not answer:** {prediction.error}")
        return "\n\n".join(out)
    counts = {v: sum(1 for c in prediction.checks if c.verdict == v) for v in ("agree", DISAGREE, UNCHECKED)}
    verdict = ""
    if prediction.return_verdict is True:
        verdict = " ✓ matches the real run"
    elif prediction.return_verdict is False:
        returned = prediction.observed["return_repr"] if prediction.observed else None
        verdict = f" ✗ the real run returned `{returned}`"
    if prediction.predicted_return is not None:
        out.append(f"Predicted return: `{prediction.predicted_return}`{verdict}")
    else:
        out.append("The completion has no `[ANSWER]` block: no predicted return.")
    if prediction.checks:
        out.append(
            f"Predicted states: {counts['agree']} agree with the run, {counts[DISAGREE]} disagree, "
            f"{counts[UNCHECKED]} could not be checked."
        )
    wrong = prediction.disagreements()
    if wrong:
        rows = ["| line | variable | predicted | observed |", "|---:|---|---|---|"]
        for item in wrong:
            observed = ", ".join(f"`{_cell(v)}`" for v in item["observed"][:3] if v is not None)
            rows.append(f"| {item['line']} | `{item['variable']}` | `{_cell(item['predicted'] or '')}` | {observed} |")
        out.append("**Where the prediction and the run disagree** (often where the code does not do what it seems to):")
        out.append("\n".join(rows))
    monologue = prediction.raw.split("[/MONOLOGUE]")[0].strip()
    if monologue:
        out.append("<details><summary>The model's reasoning</summary>\n\n" + monologue + "\n\n</details>")
    return "\n\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")[:160]
