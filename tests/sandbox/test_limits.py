"""Limits that mean what a user means, on real sandboxed runs in both isolation modes.

Memory is limited on memory in use (not reserved address space), threads are not processes, each
test has its own calibrated time limit, and a test that crashes or breaks pytest's own code is that
test's failure: the run goes on with the rest in a new process, every entry under its real node id.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from semcoder_core.sandbox import Limits, isolation
from tests.sandbox.test_hostile import MODES, Harness, run_ids  # noqa: F401 - run_ids is a fixture

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox checks read /proc"),
    pytest.mark.timeout(180),
]

SUITE_LIMITS = Limits(timeout_s=20.0, memory_mb=512, max_processes=8)


def _has_memory_cgroup() -> bool:
    probe = isolation.RunCgroups("probe-limits", 64, None)
    found = probe.memory is not None
    probe.remove()
    return found


HAS_MEMORY_CGROUP = _has_memory_cgroup()


@pytest.fixture(params=MODES)
def sandbox(request, tmp_path, run_ids) -> Harness:  # noqa: F811 - run_ids is the imported fixture
    return Harness(tmp_path, request.param, run_ids)


def outcomes(result: dict) -> dict[str, str]:
    assert all(t["nodeid"] for t in result["tests"]), "an entry without a node id"
    return {t["nodeid"].rpartition("::")[2]: t["outcome"] for t in result["tests"]}


def by_name(result: dict, name: str) -> dict:
    return next(t for t in result["tests"] if t["nodeid"].endswith("::" + name))


# -- memory: what is in use, not what is reserved --------------------------------------------


def test_reserved_address_space_and_thread_stacks_are_not_memory_in_use(sandbox):
    # 1 GB of untouched mapping and 40 threads (8 MB of stack reserved each): far over 512 MB of
    # address space (the old limit), a few MB in use.
    project = sandbox.project(
        {
            "mod.py": """
            import mmap
            import threading

            def f():
                reserved = mmap.mmap(-1, 1024 * 1024 * 1024)
                reserved[:4096] = b"x" * 4096
                stop = threading.Event()
                threads = [threading.Thread(target=stop.wait) for _ in range(40)]
                for t in threads:
                    t.start()
                alive = sum(t.is_alive() for t in threads)
                stop.set()
                for t in threads:
                    t.join()
                return alive, len(reserved)
            """
        }
    )
    result = sandbox.trace(project, "f()", limits=SUITE_LIMITS)
    assert result["status"] == "ok", result["exception"]
    assert result["return_repr"] == "(40, 1073741824)"


def test_memory_bomb_in_a_test_is_that_tests_failure(sandbox):
    project = sandbox.project(
        {
            "tests/test_mem.py": """
            def test_before():
                assert sum(range(10)) == 45


            def test_bomb():
                hoard = []
                while True:
                    hoard.append(bytearray(32 * 1024 * 1024))


            def test_after():
                assert [1] * 3 == [1, 1]
            """
        }
    )
    result = sandbox.run_tests(project, ["tests"], SUITE_LIMITS)
    assert outcomes(result) == {"test_before": "passed", "test_bomb": "failed", "test_after": "failed"}
    bomb = by_name(result, "test_bomb")
    assert bomb["exception"]["type"] == "MemoryError"
    assert bomb["exception"]["line"] == 8
    assert bomb["exception"]["message"].startswith("ran out of memory (limit 512 MB)")
    assert result["status"] == "memory-limit"


@pytest.mark.skipif(not HAS_MEMORY_CGROUP, reason="no memory cgroup can be made here (not root, none delegated)")
def test_kernel_oom_kill_is_memory_limit_of_the_running_test(sandbox):
    # One C call that fills 2 GB: nothing in Python runs until it returns, so the kernel's limit
    # (the run's memory cgroup) kills the process; the test it was running is reported as such.
    project = sandbox.project(
        {
            "tests/test_oom.py": """
            def test_first():
                assert True


            def test_one_huge_fill():
                data = b"x" * (2 * 1024 * 1024 * 1024)
                assert len(data) > 0


            def test_last():
                assert 2 + 2 == 4
            """
        }
    )
    result = sandbox.run_tests(project, ["tests"], SUITE_LIMITS)
    assert outcomes(result) == {"test_first": "passed", "test_one_huge_fill": "memory-limit", "test_last": "passed"}
    killed = by_name(result, "test_one_huge_fill")
    assert "memory limit (512 MB in use)" in killed["exception"]["message"]
    assert result["restarts"] == 1
    assert result["status"] == "memory-limit"


# -- threads are not processes -----------------------------------------------------------------


_THREADS_AND_PROCESSES = """
import subprocess
import sys
import threading


