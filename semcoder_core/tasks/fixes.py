"""The model in the failing-test jobs: its analysis for ``explain``, its fixes for the repair search."""

from __future__ import annotations

import threading
from typing import Callable, Optional

from ..models import Backend, Decoding, ModelError
from ..tracer.schema import Trace
from .model_fix import analyse, analysis_markdown, apply_to_file, propose
from .targets import failing_call


def proposer(
    backend: Backend,
    settings,
    samples: int,
    source_of: Callable[[str], str],
    cancel: Optional[threading.Event] = None,
    notes: Optional[list[str]] = None,
) -> Callable[[Trace], list[tuple[str, str, str]]]:
    """A ``propose`` hook for :func:`semcoder_core.repair.search`: ``samples`` refinements of the failing
    call, each turned into the whole new text of its file. A model failure is noted, not raised: the
    mutation search goes on without it."""

    def run(failing_doc: Trace) -> list[tuple[str, str, str]]:
        failing = failing_call(failing_doc, source_of)
        if failing is None:
            _note(notes, "the model was not asked: no call of the code under test was found in the failing run")
            return []
        decoding = Decoding.from_settings(settings.model)
        try:
            fixes = propose(backend, failing, decoding, samples, cancel)
        except ModelError as exc:
            _note(notes, f"the model gave no fixes: {exc}")
            return []
        source = source_of(failing.function.file)
        out = []
        for fix in fixes:
            text = apply_to_file(source, failing.function, fix.code) if fix.code else None
            if text is not None:
                out.append((failing.function.file, text, f"model:{backend.name}"))
        if not out:
            _note(notes, f"none of the model's {len(fixes)} answers held a usable fix of {failing.function.name}()")
        return out

    return run


def model_section(
    backend: Backend,
    settings,
    failing_doc: Trace,
    source_of: Callable[[str], str],
    cancel: Optional[threading.Event] = None,
    on_text: Callable[[str], None] = lambda piece: None,
) -> tuple[str, Optional[str]]:
    """The markdown of the model's debugging monologue for a failing test, and the error if it failed."""
    failing = failing_call(failing_doc, source_of)
    if failing is None:
        return "_The model was not asked: no call of the code under test was found in the failing run._", None
    try:
        fix = analyse(backend, failing, Decoding.from_settings(settings.model), cancel, on_text)
    except ModelError as exc:
        return f"_The model did not answer: {exc}_", str(exc)
    return analysis_markdown(fix, backend.name), None


def _note(notes: Optional[list[str]], text: str) -> None:
    if notes is not None:
        notes.append(text)
