"""Predicted output and line states of a call, from SemCoder's forward monologue, next to the real run."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..annotate import executed_return_line
from ..models import Backend, Decoding, ModelError
from ..prompts.formats import STOP_ANSWER, forward_monologue, normalize_quotes
from ..prompts.monologue import extract_states, predicted_lines, predicted_return
from ..sandbox import RunCancelled, Sandbox
from ..tracer.schema import FileLines, LineEntry, Trace
from .compare import AGREE, DISAGREE, Check, check_states, same_value
from .targets import CallTarget


@dataclass
class Prediction:
    target: CallTarget
    prompt: str
    raw: str = ""
    model: str = ""
    status: str = "ok"  # ok | no-answer | error
    error: Optional[str] = None
    predicted_return: Optional[str] = None
    predicted: dict[int, LineEntry] = field(default_factory=dict)  # file line -> {"hits", "states"}
    observed: Optional[Trace] = None  # the trace document of the same call, or None
    checks: list[Check] = field(default_factory=list)
    return_verdict: Optional[bool] = None
    cached: bool = False

    @property
    def file(self) -> str:
        return self.target.function.file

    @property
    def observed_lines(self) -> Optional[FileLines]:
        if self.observed is None or self.observed.get("status") not in ("ok", "exception"):
            return None
        return (self.observed.get("lines") or {}).get(self.file, {})

    def disagreements(self) -> list[dict]:
        out = [
            {
                "file": self.file,
                "line": c.line,
                "variable": c.variable,
                "predicted": c.predicted,
                "observed": list(c.observed),
            }
            for c in self.checks
            if c.verdict == DISAGREE
        ]
        if self.return_verdict is False and self.observed is not None:
            line = self.return_line() or self.target.function.first_line
            observed = self.observed.get("return_repr")
            out.append(
                {
                    "file": self.file,
                    "line": line,
                    "variable": "return",
                    "predicted": self.predicted_return,
                    "observed": [observed],
                }
            )
        return out

    def return_line(self) -> Optional[int]:
        """The file line of the ``return`` that ran, where the run shows one."""
        lines = self.observed_lines
        if lines is None:
            return None
        func = self.target.function
        line = executed_return_line(func.code, 1, _relative(lines, func.first_line))
        return func.file_line(line) if line else None

    def document(self) -> dict:
        """The ``predict --json`` contract (design.md)."""
        observed = self.observed
        ran = observed is not None and observed["status"] in ("ok", "exception")
        return {
            "status": self.status,
            "error": self.error,
            "model": self.model,
            "call": self.target.call,
            "raw": self.raw,
            "predicted_return": self.predicted_return,
            "predicted_lines": {self.file: {str(k): v for k, v in self.predicted.items()}},
            "observed_return": observed["return_repr"] if observed and ran else None,
            "observed_status": observed["status"] if observed else None,
            "observed_lines": {self.file: self.observed_lines} if ran else None,
            "disagreements": self.disagreements(),
            "agreement": {
                verdict: sum(1 for c in self.checks if c.verdict == verdict)
                for verdict in ("agree", "disagree", "unchecked")
            },
            "return_agrees": self.return_verdict,
            "cached": self.cached,
        }


def _relative(lines: FileLines, first_line: int) -> FileLines:
    return {str(int(k) - first_line + 1): v for k, v in lines.items()}


def prompt_for(target: CallTarget) -> str:
    return forward_monologue(normalize_quotes(target.function.code), normalize_quotes(target.call))


def predict_call(
    backend: Backend,
    target: CallTarget,
    decoding: Decoding,
    sandbox: Optional[Sandbox] = None,
    overlay: Optional[dict[str, str]] = None,
    cancel: Optional[threading.Event] = None,
    on_text: Callable[[str], None] = lambda piece: None,
) -> Prediction:
    """Ask the model for ``target``'s monologue while the sandbox runs the same call; compare them.

    A model failure (server down, garbage output) gives a Prediction with ``status`` error or
    no-answer and the real run still filled in."""
    func = target.function
    prediction = Prediction(target, prompt_for(target), model=backend.name)
    with ThreadPoolExecutor(max_workers=1) as pool:
        run = None
        if sandbox is not None:
            run = pool.submit(sandbox.trace_call, func.file, target.call, None, overlay, cancel)
        pieces: list[str] = []
        try:
            for piece in backend.stream(prediction.prompt, decoding.with_stop(STOP_ANSWER), cancel):
                pieces.append(piece)
                on_text(piece)
            prediction.raw = "".join(pieces)
        except ModelError as exc:
            prediction.raw = "".join(pieces)
            prediction.status, prediction.error = "error", str(exc)
        if run is not None:
            try:
                prediction.observed = run.result()
            except RunCancelled:
                raise
    if prediction.status == "ok":
        # the stop string was cut off; put it back so the answer block reads like the model's
        text = prediction.raw + STOP_ANSWER
        prediction.predicted_return = predicted_return(text)
        states = extract_states(text, func.code)
        prediction.predicted = predicted_lines(states, line_offset=func.first_line - 1)
        if prediction.predicted_return is None:
            prediction.status = "no-answer"
            prediction.error = "the model's completion has no [ANSWER] block"
    observed_lines = prediction.observed_lines
    if observed_lines is not None and prediction.observed is not None:
        observed = prediction.observed
        args = _arguments(observed, func)
        prediction.checks = check_states(prediction.predicted, observed_lines, args, func.first_line)
        if prediction.predicted_return is not None and observed.get("status") == "ok":
            prediction.return_verdict = same_value(prediction.predicted_return, observed.get("return_repr") or "")
    return prediction


def _arguments(observed: Optional[Trace], func) -> dict[str, str]:
    for call in (observed.get("calls") if observed else None) or []:
        if call.get("file") == func.file and call.get("line") == func.first_line and call.get("records"):
            return call["records"][0].get("args") or {}
    return {}


__all__ = ["AGREE", "DISAGREE", "Prediction", "predict_call", "prompt_for"]