def test_a_hundred_threads():
    results = []
    lock = threading.Lock()

    def work(n):
        with lock:
            results.append(n * n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [n * n for n in range(100)]
    assert threading.active_count() == 1  # the sandbox runs no thread of its own


def test_numpy_and_its_blas_threads():
    np = __import__("pytest").importorskip("numpy")
    a = np.ones((300, 300))
    assert (a @ a)[0, 0] == 300.0


def test_processes_are_limited_threads_are_not():
    import time

    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(30)]
    for t in threads:
        t.start()
    children, error = [], None
    try:
        for _ in range(20):
            children.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]))
    except OSError as exc:
        error = type(exc).__name__
    finally:
        for child in children:
            child.kill()
            child.wait()
        stop.set()
    assert (len(children), error) == (8, "BlockingIOError")


def test_what_suites_read_and_write_outside_the_project():
    import os

    # /etc/localtime (time zone tests) is readable when the machine has one.
    assert os.path.exists("/etc/localtime") == HOST_HAS_LOCALTIME
    # hypothesis' example database goes to a writable, throwaway folder (the project may be read-only).
    folder = os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]
    os.makedirs(os.path.join(folder, "examples"), exist_ok=True)
    with open(os.path.join(folder, "examples", "entry"), "w") as fh:
        fh.write("x")


def test_loopback_server_thread():
    # The run's own network namespace: its loopback is open, everything else is not.
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        conn.sendall(conn.recv(16).upper())
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    with socket.create_connection(server.getsockname(), timeout=5) as client:
        client.sendall(b"ping")
        assert client.recv(16) == b"PING"
    thread.join()
    server.close()
    for address in (("1.1.1.1", 80), ("example.com", 80)):
        try:
            socket.create_connection(address, timeout=0.5)
        except OSError as exc:
            assert isinstance(exc, PermissionError), exc
        else:
            raise AssertionError(f"connected to {address}")
