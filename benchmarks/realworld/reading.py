"""What semcoder reads from user code, checked on the pinned libraries of ``libraries.json`` (code we did not write).

    python benchmarks/realworld/reading.py                   # every library; ~3 min with venvs cached by pip
    python benchmarks/realworld/reading.py --only inflection,cachetools --no-collect

For each library (its sdist fetched and checked as ``run.py`` does, unpacked into a throwaway folder):

1. **planning vs pytest**: the test ids the planner names for every test file of the library's target, against
   ``pytest --collect-only`` in a venv with the library and its test dependencies (``run.py``'s ``make_venv``),
   parametrizations folded. *Named, not collected* must be 0 (pytest answers "no test found" for them); *collected,
   not named* are tests the static planner cannot see (inherited methods, generated tests);
2. **line map**: on every ``.py`` file, 3 seeded random edits (lines inserted, deleted, changed, a block moved):
   every pair it keeps holds equal lines in increasing order, it keeps at least 90% of what ``difflib`` keeps, and
   its slowest map;
3. **source facts**: ``annotate``'s one-pass facts (function spans, branch lines, return lines of the innermost
   function, top-level functions) and planning's imports, against the same facts computed with ``ast.walk``;
4. **failure sides**: how the failing-comparison reader orients each ``assert a == b`` and ``assertEqual(a, b)``
   of the test files (expected first / second), by the rule that decided.

Exit status 0 when every check holds, 1 otherwise, 2 when a library could not be set up.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent), str(HERE.parent.parent / "server")]
from run import SetupError, fetch_sdist, load_manifest, make_venv, unpack  # noqa: E402
from semcoder_lsp.lines import matching_lines  # noqa: E402

from semcoder_core import annotate  # noqa: E402
from semcoder_core.planning import Planner  # noqa: E402
from semcoder_core.tracer import pytest_run  # noqa: E402


def python_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if p.is_file())


def check_planning(lib: dict, manifest: dict, top: Path, build: Path, venv: Path) -> dict:
    python = make_venv(lib, manifest, build, venv, sys.executable)
    target = top / lib["target"]
    out = subprocess.run(
        [str(python), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(target)],
        cwd=top,
        capture_output=True,
        text=True,
        timeout=600,
    )
    collected = {line.split("[")[0] for line in out.stdout.splitlines() if "::" in line}
    planner = Planner(top)
    files = [p for p in python_files(target) if planner.is_test(p)]
    named = set()
    for path in files:
        rel = path.relative_to(top).as_posix()
        named.update(f"{rel}::{name}" for name in planner.facts(path, lambda p: None).tests)
    return {
        "collected": len(collected),
        "named": len(named),
        "named_not_collected": sorted(named - collected),
        "collected_not_named": len(collected - named),
    }


def check_line_map(files: list[Path], rng: random.Random) -> dict:
    bad, worst_s, kept, difflib_kept = [], 0.0, 0, 0
    for path in files:
        a = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if not a:
            continue
        for _ in range(3):
            b = list(a)
            at = rng.randrange(len(b) + 1)
            op = rng.randrange(4)
            if op == 0:
                b[at:at] = [f"x = {rng.randrange(100)}"] * rng.randrange(1, 20)
            elif op == 1:
                del b[at : at + rng.randrange(1, 30)]
            elif op == 2 and at < len(b):
                b[at] += "  # edited"
            else:
                block = b[at : at + 25]
                del b[at : at + 25]
                to = rng.randrange(len(b) + 1)
                b[to:to] = block
            started = time.perf_counter()
            pairs = matching_lines(a, b)
            worst_s = max(worst_s, time.perf_counter() - started)
            ordered = all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]))
            if not ordered or any(a[i] != b[j] for i, j in pairs):
                bad.append(str(path))
            reference = sum(m.size for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
            kept, difflib_kept = kept + len(pairs), difflib_kept + reference
            if len(pairs) < 0.9 * reference - 5:
                bad.append(f"{path}: kept {len(pairs)} of difflib's {reference}")
    share = round(kept / max(difflib_kept, 1), 3)
    return {"wrong": bad, "slowest_ms": round(worst_s * 1000, 1), "kept_vs_difflib": share}


def reference_facts(source: str) -> tuple | None:
    """The facts of ``annotate._facts`` and planning's imports, the slow way (every node)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    spans, branches, returns, imports = [], {}, {}, set()
    innermost: dict[ast.AST, int | None] = {tree: None}
    for node in ast.walk(tree):
        function = innermost[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append(annotate.Span(node.name, node.lineno, node.end_lineno or node.lineno))
            function = min([node.lineno] + [d.lineno for d in node.decorator_list])
        for child in ast.iter_child_nodes(node):
            innermost[child] = function
        if isinstance(node, ast.Return) and innermost[node] is not None:
            returns[node.lineno] = innermost[node]
        if isinstance(node, (ast.If, ast.While)) and node.body:
            branches[node.lineno] = ("while" if isinstance(node, ast.While) else "if", node.body[0].lineno)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.add(ast.dump(node))
    spans.sort(key=lambda s: (s.start, -s.end))
    top_level = {
        n.name: not (n.args.posonlyargs or n.args.args or n.args.vararg or n.args.kwonlyargs or n.args.kwarg)
        for n in tree.body
        if isinstance(n, ast.FunctionDef)
    }
    return spans, branches, returns, top_level, imports


def check_facts(files: list[Path]) -> dict:
    wrong = []
    for path in files:
        source = path.read_text(encoding="utf-8", errors="replace")
        expected = reference_facts(source)
        if expected is None:
            continue
        spans, branches, returns, top_level, imports = expected
        tree = ast.parse(source)
        walked = {ast.dump(n) for n in annotate.statements(tree) if isinstance(n, (ast.Import, ast.ImportFrom))}
        got = (annotate.function_spans(source), annotate.branch_lines(source), annotate.return_lines(source))
        if got != (spans, branches, returns) or annotate.top_level_functions(source) != top_level:
            wrong.append(str(path))
        if walked != imports:  # planning's imports come from the same statement walk
            wrong.append(f"{path}: imports")
    return {"files": len(files), "wrong": wrong}


def check_sides(files: list[Path]) -> dict:
    """How each equality assertion of the test files is oriented, counted by the rule that decided."""
    counts = {"expected second (convention)": 0, "expected first": 0}
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            line = None
            if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1:
                line = node.lineno if isinstance(node.test.ops[0], ast.Eq) else None
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "assertEqual":
                line = node.lineno
            if line is not None:
                first = pytest_run._expected_first(str(path), line)
                counts["expected first" if first else "expected second (convention)"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated library names")
    parser.add_argument("--no-collect", action="store_true", help="skip the venvs and the planning check")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "semcoder" / "realworld")
    args = parser.parse_args(argv)
    manifest = load_manifest()
    wanted = {n for n in args.only.split(",") if n}
    failures = 0
    with tempfile.TemporaryDirectory(prefix="semcoder-reading-") as tmp:
        for lib in manifest["libraries"]:
            if wanted and lib["name"] not in wanted:
                continue
            try:
                sdist = fetch_sdist(lib, args.cache)
                top = unpack(sdist, Path(tmp) / lib["name"] / "tree")
                build = unpack(sdist, Path(tmp) / lib["name"] / "build")
                files = python_files(top)
                tests = [p for p in files if annotate.is_test_file(p.name)]
                planning = None
                if not args.no_collect:
                    planning = check_planning(lib, manifest, top, build, Path(tmp) / lib["name"] / "venv")
            except SetupError as exc:
                print(f"{lib['name']}: could not set up: {exc}")
                return 2
            line_map = check_line_map(files, random.Random(14))
            facts = check_facts(files)
            sides = check_sides(tests)
            ok = not line_map["wrong"] and not facts["wrong"] and not (planning and planning["named_not_collected"])
            failures += not ok
            print(f"{lib['name']} {lib['version']}: {len(files)} files, {len(tests)} test files")
            if planning is not None:
                print(
                    f"  planning: {planning['named']} named, {planning['collected']} collected by pytest; named, not "
                    f"collected: {len(planning['named_not_collected'])} {planning['named_not_collected'][:5]}; "
                    f"collected, not named: {planning['collected_not_named']}"
                )
            print(
                f"  line map: {len(line_map['wrong'])} wrong, slowest {line_map['slowest_ms']} ms, "
                f"keeps {line_map['kept_vs_difflib']:.1%} of what difflib keeps"
            )
            print(f"  source facts: {len(facts['wrong'])} of {facts['files']} files differ {facts['wrong'][:3]}")
            print(f"  failure sides: {sides}")
    print("all checks hold" if not failures else f"{failures} libraries with a failed check")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
