"""Terminal rendering: annotated source, failures and a short account of each run."""

from __future__ import annotations

import ast
import contextlib
import re
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn
from rich.text import Text

from ..annotate import executed_functions, is_test_file, line_notes
from ..config import Settings
from ..findings import collection_cause, exception_line, wrong_value_origin
from ..pysource import parse_module
from ..tracer.schema import NO_EXCEPTION, NO_FAILURE, Consumed, ExceptionInfo, Lines, Trace

console = Console(highlight=False, soft_wrap=True)
_STATUS_STYLE = {
    "ok": ("✓", "green"),
    "exception": ("✗", "red"),
    "timeout": ("⏱", "yellow"),
    "memory-limit": ("✗", "red"),
    "crashed": ("✗", "red"),
    "syntax-error": ("✗", "red"),
    "error": ("✗", "red"),
}


class _Bar:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def step(self, text: str) -> None:
        if self.progress is not None:
            if self.task is None:
                self.task = self.progress.add_task(text, total=None)
            else:
                self.progress.update(self.task, description=text)

    def start_tests(self, total: int) -> None:
        if self.progress is not None and total:
            if self.task is None:
                self.task = self.progress.add_task("Tracing", total=total)
            else:
                self.progress.update(self.task, total=total, completed=0)

    def advance(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)


@contextlib.contextmanager
def progress(enabled: bool = True):
    if not enabled or not console.is_terminal:
        yield _Bar(None)
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        yield _Bar(bar)


def _rel(path: str, project: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project).as_posix()
    except ValueError:
        return path


def read_text(path: str) -> str:
    return "\n".join(_read(path))


