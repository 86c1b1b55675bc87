"""One library of benchmarks/realworld end to end: its pinned sdist from PyPI, a throwaway venv, its own suite
under plain pytest and under `semcoder debug`, compared node id by node id. The full corpus is a benchmark
command (benchmarks/README.md); this slice keeps regressions of the sandbox on code we did not write in CI.

inflection is the fastest suite of the corpus (455 tests, about 1 s). All of them pass, so a test file of ours
with known failures of each kind (a function, a parametrize case, a fixture, a unittest method) is copied into the
unpacked tree, and both runs must report exactly those; the same file has passing tests that start 64 threads and
serve on loopback, which the sandbox once failed (RLIMIT_NPROC/RLIMIT_AS, a blocked socket.bind)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "benchmarks" / "realworld" / "run.py"
KNOWN = Path(__file__).resolve().parent / "data" / "test_semcoder_known_failures.py"
EXPECTED_FAILING = {
    "test_semcoder_known_failures.py::test_camelize_known_failure",
    "test_semcoder_known_failures.py::test_pluralize_known_failure[cow]",
    "test_semcoder_known_failures.py::test_fixture_known_failure",
    "test_semcoder_known_failures.py::TestUnderscore::test_known_failure",
}


def test_inflection_suite_reports_the_same_failures_under_debug_as_under_plain_pytest(tmp_path):
    cmd = [sys.executable, str(RUNNER), "--only", "inflection", "--json", "--extra-test", str(KNOWN)]
    cmd += ["--cache", str(tmp_path / "cache"), "--workdir", str(tmp_path / "work")]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.stdout, proc.stderr[-3000:]
    (lib,) = json.loads(proc.stdout)["libraries"]
    assert "fatal" not in lib, lib.get("fatal")

    # plain pytest ran the whole suite: inflection's 455 tests and our 8, of which exactly our 4 fail
    assert lib["tests"] == 455 + 8, lib["plain_last_line"]
    assert set(lib["plain_failures"]) == EXPECTED_FAILING

    # semcoder debug: the same suite, the same failing set, each entry under its real node id
    assert lib["debug_status"] == "ok"
    assert lib["debug_summary"]["total"] == 463
    assert lib["debug_failing_count"] == 4
    assert lib["spurious"] == []
    assert lib["missed"] == []
    assert lib["crashed"] == []
    assert lib["bad_ids"] == []
    assert lib["traced_passes"] == []
    assert proc.returncode == 0, proc.stderr[-3000:]
    # each failing test was traced, and its trace ends in the assertion that failed
    by_id = {e["nodeid"]: e for e in lib["entries"]}
    assert set(by_id) == EXPECTED_FAILING
    assert {e["status"] for e in by_id.values()} == {"exception"}
    assert all(e["cause"].startswith("AssertionError") for e in by_id.values()), by_id
    assert "'kine' == 'cow'" in by_id["test_semcoder_known_failures.py::test_pluralize_known_failure[cow]"]["cause"]

    # the two slowest tests, traced one by one with `semcoder trace NODE`, end as they did untraced
    assert len(lib["traced_slowest"]) == 2
    assert all(t["agrees"] and t["traced_nodeid"] == t["nodeid"] for t in lib["traced_slowest"]), lib["traced_slowest"]

    # the downloaded sdist was checked against the manifest's sha256 and kept in the cache given
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["inflection-0.5.1.tar.gz"]
