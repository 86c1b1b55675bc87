"""Search-based repair: mutate the most suspicious lines, keep only what the tests prove.

1. Baseline: the project's tests, untraced, three times in one warmed worker: which
   pass, which fail, which flip (flaky), and how long a run takes (the limit for a
   candidate is calibrated on it, so a mutant that loops or eats memory is cut off
   without stalling the search).
2. Localise: the failing test and the tests that reach the same files, traced once;
   lines ranked by Ochiai, ties broken towards the line that made the wrong value.
3. Candidates from the mutation operators at the top lines, checked in parallel
   workers (one warmed pytest process each, a fork per candidate): first against the
   failing test alone, then the survivors against every test, twice more for the
   ones that pass (a flaky pass is not a fix).
4. Validated fixes ranked by the size of the change, then suspiciousness.
"""

from __future__ import annotations

import difflib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import wrong_value_origin
from ..sandbox import RunCancelled, Sandbox
from ..testruns import with_neighbours
from ..tracer.schema import Trace
from .localize import Suspect, localize
from .mutate import Edit, mutants

BATCH = 24  # candidates per worker run: one pytest start-up (about a second) for each batch
# Likely edits first, across the top lines: a one-token change before a new statement.
_TIER = {"comparison": 0, "boolean": 0, "arithmetic": 0, "off-by-one": 0, "variable": 1, "swap": 1, "condition": 1}
TOP_LINES = 12
MAX_CANDIDATES = 600


@dataclass
class Candidate:
    edit: Edit
    file: str
    suspect: Suspect
    base: str = ""  # the text the edit applies to (an unsaved buffer, or the file on disk)
    validated: bool = False
    tests_run: int = 0
    tests_passed: int = 0
    note: str = ""
    origin: str = ""  # who proposed it: "" for a mutation operator, "model:<name>" for a model

    def diff(self, project: Path) -> str:
        rel = os.path.relpath(self.file, project)
        before = self.base.splitlines(keepends=True)
        after = self.edit.source.splitlines(keepends=True)
        return "".join(difflib.unified_diff(before, after, f"a/{rel}", f"b/{rel}"))

    @property
    def size(self) -> int:
        """Characters changed: the differing middle of the old and new text (not the line's length)."""
        if self.edit.operator == "guard":
            return 0  # one template: its defaults come in the order the function's annotation suggests
        before, after = self.edit.before.strip(), self.edit.after.strip()
        head = 0
        while head < min(len(before), len(after)) and before[head] == after[head]:
            head += 1
        tail = 0
        while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
            tail += 1
        return len(before) - head - tail + len(after) - head - tail

    def document(self, project: Path) -> dict:
        return {
            "diff": self.diff(project),
            "validated": self.validated,
            "source": self.origin or f"mutation:{self.edit.operator}",
            "tests_run": self.tests_run,
            "tests_passed": self.tests_passed,
            "file": self.file,
            "line": self.edit.line,
            "title": f"{os.path.relpath(self.file, project)}:{self.edit.line} {self.edit.title}",
            "score": self.suspect.score,
        }


@dataclass
class FixReport:
    status: str  # fixed | not-fixed | error
    message: str = ""
    candidates: list[Candidate] = field(default_factory=list)  # validated first
    suspects: list[Suspect] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    checked: int = 0
    duration_s: float = 0.0
    candidate_timeout_s: float = 0.0
    rejected: list[Candidate] = field(default_factory=list)  # made the test pass but broke another
    flaky_candidates: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # done / timeout / crashed / memory-limit
    unknown_test: bool = False  # pytest does not know the node id (the CLI says how to list the tests)

    def count(self, result: dict) -> None:
        status = result.get("status", "missing")
        self.outcomes[status] = self.outcomes.get(status, 0) + 1

    def document(self, project: Path) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "candidates": [c.document(project) for c in self.candidates],
            "suspects": [{"file": s.file, "line": s.line, "score": s.score} for s in self.suspects[:10]],
            "flaky": self.flaky,
            "checked": self.checked,
            "duration_s": round(self.duration_s, 3),
            "candidate_timeout_s": self.candidate_timeout_s,
            "rejected": [c.document(project) for c in self.rejected],
            "flaky_candidates": self.flaky_candidates,
            "outcomes": self.outcomes,
        }


