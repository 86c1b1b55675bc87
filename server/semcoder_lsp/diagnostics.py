"""Diagnostics: failing tests at the failing line, linked to where the code under test went wrong;
syntax errors; tests pytest could not collect (a missing dependency, usually) with what to do."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from semcoder_core.annotate import is_test_file
from semcoder_core.findings import wrong_value_origin
from semcoder_core.tracer.schema import NO_EXCEPTION, NO_FAILURE, ExceptionInfo

from .predictions import disagreements as predicted_disagreements
from .server import SemcoderServer
from .state import Project, Run
from .views import line_range

SOURCE = "semcoder"
_COLLECT_LOCATION = re.compile(r"^(\S+\.py):(\d+): in <module>", re.MULTILINE)
_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")


class _Builder:
    def __init__(self, server: SemcoderServer, project: Project) -> None:
        self.server = server
        self.project = project
        self.by_uri: dict[str, list[types.Diagnostic]] = {}

    def location(self, path: str, run_line: int, run: Run | None) -> types.Location | None:
        """Where ``run_line`` of the text ``run`` executed is now (None if that line was edited away)."""
        text = self.server.text_of(path)
        line = run_line
        if run is not None and path in run.texts:
            doc = self.server.document(self.server.uri_of(path))
            line = self.project.line_map(path, doc.version or 0 if doc else -1, run, text).new(run_line)
        if line is None:
            return None
        lines = text.splitlines()
        codec = self.server.workspace.position_codec
        return types.Location(uri=self.server.uri_of(path), range=line_range(lines, line - 1, codec))

    def add(self, location: types.Location, message: str, severity, code: str, related=None) -> None:
        self.by_uri.setdefault(location.uri, []).append(
            types.Diagnostic(
                range=location.range,
                message=message,
                severity=severity,
                source=SOURCE,
                code=code,
                related_information=related or None,
            )
        )


def _test_line(run: Run) -> tuple[str, int] | None:
    """The line of the test file where the test failed: its failing assertion, or its call into the code."""
    exc = run.doc.get("exception") or NO_EXCEPTION
    for frame in reversed(exc.get("traceback") or []):
        if is_test_file(frame["file"]):
            return frame["file"], frame["line"]
    test = run.doc.get("test")
    failure = (test["failure"] if test else None) or NO_FAILURE
    file, line = failure["file"], failure["line"]
    if file and line and is_test_file(file):
        return file, line
    return None


def _test_def_line(server: SemcoderServer, project: Project, node_id: str) -> tuple[str, int]:
    file, _, name = node_id.partition("::")
    path = str(project.root / file)
    short = name.split("::")[-1].split("[")[0]
    for number, text in enumerate(server.text_of(path).splitlines(), 1):
        if re.match(rf"\s*(async\s+)?def\s+{re.escape(short)}\b", text):
            return path, number
    return path, 1


def _failing_test(b: _Builder, run: Run) -> None:
    server, project = b.server, b.project
    test = run.doc.get("test")
    failure = (test["failure"] if test else None) or NO_FAILURE
    exc = run.doc.get("exception") or NO_EXCEPTION
    origin = wrong_value_origin(run.doc, server.text_of)
    if run.status == "timeout":
        where = _test_def_line(server, project, run.label)
        message = f"{run.label} did not finish: {exc.get('message', '')}. If it is only slow, raise run.timeoutSeconds."
        severity = types.DiagnosticSeverity.Warning
    else:
        where = _test_line(run) or _test_def_line(server, project, run.label)
        detail = failure.get("message") or exc.get("message") or run.status
        if failure.get("expected") is not None:
            detail = f"expected {failure['expected']}, got {failure['actual']}"
        elif exc.get("type") and exc.get("type") != "AssertionError":
            detail = f"{exc['type']}: {(exc.get('message') or '').splitlines()[0] if exc.get('message') else ''}"
        message = f"{run.label} failed: {detail}"
        severity = types.DiagnosticSeverity.Error
    at_test = b.location(where[0], where[1], run)
    at_origin = None
    if origin is not None:
        at_origin = b.location(origin.file, origin.line, run)
    elif run.status == "timeout" and exc["file"] and exc["line"]:
        at_origin = b.location(exc["file"], exc["line"], run)
    if at_test is not None:
        related = []
        if at_origin is not None:
            what = "still running here when time ran out" if run.status == "timeout" else _origin_text(origin)
            related.append(types.DiagnosticRelatedInformation(location=at_origin, message=what))
        b.add(at_test, message, severity, "failing-test", related)
    if at_origin is not None and at_origin.uri != (at_test.uri if at_test else None):
        if run.status == "timeout":
            text = f"{run.label} did not finish; it was running this line when time ran out"
        else:
            text = f"{run.label} fails: {_origin_text(origin)}"
            if failure.get("expected") is not None:
                text += f", expected {failure['expected']}"
        related = [types.DiagnosticRelatedInformation(location=at_test, message="the failing test")] if at_test else []
        b.add(at_origin, text, types.DiagnosticSeverity.Warning, "failing-test-origin", related)


def _origin_text(origin) -> str:
    if origin is None:
        return "went wrong here"
    return f"returned {origin.value} here" if origin.kind == "returned" else f"raised {origin.value} here"


def publish(server: SemcoderServer, project: Project) -> None:
    b = _Builder(server, project)
    for path, error in project.syntax_errors.items():  # buffers left out of runs (runs.odd_buffer)
        lines = server.text_of(path).splitlines()
        rng = line_range(lines, error["line"] - 1, server.workspace.position_codec)
        where = types.Location(uri=server.uri_of(path), range=rng)
        if error.get("code", "syntax-error") == "syntax-error":
            message = f"SyntaxError: {error['message']} (semcoder traces this file again once it parses)"
            b.add(where, message, types.DiagnosticSeverity.Error, "syntax-error")
        else:
            b.add(where, error["message"], types.DiagnosticSeverity.Warning, error["code"])
    batch = project.batch
    if batch is not None:
        for run in batch.runs:
            if run.status != "ok":
                _failing_test(b, run)
        if batch.error:
            _run_error(b, batch.error, tell=not batch.told, partial=bool(batch.runs))
            batch.told = True
    for path in project.predictions:
        text = server.text_of(path)
        lines = text.splitlines()
        for line, message in predicted_disagreements(project, path, text):
            rng = line_range(lines, line - 1, server.workspace.position_codec)
            b.add(
                types.Location(uri=server.uri_of(path), range=rng),
                message,
                types.DiagnosticSeverity.Information,
                "prediction-disagrees",
            )
    uris = set(b.by_uri) | project.published
    for uri in uris:
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=b.by_uri.get(uri, []))
        )
    project.published = set(b.by_uri)


def _run_error(b: _Builder, error: ExceptionInfo, tell: bool, partial: bool = False) -> None:
    """pytest could not run: say what happened and what to do, at the import that failed if we can tell."""
    message = error.get("message") or ""
    kind = error.get("type") or "error"
    summary = _last_error_line(message) or kind
    hint = _import_hint(message, b.project.root)
    if tell:  # once per run, not on every publish
        what = "some of the tests (the others ran)" if partial else "the tests"
        b.server.show_message(f"semcoder could not run {what}: {summary}.{hint}", types.MessageType.Warning)
    for file, line in _COLLECT_LOCATION.findall(message):
        path = file if Path(file).is_absolute() else str(b.project.root / file)
        if Path(path).is_file() and Path(path).resolve().is_relative_to(b.project.root):
            location = b.location(str(Path(path).resolve()), int(line), None)
            if location is not None:
                b.add(location, f"{summary}.{hint}", types.DiagnosticSeverity.Error, "collection-error")
            return


def _import_hint(message: str, root: Path) -> str:
    """What to do about an import that failed: install a dependency only when the missing module is not
    the project's own (a project module that lacks a name is an edit in progress, not a missing package)."""
    missing = _MISSING_MODULE.search(message)
    if missing is not None:
        top = missing.group(1).split(".")[0]
        if not any((folder / top).is_dir() or (folder / f"{top}.py").is_file() for folder in (root, root / "src")):
            return (
                " Install the project's dependencies into the interpreter semcoder runs"
                " (the `python` setting, or a .venv in the project)."
            )
    cannot = _CANNOT_IMPORT.search(message)
    if cannot is not None:
        return f" The test imports {cannot.group(1)}, which {cannot.group(2)} does not define (as edited)."
    return ""


def _last_error_line(message: str) -> str:
    for line in reversed(message.splitlines()):
        if line.startswith("E "):
            return line[1:].strip()
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def register(server: SemcoderServer) -> None:
    """Diagnostics are pushed after each run (see runs.py); nothing to register."""
