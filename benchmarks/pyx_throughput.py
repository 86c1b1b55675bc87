"""How fast the PyX pipeline makes verified rows: programs traced per second per core, rows per minute.

Runs ``semcoder-train data run`` (no model: stdlib seeds, the verbaliser) into a fresh folder and prints,
per stage, programs in and out, the seconds its tasks spent (summed over tasks: core-seconds) and the
wall seconds, then the totals:

- traced runs per core-second: the ``trace`` stage's traced inputs over its task seconds (each task is one
  process on one core, tracing many programs in one warmed sandboxed interpreter);
- rows per minute: verified PyX rows (forward + backward + NL) and PyX-R rows over the whole wall time.

    python benchmarks/pyx_throughput.py                      # 1,000 seeds, all cores (~3 min on 2 cores)
    python benchmarks/pyx_throughput.py --limit 5000 --out /tmp/pyx5k
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from semcoder_training.pipeline import PipelineConfig, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=1000, help="seeds (default 1000)")
    parser.add_argument("--workers", type=int, help="tasks at once (default: the cores)")
    parser.add_argument("--out", help="output folder (default: a temporary one, removed after)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="pyx-bench-"))
    if out.exists() and any(out.iterdir()):
        print(f"{out} is not empty: give a new --out (a rerun would resume, not measure)", file=sys.stderr)
        return 2
    cfg = PipelineConfig(out=out, limit=args.limit, **({"workers": args.workers} if args.workers else {}))
    start = time.perf_counter()
    wall = run(cfg, log=lambda _: None)
    total_s = time.perf_counter() - start
    stats = json.loads((out / "export" / "stats.json").read_text())
    stages = stats["stages"]
    traced = stages["trace"]["counters"].get("trace/runs", 0)
    trace_core_s = stages["trace"]["seconds"] or float("nan")
    rows = stats["rows"]
    result = {
        "python": platform.python_version(),
        "workers": cfg.workers,
        "seeds": args.limit,
        "programs": stats["programs"],
        "rows": rows,
        "wall_s": round(total_s, 1),
        "traced_runs_per_core_s": round(traced / trace_core_s, 1),
        "monologue_rows_per_min": round((rows.get("fwd_mnl", 0) + rows.get("bwd_mnl", 0)) / total_s * 60, 1),
        "all_rows_per_min": round((rows["pyx"] + rows["pyx_r"]) / total_s * 60, 1),
        "stages": {
            k: {"in": v["in"], "out": v["out"], "core_s": v["seconds"], "wall_s": wall.get(k)}
            for k, v in stages.items()
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"Python {result['python']}, {cfg.workers} workers, {args.limit} seeds -> {stats['programs']} programs")
        print(f"{'stage':<14}{'in':>7}{'out':>7}{'core s':>9}{'wall s':>9}")
        for name, s in result["stages"].items():
            print(f"{name:<14}{s['in']:>7}{s['out']:>7}{s['core_s']:>9.1f}{(s['wall_s'] or 0):>9.1f}")
        print(f"rows: {rows}")
        print(f"traced runs per core-second: {result['traced_runs_per_core_s']}")
        print(
            f"forward + backward rows per minute: {result['monologue_rows_per_min']}  "
            f"(all rows: {result['all_rows_per_min']}), wall {result['wall_s']} s"
        )
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