def _read(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


_OPENING_QUOTE = re.compile(r"^(\s*)([rRuUbBfF]{0,2})(\"{3}|'{3}|\"|')")


def folded_docstrings(source: str) -> dict[int, tuple[int, str]]:
    """Docstrings over more than one line, as ``{first line: (last line, one-line form)}``: the
    opening quotes, the docstring's first line of text and `` …`` with the closing quotes."""
    try:
        tree = parse_module(source)
    except SyntaxError:
        return {}
    lines = source.splitlines()
    folded: dict[int, tuple[int, str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) or not node.body:
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
            continue
        if not isinstance(first.value.value, str) or first.end_lineno is None or first.end_lineno <= first.lineno:
            continue
        quote = _OPENING_QUOTE.match(lines[first.lineno - 1]) if first.lineno <= len(lines) else None
        if quote is None or first.col_offset != len(quote.group(1)):  # not alone at the start of its line
            continue
        summary = next((t.strip() for t in first.value.value.splitlines() if t.strip()), "")
        indent, prefix, marks = quote.groups()
        folded[first.lineno] = (first.end_lineno, f"{indent}{prefix}{marks}{summary} …{marks}")
    return folded


def annotated_source(
    path: str, file_lines: dict, settings: Settings, marks: dict[int, str] | None = None, calls: list | None = None
) -> Text:
    """The functions of ``path`` that ran, each line followed by its states; a docstring over more
    than one line is folded to its first line."""
    source = _read(path)
    marks = marks or {}
    notes = line_notes(path, "\n".join(source), file_lines, calls or [], settings.annotations.max_values_per_line)
    spans = executed_functions("\n".join(source), file_lines)
    ranges = [(s.start, s.end) for s in spans]
    if not ranges:  # module-level code only, e.g. a script
        executed = sorted(int(n) for n in file_lines)
        ranges = [(executed[0], executed[-1])] if executed else []
    docstrings = folded_docstrings("\n".join(source))
    shown: list[list[tuple[int, str, str]]] = []  # per range: (line number, text, dim note)
    for start, end in ranges:
        rows, lineno = [], start
        while lineno <= min(end, len(source)):
            if lineno in docstrings and lineno not in marks:
                last, text = docstrings[lineno]
                rows.append((lineno, text, f"(docstring, {last - lineno + 1} lines folded)"))
                lineno = last + 1
                continue
            rows.append((lineno, source[lineno - 1].rstrip(), ""))
            lineno += 1
        shown.append(rows)
    width = max((len(text) for rows in shown for _, text, _ in rows), default=0)
    width = min(max(width, 20), 72)
    out = Text()
    for index, rows in enumerate(shown):
        if index:
            out.append("   ⋮\n", style="dim")
        for lineno, text, folded in rows:
            entry = file_lines.get(str(lineno))
            ran = bool(entry and entry.get("hits"))
            out.append(f"{lineno:5d}  ", style="dim")
            out.append(text.ljust(width) if len(text) < width else text, style=None if ran else "dim")
            note = notes.get(lineno, "") if lineno not in marks else ""
            if folded:
                out.append("   " + folded, style="dim")
            if note:
                out.append("   " + note, style="cyan")
            if lineno in marks:
                out.append("   " + marks[lineno], style="bold red")
            out.append("\n")
    return out


def _files_in_order(lines: Lines) -> list[str]:
    """Code under test first, test files last."""
    return sorted(lines, key=lambda f: (is_test_file(f), f))


def _exception_marks(exc: ExceptionInfo | None) -> dict[str, dict[int, str]]:
    marks: dict[str, dict[int, str]] = {}
    if exc:
        for frame in exc.get("traceback", [])[:-1]:
            marks.setdefault(frame["file"], {})[frame["line"]] = "⟵ called here"
        file, line = exc["file"], exc["line"]
        if file and line:
            marks.setdefault(file, {})[line] = f"✗ {exc['type']}"
    return marks


def _print_collection_cause(exc: ExceptionInfo | None, project: Path, last: bool = True) -> bool:
    """Where a collection error comes from (file:line and the line of code); False if unknown."""
    cause = collection_cause(exc)
    if cause is None:
        return False
    if cause["file"]:
        path = cause["file"] if Path(cause["file"]).is_absolute() else str(project / cause["file"])
        console.print(Text(f"  {cause['type']} at {_rel(path, project)}:{cause['line']}", style="red"))
    if cause["source"]:
        console.print(Text("    " + cause["source"].replace("\n", "\n    "), style="dim"))
    if last:
        console.print(Text("  (pytest could not collect the tests; --json has its whole report)", style="italic"))
    return True


def print_trace(result: Trace, project: Path, settings: Settings) -> None:
    status = result["status"]
    sign, style = _STATUS_STYLE.get(status, ("?", "yellow"))
    test = result.get("test")
    target = result.get("target") or {}
    title = test["nodeid"] if test else target.get("call") or target.get("node") or ""
    header = Text(f"{sign} ", style=style)
    header.append(title, style="bold")
    if status != "ok" or result.get("exception"):
        header.append("  " + exception_line(result.get("exception")), style=style)
    console.print(header)
    if status in ("error", "syntax-error") and not result.get("lines"):
        # Nothing ran: say why, in full, instead of an account of an empty run.
        exc = result.get("exception") or NO_EXCEPTION
        if not _print_collection_cause(exc, project):
            rest = (exc["message"] or "").splitlines()[1:]
            if rest:
                console.print(Text("  " + "\n  ".join(rest), style="dim"))
            file, line = exc["file"], exc["line"]
            if file and line:
                console.print(Text(f"  {exc['type']} at {_rel(file, project)}:{line}", style="red"))
                source = _read(file)
                if 0 < line <= len(source):
                    console.print(Text("    " + source[line - 1].strip(), style="dim"))
        return
    _print_body(result, project, settings)


def _print_body(result: Trace, project: Path, settings: Settings) -> None:
    exc = result.get("exception")
    marks = _exception_marks(exc)
    test = result.get("test")
    failure = (test["failure"] if test else None) or NO_FAILURE
    if failure["expected"] is not None:
        console.print(Text(f"  expected {failure['expected']}, got {failure['actual']}", style="red"))
    lines = result.get("lines") or {}
    for path in _files_in_order(lines):
        console.print(Text("  " + _rel(path, project), style="bold blue"))
        console.print(annotated_source(path, lines[path], settings, marks.get(path), result.get("calls")), end="")
    consumed = result.get("consumed")
    if consumed:
        console.print(Text("  " + consumed_note(consumed, result["status"]), style="italic"))
    returned = result.get("return_repr")
    if returned is not None:
        shown = returned if len(returned) <= 2000 else returned[:2000] + "…"
        console.print(Text(f"  returned {shown}", style="green"))
    stdout = result.get("stdout") or ""
    if stdout.strip():
        shown = stdout if len(stdout) < 2000 else stdout[:2000] + "…"
        console.print(Text("  output:", style="bold"))
        console.print(Text("    " + shown.rstrip().replace("\n", "\n    "), style="dim"))
    console.print(Text("  " + account(result, project), style="italic"))


def consumed_note(consumed: Consumed, status: str = "ok") -> str:
    """What semcoder did with a generator or coroutine that the call returned."""
    kind = consumed["type"]
    ended = {"exception": "it raised", "timeout": "time ran out"}.get(status, "it stopped")
    if kind == "coroutine":
        ran = "it ran to its end" if consumed.get("complete") else f"{ended} before it finished"
        return f"The call returned a coroutine: semcoder ran it with asyncio.run under the trace ({ran})."
    items = consumed.get("items") or 0
    counted = f"{items} item{'s' if items != 1 else ''}"
    if consumed.get("complete"):
        how = f"all {counted}" if items else "it yielded nothing"
    elif status == "ok":
        how = f"stopped after {counted}: there were more"
    else:
        how = f"{ended} after {counted}"
    return f"The call returned a {kind}: semcoder iterated it under the trace ({how})."


def account(result: Trace, project: Path) -> str:
    """One or two sentences on what ran and where it went wrong."""
    lines = result.get("lines") or {}
    n_lines = sum(1 for f in lines.values() for e in f.values() if e.get("hits"))
    events = sum(e.get("hits", 0) for f in lines.values() for e in f.values())
    calls = result.get("calls") or []
    n_calls = sum(c["count"] for c in calls)
    text = (
        f"Ran {len(calls)} function{'s' if len(calls) != 1 else ''} ({n_calls} call{'s' if n_calls != 1 else ''}), "
        f"{n_lines} lines, {events} line executions in {result.get('duration_s', 0):.3f} s."
    )
    status = result["status"]
    exc = result.get("exception")
    file, line = (exc["file"], exc["line"]) if exc else (None, None)
    if status == "timeout" and file and line:
        text += f" Stopped at {_rel(file, project)}:{line} when time ran out."
    elif exc and file and status != "ok":
        text += f" {exc['type']} at {_rel(file, project)}:{line}."
    origin = wrong_value_origin(result, read_text)
    if origin is not None and origin.kind == "returned":
        where = f"{_rel(origin.file, project)}:{origin.line}"
        text += f" The value {origin.value} was returned by {origin.function}() ({where})."
    return text


def print_debug(report: dict, project: Path, settings: Settings) -> None:
    summary = report.get("summary")
    if report["status"] != "ok":
        uncollected = report.get("collect_errors") or []
        if len(uncollected) > 1:
            console.print(Text(f"✗ {report['target']}: pytest could not collect {len(uncollected)} files", style="red"))
            for entry in uncollected:
                exc: ExceptionInfo = {
                    "type": "CollectionError",
                    "message": entry.get("message", ""),
                    "file": None,
                    "line": None,
                }
                console.print(Text(f"✗ {entry.get('nodeid')}: {exception_line(exc)}", style="red"))
                _print_collection_cause(exc, project, last=entry is uncollected[-1])
            return
        console.print(Text(f"✗ {report['target']}: {exception_line(report.get('exception'))}", style="red"))
        _print_collection_cause(report.get("exception"), project)
        if report.get("stderr", "").strip():
            console.print(Text("    " + report["stderr"].strip().replace("\n", "\n    "), style="dim"))
        return
    if summary:
        parts = [
            f"{summary.get(k, 0)} {k}" for k in ("passed", "failed", "error", "skipped", "timeout") if summary.get(k)
        ]
        console.print(Text(f"{summary['total']} tests in {report['target']}: " + ", ".join(parts), style="bold"))
    if not report["tests"]:
        console.print(Text("✓ no failing tests", style="green"))
    for result in report["tests"]:
        console.print()
        print_trace(result, project, settings)


def print_fix(document: dict, node: str) -> None:
    """Validated fixes as unified diffs, or why there is none."""
    candidates = document["candidates"]
    if document["status"] == "fixed":
        head = f"✓ {node}: {document['message']} ({document['checked']} candidates in {document['duration_s']:.1f} s)"
        console.print(Text(head, style="green"))
    else:
        style = "yellow" if document["status"] in ("not-fixed", "partial") else "red"
        console.print(
            Text(f"{'~' if document['status'] == 'partial' else '✗'} {node}: {document['message']}", style=style)
        )
    if document.get("flaky"):
        console.print(Text("  flaky: " + ", ".join(document["flaky"]), style="yellow"))
    for candidate in candidates:
        passed = f"{candidate['tests_passed']}/{candidate['tests_run']} tests pass"
        if candidate.get("partial"):
            still = candidate["still_failing"]
            left = ", ".join(n.rsplit("::", 1)[-1] for n in still)
            head = f"  Partial fix (validated: {passed}; {left} still fail{'s' if len(still) == 1 else ''})"
            console.print(Text(f"{head}: {candidate['title']}", style="bold yellow"))
        else:
            console.print(Text(f"  Fix (validated: {passed}): {candidate['title']}", style="bold"))
        for line in candidate["diff"].splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            console.print(Text("    " + line, style=style))
    if not candidates and document.get("suspects"):
        where = ", ".join(f"{Path(s['file']).name}:{s['line']}" for s in document["suspects"][:5])
        console.print(Text(f"  most suspicious lines: {where}", style="dim"))
    console.print(Text("  Nothing was written: apply a fix yourself (e.g. with `git apply`).", style="dim"))


def print_markdown(text: str) -> None:
    """As written: the markdown reads as plain text, and no line is cut to the terminal's width."""
    console.print(Text(text))


def print_prediction(document: dict, streamed: bool) -> None:
    """Predicted beside observed, line by line, with agreement marked (✓ agrees, ✗ disagrees, ? unchecked)."""
    if streamed:
        console.print()
    if document["status"] == "error":
        console.print(Text(f"✗ the model did not answer: {document.get('error')}", style="red"))
    elif document["status"] == "no-answer":
        console.print(Text("? the model's completion has no [ANSWER] block", style="yellow"))
    file = next(iter(document["predicted_lines"]))
    predicted = document["predicted_lines"][file]
    observed = (document.get("observed_lines") or {}).get(file) or {}
    wrong = {(d["line"], d["variable"]) for d in document["disagreements"]}
    source = _read(file)
    lines = sorted({int(k) for k in predicted} | {int(k) for k, v in observed.items() if v.get("hits")})
    console.print(Text(f"{document['call']}   (≈ predicted by {document['model']}, = observed)", style="bold"))
    for line in lines:
        text = source[line - 1].rstrip() if 0 < line <= len(source) else ""
        seen = observed.get(str(line), {})
        obs = "; ".join(f"{k} = {v}" for state in seen.get("states", [])[:3] for k, v in state.items())
        guesses = []
        for state in predicted.get(str(line), {}).get("states", []):
            for name, value in state.items():
                mark = "✗" if (line, name) in wrong else "✓" if observed else "?"
                guesses.append(f"{mark} {name} ≈ {value}")
        row = Text(f"{line:>4}  {text[:60]:<60}  ")
        row.append(obs[:50], style="cyan")
        if guesses:
            row.append("   " + "; ".join(guesses)[:80], style="red" if any(g[0] == "✗" for g in guesses) else "green")
        console.print(row)
    ret = document.get("predicted_return")
    real = document.get("observed_return")
    verdict = {True: "✓", False: "✗", None: "?"}[document.get("return_agrees")]
    console.print(Text(f"returns ≈ {ret}   (observed: {real})  {verdict}", style="bold"))
    counts = document.get("agreement") or {}
    console.print(
        Text(
            f"{counts.get('agree', 0)} predicted states agree with the run, {counts.get('disagree', 0)} disagree, "
            f"{counts.get('unchecked', 0)} unchecked",
            style="dim",
        )
    )
