"""How often search-based repair fixes the bugs of ``examples/bugs``, and how often it only seems to.

For each bug (one after another: the search itself runs its candidates in parallel workers) it copies the
bug's folder to a temporary directory, runs ``semcoder_core.repair.search`` on the first failing node id of
``bug.json`` with the time budget, then writes the top validated candidate into the copy and runs the visible
tests and the held-back ones (``heldout/``, never seen by the search) with a fresh pytest each:

- correct: the visible and the held-out tests pass with the fix;
- plausible but wrong: the visible tests pass, a held-out test fails (the fix overfits the visible tests);
- not fixed: no validated fix (or, should it happen, one that leaves a visible test failing).

The time of a bug is ``FixReport.duration_s``: from the start of the search to the end of the wave of
candidates that gave the first validated fix, or the whole search when none was found. Besides, for the
diagnosis of the misses, it records where the reference fix's line ranks among the suspects, and whether one
of the mutants the search generates is the reference fix (same AST as the file with ``bug.json``'s fix
applied), and at which position of the search's queue of candidates it comes.

    python benchmarks/repair_bugsuite.py                         # all 33 bugs, 30 s each: ~15 min on 2 cores
    python benchmarks/repair_bugsuite.py --only b01,b02 --time-budget 60
    python benchmarks/repair_bugsuite.py --kind single-edit --json /tmp/repair.json
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from semcoder_core.config import Settings
from semcoder_core.repair.mutate import mutants
from semcoder_core.repair.search import _TIER, MAX_CANDIDATES, TOP_LINES, search

BUGS = Path(__file__).resolve().parent.parent / "examples" / "bugs"
KINDS = ("single-edit", "multi-edit", "multi-module")
TEST_TIMEOUT_S = 120
WITHIN_S = 30.0  # "single-edit bugs fixed within 30 s"


@dataclass
class Result:
    bug: str
    kind: str
    category: str
    node_id: str
    status: str = "error"  # the search's: fixed | not-fixed | error
    message: str = ""
    verdict: str = "not fixed"  # correct | plausible but wrong | not fixed
    duration_s: float = 0.0  # FixReport.duration_s
    wall_s: float = 0.0  # the search() call, as seen from here
    baseline_s: float | None = None  # until localisation starts
    localise_s: float | None = None  # until the first candidates are checked
    checked: int = 0
    queued: int | None = None  # candidates the search had lined up (replicated from its TOP_LINES and tiers)
    rejected: int = 0
    flaky_candidates: int = 0
    outcomes: dict = field(default_factory=dict)
    validated: int = 0
    fixes: list = field(default_factory=list)  # per validated candidate: where, what, visible/held-out outcome
    reference: dict = field(default_factory=dict)  # where the reference fix is, rank among suspects, in the queue
    suspects: list = field(default_factory=list)  # the top ones: [file, line, score]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated bug ids or prefixes, e.g. b01,b02")
    parser.add_argument("--kind", help="comma-separated kinds: " + ", ".join(KINDS))
    parser.add_argument("--time-budget", type=float, default=30.0, help="seconds per bug (default 30)")
    parser.add_argument("--workers", type=int, default=None, help="candidate workers (default: the search's own)")
    parser.add_argument("--json", metavar="FILE", help="write the raw results here")
    args = parser.parse_args()

    bugs = select(args.only, args.kind)
    if not bugs:
        parser.error("no bug matches --only / --kind")
    load_before = os.getloadavg()
    print(f"Python {platform.python_version()} ({sys.executable}), {platform.platform()}")
    print(
        f"cores: {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}), search workers: {args.workers or 'default'}"
    )
    print("load average (1/5/15 min) at start: " + " / ".join(f"{x:.2f}" for x in load_before))
    print(f"{len(bugs)} bugs, time budget {args.time_budget:g} s each\n")

    results: list[Result] = []
    started = time.monotonic()
    for number, (bug_dir, bug) in enumerate(bugs, 1):
        print(f"[{number}/{len(bugs)}] {bug['id']} ...", end=" ", flush=True)
        result = run_bug(bug_dir, bug, args.time_budget, args.workers)
        results.append(result)
        top = result.fixes[0]["title"] if result.fixes else result.message
        print(f"{result.verdict} in {result.duration_s:.1f} s, {result.checked} checked: {top}", flush=True)
    total_s = time.monotonic() - started
    load_after = os.getloadavg()

    print()
    print_table(results)
    print()
    summary = summarise(results)
    print_summary(summary)
    print(f"\nwall time {total_s:.0f} s; load average at the end: " + " / ".join(f"{x:.2f}" for x in load_after))

    if args.json:
        document = {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)),
            "load_before": load_before,
            "load_after": load_after,
            "time_budget_s": args.time_budget,
            "workers": args.workers,
            "wall_s": round(total_s, 1),
            "summary": summary,
            "bugs": [asdict(r) for r in results],
        }
        Path(args.json).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        print(f"raw results: {args.json}")
    return 0


def select(only: str | None, kinds: str | None) -> list[tuple[Path, dict]]:
    wanted = [w.strip() for w in only.split(",") if w.strip()] if only else []
    kind_set = {k.strip() for k in kinds.split(",") if k.strip()} if kinds else set()
    unknown = kind_set - set(KINDS)
    if unknown:
        raise SystemExit(f"unknown kind(s): {', '.join(sorted(unknown))}; kinds are {', '.join(KINDS)}")
    found = []
    for bug_dir in sorted(p for p in BUGS.iterdir() if (p / "bug.json").is_file()):
        bug = json.loads((bug_dir / "bug.json").read_text(encoding="utf-8"))
        if wanted and not any(bug_dir.name == w or bug_dir.name.startswith(w + "_") for w in wanted):
            continue
        if kind_set and bug["kind"] not in kind_set:
            continue
        found.append((bug_dir, bug))
    return found


def run_bug(bug_dir: Path, bug: dict, budget: float, workers: int | None) -> Result:
    result = Result(bug["id"], bug["kind"], bug["category"], bug["failing"][0])
    temp = Path(tempfile.mkdtemp(prefix=f"repair-{bug['id']}-")).resolve()
    try:
        project = temp / bug["id"]
        shutil.copytree(bug_dir, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        originals = {p: p.read_text(encoding="utf-8") for p in project.rglob("*.py")}
        marks: dict[str, float] = {}
        t0 = time.monotonic()

        def progress(text: str) -> None:
            key = text.split(" ", 1)[0]  # Running / Tracing / Checking
            marks.setdefault(key, time.monotonic() - t0)

        try:
            report = search(
                Settings().sandbox(project), project, result.node_id, budget, workers=workers, progress=progress
            )
        except Exception as exc:  # noqa: BLE001 - a crash of the search is a result too
            result.wall_s = time.monotonic() - t0
            result.duration_s = result.wall_s
            result.message = f"search raised {type(exc).__name__}: {exc}"
            return result
        result.wall_s = round(time.monotonic() - t0, 3)
        result.baseline_s = _round(marks.get("Tracing"))
        result.localise_s = _round(marks.get("Checking"))
        result.status, result.message = report.status, report.message
        result.duration_s = round(report.duration_s or result.wall_s, 3)
        result.checked, result.rejected = report.checked, len(report.rejected)
        result.flaky_candidates, result.outcomes = report.flaky_candidates, dict(report.outcomes)
        result.validated = len(report.candidates)
        result.suspects = [[_rel(s.file, project), s.line, s.score] for s in report.suspects[:15]]
        try:
            result.reference, result.queued = reference_position(project, bug, report.suspects, originals)
        except Exception as exc:  # noqa: BLE001 - a diagnostic only
            result.reference = {"error": f"{type(exc).__name__}: {exc}"}

        for candidate in report.candidates:
            path = Path(candidate.file)
            path.write_text(candidate.edit.source, encoding="utf-8")
            try:
                visible = pytest_run(project, "tests")
                heldout = pytest_run(project, "heldout")
            finally:
                path.write_text(originals.get(path, candidate.base), encoding="utf-8")
            result.fixes.append(
                {
                    "file": _rel(candidate.file, project),
                    "line": candidate.edit.line,
                    "operator": candidate.edit.operator,
                    "title": f"{_rel(candidate.file, project)}:{candidate.edit.line} {_flat(candidate.edit.title)}",
                    "diff": candidate.diff(project),
                    "visible": visible,
                    "heldout": heldout,
                }
            )
        if result.fixes:
            top = result.fixes[0]
            if top["visible"]["passed"] and top["heldout"]["passed"]:
                result.verdict = "correct"
            elif top["visible"]["passed"]:
                result.verdict = "plausible but wrong"
        return result
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def pytest_run(project: Path, where: str) -> dict:
    """A fresh ``python -m pytest -q`` of ``where`` in the copy: passed or not, and the summary line."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", where]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=TEST_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"passed": False, "returncode": None, "summary": f"timed out after {TEST_TIMEOUT_S} s", "failed": []}
    lines = done.stdout.strip().splitlines()
    failed = [line.split(" ", 1)[1].split(" - ", 1)[0] for line in lines if line.startswith(("FAILED ", "ERROR "))]
    return {
        "passed": done.returncode == 0,
        "returncode": done.returncode,
        "summary": lines[-1] if lines else "",
        "failed": failed,
    }


