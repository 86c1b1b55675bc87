"""One-line bugs injected by hand into the pinned libraries of ``libraries.json``: how often semcoder blames the bug's
line first and finds a fix that makes the whole suite pass again.

    python benchmarks/realworld/bugs.py                       # every bug of bugs.json (semcoder explain + fix)
    python benchmarks/realworld/bugs.py --only inflection-01,cachetools-02 --time-budget 60
    python benchmarks/realworld/bugs.py --library tabulate --json
    python benchmarks/realworld/bugs.py --verify              # only check the corpus with plain pytest
    python benchmarks/realworld/bugs.py --keep --workdir /tmp/rwbugs

Each library that a selected bug belongs to is set up once with run.py's functions: its pinned sdist (cached,
sha256-checked), unpacked into ``WORKDIR/LIB/tree``, a throwaway venv with pytest, the library's test dependencies
and pytest-timeout (a bug that makes a test loop forever then fails that test instead of the run), and the library
installed editable from that tree, so that its tests import the files the bug is written into whatever the layout
(``src/`` included). Every bug starts from a fresh unpack of the sdist at that same path; the bug's line must read
``before`` there (else the corpus is wrong and the run stops), and becomes ``after``.

``--verify`` runs the library's suite (run.py's target) with plain pytest on the clean tree and on each buggy tree:
a bug is OK when the clean suite passes (but for the library's ``known_plain_failures``), every test of ``failing``
fails with the bug, and no other test ends otherwise than on the clean tree. Exit status 1 when any bug is bad.

Otherwise, per bug: ``semcoder explain FAILING[0] --json`` (is the blamed line the bug's?) and ``semcoder fix
FAILING[0] --time-budget B --json``; the first validated candidate's diff is applied (``patch -p1``) to a fresh buggy
tree and the whole suite run with plain pytest: the fix is correct when the suite ends as on the clean tree. Exit
status 0 after a complete run (this is a measure), 2 when a library could not be set up or the corpus is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import run as realworld  # noqa: E402  (run.py next to this file)

CORPUS = HERE / "bugs.json"
PYTEST_TIMEOUT = "pytest-timeout==2.3.1"
FIELDS = ("id", "library", "file", "line", "before", "after", "kind", "shape", "failing", "note")
# what the issue asks of the corpus: at least so many bugs with each shape tag
SHAPE_MINIMUMS = {
    "recursion": 2,
    "import-time": 3,
    "hangs": 3,
    "expected-first-assert": 3,
    "unittest": 4,
    "exception": 1,
}
# this checkout's CLI, whatever an installed ``semcoder`` script points at (run from REPO, which -m puts on sys.path)
SEMCODER = [sys.executable, "-m", "semcoder_core.cli"]
TARGETS = {"blame_first_pct": 75.0, "correct_fix_pct": 60.0, "median_fix_s": 30.0}


class CorpusError(Exception):
    """bugs.json does not match the pinned sources (a ``before`` line that is not there, an unknown library)."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["bugs"]


def corpus_problems(bugs: list[dict[str, Any]], libraries: set[str]) -> list[str]:
    """What is wrong with the corpus's form (fields, ids, libraries, the shape counts); empty when nothing."""
    problems = []
    seen: set[str] = set()
    for bug in bugs:
        name = bug.get("id", "?")
        missing = [f for f in FIELDS if f not in bug]
        if missing:
            problems.append(f"{name}: missing {', '.join(missing)}")
            continue
        if name in seen:
            problems.append(f"{name}: duplicate id")
        seen.add(name)
        if bug["library"] not in libraries:
            problems.append(f"{name}: unknown library {bug['library']!r}")
        if not isinstance(bug["line"], int) or bug["line"] < 1:
            problems.append(f"{name}: line must be a positive int")
        if bug["before"] == bug["after"] or "\n" in bug["before"] + bug["after"]:
            problems.append(f"{name}: before/after must be two different single lines")
        if not bug["failing"] or not all("::" in n for n in bug["failing"]):
            problems.append(f"{name}: failing must list test node ids")
        if not isinstance(bug["shape"], list):
            problems.append(f"{name}: shape must be a list of tags")
    return problems


