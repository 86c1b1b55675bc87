"""The oracle's corpus and its runs: jobs for the driver, one driver process per Python and batch.

``python -m tests.tracer.oracle.corpus [VERSION ...]`` runs the whole corpus on the given Pythons
(default: all present) and prints the differences (what the slow test asserts);
``python -m tests.tracer.oracle.corpus --file prog.py [--call "main()"] [--caps 4 3] [VERSION ...]``
checks one program (a repro).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from semcoder_core.sandbox.runner import agent_dir

from .compare import Diff, compare_program

HERE = Path(__file__).resolve().parent
TRACER_TESTS = HERE.parent
DRIVER = HERE / "driver.py"
CRUXEVAL = TRACER_TESTS.parent.parent.parent / "shared" / "data" / "cruxeval" / "cruxeval.jsonl"
SMALL_CAPS = (4, 3)
DEFAULT_CAPS = (10, 10)


def cruxeval_jobs(folder: Path, source: Path = CRUXEVAL) -> list[dict]:
    """The 800 CRUXEval functions, each written to its own file in ``folder``, called on their input."""
    samples = [json.loads(line) for line in source.read_text().splitlines()]
    jobs = []
    for sample in samples:
        path = folder / f"{sample['id']}.py"
        if not path.exists():
            path.write_text(sample["code"] + "\n")
        jobs.append({"id": f"cruxeval/{sample['id']}", "path": str(path), "call": f"f({sample['input']})"})
    return jobs


def program_jobs() -> list[dict]:
    """The tracer's own programs (``main()``)."""
    return [
        {"id": f"programs/{p.name}", "path": str(p), "call": "main()"}
        for p in sorted((TRACER_TESTS / "programs").glob("*.py"))
    ]


def stress_jobs() -> list[dict]:
    """Every ``case_*`` function of every file under ``stress/`` is a program (adding one is a new function)."""
    jobs = []
    for path in sorted((TRACER_TESTS / "stress").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("case_"):
                jobs.append({"id": f"stress/{path.stem}.{node.name}", "path": str(path), "call": f"{node.name}()"})
    return jobs


def run_driver(python: str, jobs: list[dict], caps: list[tuple[int, int]], timeout: float = 600) -> dict[str, dict]:
    """One interpreter process runs the batch (each job under ``caps``, or its own ``caps``); results by job id."""
    with tempfile.TemporaryDirectory(prefix="oracle-") as tmp:
        jobs_file = Path(tmp) / "jobs.json"
        out_file = Path(tmp) / "out.jsonl"
        jobs_file.write_text(json.dumps([dict(job, caps=[list(c) for c in job.get("caps", caps)]) for job in jobs]))
        proc = subprocess.run(
            [python, str(DRIVER), agent_dir(), str(jobs_file), str(out_file)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1"),
        )
        results = {}
        if out_file.exists():
            for line in out_file.read_text().splitlines():
                item = json.loads(line)
                results[item["id"]] = item
        if proc.returncode != 0 or len(results) != len(jobs):
            raise RuntimeError(f"driver failed under {python} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        return results


def run_corpus(python: str, jobs: list[dict], caps: list[tuple[int, int]], batches: int = 2) -> tuple[list[Diff], int]:
    """Run ``jobs`` in ``batches`` parallel driver processes; all differences, and how many programs ran."""
    chunks = [jobs[i::batches] for i in range(batches)]
    with ThreadPoolExecutor(batches) as pool:
        parts = list(pool.map(lambda chunk: run_driver(python, chunk, caps), [c for c in chunks if c]))
    results = {k: v for part in parts for k, v in part.items()}
    diffs: list[Diff] = []
    sources: dict[str, str] = {}
    for job in jobs:
        result = results[job["id"]]
        if "error" in result:
            diffs.append(Diff(job["id"], "-", "driver error", "", result["error"]))
            continue
        path = os.path.realpath(job["path"])
        if path not in sources:
            sources[path] = Path(path).read_text()
        for trace in result["traces"]:
            max_states, max_calls = trace["caps"]
            label = job["id"] if len(result["traces"]) == 1 else f"{job['id']} (caps {max_states}/{max_calls})"
            diffs.extend(compare_program(label, sources[path], result["ref"], trace, max_states, max_calls, path))
    return diffs, len(jobs)


def summary(diffs: list[Diff], limit: int = 60) -> str:
    kinds = Counter(d.kind for d in diffs)
    programs = len({d.program for d in diffs})
    head = f"{len(diffs)} differences in {programs} programs: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    return head + "\n" + "\n".join(str(d) for d in diffs[:limit])


def main(argv: list[str]) -> int:
    """``[VERSION ...]``: the whole corpus; ``--file F.py [--call EXPR] [--caps S C] [VERSION ...]``: one program."""
    from tests.conftest import available_pythons

    pythons = available_pythons()
    caps = [SMALL_CAPS]
    if "--caps" in argv:
        i = argv.index("--caps")
        caps = [(int(argv[i + 1]), int(argv[i + 2]))]
        del argv[i : i + 3]
    if "--file" in argv:
        i = argv.index("--file")
        path = argv[i + 1]
        call = "main()"
        del argv[i : i + 2]
        if "--call" in argv:
            i = argv.index("--call")
            call = argv[i + 1]
            del argv[i : i + 2]
        jobs = [{"id": os.path.basename(path), "path": os.path.abspath(path), "call": call}]
    else:
        folder = Path(tempfile.mkdtemp(prefix="oracle-cruxeval-"))
        jobs = program_jobs() + stress_jobs() + cruxeval_jobs(folder)
    bad = 0
    for version in argv or list(pythons):
        start = time.perf_counter()
        diffs, n = run_corpus(pythons[version], jobs, caps, batches=min(2, len(jobs)))
        print(f"== Python {version}: {n} programs, {time.perf_counter() - start:.1f} s; {summary(diffs, 400)}")
        bad += bool(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
