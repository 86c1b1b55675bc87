"""The long fuzz of semcoder-lsp: 10,000 seeded messages against one real server process.

    python benchmarks/lsp_fuzz.py [--messages 10000] [--seed N] [--max-buffer 4000000] [--json]
    python benchmarks/lsp_fuzz.py --seed N --explain-hang M    # which message of the batch ending at M stalls

The traffic (tests/server/fuzz.py): random well-typed requests (hover, inlayHint, codeLens,
codeAction, every semcoder command, documentSymbol, completion, unknown methods) at random positions
and URIs, didOpen/didChange storms with odd and large buffers (up to ``--max-buffer`` characters),
didClose/didSave, malformed JSON-RPC and $/cancelRequest, then shutdown and exit; framing errors
each on their own connection. It prints messages sent, requests, unanswered requests, hangs (a
hover after each batch of 50 not answered within ``--live-timeout`` s), the p95 and max response
latency, the server's RSS after initialize against its peak (VmHWM) and the peak of its process
tree (the server plus its runs). Exit status 1 when a problem was found; the seed replays it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.server.fuzz import explain_hang, run_fuzz  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None, help="default: a random seed, printed")
    parser.add_argument("--batch", type=int, default=50, help="messages between liveness hovers")
    parser.add_argument("--max-buffer", type=int, default=4_000_000, help="largest buffer sent, in characters")
    parser.add_argument("--max-seconds", type=float, default=1800, help="stop sending after this long")
    parser.add_argument("--live-timeout", type=float, default=5.0, help="a liveness hover slower than this is a hang")
    parser.add_argument("--no-framing", action="store_true", help="skip the framing-error connections")
    parser.add_argument("--keep", action="store_true", help="keep the project and the server's log")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    parser.add_argument(
        "--explain-hang",
        type=int,
        metavar="N",
        help="replay the seed's traffic up to the batch ending at message N, then that batch one message at a "
        "time with a hover after each: which message stalls the server",
    )
    args = parser.parse_args()
    if args.explain_hang:
        if args.seed is None:
            parser.error("--explain-hang needs the --seed of the run that hung")
        found = explain_hang(args.seed, args.explain_hang, args.batch, args.max_buffer)
        print("\n".join(found) or "no single message of that batch stalled the next hover")
        return 0
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    print(
        f"semcoder-lsp fuzz, seed {seed} "
        f"(rerun: python benchmarks/lsp_fuzz.py --messages {args.messages} --seed {seed})"
    )
    started = time.monotonic()
    report = run_fuzz(
        seed,
        messages=args.messages,
        batch=args.batch,
        max_seconds=args.max_seconds,
        max_buffer=args.max_buffer,
        live_timeout=args.live_timeout,
        final_timeout=120,
        framing=not args.no_framing,
        log=lambda text: print(text, flush=True),
        keep=args.keep,
    )
    print(report.summary())
    for case, outcome in report.framing.items():
        print(f"framing, {case}: {outcome[:300]}")
    unanswered = len(report.unanswered)
    print(
        f"\nmessages {report.messages}, requests {report.requests}, unanswered {unanswered}, "
        f"hangs {len(report.hangs)}, "
        f"latency p95 {report.percentile(0.95) * 1000:.0f} ms max {max(report.latencies, default=0) * 1000:.0f} ms, "
        f"server RSS {report.rss_after_init_kb / 1024:.0f} MB after initialize -> peak {report.hwm_kb / 1024:.0f} MB, "
        f"process tree peak {report.tree_peak_kb / 1024:.0f} MB; {time.monotonic() - started:.0f} s"
    )
    print(f"0 unanswered: {'PASS' if unanswered == 0 else 'MISS'}; 0 hangs: {'PASS' if not report.hangs else 'MISS'}")
    if args.json:
        doc = {k: v for k, v in vars(report).items() if k not in ("latencies",)}
        doc["p95_ms"] = report.percentile(0.95) * 1000
        doc["max_ms"] = max(report.latencies, default=0) * 1000
        print(json.dumps(doc, indent=1, default=str))
    return 1 if report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