def search(
    sandbox: Sandbox,
    project: Path,
    node_id: str,
    time_budget_s: float = 60.0,
    max_fixes: int = 3,
    workers: int | None = None,
    progress: Callable[[str], None] = lambda text: None,
    overlay: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    propose: Callable[[Trace], list[tuple[str, str, str]]] | None = None,
) -> FixReport:
    """Fixes of the failing test ``node_id``; ``overlay`` maps files to unsaved text that replaces
    them (the editor's buffers), ``cancel`` stops the search (its runs are killed).

    ``propose(failing_test_document)`` may add whole-file candidates ``(file, new_text, origin)`` (a
    model's fixes); they are checked first, by the same stages as every mutant."""
    overlay = dict(overlay or {})
    started = time.monotonic()
    deadline = started + time_budget_s
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    # 1. baseline
    progress("Running the tests as they are")
    base = sandbox.check_candidates([], [(f"base{i}", overlay) for i in range(3)], max(30.0, time_budget_s), cancel)
    runs = [base[f"base{i}"] for i in range(3)]
    if any(r["status"] != "done" for r in runs):
        bad = next(r for r in runs if r["status"] != "done")
        return FixReport("error", f"the tests could not run as they are ({bad['status']})")
    outcomes = [r["tests"] for r in runs]
    names = set().union(*outcomes)
    flaky = sorted(n for n in names if len({o.get(n) for o in outcomes}) > 1)
    target = _match(node_id, names)
    if target is None:
        return FixReport("error", f"pytest found no test {node_id}", unknown_test=True)
    if target in flaky:
        return FixReport("not-fixed", f"{target} is flaky: it passed and failed in three identical runs", flaky=flaky)
    if outcomes[0][target] in ("passed", "skipped"):
        return FixReport("not-fixed", f"{target} passes: nothing to fix")
    passing = sorted(n for n in names if all(o.get(n) == "passed" for o in outcomes))
    # The failing test alone first; a candidate that passes it runs every test three times over.
    stages = [{"node_ids": [target], "require": [target]}] + [{"node_ids": [], "require": [target, *passing]}] * 3
    limit = round(max(2.0, 5 * max(r["duration_s"] for r in runs) + 1.0), 2)
    # 2. localise
    progress("Tracing the failing test and the tests that reach the same code")
    suspects, origin, failing_doc = _localize(sandbox, project, target, overlay, cancel)
    if not suspects:
        return FixReport("not-fixed", "the failing test ran no code outside the tests", flaky=flaky)
    # 3. candidates: a model's proposals first, then the mutants
    edits: list[Candidate] = []
    if propose is not None and failing_doc is not None:
        progress("Asking the model for fixes")
        edits.extend(_proposed(propose(failing_doc), overlay, suspects))
    proposed = len(edits)
    for suspect in suspects[:TOP_LINES]:
        source = _text(suspect.file, overlay)
        for edit in mutants(source, suspect.line):
            edits.append(Candidate(edit, suspect.file, suspect, source))
            if len(edits) >= MAX_CANDIDATES:
                break
    edits[proposed:] = sorted(edits[proposed:], key=lambda c: _TIER.get(c.edit.operator, 2))  # stable
    report = FixReport("not-fixed", suspects=suspects, flaky=flaky, candidate_timeout_s=limit)
    fixes: list[Candidate] = []
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        position = 0
        while position < len(edits) and time.monotonic() < deadline and not fixes:
            wave = edits[position : position + BATCH * workers]
            position += len(wave)
            progress(f"Checking candidates {position}/{len(edits)} ({len(fixes)} validated)")
            batches = [wave[i : i + BATCH] for i in range(0, len(wave), BATCH)]
            if cancel is not None and cancel.is_set():
                raise RunCancelled("the search was cancelled")
            results = list(pool.map(lambda b: _check(sandbox, b, limit, stages, overlay, cancel), batches))
            report.checked += len(wave)
            survivors = []
            for batch in results:
                for candidate, result in batch:
                    report.count(result)
                    runs = result.get("stages") or []
                    if len(runs) < 2:
                        continue  # the failing test still fails (or the candidate timed out, crashed)
                    full = runs[1:]
                    candidate.tests_run = len(full[0])
                    candidate.tests_passed = sum(1 for v in full[0].values() if v == "passed")
                    if len(full) == 3 and all(_keeps(t, target, passing) for t in full):
                        survivors.append(candidate)
                    elif any(_keeps(t, target, passing) for t in full):
                        report.flaky_candidates += 1  # passed only sometimes: not a fix
                    else:
                        report.rejected.append(candidate)  # made the test pass, broke another
            survivors.sort(key=lambda c: (_TIER.get(c.edit.operator, 2), c.size, -c.suspect.score))
            for candidate in survivors[:max_fixes]:
                candidate.validated = True
                fixes.append(candidate)
    finally:
        pool.shutdown(wait=True)
    # A one-token change of an operator or bound before a swap or a new statement (a swap at the call
    # site often makes the caller compensate for the callee's bug); then the smallest change.
    fixes.sort(key=lambda c: (_TIER.get(c.edit.operator, 2), c.size, -c.suspect.score, c.edit.line))
    report.candidates = fixes
    report.duration_s = time.monotonic() - started
    if fixes:
        report.status = "fixed"
        report.message = f"{len(fixes)} validated fix{'es' if len(fixes) != 1 else ''}"
    elif report.checked < len(edits):
        report.message = f"no validated fix within {time_budget_s:g} s ({report.checked} of {len(edits)} checked)"
    else:
        report.message = f"none of {len(edits)} candidates passes the tests"
    return report