def reference_position(project: Path, bug: dict, suspects: list, originals: dict[Path, str]) -> tuple[dict, int | None]:
    """Where the reference fix stands in the search: the rank (1-based) of its lines among the suspects, and
    the first generated mutant that is the reference fix (same AST), with its position in the search's queue."""
    files = {entry["file"] for entry in bug["fix"]}
    fixed_ast = {}
    for name in files:
        text = originals[project / name]
        lines = text.splitlines(keepends=True)
        for entry in sorted((e for e in bug["fix"] if e["file"] == name), key=lambda e: -e["line"]):
            original = lines[entry["line"] - 1]
            indent = original[: len(original) - len(original.lstrip())]
            lines[entry["line"] - 1] = "".join(indent + part + "\n" for part in entry["fixed"].split("\n"))
        fixed_ast[str(project / name)] = ast.dump(ast.parse("".join(lines)))
    ranks = {}
    for entry in bug["fix"]:
        where = (str(project / entry["file"]), entry["line"])
        rank = next((i for i, s in enumerate(suspects, 1) if (s.file, s.line) == where), None)
        ranks[f"{entry['file']}:{entry['line']}"] = rank
    info: dict = {"lines": ranks, "suspects": len(suspects), "mutant_rank": None, "mutant_operator": None}
    info["queue_position"] = None
    # The search's queue: mutants of the top lines, capped, then stably sorted by operator tier.
    queue = []
    for suspect in suspects[:TOP_LINES]:
        for edit in mutants(originals.get(Path(suspect.file), ""), suspect.line):
            queue.append((suspect.file, edit))
            if len(queue) >= MAX_CANDIDATES:
                break
    queue.sort(key=lambda item: _TIER.get(item[1].operator, 2))
    for position, (file, edit) in enumerate(queue, 1):
        if file in fixed_ast and _same(edit.source, fixed_ast[file]):
            info["queue_position"] = position
            break
    if len(files) == 1:  # one edit can only make a one-file fix; look at every suspect line, not just the top
        for rank, suspect in enumerate(suspects, 1):
            if suspect.file not in fixed_ast:
                continue
            for edit in mutants(originals.get(Path(suspect.file), ""), suspect.line):
                if _same(edit.source, fixed_ast[suspect.file]):
                    info["mutant_rank"], info["mutant_operator"] = rank, edit.operator
                    break
            if info["mutant_rank"]:
                break
    return info, len(queue)