"""


def test_threads_run_and_processes_stop_at_the_limit(sandbox):
    host_has_localtime = os.path.exists("/etc/localtime")
    code = _THREADS_AND_PROCESSES + f"\n\nHOST_HAS_LOCALTIME = {host_has_localtime}\n"
    project = sandbox.project({"tests/test_threads.py": code})
    result = sandbox.run_tests(project, ["tests"], SUITE_LIMITS)
    private = sandbox.mode == "bwrap" or bool(isolation.namespace_prefix("/"))
    assert result["status"] == ("ok" if private else "exception"), result["tests"]
    found = outcomes(result)
    assert found.pop("test_loopback_server_thread") == ("passed" if private else "failed")
    assert set(found.values()) <= {"passed", "skipped"}
    assert found["test_processes_are_limited_threads_are_not"] == "passed"


# -- a crash or a break in pytest's own code is one test's ---------------------------------------


def test_a_crash_mid_suite_is_that_test_and_the_rest_run(sandbox):
    project = sandbox.project(
        {
            "tests/test_crash.py": """
            import ctypes
            import os


            def test_before():
                assert True


            def test_segfault():
                ctypes.string_at(0)


            def test_exits():
                os._exit(3)


            def test_after():
                assert 1 + 1 == 3
            """
        }
    )
    result = sandbox.run_tests(project, ["tests"], SUITE_LIMITS)
    assert outcomes(result) == {
        "test_before": "passed",
        "test_segfault": "crashed",
        "test_exits": "crashed",
        "test_after": "failed",
    }
    assert "SIGSEGV" in by_name(result, "test_segfault")["exception"]["message"]
    assert by_name(result, "test_exits")["exception"]["message"] == "the program called os._exit(3)"
    assert by_name(result, "test_after")["failure"]["line"] == 18
    assert result["restarts"] == 2
    assert result["status"] == "exception"
    assert result["exception"]["type"] in ("crashed", "SystemExit")


def test_internal_error_is_reported_against_the_running_test(sandbox):
    project = sandbox.project(
        {
            "tests/conftest.py": """
            def pytest_runtest_logreport(report):
                if report.when == "call" and report.nodeid.endswith("test_breaks_reporting"):
                    raise RuntimeError("a reporting plugin broke")
            """,
            "tests/test_internal.py": """
            def test_ok():
                assert True


            def test_breaks_reporting():
                assert True


            def test_after():
                assert "a" * 2 == "aaa"
            """,
        }
    )
    result = sandbox.run_tests(project, ["tests"], SUITE_LIMITS)
    assert outcomes(result) == {"test_ok": "passed", "test_breaks_reporting": "crashed", "test_after": "failed"}
    broken = by_name(result, "test_breaks_reporting")
    assert broken["exception"]["type"] == "InternalError"
    assert "a reporting plugin broke" in broken["exception"]["message"]
    assert result["restarts"] == 1


def test_internal_error_outside_any_test_ends_the_run_once(tmp_path, run_ids):  # noqa: F811
    # pytest breaking in a plugin before any test (during collection, or as a test is about to start)
    # says so; the tests left are not started again and again.
    harness = Harness(tmp_path, "copy", run_ids)
    project = harness.project(
        {
            "tests/conftest.py": """
            def pytest_runtest_logstart(nodeid, location):
                if nodeid.endswith("test_two"):
                    raise RuntimeError("a plugin broke at the start of a test")
            """,
            "tests/test_two.py": "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n",
        }
    )
    result = harness.run_tests(project, ["tests"], SUITE_LIMITS)
    assert outcomes(result) == {"test_one": "passed"}
    assert result["status"] == "error"
    assert result["exception"]["type"] == "InternalError"
    assert "a plugin broke at the start of a test" in result["exception"]["message"]
    assert result["restarts"] == 1

    (project / "tests" / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n    raise RuntimeError('a plugin broke the collection')\n"
    )
    result = harness.run_tests(project, ["tests"], SUITE_LIMITS)
    assert (result["status"], result["tests"], result["restarts"]) == ("error", [], 0)
    assert "a plugin broke the collection" in result["exception"]["message"]


def test_time_limit_never_fires_inside_pytests_own_code(sandbox):
    # pytest's reporting of test_slow_report takes 2 s, past the test's 1 s limit: the limit is on
    # the test's own code (setup, call, teardown), which took 0.3 s; raised in pytest's reporting
    # code it used to end the session with INTERNALERROR and a result without a node id, and the
    # reporting's time used to count, so the fixture's teardown (after it) timed out.
    project = sandbox.project(
        {
            "tests/conftest.py": """
            import time

            import pytest


            @pytest.hookimpl(hookwrapper=True)
            def pytest_runtest_makereport(item, call):
                if item.name == "test_slow_report" and call.when == "call":
                    time.sleep(2)
                yield
            """,
            "tests/test_report.py": """
            import time

            import pytest


            @pytest.fixture
            def stuck():
                yield
                while True:
                    pass


            @pytest.fixture
            def slow_teardown():
                yield
                time.sleep(0.3)


            def test_slow_report(slow_teardown):
                assert True


            def test_stuck_in_teardown(stuck):
                assert True


            def test_after():
                assert True
            """,
        }
    )
    limits = SUITE_LIMITS.model_copy(update={"timeout_s": 1.0})
    result = sandbox.run_tests(project, ["tests"], limits, total_timeout_s=20)
    # A fixture's teardown that runs out of time is that test's timeout, and pytest finishes its
    # bookkeeping: the next test is set up as usual.
    assert outcomes(result) == {
        "test_slow_report": "passed",
        "test_stuck_in_teardown": "timeout",
        "test_after": "passed",
    }
    assert by_name(result, "test_stuck_in_teardown")["exception"]["line"] in (9, 10)
    assert "INTERNALERROR" not in result["stdout"]
    assert result["restarts"] == 0


# -- per-test time limits ------------------------------------------------------------------------


def test_a_test_stuck_in_a_c_call_is_killed_and_the_rest_run(sandbox):
    # Signal handlers run between bytecodes only: the parent kills the process at 1.5 x the limit + 5 s.
    project = sandbox.project(
        {
            "tests/test_c.py": """
            def test_c_loop():
                assert sum(range(10**13)) > 0


            def test_after():
                assert 3 * 3 == 10
            """
        }
    )
    limits = SUITE_LIMITS.model_copy(update={"timeout_s": 1.0})
    result = sandbox.run_tests(project, ["tests"], limits, total_timeout_s=30)
    assert outcomes(result) == {"test_c_loop": "timeout", "test_after": "failed"}
    assert by_name(result, "test_c_loop")["exception"]["message"].startswith("did not finish within 1 s and was killed")
    assert (result["status"], result["restarts"]) == ("exception", 1)


def test_each_test_has_the_limit_it_is_given(sandbox, tmp_path):
    project = sandbox.project(
        {
            "tests/test_sleep.py": """
            import time


            def test_given_room():
                time.sleep(1.2)


            def test_given_too_little():
                time.sleep(1.2)
            """
        }
    )
    limits = {"tests/test_sleep.py::test_given_room": 5.0, "tests/test_sleep.py::test_given_too_little": 0.5}
    job = lambda sb: sb.run_tests(["tests"], test_timeouts=limits, total_timeout_s=20)  # noqa: E731
    result = sandbox._checked(project, job, SUITE_LIMITS, 20)
    assert outcomes(result) == {"test_given_room": "passed", "test_given_too_little": "timeout"}
    assert by_name(result, "test_given_too_little")["exception"]["message"].startswith("did not finish within 0.5 s")


@pytest.mark.slow
def test_debug_calibrates_traced_limits_on_untraced_time(tmp_path):
    # With a floor of 0.5 s: a healthy test that sleeps 1.5 s passes in the untraced run, and a failing
    # CPU-bound test that takes ~0.2 s untraced (seconds traced) is traced to its failure.
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_slow.py").write_text(
        textwrap.dedent(
            """
            import time


            def test_sleeps_a_while():
                time.sleep(1.5)


            def test_busy_and_wrong():
                total = 0
                for i in range(3_000_000):
                    total += i
                assert total < 0
            """
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", "debug", str(project), "--json", "--timeout", "0.5"],
        capture_output=True,
        text=True,
        timeout=170,
    )
    report = json.loads(out.stdout)
    assert report["summary"] == {"total": 2, "passed": 1, "failed": 1}, out.stderr
    (traced,) = report["tests"]
    assert traced["test"]["nodeid"] == "tests/test_slow.py::test_busy_and_wrong"
    assert traced["status"] == "exception", traced["exception"]
    assert traced["exception"]["line"] == 13
    # `trace NODE_ID` has no untraced time to start from: past the floor it times the test untraced
    # and traces it again under the calibrated limit.
    node = str(project / "tests" / "test_slow.py") + "::test_busy_and_wrong"
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", "trace", node, "--json", "--timeout", "0.5"],
        capture_output=True,
        text=True,
        timeout=170,
    )
    result = json.loads(out.stdout)
    assert (result["status"], result["exception"]["line"]) == ("exception", 13), result["exception"]
