"""Our own fuzz test: a seeded, bounded stream of random requests, change storms and malformed
JSON-RPC against one real semcoder-lsp process (tests/server/fuzz.py; the 10,000-message version
is ``python benchmarks/lsp_fuzz.py``). A failure prints the seed and the offending messages; rerun
with ``SEMCODER_FUZZ_SEED=<seed>`` to replay the same traffic."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

from .fuzz import FRAMING_CASES, Report, Traffic, framing_cases, make_project, run_fuzz, send_one

SEED = int(os.environ.get("SEMCODER_FUZZ_SEED", "14"))


def test_fuzz_stream(tmp_path: Path):
    """600 messages: every request answered once, a hover answered after each batch of 50, no
    project file written, runs still traced at the end, a clean shutdown with no process left."""
    report = run_fuzz(
        SEED,
        messages=600,
        batch=50,
        max_seconds=90,
        max_buffer=300_000,
        live_timeout=10,
        final_timeout=60,
        framing=False,
        workdir=tmp_path,
    )
    assert report.problems() == [], report.summary()
    assert report.messages == 600, report.summary()
    # The stream really asked and really hurt: requests of every kind, malformed messages, answers.
    assert report.requests > 200 and report.invalid_sent > 60, report.summary()
    assert report.latencies and report.errors_by_code.get("-32601"), report.summary()


def test_framing_errors_close_the_connection(tmp_path: Path):
    """Each broken frame on its own connection: the server answers the next request or exits; it
    never stays alive and deaf, and leaves no process behind."""
    root = make_project(tmp_path / "project")
    outcomes = framing_cases(tmp_path, root)
    assert outcomes.keys() == FRAMING_CASES.keys()
    bad = {case: what for case, what in outcomes.items() if not what.startswith("ok")}
    assert not bad, bad
    # the server's choice (protocol.py): a broken frame closes the connection, status 2, reason in the log
    closed = {case: what for case, what in outcomes.items() if what != "ok: closed the connection (exit code 2)"}
    assert not closed, closed


class _Recorder:
    """Where the fuzzer's messages go when no server listens: the bytes, in order."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.pending: dict = {}
        self.other_ids: set = set()
        self.sent: list[bytes] = []

    def send_bytes(self, data: bytes, expect=None, seq: int = -1) -> None:
        self.sent.append(data)

    def request(self, msg_id, method: str, params, seq: int = -1, summary: str = "") -> tuple:
        self.sent.append(repr((msg_id, method, params)).encode())
        return ("id", repr(msg_id))


def traffic(seed: int, root: Path) -> list[bytes]:
    recorder = _Recorder()
    source = Traffic(random.Random(seed), root, 50_000)
    for seq in range(1, 400):
        send_one(recorder, source, seq, Report(seed))  # type: ignore[arg-type]
    return recorder.sent


def test_a_seed_replays_the_same_traffic(tmp_path: Path):
    assert traffic(5, tmp_path) == traffic(5, tmp_path)
    assert traffic(5, tmp_path) != traffic(6, tmp_path)
