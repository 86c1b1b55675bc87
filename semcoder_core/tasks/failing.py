"""The failing-test jobs, for the CLI (``semcoder explain``, ``semcoder fix``) and the language server
(``semcoder.explainFailure``, ``semcoder.suggestFix``) alike: explain why a test fails, from its trace
and the passing tests that reach the same code; search fixes that the tests validate. With a model
configured, each does more: its analysis follows the explanation, its fixes join the search.

What differs between the front ends comes in as arguments: the sandbox, the unsaved buffers that
replace files in runs (``overlay``; none from the CLI), how a file's text is read (``source_of``),
how progress is shown, and the event that cancels the job (its runs are killed; ``RunCancelled``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import SemcoderError
from ..explain import Tried
from ..findings import exception_summary
from ..models import Backend
from ..project import Target
from ..repair import FixReport, search
from ..sandbox import Sandbox
from ..testruns import neighbourhood, no_test_found, no_test_message, test_result
from ..tracer.schema import Trace

REPRS_CHANGED_IT = (
    "*Traced as it is, this test passes, and it fails untraced: a `__repr__` the tracer called changed the "
    "program's state (e.g. a cache that drops expired items when it is shown). It was traced again showing "
    "objects by their attributes, without calling their `__repr__`.*"
)


@dataclass
class Explained:
    """``semcoder explain``'s result: ``status`` "ok" (the test fails: explained) or "passed"."""

    status: str
    markdown: str
    failure: Optional[dict] = None  # {test, message, expected, actual}
    line: Optional[tuple[str, int]] = None  # the line blamed: where to look first (file, line)
    model: Optional[dict] = None  # {name, error} where a model was asked
    failing: Optional[Trace] = None  # the traced failing run
    origin: Optional[tuple[str, int]] = None  # where the failure came from (the chain's first line)
    tried: Optional[Tried] = None  # a change at ``line`` that made the test pass (the probe's)

    def document(self) -> dict:
        """The ``--json`` document: ``{status, markdown, failure[, line][, origin][, tried][, model]}``."""
        out: dict = {"status": self.status, "markdown": self.markdown, "failure": self.failure}
        if self.line:
            out["line"] = {"file": self.line[0], "line": self.line[1]}
        if self.origin:
            out["origin"] = {"file": self.origin[0], "line": self.origin[1]}
        if self.tried:
            t = self.tried
            out["tried"] = {
                "file": t.file,
                "line": t.line,
                "change": t.title,
                "kept_passing": t.kept,
                "other_failing": t.others,
                "fixed_other_failing": t.fixed_others,
            }
        if self.model is not None:
            out["model"] = self.model
        return out


@dataclass
class Fixed:
    """``semcoder fix``'s result: the search's report, and the model's notes where one proposed fixes."""

    report: FixReport
    node: str
    model: Optional[dict] = None  # {name, notes}

    def document(self, project: Path) -> dict:
        """The report's document (validated fixes first), with how to list the tests where pytest did
        not know the node id, and the model's name and notes."""
        out = self.report.document(project)
        if self.report.unknown_test:
            out["message"] = _no_test_message(project, self.node)
        if self.model is not None:
            out["model"] = self.model
        return out


