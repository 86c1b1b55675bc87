"""Code actions: `semcoder: Explain failing test` and `semcoder: Suggest fix` on a failing test, and
`semcoder: Explain execution` inside a function a run called.

The explanation opens as a markdown document (`window/showDocument` of a file in the temp folder,
never in the workspace): VS Code shows it beside the code with its markdown preview one click
away, Neovim and Emacs open it in a buffer; a message or a hover would cut it to a line or tie it
to the cursor. A fix is searched only when asked (it runs the tests many times); once validated,
each fix is offered as a quick fix whose edit is exactly that candidate, applied only if picked.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import tempfile
from pathlib import Path

from lsprotocol import types

from semcoder_core.annotate import is_test_file
from semcoder_core.errors import SemcoderError
from semcoder_core.tasks.targets import functions, observed_calls

from .server import SemcoderServer
from .state import Project, Run

EXPLAIN = "semcoder: Explain failing test"
FIX = "semcoder: Suggest fix"
EXECUTION = "semcoder: Explain execution"


@functools.lru_cache(maxsize=16)
def _functions(source: str, path: str) -> tuple:
    try:
        return tuple(functions(source, path))
    except SemcoderError:
        return ()


def execution_action(project: Project, path: str, text: str, line: int, uri: str) -> types.CodeAction | None:
    """`semcoder: Explain execution` inside a function the selected run called with literal arguments."""
    run = project.run_for(path)
    if run is None or is_test_file(path):
        return None
    inside = [f for f in _functions(text, path) if f.first_line <= line + 1 <= f.last_line]
    if not inside:
        return None
    function = max(inside, key=lambda f: f.first_line)
    ran = [f for f in _functions(run.texts.get(path, text), path) if f.qualname == function.qualname]
    calls = observed_calls(ran[0], run.doc.get("calls") or []) if ran else []
    if not calls:
        return None
    title = f"{EXECUTION} of {calls[0][0] if len(calls[0][0]) <= 60 else function.name + '(…)'}"
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.Empty,
        command=types.Command(title=title, command="semcoder.explainExecution", arguments=[uri, line]),
    )


def failing_runs(project: Project, path: str) -> list[Run]:
    """Failing tests that executed ``path`` or live in it."""
    out = []
    for run in project.batch.runs if project.batch else []:
        if run.status == "ok" or run.kind != "test":
            continue
        if run.covers(path) or str(project.root / run.label.partition("::")[0]) == path:
            out.append(run)
    return out


def text_edit(base: str, new: str) -> types.TextEdit | None:
    """One edit replacing the lines that differ between ``base`` and ``new`` (whole lines, column 0)."""
    a, b = base.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    changed = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changed:
        return None
    first_a, first_b = changed[0][1], changed[0][3]
    last_a, last_b = changed[-1][2], changed[-1][4]
    return types.TextEdit(
        range=types.Range(start=types.Position(first_a, 0), end=types.Position(last_a, 0)),
        new_text="".join(b[first_b:last_b]),
    )


def fix_actions(server: SemcoderServer, project: Project, run: Run, diagnostics: list) -> list[types.CodeAction]:
    found = project.fixes.get(run.label)
    if not found:
        return []
    key, candidates = found
    actions = []
    for candidate in candidates:
        if server.text_of(candidate.file) != candidate.base:
            continue  # the buffer changed since: this edit would not apply cleanly
        edit = text_edit(candidate.base, candidate.edit.source)
        if edit is None:
            continue
        rel = Path(candidate.file).relative_to(project.root).as_posix()
        if candidate.still_failing:
            count = len(candidate.still_failing)
            proof = (
                f"partial: {count} other failing test{'s' if count != 1 else ''} still fail{'s' if count == 1 else ''}"
            )
        else:
            proof = "tests pass"
        title = f"{FIX} — {rel}:{candidate.edit.line} {candidate.edit.title} ({proof})"
        actions.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=diagnostics or None,
                is_preferred=not actions and not candidate.still_failing,
                edit=types.WorkspaceEdit(changes={server.uri_of(candidate.file): [edit]}),
            )
        )
    return actions


def explanation_path(project: Project, node_id: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", node_id.rsplit("::", 1)[-1])[:60]
    digest = hashlib.sha1(f"{project.root}:{node_id}".encode()).hexdigest()[:8]
    folder = Path(tempfile.gettempdir()) / "semcoder-explanations"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{slug}-{digest}.md"


def register(server: SemcoderServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Empty]),
    )
    async def code_actions(ls: SemcoderServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        found = ls.locate(uri)
        if found is None:
            return []
        project, path = found
        ours = [d for d in params.context.diagnostics if d.source == "semcoder"]
        named = {d.message.split(" ", 1)[0] for d in ours}
        runs = failing_runs(project, path)
        if ours:  # at a diagnostic: the tests it names
            runs = [r for r in runs if r.label in named] or runs
        actions: list[types.CodeAction] = []

        def action(title: str, command: str, run: Run, suffix: str) -> types.CodeAction:
            return types.CodeAction(
                title=title + suffix,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=ours or None,
                command=types.Command(title=title, command=command, arguments=[uri, run.label]),
            )

        for run in runs[:3]:
            suffix = f" ({run.label.rsplit('::', 1)[-1]})" if len(runs) > 1 else ""
            actions.append(action(EXPLAIN, "semcoder.explainFailure", run, suffix))
            fixes = fix_actions(ls, project, run, ours)
            actions.extend(fixes or [action(FIX, "semcoder.suggestFix", run, suffix)])
        text, line = ls.text_of(path), params.range.start.line
        shown = project.run_for(path)
        key = (hash(text), line, shown.serial if shown else None)
        execution = await ls.work.run(  # parses the file: off the event loop
            ("action", uri), key, lambda stop: execution_action(project, path, text, line, uri)
        )
        if execution is not None:
            actions.append(execution)
        return actions
