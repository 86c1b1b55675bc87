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

import ast
import difflib
import os
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import wrong_value_origin
from ..sandbox import RunCancelled, Sandbox
from ..spectrum import Suspect, covered, localize
from ..testruns import neighbourhood, node_distance
from ..textdiff import common_ends
from ..tracer.schema import Trace
from .mutate import Edit, mutants

# Likely edits first, across the top lines: a one-token change before a new statement.
_TIER = {
    "comparison": 0,
    "boolean": 0,
    "arithmetic": 0,
    "off-by-one": 0,
    "method": 0,  # the other one of a pair people confuse: startswith/endswith, min/max
    "function": 0,
    "variable": 1,
    "swap": 1,
    "tuple-swap": 1,
    "condition": 1,
    "missing-call": 1,  # adds a call (.strip(), abs(), len()): can normalise a test into passing
    "constant": 1,  # another literal of the module
    "sibling": 1,  # the operand the function's statements of the same form have
    "format": 1,  # a format spec or !r the f-string field lacks
}
TOP_LINES = 12
MAX_OTHER_TARGETS = 40  # other failing tests traced to see whether they run the suspect lines
HUNG_TRACE_S = 3.0  # how long a test that hung is traced: enough to see the loop
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
    still_failing: list[str] = field(default_factory=list)  # targets it leaves failing: a partial fix

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
        head, tail = common_ends(before, after)
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
            "partial": bool(self.still_failing),
            "still_failing": self.still_failing,
        }