def _match(node_id: str, names: set[str]) -> str | None:
    if node_id in names:
        return node_id
    found = [n for n in names if n.startswith(node_id + "[") or n.endswith(node_id)]
    return found[0] if found else None


def _check(
    sandbox: Sandbox,
    batch: list[Candidate],
    limit: float,
    stages: list[dict],
    overlay: dict[str, str],
    cancel: threading.Event | None,
) -> list[tuple[Candidate, dict]]:
    items = [(str(i), {**overlay, c.file: c.edit.source}) for i, c in enumerate(batch)]
    results = sandbox.check_candidates([], items, limit, cancel=cancel, stages=stages)
    return [(c, results.get(str(i), {})) for i, c in enumerate(batch)]


def _keeps(tests: dict[str, str], target: str, passing: list[str]) -> bool:
    """The target passes, and so does every test that passed before."""
    return tests.get(target) == "passed" and all(tests.get(n) == "passed" for n in passing)


def _text(path: str, overlay: dict[str, str]) -> str:
    if path in overlay:
        return overlay[path]
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _localize(
    sandbox: Sandbox, project: Path, target: str, overlay: dict[str, str], cancel: threading.Event | None
) -> tuple[list[Suspect], tuple[str, int] | None, Trace | None]:
    """Rank the lines the failing test ran against the passing tests reaching the same files (other
    failing tests may fail for other reasons, so they are left out)."""
    failing, passing = with_neighbours(sandbox, project, target, overlay, cancel)
    if failing is None:
        return [], None, None
    origin = wrong_value_origin(failing, lambda p: _text(p, overlay))
    where = (origin.file, origin.line) if origin else None
    return localize([failing], passing, where), where, failing


def _proposed(items: list[tuple[str, str, str]], overlay: dict[str, str], suspects: list[Suspect]) -> list[Candidate]:
    """Whole-file proposals as candidates; duplicates and no-op texts dropped."""
    score = {(s.file, s.line): s for s in suspects}
    out: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for file, text, origin in items:
        base = _text(file, overlay)
        if text == base or (file, text) in seen:
            continue
        seen.add((file, text))
        line, before, after = _changed_span(base, text)
        suspect = score.get((file, line)) or Suspect(file, line, 0.0, 0, 0)
        out.append(Candidate(Edit("model", line, before, after, text), file, suspect, base, origin=origin))
    return out


def _changed_span(before: str, after: str) -> tuple[int, str, str]:
    """The first changed line (1-based) and the changed text before and after."""
    a, b = before.splitlines(), after.splitlines()
    blocks = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not blocks:
        return 1, "", ""
    first, last = blocks[0], blocks[-1]
    return first[1] + 1, "\n".join(a[first[1] : last[2]]), "\n".join(b[first[3] : last[4]])