def _same(source: str, dumped: str) -> bool:
    try:
        return ast.dump(ast.parse(source)) == dumped
    except SyntaxError:
        return False


def _rel(path: str, project: Path) -> str:
    return os.path.relpath(path, project)


def _flat(text: str) -> str:
    """A multi-line edit on one line: ``if not xs: ⏎ return 0``."""
    return " ⏎ ".join(part.strip() for part in text.split("\n"))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def summarise(results: list[Result]) -> dict:
    groups = {"all": results, **{kind: [r for r in results if r.kind == kind] for kind in KINDS}}
    out = {}
    for name, group in groups.items():
        if not group:
            continue
        n = len(group)
        counts = {v: sum(r.verdict == v for r in group) for v in ("correct", "plausible but wrong", "not fixed")}
        fixed_times = [r.duration_s for r in group if r.status == "fixed"]
        out[name] = {
            "bugs": n,
            **counts,
            "fix_rate": counts["correct"] / n,
            "plausible_wrong_rate": counts["plausible but wrong"] / n,
            "not_fixed_rate": counts["not fixed"] / n,
            "median_s": statistics.median(r.duration_s for r in group),
            "median_fixed_s": statistics.median(fixed_times) if fixed_times else None,
            "checked_median": statistics.median(r.checked for r in group),
        }
    single = groups["single-edit"]
    if single:
        out["single_edit_within_30s"] = {
            "correct": sum(r.verdict == "correct" and r.duration_s <= WITHIN_S for r in single),
            "validated": sum(r.status == "fixed" and r.duration_s <= WITHIN_S for r in single),
            "total": len(single),
        }
    return out


