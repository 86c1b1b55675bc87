"""Traced vs untraced in instructions executed (valgrind callgrind), per Python: a noise-free twin of
tracer_overhead.py's loop-heavy section. Wall-clock ratios on a shared machine swing by +-30%;
instruction counts repeat to the last digit.

    python benchmarks/tracer_instructions.py [--n 200000] [--pythons 3.11,3.13]

For each interpreter: instructions of the 3-line loop run n times, untraced, traced with default caps,
and traced with a hook that does nothing (the floor CPython itself imposes), each minus a run with
n = 0 so that start-up is not counted. Needs valgrind.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
# benchmarks/ (tracer_overhead), tests/ (conftest) and the repo root (conftest imports tests.support)
sys.path[:0] = [str(_REPO / "benchmarks"), str(_REPO / "tests"), str(_REPO)]
from conftest import available_pythons  # noqa: E402
from tracer_overhead import WORKLOAD  # noqa: E402  (the same loop as the wall-clock benchmark)

from semcoder_core.sandbox.runner import agent_dir  # noqa: E402  (the tracer as the sandbox ships it)

DRIVER = """\
import sys
sys.path[:0] = [{agent!r}, {work!r}]
import work
mode, n = sys.argv[1], int(sys.argv[2])
if mode == "traced":
    from semcoder_tracer import TraceSession
    session = TraceSession([work.__file__])
    session.start(); work.loop(n); session.stop()
elif mode == "floor":
    def local(frame, event, arg):
        return local
    def hook(*args):
        return local if args[0].f_code is work.loop.__code__ else None
    if hasattr(sys, "monitoring"):
        m = sys.monitoring
        m.use_tool_id(4, "floor")
        m.register_callback(4, m.events.LINE, lambda code, line: None)
        m.set_local_events(4, work.loop.__code__, m.events.LINE)
        work.loop(n)
    else:
        sys.settrace(hook); work.loop(n); sys.settrace(None)
else:
    work.loop(n)
"""


def instructions(python: str, driver: Path, mode: str, n: int) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, str(driver), mode, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--pythons", help="comma-separated X.Y versions (default: all found)")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        print("valgrind not found: apt-get install valgrind")
        return 0
    pythons = available_pythons()
    if args.pythons:
        pythons = {v: p for v, p in pythons.items() if v in args.pythons.split(",")}
    with tempfile.TemporaryDirectory() as tmp:
        agent, work = agent_dir(), Path(tmp, "work")
        work.mkdir()
        (work / "work.py").write_text(WORKLOAD)
        driver = Path(tmp, "driver.py")
        driver.write_text(DRIVER.format(agent=str(agent), work=str(work)))
        print(f"instructions per loop iteration, n = {args.n:,} (3 line events each)")
        print(f"{'python':8} {'untraced':>9} {'floor':>9} {'traced':>9} {'floor x':>8} {'traced x':>9}")
        for version, python in pythons.items():
            per = {}
            for mode in ("untraced", "floor", "traced"):
                base = instructions(python, driver, mode, 0)
                per[mode] = (instructions(python, driver, mode, args.n) - base) / args.n
            u = per["untraced"]
            print(
                f"{version:8} {u:9.0f} {per['floor']:9.0f} {per['traced']:9.0f} "
                f"{per['floor'] / u:7.2f}x {per['traced'] / u:8.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