def shape_problems(bugs: list[dict[str, Any]]) -> list[str]:
    """Shapes the corpus has too few bugs of (the issue's minimums)."""
    problems = []
    for shape, least in SHAPE_MINIMUMS.items():
        have = sum(shape in b.get("shape", []) for b in bugs)
        if have < least:
            problems.append(f"only {have} bugs with shape {shape!r}, the corpus needs {least}")
    return problems


@dataclass
class Library:
    """A library set up for the bugs: its sdist, the tree path its venv has installed editable, the clean run."""

    lib: dict[str, Any]
    sdist: Path
    base: Path
    python: Path
    project: Path
    clean: dict[str, Any]

    @property
    def target(self) -> str:
        return self.lib["target"]

    def failing_clean(self) -> set[str]:
        return {n for n, o in self.clean["tests"].items() if o in realworld.FAILING}


def fresh_tree(lib: dict[str, Any], sdist: Path, base: Path) -> Path:
    """The sdist unpacked at ``base/tree/TOP`` (always the same path: the venv's editable install points there)."""
    tree = base / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    project = realworld.unpack(sdist, tree)
    realworld.remove_listed(lib, project)
    return project


def apply_bug(project: Path, bug: dict[str, Any]) -> None:
    path = project / bug["file"]
    if not path.is_file():
        raise CorpusError(f"{bug['id']}: no file {bug['file']} in {project.name}")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = bug["line"] - 1
    current = lines[index].rstrip("\r\n") if index < len(lines) else None
    if current != bug["before"]:
        raise CorpusError(
            f"{bug['id']}: {bug['file']}:{bug['line']} reads {current!r}, the corpus says {bug['before']!r}"
        )
    ending = lines[index][len(current) :]
    lines[index] = bug["after"] + ending
    path.write_text("".join(lines), encoding="utf-8")


def plain(library: Library, timeout_s: float, per_test_s: float) -> dict[str, Any]:
    """run.py's plain pytest of the library's target, each test limited to ``per_test_s`` (pytest-timeout)."""
    previous = os.environ.get("PYTEST_ADDOPTS")
    os.environ["PYTEST_ADDOPTS"] = " ".join(filter(None, [previous, f"--timeout={per_test_s:g}"]))
    try:
        return realworld.run_plain(library.python, library.project, library.target, library.base, timeout_s)
    finally:
        if previous is None:
            del os.environ["PYTEST_ADDOPTS"]
        else:
            os.environ["PYTEST_ADDOPTS"] = previous