@dataclass
class FixReport:
    status: str  # fixed | partial (only fixes that leave some targets failing) | not-fixed | error
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
    targets: list[str] = field(default_factory=list)  # the failing tests that run the suspect lines

    def count(self, result: dict) -> None:
        """Tally how a candidate's runs ended: ``done``, or cut off (``timeout``: the run or one of
        its tests ran out of time; ``crashed``, ``memory-limit``)."""
        status = result.get("status", "missing")
        if status == "done" and any("timeout" in tests.values() for tests in result.get("stages") or []):
            status = "timeout"
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
            "targets": self.targets,
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
    them (the editor's buffers), ``cancel`` stops the search (its runs are killed). The search
    ends by ``time_budget_s`` (every run is cut off at the deadline).

    ``propose(failing_test_document)`` may add whole-file candidates ``(file, new_text, origin)`` (a
    model's fixes); they are checked first, by the same stages as every mutant."""
    overlay = dict(overlay or {})
    started = time.monotonic()
    deadline = started + time_budget_s
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    # 1. baseline: the tests as they are; a test that hangs ends at the run's per-test limit and
    # is a failing test. Two more runs (flaky tests) go on beside the localisation.
    progress("Running the tests as they are")
    first = _first_run(sandbox, overlay, time_budget_s, cancel)
    if isinstance(first, str):
        return FixReport("error", first)
    hung = sorted(n for n, outcome in first["tests"].items() if outcome == "timeout")
    target = _match(node_id, set(first["tests"]))
    if target is None:
        return FixReport("error", f"pytest found no test {node_id}", unknown_test=True)
    side = ThreadPoolExecutor(max_workers=1)
    try:
        more = side.submit(_more_runs, sandbox, overlay, time_budget_s, cancel, hung)
        located: tuple[list[Suspect], Trace | None, list[str]] = ([], None, [target])
        if first["tests"][target] not in ("passed", "skipped"):  # (passing: flaky, or nothing to fix)
            # 2. localise, and the failing tests that run the suspect lines: the targets a fix should fix
            progress("Tracing the failing tests and the tests that reach the same code")
            failing_once = [n for n, outcome in first["tests"].items() if outcome in FAILED]
            located = _localize(sandbox, project, target, failing_once, hung, overlay, cancel, deadline)
        others_runs = more.result()
    finally:
        side.shutdown(wait=True)
    if isinstance(others_runs, str):
        return FixReport("error", others_runs)
    runs = [first, *others_runs]
    outcomes = [r["tests"] for r in runs]
    names = set().union(*outcomes)
    flaky = sorted(n for n in names if len({o.get(n) for o in outcomes}) > 1)
    if target in flaky:
        return FixReport("not-fixed", f"{target} is flaky: it passed and failed in three identical runs", flaky=flaky)
    if first["tests"][target] in ("passed", "skipped"):
        return FixReport("not-fixed", f"{target} passes: nothing to fix")
    passing = sorted(n for n in names if all(o.get(n) == "passed" for o in outcomes))
    durations: dict[str, float] = {}
    for run in runs:
        for name, seconds in (run.get("durations") or {}).items():
            durations[name] = max(durations.get(name, 0.0), seconds)
    run_s = max(r.get("duration_s", 0.0) for r in others_runs)
    # A candidate's tests get a limit calibrated on their own time; a test that hung gets one
    # calibrated on the passing tests of its own file (the tests most like it), else on the median
    # passing test: a candidate that leaves it looping costs about a second, not the run's limit.
    home = target.partition("::")[0]
    alike = [durations[n] for n in passing if n in durations and n.partition("::")[0] == home]
    basis = max(alike) if alike else statistics.median([durations[n] for n in passing if n in durations] or [0.0])
    hang_limit = round(min(sandbox.limits.timeout_s, max(1.0, 5 * basis + 1.0)), 2)
    limits = {n: round(max(1.0, 5 * d + 1.0), 2) for n, d in durations.items() if n not in hung}
    suspects, failing_doc, targets = located
    targets = [n for n in targets if n not in flaky or n == target]
    if not suspects:
        return FixReport("not-fixed", "the failing test ran no code outside the tests", flaky=flaky)
    others = [n for n in targets if n != target]
    # The chosen test alone first; a candidate that passes it runs the other targets and every
    # passing test three times over (a flaky pass is not a fix). Tests that hung and are not
    # targets are left out of those runs.
    idle = [n for n in hung if n not in targets]
    everything = {"node_ids": [], "require": [target, *passing], "deselect": idle}
    stages = [{"node_ids": [target], "require": [target]}] + [everything] * 3
    per_run = round(5 * run_s + 1.0 + hang_limit * len([n for n in hung if n in targets]), 2)
    # 3. candidates: a model's proposals first, then the mutants
    edits: list[Candidate] = []
    if propose is not None and failing_doc is not None:
        progress("Asking the model for fixes")
        edits.extend(_proposed(propose(failing_doc), overlay, suspects))
    edits.extend(candidates_at(suspects, overlay, MAX_CANDIDATES - len(edits)))
    report = FixReport(
        "not-fixed", suspects=suspects, flaky=flaky, candidate_timeout_s=per_run, targets=[target, *others]
    )
    checker = _Checker(edits, target, others, passing, max_fixes, deadline, cancel, report)
    if time.monotonic() < deadline:
        progress(f"Checking {len(edits)} candidates")
        check_all(sandbox, checker, overlay, per_run, stages, limits, hang_limit, workers, progress)
    if cancel is not None and cancel.is_set():
        raise RunCancelled("the search was cancelled")
    # A fix of every target before a partial one; then a one-token change of an operator or bound
    # before a swap or a new statement (a swap at the call site often makes the caller compensate
    # for the callee's bug); then the smallest change.
    order = {id(c): i for i, c in enumerate(edits)}  # last, the order the mutants came in: the likelier first
    fixes = sorted(checker.fixes, key=lambda c: (len(c.still_failing), *_rank(c), order.get(id(c), 0)))
    report.candidates = fixes[:max_fixes]
    for candidate in report.candidates:
        candidate.validated = True
    report.duration_s = time.monotonic() - started
    full = [c for c in report.candidates if not c.still_failing]
    if full:
        report.status = "fixed"
        report.message = f"{len(full)} validated fix{'es' if len(full) != 1 else ''}"
        if len(full) < len(report.candidates):
            report.message += f" and {len(report.candidates) - len(full)} partial"
    elif report.candidates:
        report.status = "partial"
        left = min(len(c.still_failing) for c in report.candidates)
        report.message = (
            f"only partial fixes: the best leaves {left} of the {len(targets)} failing tests that run the "
            f"suspect lines failing"
        )
    elif report.checked < len(edits):
        report.message = f"no validated fix within {time_budget_s:g} s ({report.checked} of {len(edits)} checked)"
    else:
        report.message = f"none of {len(edits)} candidates passes the tests"
    return report


def candidates_at(suspects: list[Suspect], overlay: dict[str, str], limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The mutants of the top suspect lines (at most ``limit``), likely edits first across the lines
    (a one-token change of an operator before a swap or a new statement), in suspect order within a tier."""
    batches: list[list[Candidate]] = []
    top = suspects[:TOP_LINES]
    ran = [s for s in suspects if not s.imported]
    for lines in (top, _run_at_import(suspects[TOP_LINES:], overlay, ran)):
        batch: list[Candidate] = []
        for suspect in lines:
            source = _text(suspect.file, overlay)
            for edit in mutants(source, suspect.line):
                if len(batch) + sum(map(len, batches)) >= limit:
                    break
                batch.append(Candidate(edit, suspect.file, suspect, source))
        batches.append(sorted(batch, key=lambda c: _TIER.get(c.edit.operator, 2)))  # stable
    return [c for batch in batches for c in batch]


def _run_at_import(suspects: list[Suspect], overlay: dict[str, str], ran: list[Suspect] | None = None) -> list[Suspect]:
    """The lines, beyond the top ones, that ran inside a function while the modules were imported: code
    that fills a registry or a table at import (``_irregular("person", "people")`` inserting into
    ``PLURALS``). Every test imports them, so the spectrum ranks them low whatever they did. The
    functions that change a global that a line the test ran reads come first (``PLURALS.insert(...)``
    where the test ran ``for rule, replacement in PLURALS:``), in the order they run; their mutants come after
    the top lines'."""
    trees: dict[str, ast.Module] = {}

    def tree_of(file: str) -> ast.Module:
        if file not in trees:
            try:
                trees[file] = ast.parse(_text(file, overlay))
            except (SyntaxError, ValueError):
                trees[file] = ast.Module(body=[], type_ignores=[])
        return trees[file]

    read: set[str] = set()  # the names the lines the test ran read
    by_file: dict[str, set[int]] = {}
    for suspect in ran or []:
        by_file.setdefault(suspect.file, set()).add(suspect.line)
    for file, lines in by_file.items():
        read |= {
            n.id
            for n in ast.walk(tree_of(file))
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.lineno in lines
        }
    bodies: dict[str, list[tuple[int, int, bool]]] = {}  # file -> (first, last line, changes what is read)
    scored: list[tuple[bool, str, int, Suspect]] = []
    for suspect in (s for s in suspects if s.imported):
        if suspect.file not in bodies:
            bodies[suspect.file] = [
                (node.body[0].lineno, node.end_lineno or node.lineno, bool(_changed_globals(node) & read))
                for node in ast.walk(tree_of(suspect.file))
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
        inside = [writes for first, last, writes in bodies[suspect.file] if first <= suspect.line <= last]
        if inside:
            scored.append((not any(inside), suspect.file, suspect.line, suspect))  # in a function that writes
    # in the order they run: a function's decisions (its first `if`) before the statements they lead to
    return [suspect for *_, suspect in sorted(scored, key=lambda item: item[:3])[:TOP_LINES]]


_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "remove", "pop", "discard", "clear"}


def _changed_globals(func: ast.AST) -> set[str]:
    """Names a function changes in place or rebinds as globals: ``TABLE.insert(...)``, ``TABLE[k] = v``."""
    out: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            if isinstance(node.func.value, ast.Name):
                out.add(node.func.value.id)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out |= {t.value.id for t in targets if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
        elif isinstance(node, ast.Global):
            out |= set(node.names)
    return out


FAILED = ("failed", "error", "timeout", "crashed", "memory-limit")


def _first_run(
    sandbox: Sandbox, overlay: dict[str, str], budget_s: float, cancel: threading.Event | None
) -> dict | str:
    """The tests as they are, once, each under the run's per-test limit (a test that hangs ends
    there); or why they could not run."""
    probe = sandbox.limits.timeout_s
    first = sandbox.check_candidates([], [("base0", overlay)], max(30.0, budget_s), cancel, test_timeout_s=probe)
    result = first.get("base0", {})
    if result.get("status") != "done":
        return f"the tests could not run as they are ({result.get('status', 'missing')})"
    return result


def _more_runs(
    sandbox: Sandbox, overlay: dict[str, str], budget_s: float, cancel: threading.Event | None, hung: list[str]
) -> list[dict] | str:
    """Two more runs of the tests as they are, without the tests that hung in the first."""
    again = sandbox.check_candidates(
        [],
        [(f"base{i}", overlay) for i in (1, 2)],
        max(30.0, budget_s),
        cancel,
        [{"node_ids": [], "require": [], "deselect": hung}],
        test_timeout_s=sandbox.limits.timeout_s,
    )
    runs = [again.get("base1", {}), again.get("base2", {})]
    bad = next((r for r in runs if r.get("status") != "done"), None)
    if bad is not None:
        return f"the tests could not run as they are ({bad.get('status', 'missing')})"
    for run in runs:
        run["tests"] = {**run["tests"], **{n: "timeout" for n in hung}}
    return runs


def _rank(c: Candidate) -> tuple:
    return (_TIER.get(c.edit.operator, 2), c.size, -c.suspect.score, c.edit.line)


class _Checker:
    """Takes the candidates' results as they stream in from the workers; says when to stop: a fix of
    every target was validated and every candidate ranked before it was checked (and the other
    candidates of its line and tier: its alternatives), ``max_fixes`` full fixes are in, the
    deadline passed, or the search was cancelled."""

    def __init__(
        self,
        edits: list[Candidate],
        target: str,
        others: list[str],
        passing: list[str],
        max_fixes: int,
        deadline: float,
        cancel: threading.Event | None,
        report: FixReport,
        repeats: int = 3,
    ) -> None:
        self.edits, self.target, self.others, self.passing = edits, target, others, passing
        self.repeats = repeats  # runs of every test a fix must pass (a flaky pass is not a fix)
        self.max_fixes, self.deadline, self.cancel, self.report = max_fixes, deadline, cancel, report
        self.fixes: list[Candidate] = []
        self.seen: set[int] = set()
        self.full = 0  # validated fixes of every target
        self.awaited: set[int] | None = None  # what must be checked before stopping, once a full fix is in
        self.first_full: int | None = None
        self.lock = threading.Lock()

    def take(self, result: dict, progress: Callable[[str], None]) -> None:
        index = int(result.get("id", -1))
        if not 0 <= index < len(self.edits):
            return
        candidate = self.edits[index]
        with self.lock:
            if index in self.seen:
                return
            self.seen.add(index)
            report = self.report
            report.checked += 1
            report.count(result)
            runs = result.get("stages") or []
            if len(runs) >= 2:  # the chosen failing test passes with it
                full = runs[1:]
                candidate.tests_run = len(full[0])
                candidate.tests_passed = sum(1 for v in full[0].values() if v == "passed")
                if len(full) == self.repeats and all(_keeps(t, self.target, self.passing) for t in full):
                    candidate.still_failing = [n for n in self.others if any(t.get(n) != "passed" for t in full)]
                    self.fixes.append(candidate)
                    if not candidate.still_failing:
                        self.full += 1
                        if self.first_full is None or index < self.first_full:
                            self.first_full = index
                            self.awaited = self._ranked_before(index)
                elif any(_keeps(t, self.target, self.passing) for t in full):
                    report.flaky_candidates += 1  # passed only sometimes: not a fix
                else:
                    report.rejected.append(candidate)  # made the test pass, broke another
            if report.checked % 8 == 0 or len(runs) >= 2:
                progress(f"Checked {report.checked}/{len(self.edits)} candidates ({self.full} validated)")

    def _ranked_before(self, index: int) -> set[int]:
        """The candidates ranked before the fix at ``index``, and its alternatives (same line and tier)."""
        best = self.edits[index]
        key = (best.file, best.edit.line, _TIER.get(best.edit.operator, 2))
        same = {i for i, c in enumerate(self.edits) if (c.file, c.edit.line, _TIER.get(c.edit.operator, 2)) == key}
        return set(range(index)) | same

    def done(self) -> bool:
        """Polled by each worker about every 0.1 s while it runs."""
        if time.monotonic() >= self.deadline or (self.cancel is not None and self.cancel.is_set()):
            return True
        with self.lock:
            return self.full >= self.max_fixes or (self.awaited is not None and self.awaited <= self.seen)


def check_all(
    sandbox: Sandbox,
    checker: _Checker,
    overlay: dict[str, str],
    per_run: float,
    stages: list[dict],
    limits: dict[str, float],
    default_limit: float,
    workers: int,
    progress: Callable[[str], None],
) -> None:
    """Run the checker's candidates through ``stages``, in ``workers`` warmed processes that each take
    their share (every ``workers``-th candidate, so each reaches the best-ranked early) and stream the
    results to the checker, until it says to stop."""
    edits = checker.edits
    shares = [list(enumerate(edits))[i::workers] for i in range(workers)]

    def work(share: list[tuple[int, Candidate]]) -> None:
        items = [(str(i), {**overlay, c.file: c.edit.source}) for i, c in share]
        sandbox.check_candidates(
            [],
            items,
            per_run,
            checker.cancel,
            stages,
            test_timeouts=limits,
            test_timeout_s=default_limit,
            on_result=lambda result: checker.take(result, progress),
            stop=checker.done,
        )

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        list(pool.map(work, [share for share in shares if share]))
    finally:
        pool.shutdown(wait=True)


def _match(node_id: str, names: set[str]) -> str | None:
    if node_id in names:
        return node_id
    found = [n for n in names if n.startswith(node_id + "[") or n.endswith(node_id)]
    return found[0] if found else None


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
    sandbox: Sandbox,
    project: Path,
    target: str,
    failing: list[str],
    hung: list[str],
    overlay: dict[str, str],
    cancel: threading.Event | None,
    deadline: float,
) -> tuple[list[Suspect], Trace | None, list[str]]:
    """Rank the lines the failing test ran against the passing tests that reach the same code, and
    find the targets: the failing tests that run one of the top lines (a bug fails every test that
    runs it with the wrong input; a test that fails elsewhere fails for another reason).

    Ochiai first; among equals, the line the trace says made the wrong value (the explanation's
    blamed line, then the line that returned or raised it, and the lines near it), then the lines
    more targets run. The blamed line is checked first whatever its score: a bug on a line that
    passing tests run too scores below every line that only the failing test runs."""
    others = sorted((n for n in failing if n != target), key=lambda n: node_distance(target, n))[:MAX_OTHER_TARGETS]
    short = {n: HUNG_TRACE_S for n in [target, *others] if n in hung}
    left = max(deadline - time.monotonic(), 5.0)
    found = neighbourhood(sandbox, project, target, overlay, cancel, others, short, total_timeout_s=left)
    failing_doc = found.failing
    if failing_doc is None:
        return [], None, [target]
    source_of = lambda p: _text(p, overlay)  # noqa: E731
    origin = wrong_value_origin(failing_doc, source_of)
    where = (origin.file, origin.line) if origin else None
    blamed = _blamed(failing_doc, source_of, project, found.passing)
    suspects = localize([failing_doc], found.passing, where)
    add_blamed(suspects, blamed, len(found.passing))
    top = {(s.file, s.line) for s in suspects[:TOP_LINES]} | ({blamed} if blamed else set())
    reached = {n: covered(doc, imports=False) for n, doc in found.others.items()}
    targets = [target] + [n for n in others if n in reached and reached[n] & top]
    reach: dict[tuple[str, int], int] = {}
    for lines in [reached[n] for n in targets[1:]]:
        for where_ in lines:
            reach[where_] = reach.get(where_, 0) + 1

    order_suspects(suspects, blamed, where, reach)
    return suspects, failing_doc, targets


def add_blamed(suspects: list[Suspect], blamed: tuple[str, int] | None, passing: int) -> None:
    """Add the explanation's blamed line where the spectrum lacks it: a row of a module-level table the
    wrong value came from (its statement ran at import, where the trace sees its first line only)."""
    if blamed is not None and all((s.file, s.line) != blamed for s in suspects):
        suspects.append(Suspect(blamed[0], blamed[1], 0.0, 1, passing))


def order_suspects(
    suspects: list[Suspect],
    blamed: tuple[str, int] | None,
    where: tuple[str, int] | None,
    reach: dict[tuple[str, int], int],
) -> None:
    """Sort in place: the explanation's ``blamed`` line first, then Ochiai; among equals what the test
    ran before what only ran at import, the line that made the wrong value (``where``), the lines more
    targets run (``reach``), the nearest to ``where``."""

    def distance(s: Suspect) -> int:
        return abs(s.line - where[1]) if where and s.file == where[0] else 10_000

    suspects.sort(
        key=lambda s: (
            ((s.file, s.line) != blamed, -s.score, s.imported, (s.file, s.line) != where)
            + (-reach.get((s.file, s.line), 0),)
            + (distance(s), s.file, s.line)
        )
    )


def _blamed(doc: Trace, source_of: Callable[[str], str], project: Path, passing: list[Trace]) -> tuple[str, int] | None:
    """The line the explanation of the failing run blames (None when it blames none)."""
    from ..explain import explain_failure

    try:
        line = explain_failure(doc, source_of, project, passing).line
    except Exception:  # noqa: BLE001 - an explanation that cannot be made leaves the spectrum's order
        return None
    return (line[0], int(line[1])) if line else None


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