def explain_test(
    sandbox: Sandbox,
    project: Path,
    node: str,
    source_of: Callable[[str], str],
    overlay: Optional[dict[str, str]] = None,
    cancel: Optional[threading.Event] = None,
    progress: Callable[[str], None] = lambda text: None,
    load_backend: Callable[[], Optional[Backend]] = lambda: None,
    settings=None,
    on_text: Callable[[str], None] = lambda piece: None,
    probe_s: float = 0.0,
) -> Explained:
    """Why the test ``node`` fails: traced in one run with the passing tests that reach the same code
    (the first place they part is shown); for up to ``probe_s`` seconds, the one-edit changes at the
    suspect lines are tried against the test and those passing tests (``repair.probe``), and the line
    of the best that makes it pass is the one to look at first; then the model's analysis, streamed
    to ``on_text``, where ``load_backend()`` gives a model (with its ``settings``); it is asked only
    once the test is known to fail, so that a model is not loaded for nothing. Raises SemcoderError
    when pytest does not collect the test."""
    from ..explain import explain_failure

    progress(f"Tracing {node} and the tests that reach the same code")
    found_around = neighbourhood(sandbox, project, node, overlay, cancel)
    failing, passing = found_around.failing, found_around.passing
    if failing is None:
        raise _not_collected(sandbox, project, node)
    if failing["status"] == "ok":
        return Explained("passed", f"`{node}` passes.", failing=failing)
    explanation = explain_failure(failing, source_of, project, passing)
    test = failing.get("test")
    if probe_s > 0 and test is not None:
        from ..repair.probe import probe

        node_id = test["nodeid"]
        blamed = explanation.line
        near = found_around.failing_near
        found = probe(sandbox, node_id, failing, passing, blamed, overlay or {}, probe_s, cancel, None, progress, near)
        if found is not None:
            edit = found.candidate.edit
            tried = Tried(found.candidate.file, edit.line, edit.title, found.kept, found.others, found.fixed_others)
            explanation = explain_failure(failing, source_of, project, passing, tried)
    markdown = explanation.markdown
    if found_around.reprs_changed_it:
        head, _, rest = markdown.partition("\n\n")
        markdown = f"{head}\n\n{REPRS_CHANGED_IT}\n\n{rest}"
    result = Explained(
        "ok",
        markdown,
        explanation.failure,
        explanation.line,
        failing=failing,
        origin=explanation.origin,
        tried=explanation.tried,
    )
    backend = load_backend()
    if backend is not None:
        from .fixes import model_section

        progress(f"Asking {backend.name.rsplit('/', 1)[-1]} why it fails")
        section, error = model_section(backend, settings, failing, source_of, cancel, on_text)
        result.markdown += "\n\n" + section
        result.model = {"name": backend.name, "error": error}
    return result


def fix_test(
    sandbox: Sandbox,
    project: Path,
    node: str,
    source_of: Callable[[str], str],
    overlay: Optional[dict[str, str]] = None,
    cancel: Optional[threading.Event] = None,
    progress: Callable[[str], None] = lambda text: None,
    time_budget_s: float = 60.0,
    workers: Optional[int] = None,
    backend: Optional[Backend] = None,
    settings=None,
    samples: Optional[int] = None,
) -> Fixed:
    """Search fixes of the failing test ``node`` (:func:`semcoder_core.repair.search`); with a
    ``backend``, ``samples`` of its fixes (default: the settings' ``model.samples``) are checked first.
    The project's files are never written."""
    overlay = overlay or {}
    propose = None
    notes: list[str] = []
    if backend is not None:
        from .fixes import proposer

        samples = samples or settings.model.samples
        propose = proposer(backend, settings, samples, lambda p: overlay.get(p) or source_of(p), cancel, notes)
    report = search(
        sandbox,
        project,
        node,
        time_budget_s,
        workers=workers,
        progress=progress,
        overlay=overlay,
        cancel=cancel,
        propose=propose,
    )
    model = {"name": backend.name, "notes": notes} if backend is not None else None
    return Fixed(report, node, model)


def _not_collected(sandbox: Sandbox, project: Path, node: str) -> SemcoderError:
    """Why pytest ran no test ``node``: it knows no such test (how to list those it knows), or the test
    could not run (the exception and where), from a run of it alone."""
    run = test_result(sandbox, _target(project, node))
    if no_test_found(run) is not None:
        return SemcoderError(_no_test_message(project, node))
    return SemcoderError(f"{node} could not run: {exception_summary(run.get('exception'), project)}")


def _no_test_message(project: Path, node: str) -> str:
    """For a node id pytest does not know: what to run to see the ones it does (as ``semcoder trace`` says)."""
    return no_test_message(_target(project, node))


def _target(project: Path, node: str) -> Target:
    return Target(project, (project / node.partition("::")[0]).resolve(), node)