def set_up(lib: dict[str, Any], manifest: dict[str, Any], args: argparse.Namespace, workdir: Path) -> Library:
    log(f"{lib['name']}=={lib['version']}")
    sdist = realworld.fetch_sdist(lib, args.cache)
    base = workdir / lib["name"]
    python = realworld.venv_python(base / "venv")
    project = fresh_tree(lib, sdist, base)
    if not (base / "venv-ready").is_file():  # a kept workdir reuses its venvs
        if (base / "venv").exists():
            shutil.rmtree(base / "venv")
        build = base / "build"
        if build.exists():
            shutil.rmtree(build)
        build_tree = realworld.unpack(sdist, build)
        python = realworld.make_venv(lib, manifest, build_tree, base / "venv", args.python)
        log(f"  pip install {PYTEST_TIMEOUT} and -e {project}")
        cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", PYTEST_TIMEOUT]
        proc = subprocess.run([*cmd, "--no-deps", "-e", str(project)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise realworld.SetupError(f"editable install of {lib['name']} failed:\n{proc.stderr[-3000:]}")
        (base / "venv-ready").write_text("")
        project = fresh_tree(lib, sdist, base)  # the install may have written into the tree
    log("  plain pytest of the clean tree")
    library = Library(lib, sdist, base, python, project, {})
    library.clean = plain(library, args.timeout, args.per_test_timeout)
    if "error" in library.clean:
        raise realworld.SetupError(f"{lib['name']}: clean suite: {library.clean['error']}")
    unexpected = library.failing_clean() - set(lib.get("known_plain_failures", []))
    if unexpected:
        raise realworld.SetupError(f"{lib['name']}: the clean suite fails {sorted(unexpected)[:10]}")
    return library


def buggy_tree(library: Library, bug: dict[str, Any]) -> Path:
    library.project = fresh_tree(library.lib, library.sdist, library.base)
    apply_bug(library.project, bug)
    return library.project


def changed_tests(library: Library, run: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Node ids whose outcome differs from the clean run: (clean outcome, this run's)."""
    clean, now = library.clean["tests"], run.get("tests", {})
    return {
        n: (clean.get(n, "absent"), now.get(n, "absent")) for n in set(clean) | set(now) if clean.get(n) != now.get(n)
    }


def verify(library: Library, bug: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    buggy_tree(library, bug)
    start = time.perf_counter()
    run = plain(library, args.timeout, args.per_test_timeout)
    why = []
    if "error" in run:
        why.append(run["error"])
    changed = changed_tests(library, run)
    for node in bug["failing"]:
        if run.get("tests", {}).get(node) not in realworld.FAILING:
            why.append(f"{node} does not fail ({run.get('tests', {}).get(node, 'not run')})")
    for node, (was, now) in sorted(changed.items()):
        if node not in bug["failing"]:
            why.append(f"{node} also changed: {was} -> {now}")
    return {
        "id": bug["id"],
        "ok": not why,
        "why": why,
        "changed": len(changed),
        "time_s": round(time.perf_counter() - start, 1),
    }


def semcoder_json(args_: list[str], timeout_s: float) -> tuple[dict[str, Any], float]:
    """``python -m semcoder_core.cli ARGS`` run from the repository (node ids are absolute paths): its document."""
    cmd = [*SEMCODER, *args_, *realworld.ISOLATION]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"status": "no-result", "message": f"ran past {timeout_s:.0f} s"}, round(time.perf_counter() - start, 2)
    elapsed = round(time.perf_counter() - start, 2)
    try:
        return json.loads(proc.stdout), elapsed
    except json.JSONDecodeError:
        message = f"exit {proc.returncode}, no JSON: {(proc.stdout + proc.stderr)[-1500:]}"
        return {"status": "no-result", "message": message}, elapsed


def measure(library: Library, bug: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    project = buggy_tree(library, bug)
    node = f"{project}/{bug['failing'][0]}"
    python = ["--python", str(library.python)]
    result: dict[str, Any] = {"id": bug["id"], "library": bug["library"], "kind": bug["kind"], "shape": bug["shape"]}

    log(f"  {bug['id']}: semcoder explain")
    explained, result["explain_s"] = semcoder_json(["explain", node, "--json", *python], args.timeout)
    _keep_document(args, bug, "explain", explained)
    blamed = explained.get("line")
    result["explain_status"] = explained.get("status")
    if explained.get("status") not in ("ok", "passed"):
        result["explain_error"] = explained.get("message") or explained.get("error") or str(explained)[:500]
    if blamed:
        blamed_path, root = Path(blamed["file"]).resolve(), project.resolve()
        inside = blamed_path.is_relative_to(root)
        rel = blamed_path.relative_to(root).as_posix() if inside else str(blamed_path)
        result["blamed"] = f"{rel}:{blamed['line']}"
    else:
        result["blamed"] = None
    result["blamed_first"] = result["blamed"] == f"{bug['file']}:{bug['line']}"

    if args.explain_only:
        return {**result, "fix_found": False, "fix_correct": False, "fix_duration_s": None, "fix_wall_s": None}
    log(f"  {bug['id']}: semcoder fix (budget {args.time_budget:g} s)")
    budget = ["--time-budget", f"{args.time_budget:g}"]
    fixed, result["fix_wall_s"] = semcoder_json(["fix", node, "--json", *budget, *python], args.fix_timeout)
    _keep_document(args, bug, "fix", fixed)
    result["fix_status"] = fixed.get("status")
    result["fix_duration_s"] = fixed.get("duration_s")
    result["fix_checked"] = fixed.get("checked")
    result["fix_message"] = fixed.get("message")
    validated = [c for c in fixed.get("candidates") or [] if c.get("validated")]
    result["fix_found"] = bool(validated)
    result["fix_correct"] = False
    if validated:
        first = validated[0]
        result["fix"] = {k: first.get(k) for k in ("file", "line", "title", "diff")}
        result["fix_exact"] = _is_revert(first, bug)
        result.update(_check_fix(library, bug, first["diff"], args))
    return result


def _keep_document(args: argparse.Namespace, bug: dict[str, Any], job: str, document: dict[str, Any]) -> None:
    """With ``--documents DIR``: semcoder's whole JSON document, as ``DIR/ID.JOB.json`` (to read the misses)."""
    if args.documents is not None:
        args.documents.mkdir(parents=True, exist_ok=True)
        (args.documents / f"{bug['id']}.{job}.json").write_text(json.dumps(document, indent=1))


def _is_revert(candidate: dict[str, Any], bug: dict[str, Any]) -> bool:
    """The diff turns the bug's line back into ``before`` and changes nothing else."""
    lines = candidate.get("diff", "").splitlines()
    removed = [ln[1:] for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    return removed == [bug["after"]] and added == [bug["before"]]


def _check_fix(library: Library, bug: dict[str, Any], diff: str, args: argparse.Namespace) -> dict[str, Any]:
    """The diff applied to a fresh buggy tree, then the whole suite: correct when it ends as on the clean tree."""
    project = buggy_tree(library, bug)
    proc = subprocess.run(["patch", "-p1", "--batch"], input=diff, cwd=project, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"fix_check": f"patch -p1 failed: {(proc.stdout + proc.stderr)[-800:]}"}
    log(f"  {bug['id']}: the whole suite with the fix")
    run = plain(library, args.timeout, args.per_test_timeout)
    if "error" in run:
        return {"fix_check": run["error"]}
    failing = {n for n, o in run["tests"].items() if o in realworld.FAILING}
    still = sorted(failing - library.failing_clean())
    return {"fix_correct": not still, "fix_check": f"still failing: {still[:10]}" if still else "suite as clean"}


def summarize(results: list[dict[str, Any]], budget: float) -> dict[str, Any]:
    n = len(results)
    found = [r["fix_duration_s"] for r in results if r.get("fix_found") and r.get("fix_duration_s") is not None]
    misses_as_budget = [
        r["fix_duration_s"] if r.get("fix_found") and r.get("fix_duration_s") is not None else budget for r in results
    ]
    return {
        "bugs": n,
        "blamed_first": sum(r["blamed_first"] for r in results),
        "fix_found": sum(r["fix_found"] for r in results),
        "fix_correct": sum(r["fix_correct"] for r in results),
        "blame_first_pct": round(100 * sum(r["blamed_first"] for r in results) / n, 1) if n else None,
        "correct_fix_pct": round(100 * sum(r["fix_correct"] for r in results) / n, 1) if n else None,
        "median_fix_s_found": round(statistics.median(found), 1) if found else None,
        "median_fix_s_all": round(statistics.median(misses_as_budget), 1) if n else None,
        "targets": TARGETS,
    }


def print_table(results: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    head = ["bug", "library", "kind", "shape", "blamed first", "fix found", "fix correct", "explain s", "fix s"]
    rows = [head]
    for r in results:
        fix_s = r["fix_duration_s"] if r["fix_duration_s"] is not None else r["fix_wall_s"] or 0.0
        rows.append(
            [
                r["id"],
                r["library"],
                r["kind"],
                ",".join(r["shape"]),
                "yes" if r["blamed_first"] else f"no ({r['blamed'] or 'none'})",
                "yes" if r["fix_found"] else "no",
                "yes" if r["fix_correct"] else "no",
                f"{r['explain_s']:.1f}",
                f"{fix_s:.1f}",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    s, t = summary, summary["targets"]
    found, overall = s["median_fix_s_found"], s["median_fix_s_all"]
    print()
    print(f"blamed the bug's line first: {s['blamed_first']}/{s['bugs']} = {s['blame_first_pct']}%", end="")
    print(f"  (target >= {t['blame_first_pct']:g}%)")
    print(f"validated fix found:         {s['fix_found']}/{s['bugs']}")
    print(f"correct fix (whole suite):   {s['fix_correct']}/{s['bugs']} = {s['correct_fix_pct']}%", end="")
    print(f"  (target >= {t['correct_fix_pct']:g}%)")
    print(f"median time to the first validated fix: {found} s where one was found, {overall} s over all bugs", end="")
    print(f" (a miss counts as the budget)  (target <= {t['median_fix_s']:g} s)")
    for r in results:
        notes = [f"{k}: {r[k]}" for k in ("explain_error", "fix_check") if r.get(k)]
        if r.get("fix_message") and not r["fix_found"]:
            notes.append(f"fix: {r['fix_message']}")
        if notes:
            print(f"  {r['id']}: " + "; ".join(notes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated bug ids from bugs.json")
    parser.add_argument("--library", help="only the bugs of this library")
    parser.add_argument("--verify", action="store_true", help="only check the corpus with plain pytest")
    parser.add_argument("--time-budget", type=float, default=60.0, help="semcoder fix's --time-budget (default 60)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON document")
    parser.add_argument("--keep", action="store_true", help="keep the workdir (trees, venvs)")
    parser.add_argument("--workdir", type=Path, help="where to unpack and build (default: a new temporary folder)")
    parser.add_argument("--cache", type=Path, default=realworld.DEFAULT_CACHE, help="sdist cache (run.py's)")
    parser.add_argument("--python", default=sys.executable, help="interpreter the venvs are made from")
    parser.add_argument("--timeout", type=float, default=1800.0, help="limit for each suite / explain run, seconds")
    parser.add_argument("--per-test-timeout", type=float, default=20.0, help="pytest-timeout per test (default 20)")
    parser.add_argument("--isolation", choices=("auto", "bwrap", "copy"), help="passed on to semcoder")
    parser.add_argument("--documents", type=Path, help="write semcoder's JSON documents here, one per bug and job")
    parser.add_argument("--explain-only", action="store_true", help="measure the explanations only (no fix search)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.fix_timeout = 3 * args.time_budget + 300

    if args.isolation:
        realworld.ISOLATION[:] = ["--isolation", args.isolation]
    manifest = realworld.load_manifest()
    by_name = {lib["name"]: lib for lib in manifest["libraries"]}
    bugs = load_corpus(args.corpus)
    problems = corpus_problems(bugs, set(by_name))
    if problems:
        log("bugs.json:\n  " + "\n  ".join(problems))
        return 2
    for problem in shape_problems(bugs):
        log(f"bugs.json: {problem}")
    if args.only:
        wanted = [b.strip() for b in args.only.split(",") if b.strip()]
        unknown = sorted(set(wanted) - {b["id"] for b in bugs})
        if unknown:
            parser.error(f"unknown bug {', '.join(unknown)}")
        bugs = [b for b in bugs if b["id"] in wanted]
    if args.library:
        if args.library not in by_name:
            parser.error(f"unknown library {args.library}")
        bugs = [b for b in bugs if b["library"] == args.library]
    args.cache = args.cache.expanduser().resolve()
    made_workdir = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="semcoder-bugs-")) if made_workdir else args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    try:
        libraries: dict[str, Library] = {}
        for name in dict.fromkeys(b["library"] for b in bugs):
            libraries[name] = set_up(by_name[name], manifest, args, workdir)
        for bug in bugs:
            library = libraries[bug["library"]]
            log(f"{bug['id']} ({bug['file']}:{bug['line']})")
            results.append(verify(library, bug, args) if args.verify else measure(library, bug, args))
    except (realworld.SetupError, CorpusError) as e:
        log(f"setup failed: {e}")
        return 2
    finally:
        if made_workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.keep:
            log(f"kept {workdir}")
    if args.verify:
        if args.json:
            print(json.dumps({"verified": results}, indent=1))
        for r in results if not args.json else []:
            print(f"{r['id']:24} {'OK' if r['ok'] else 'BAD'}  ({r['changed']} tests changed, {r['time_s']} s)")
            for why in r["why"][:15]:
                print(f"    {why}")
        return 0 if all(r["ok"] for r in results) else 1
    summary = summarize(results, args.time_budget)
    if args.json:
        document = {"python": args.python, "semcoder": SEMCODER, "time_budget_s": args.time_budget}
        print(json.dumps({**document, "summary": summary, "bugs": results}, indent=1))
    else:
        print_table(results, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