def print_table(results: list[Result]) -> None:
    header = f"{'bug':<26} {'kind':<12} {'verdict':<19} {'time s':>6} {'checked':>7} {'ok/val':>6} {'ref':>7}  top fix"
    print(header)
    print("-" * len(header))
    for r in results:
        ok = sum(f["visible"]["passed"] and f["heldout"]["passed"] for f in r.fixes)
        ranks = [str(v) if v else "-" for v in r.reference.get("lines", {}).values()]
        top = r.fixes[0]["title"] if r.fixes else r.message
        print(
            f"{r.bug:<26} {r.kind:<12} {r.verdict:<19} {r.duration_s:>6.1f} {r.checked:>7} "
            f"{f'{ok}/{r.validated}':>6} {','.join(ranks):>7}  {top[:90]}"
        )
    print("ok/val: validated fixes that pass the held-out tests / validated fixes; ref: suspect rank of the reference")
    print("fix's line(s) (- = not among the suspects); time: FixReport.duration_s")


def print_summary(summary: dict) -> None:
    columns = (
        ("bugs", 4),
        ("correct", 12),
        ("plaus.wrong", 12),
        ("not fixed", 12),
        ("median s", 9),
        ("med. fixed s", 13),
    )
    print(f"{'':<13}" + "".join(f" {name:>{width}}" for name, width in columns))
    for name in ("all", *KINDS):
        if name not in summary:
            continue
        s = summary[name]
        fixed = f"{s['median_fixed_s']:.1f}" if s["median_fixed_s"] is not None else "-"
        n = s["bugs"]
        print(
            f"{name:<13} {n:>4} {_pct(s['correct'], n):>12} {_pct(s['plausible but wrong'], n):>12} "
            f"{_pct(s['not fixed'], n):>12} {s['median_s']:>9.1f} {fixed:>13}"
        )
    print("med. fixed s: median over the bugs where the search returned a validated fix (correct or not)")
    within = summary.get("single_edit_within_30s")
    if within:
        print(
            f"single-edit bugs fixed within {WITHIN_S:g} s: {within['correct']} / {within['total']} correct"
            f" ({within['validated']} with a validated fix)"
        )


def _pct(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.0f}%)"


if __name__ == "__main__":
    sys.exit(main())
