"""A seeded fuzzer for semcoder-lsp: random well-typed requests, change storms and malformed JSON-RPC
against a real ``python -m semcoder_lsp`` process over stdio (loopback only: two pipes).

Shared by ``tests/server/test_fuzz.py`` (a few hundred messages) and ``benchmarks/lsp_fuzz.py``
(10,000). The messages depend on the seed alone, never on the server's answers, so a seed replays
the same traffic. What it checks:

- every request with a usable id (an integer or a string) gets exactly one response, and no
  response names an id that was never sent;
- after each batch a hover on an untouched module is answered within ``live_timeout`` (else a hang);
- no file of the project is created, changed or removed (names, sizes, mtimes, hashes);
- runs still happen at the end: an edit of the module shows its new traced value in a hover;
- after ``shutdown`` requests are answered (InvalidRequest), ``exit`` ends the process with 0, and
  no process the server started outlives it;
- framing errors, each on its own short-lived connection: the server either resynchronises and
  answers the next request, or exits; it never stays alive and deaf.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .processes import alive, cmdline, memory_kb, process_tree

SERVER = [sys.executable, "-m", "semcoder_lsp"]
COMMANDS = (
    "semcoder.traceCall",
    "semcoder.selectRun",
    "semcoder.runTimeline",
    "semcoder.explainFailure",
    "semcoder.explainExecution",
    "semcoder.suggestFix",
)
CALC = "def double(x):\n    y = x * 2\n    return y\n\n\ndef triple(x):\n    z = x * 3\n    return z\n"
TESTS = (
    "from calc import double, triple\n\n\n"
    "def test_double():\n    assert double(2) == 4\n\n\n"
    "def test_triple_is_wrong():\n    assert triple(2) == 7\n"
)
UTIL = "def total(items):\n    s = 0\n    for item in items:\n        s += item\n    return s\n"
FAILING = "tests/test_calc.py::test_triple_is_wrong"
# A module the traffic never names: at the end, an edit of it must still be traced.
FINAL = "def quad(x):\n    w = x * 4\n    return w\n"
FINAL_TESTS = "from final import quad\n\n\ndef test_quad():\n    assert quad(2) == 8\n"
# Run limits small enough that a storm of runs and hostile traceCalls end quickly.
INIT_OPTIONS = {
    "run": {"timeoutSeconds": 3},
    "repair": {"timeBudgetSeconds": 3, "probeSeconds": 3},
    "model": {"backend": "none"},
}
CAPABILITIES = {
    "general": {"positionEncodings": ["utf-16"]},
    "window": {"workDoneProgress": True, "showDocument": {"support": True}, "showMessage": {}},
    "workspace": {
        "configuration": True,
        "workspaceFolders": True,
        "inlayHint": {"refreshSupport": True},
        "codeLens": {"refreshSupport": True},
        "applyEdit": True,
    },
    "textDocument": {
        "synchronization": {"didSave": True},
        "hover": {"contentFormat": ["markdown", "plaintext"]},
        "inlayHint": {},
        "codeLens": {},
        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["", "quickfix"]}}},
        "publishDiagnostics": {},
    },
}


# -- the project -------------------------------------------------------------------------


def make_project(root: Path) -> Path:
    """A module, its tests (one fails, so runs have something to show) and a helper module."""
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (root / "calc.py").write_text(CALC)
    (root / "util.py").write_text(UTIL)
    (root / "tests" / "test_calc.py").write_text(TESTS)
    (root / "final.py").write_text(FINAL)
    (root / "tests" / "test_final.py").write_text(FINAL_TESTS)
    return root


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry below ``root``: (kind, size, mtime_ns, sha256) for files, ("dir",) for folders."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = ("dir",)
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            with open(path, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()[:16]
            out[os.path.relpath(path, root)] = ("file", st.st_size, st.st_mtime_ns, digest)
    return out


def snapshot_changes(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    changes = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    changes += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    changes += [
        f"changed {p}: {before[p]} -> {after[p]}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]
    ]
    return changes


# -- processes and memory --------------------------------------------------------------


# -- the client --------------------------------------------------------------------------


def id_key(value: Any) -> tuple[str, str]:
    """Ids as the client sent them: 5 and "5" are different ids."""
    return (type(value).__name__, json.dumps(value, sort_keys=True))


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def encode(payload: Any) -> bytes:
    """JSON with every non-ASCII character escaped: lone surrogates travel as ``\\udc00``, NULs as ``\\u0000``."""
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


@dataclass
class Pending:
    method: str
    seq: int
    summary: str
    sent: float = 0.0  # when its bytes were written (0: still queued)


class FrameClient:
    """semcoder-lsp over stdio frames. A writer thread sends what the fuzzer queues (a stalled
    server never blocks the fuzzer); a reader thread collects every response by id, answers the
    server's requests and counts its notifications."""

    def __init__(self, cwd: Path, env: dict[str, str], log: Path, command: list[str] | None = None) -> None:
        self.log = log
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(
                command or SERVER, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err
            )
        self.lock = threading.Condition()
        self.responses: dict[tuple, list[tuple[float, dict]]] = {}
        self.pending: dict[tuple, Pending] = {}  # ids we expect exactly one response for
        self.other_ids: set[tuple] = set()  # ids we sent in odd messages: a response is allowed, not required
        self.null_errors: list[dict] = []
        self.server_requests: dict[str, int] = {}
        self.notifications: dict[str, int] = {}
        self.messages: list[str] = []  # window/showMessage texts
        self.garbage: list[bytes] = []
        self.closed = False  # the server closed its output
        self.write_error: str | None = None
        self.queue: queue.Queue = queue.Queue()
        self.bytes_sent = 0
        self.last_hover: dict | None = None
        self.last_written = -1  # the fuzzer's sequence number of the last message written
        self.shown: list[tuple[str, int]] = []  # window/showMessage texts, after which message
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._writer = threading.Thread(target=self._write_loop, daemon=True)
        self._reader.start()
        self._writer.start()

    # writing
    def send_bytes(self, data: bytes, expect: tuple | None = None, seq: int = -1) -> None:
        """Queue raw bytes (already framed); ``expect`` is the id key whose send time to stamp."""
        self.queue.put((data, expect, seq))

    def send(self, payload: Any) -> None:
        self.send_bytes(frame(encode(payload)))

    def request(self, msg_id: Any, method: str, params: Any, seq: int = -1, summary: str = "") -> tuple:
        key = id_key(msg_id)
        with self.lock:
            self.pending[key] = Pending(method, seq, summary)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not _ABSENT:
            message["params"] = params
        self.send_bytes(frame(encode(message)), key, seq)
        return key

    def _write_loop(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        while True:
            item = self.queue.get()
            if item is None:
                try:
                    stdin.close()
                except OSError:
                    pass
                return
            data, key, seq = item
            try:
                stdin.write(data)
                stdin.flush()
            except (OSError, ValueError) as exc:
                self.write_error = self.write_error or f"{type(exc).__name__}: {exc}"
                continue
            self.bytes_sent += len(data)
            self.last_written = seq if seq >= 0 else self.last_written
            if key is not None:
                with self.lock:
                    if key in self.pending:
                        self.pending[key].sent = time.monotonic()

    def close_input(self) -> None:
        self.queue.put(None)

    def drained(self, timeout: float) -> bool:
        """Until everything queued has been written."""
        deadline = time.monotonic() + timeout
        while self.queue.qsize() and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.queue.qsize()

    # reading
    def _read_loop(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    with self.lock:
                        self.closed = True
                        self.lock.notify_all()
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = stream.read(length or 0)
            now = time.monotonic()
            try:
                message = json.loads(body)
            except ValueError:
                self.garbage.append(body[:300])
                continue
            self._dispatch(message, now)

    def _dispatch(self, message: Any, now: float) -> None:
        if not isinstance(message, dict):
            self.garbage.append(json.dumps(message)[:300].encode())
            return
        method = message.get("method")
        if isinstance(method, str) and "id" in message:
            self.server_requests[method] = self.server_requests.get(method, 0) + 1
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": _answer(method, message.get("params"))})
            return
        if isinstance(method, str):
            self.notifications[method] = self.notifications.get(method, 0) + 1
            if method == "window/showMessage":
                self.messages.append(str((message.get("params") or {}).get("message"))[:300])
                self.shown.append((self.messages[-1], self.last_written))
            return
        with self.lock:
            if message.get("id") is None and "error" in message:
                self.null_errors.append(message)
            elif message.get("id") is None:
                self.garbage.append(json.dumps(message)[:300].encode())
            else:
                self.responses.setdefault(id_key(message["id"]), []).append((now, message))
            self.lock.notify_all()

    def wait_for(self, key: tuple, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while key not in self.responses and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)
            found = self.responses.get(key)
            return found[0][1] if found else None

    def call(self, msg_id: Any, method: str, params: Any, timeout: float) -> dict | None:
        return self.wait_for(self.request(msg_id, method, params), timeout)

    def unanswered(self) -> list[tuple]:
        with self.lock:
            return [k for k in self.pending if k not in self.responses]

    def wait_all(self, timeout: float) -> list[tuple]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            missing = self.unanswered()
            if not missing or self.closed:
                return missing
            time.sleep(0.05)
        return self.unanswered()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stderr_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_bytes()[-chars:].decode("utf-8", "replace")
        except OSError:
            return ""


_ABSENT = object()


def _answer(method: str, params: Any) -> Any:
    """What an editor answers to the server's requests: nothing applied, nothing chosen."""
    if method == "workspace/configuration":
        items = params.get("items") if isinstance(params, dict) else None
        return [None] * len(items) if isinstance(items, list) else []
    if method == "window/showDocument":
        return {"success": False}
    if method == "workspace/applyEdit":
        return {"applied": False}
    return None


def server_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMCODER_")}
    env["TMPDIR"] = str(tmp)  # the server's own temporary files (explanations) stay in the fuzz's folder
    return env


def capabilities_for(seed: int) -> dict:
    """The client's capabilities for a seed: the position encodings editors offer (VS Code: UTF-16
    only; Neovim: UTF-8 first), from their own Random so that the traffic does not change."""
    caps = json.loads(json.dumps(CAPABILITIES))
    choice = random.Random(seed ^ 0x5EED).choice([["utf-16"], ["utf-8", "utf-16"], ["utf-32", "utf-8"]])
    caps["general"]["positionEncodings"] = choice
    return caps


def handshake(client: FrameClient, root: Path, capabilities: dict | None = None, timeout: float = 60) -> dict:
    params = {
        "processId": os.getpid(),
        "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": CAPABILITIES if capabilities is None else capabilities,
        "initializationOptions": INIT_OPTIONS,
    }
    reply = client.call(0, "initialize", params, timeout)
    if reply is None or "result" not in reply:
        raise AssertionError(f"initialize failed: {reply}; stderr: {client.stderr_tail()}")
    client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    return reply["result"]


# -- what the fuzzer sends ---------------------------------------------------------------


@dataclass
class Doc:
    uri: str
    text: str
    version: int = 1


@dataclass
class Sent:
    seq: int
    kind: str
    method: str
    size: int
    summary: str
    data: bytes | None = None  # the frame, when small enough to keep for the report


def short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else f"{text[: limit - 40]}…({len(text)} chars)…{text[-20:]}"


class Traffic:
    """The fuzzer's messages, from a seeded ``random.Random`` only."""

    def __init__(self, rng: random.Random, root: Path, max_buffer: int) -> None:
        self.rng = rng
        self.root = root
        self.max_buffer = max_buffer
        self.next_id = 1
        self.docs: dict[str, Doc] = {}
        self.recent_ids: list[Any] = []
        self.live_uri = (root / "calc.py").as_uri()
        self.storm_uris = [(root / name).as_uri() for name in ("util.py", "scratch.py", "tests/test_new.py")]
        self.storm_uris += [(root / f"gen_{i}.py").as_uri() for i in range(3)]
        self.odd_uris = [
            f"file://{root}/nul%00byte.py",
            f"file://{root}/%C3%BCn%C3%AFc%C3%B6de_%E2%82%AC.py",
            f"file://{root}/{'long_' * 60}.py",
            f"file://{root}/{'d/' * 400}deep.py",
            f"file://{root}/sub%2F..%2F..%2Fescape.py",
            f"file://{root}/space%20name.py",
            f"file://{root}/bad%ZZescape.py",
            f"file://{root}/surrogate%ED%B3%80.py",
            "untitled:Untitled-1",
            "https://example.invalid/x.py",
            "vscode-notebook-cell:/x.ipynb#W0sZmlsZQ%3D%3D",
            "not a uri",
            "",
            "file:calc.py",
            "file:///",
            f"file://{root}",
            f"file://{root}/README",
        ]

    def new_id(self) -> Any:
        n = self.next_id
        self.next_id += 1
        r = self.rng.random()
        if r < 0.15:
            return f"s{n}"
        if r < 0.2:
            return f"ü-{n}-\U0001f600"
        if r < 0.23:
            return 2**31 - 1 - n
        return n

    # positions and places
    def any_uri(self) -> str:
        r = self.rng.random()
        if r < 0.45 and self.docs:
            return self.rng.choice(sorted(self.docs))
        if r < 0.6:
            return self.live_uri
        if r < 0.75:
            return self.rng.choice(self.storm_uris)
        if r < 0.8:
            return (self.root / "never_opened.py").as_uri()
        if r < 0.82:
            return f"file://{self.root}/{'x' * self.rng.choice([300, 5000])}.py"
        return self.rng.choice(self.odd_uris)

    def line_count(self, uri: str) -> int:
        doc = self.docs.get(uri)
        return doc.text.count("\n") + 1 if doc else 10

    def number(self, size: int) -> Any:
        r = self.rng.random()
        if r < 0.6:
            return self.rng.randrange(0, max(size, 1) + 2)
        if r < 0.7:
            return size + self.rng.randrange(1, 1000)
        if r < 0.78:
            return -self.rng.randrange(1, 3)
        if r < 0.86:
            return self.rng.choice([2**31 - 1, 2**31, 2**53, 10**30])
        if r < 0.9:
            return self.rng.choice([1.5, "3", None, True, [1]])
        return 0

    def position(self, uri: str) -> dict:
        return {"line": self.number(self.line_count(uri)), "character": self.number(40)}

    def range(self, uri: str) -> dict:
        start, end = self.position(uri), self.position(uri)
        if self.rng.random() < 0.5 and all(type(v) is int for p in (start, end) for v in p.values()):
            if (start["line"], start["character"]) > (end["line"], end["character"]):
                start, end = end, start
        return {"start": start, "end": end}

    def nested(self) -> dict:
        """An object that looks like a JSON-RPC message, to be carried as data."""
        return self.rng.choice(
            [
                {"jsonrpc": "2.0", "method": "exit"},
                {"jsonrpc": "2.0", "id": 999_999, "method": "shutdown"},
                {"jsonrpc": "2.0", "id": 5, "result": None},
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didClose",
                    "params": {"textDocument": {"uri": self.live_uri}},
                },
                {"jsonrpc": "2.0", "id": 7, "error": {"code": -1, "message": "x"}},
            ]
        )

    # documents
    def odd_text(self) -> str:
        big = max(self.max_buffer, 1000)
        choices = [
            lambda: CALC + "\udc00\n",
            lambda: "x = '\ud800'\n" + CALC,
            lambda: "a = 1\x00\nb = 2\n",
            lambda: "x = " + "-" * min(100_000, big) + "1\n",
            lambda: "x = " + "1+" * min(20_000, big // 2) + "1\n",
            lambda: "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n",
            lambda: "x = " + "[" * 5000 + "]" * 5000 + "\n",
            lambda: "def f():\n" + "".join(f"{'    ' * (i + 1)}if x:\n" for i in range(95)) + "    " * 96 + "pass\n",
            lambda: "\ufeffé = '€ \U0001f600 ß'\nprint(é)\n",
            lambda: "\r\n".join(["a = 1", "b = 2\r", "\u2028c = 3", "\x0cd = 4"]),
            lambda: "def broken(:\n    return\n",
            lambda: "",
            lambda: "y = 1\n" * self.rng.randrange(1000, max(1001, big // 6)),
            lambda: "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(self.rng.randrange(50, 900))),
            lambda: "x" * self.rng.randrange(1000, big),
            lambda: "".join(chr(self.rng.randrange(1, 0x3000)) for _ in range(self.rng.randrange(10, 2000))),
            lambda: "from calc import double\n\n\ndef test_new():\n    assert double(3) == 6\n",
            lambda: UTIL.replace("s += item", "s += item  # edited"),
        ]
        weights = [3, 2, 3, 1, 1, 2, 1, 1, 2, 2, 3, 2, 1, 1, 1, 2, 3, 4]
        text = self.rng.choices(choices, weights)[0]()
        return text[: self.max_buffer] if len(text) > self.max_buffer else text

    def did_open(self) -> tuple[str, Any]:
        uri = self.rng.choice(self.storm_uris) if self.rng.random() < 0.7 else self.any_uri()
        if uri == self.live_uri:
            uri = self.storm_uris[0]
        text = self.odd_text()
        self.docs[uri] = Doc(uri, text)
        item = {
            "uri": uri,
            "languageId": self.rng.choice(["python", "python", "plaintext", ""]),
            "version": 1,
            "text": text,
        }
        return "textDocument/didOpen", {"textDocument": item}

    def did_change(self) -> tuple[str, Any]:
        if self.docs and self.rng.random() < 0.9:
            uri = self.rng.choice(sorted(self.docs))
        else:
            uri = self.any_uri()
        if uri == self.live_uri:  # the liveness module stays as it is
            uri = self.storm_uris[1]
        doc = self.docs.get(uri) or Doc(uri, "")
        r = self.rng.random()
        doc.version += 1 if r < 0.9 else self.rng.choice([-3, 0, 1000])
        changes = []
        for _ in range(self.rng.choice([1, 1, 1, 2, 5])):
            if self.rng.random() < 0.35:
                text = self.odd_text()
                changes.append({"text": text})
                doc.text = text
            else:
                insert = self.rng.choice(["a", "\n", "    ", "x = 1\n", "\udc00", "\x00", "é\U0001f600", "", ")" * 50])
                if self.rng.random() < 0.05:
                    insert = "z = 2\n" * self.rng.randrange(10, max(11, self.max_buffer // 60))
                change: dict = {"range": self.range(uri), "text": insert}
                if self.rng.random() < 0.2:
                    change["rangeLength"] = self.rng.randrange(0, 50)
                changes.append(change)
                doc.text += insert  # an approximation: only the line count matters here
        if uri in self.docs:
            self.docs[uri] = doc
        return "textDocument/didChange", {
            "textDocument": {"uri": uri, "version": doc.version},
            "contentChanges": changes,
        }

    # requests
    def request(self) -> tuple[str, Any]:
        uri = self.any_uri()
        ident = {"uri": uri}
        kind = self.rng.choices(
            ["hover", "inlay", "lens", "action", "command", "symbol", "completion", "unknown", "resolve", "bad"],
            [20, 15, 10, 8, 18, 4, 4, 5, 3, 6],
        )[0]
        if kind == "hover":
            return "textDocument/hover", {"textDocument": ident, "position": self.position(uri)}
        if kind == "inlay":
            return "textDocument/inlayHint", {"textDocument": ident, "range": self.range(uri)}
        if kind == "lens":
            return "textDocument/codeLens", {"textDocument": ident}
        if kind == "action":
            diagnostics = [
                {
                    "range": self.range(uri),
                    "message": "x",
                    "code": self.rng.choice(["syntax-error", "test-failed", 3, None]),
                }
                for _ in range(self.rng.randrange(0, 3))
            ]
            context: dict = {"diagnostics": diagnostics}
            if self.rng.random() < 0.3:
                context["only"] = [self.rng.choice(["quickfix", "refactor", ""])]
            return "textDocument/codeAction", {"textDocument": ident, "range": self.range(uri), "context": context}
        if kind == "command":
            return "workspace/executeCommand", self.command(uri)
        if kind == "symbol":
            return "textDocument/documentSymbol", {"textDocument": ident}
        if kind == "completion":
            return "textDocument/completion", {"textDocument": ident, "position": self.position(uri)}
        if kind == "unknown":
            method = self.rng.choice(
                ["semcoder/nope", "$/unknownRequest", "textDocument/definition", "workspace/symbol", "x"]
            )
            return method, {"textDocument": ident, "query": "", "nested": self.nested()}
        if kind == "resolve":
            method = self.rng.choice(["codeLens/resolve", "inlayHint/resolve", "codeAction/resolve"])
            return method, {
                "range": self.range(uri),
                "position": self.position(uri),
                "label": "x",
                "title": "t",
                "data": self.nested(),
            }
        # well-framed, ill-typed params
        params = self.rng.choice(
            [
                {"textDocument": 42},
                {"textDocument": {"uri": None}, "position": {"line": "a"}},
                {"textDocument": ident},
                {"position": self.position(uri)},
                {"textDocument": ident, "position": {"line": 1, "character": 2}, "extra": self.nested()},
            ]
        )
        return self.rng.choice(["textDocument/hover", "textDocument/inlayHint", "textDocument/codeLens"]), params

    def command(self, uri: str) -> dict:
        name = self.rng.choice(list(COMMANDS) + ["semcoder.nope", ""])
        root = self.root
        r = self.rng.random()
        if r < 0.12:
            arguments: Any = self.rng.choice(
                [[], [None], [42, "x"], [self.nested()], ["x" * 10_000], [uri, None, None, None]]
            )
        elif name == "semcoder.traceCall":
            expression = self.rng.choice(
                [
                    "double(2)",
                    "triple(5)",
                    "double(",
                    "",
                    "__import__('time').sleep(30)",
                    f"open(r'{root}/calc.py', 'a').write('# pwned')",
                    f"__import__('pathlib').Path(r'{root}/pwned.txt').write_text('x')",
                    "__import__('os').system('touch pwned_too.txt')",
                    "[0] * 10**10",
                    "double(2); double(3)",
                    "\udc00",
                    "x" * 5000,
                ]
            )
            target = self.live_uri if self.rng.random() < 0.6 else uri
            arguments = [target, expression] + (["double"] if self.rng.random() < 0.2 else [])
        elif name in ("semcoder.explainFailure", "semcoder.suggestFix"):
            node = self.rng.choice([FAILING, FAILING, "tests/test_calc.py::test_double", "nope::x", "", "\x00"])
            target = (root / "tests" / "test_calc.py").as_uri() if self.rng.random() < 0.6 else uri
            arguments = [target, node]
        elif name == "semcoder.explainExecution":
            arguments = [self.live_uri if self.rng.random() < 0.6 else uri, self.number(10)]
            if self.rng.random() < 0.5:
                arguments.append(self.rng.choice(["double(4)", "triple(", "", "__import__('os').getcwd()"]))
        else:
            arguments = [uri] + ([self.rng.choice(["", "run-1", "x" * 300, "\x00"])] if self.rng.random() < 0.5 else [])
        params: dict = {"command": name, "arguments": arguments}
        if self.rng.random() < 0.05:
            params.pop("arguments")
        return params

    # malformed messages on a sound framing
    def malformed(self, new_id: Any) -> tuple[str, bytes, Any, str]:
        """(label, body, id, expect): ``expect`` is "id" where the id must be answered (a usable id on a
        request the spec wants an error for), "null" where the spec wants an error with id null, and
        "" where an answer to the id is allowed, not required (ambiguous messages, notifications)."""
        hover = {"textDocument": {"uri": self.live_uri}, "position": {"line": 6, "character": 4}}
        cases: list[tuple[str, Any, Any, str]] = [
            ("not json", b"{this is not json", None, "null"),
            ("truncated json", b'{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hov', None, "null"),
            ("empty body", b"", None, "null"),
            ("invalid utf-8", b'{"jsonrpc": "2.0", "method": "x\xff\xfe"}', None, "null"),
            ("array of numbers", [1, 2, 3], None, ""),
            ("empty array", [], None, "null"),
            ("a string", "hello", None, "null"),
            ("null", None, None, "null"),
            (
                "batch of requests",
                [{"jsonrpc": "2.0", "id": new_id, "method": "textDocument/hover", "params": hover}],
                new_id,
                "",
            ),
            ("no method", {"jsonrpc": "2.0", "id": new_id}, new_id, ""),
            ("method is a number", {"jsonrpc": "2.0", "id": new_id, "method": 123}, new_id, "id"),
            ("method is null", {"jsonrpc": "2.0", "id": new_id, "method": None, "params": {}}, new_id, "id"),
            ("no jsonrpc", {"id": new_id, "method": "textDocument/hover", "params": hover}, new_id, ""),
            (
                "jsonrpc 1.0",
                {"jsonrpc": "1.0", "id": new_id, "method": "textDocument/hover", "params": hover},
                new_id,
                "",
            ),
            (
                "params a string",
                {"jsonrpc": "2.0", "id": new_id, "method": "textDocument/hover", "params": "x"},
                new_id,
                "id",
            ),
            (
                "params a number",
                {"jsonrpc": "2.0", "id": new_id, "method": "textDocument/codeLens", "params": 7},
                new_id,
                "id",
            ),
            (
                "params null",
                {"jsonrpc": "2.0", "id": new_id, "method": "textDocument/inlayHint", "params": None},
                new_id,
                "id",
            ),
            ("id null", {"jsonrpc": "2.0", "id": None, "method": "textDocument/hover", "params": hover}, None, ""),
            (
                "id a float",
                {"jsonrpc": "2.0", "id": self.next_id + 0.5, "method": "textDocument/hover", "params": hover},
                None,
                "",
            ),
            (
                "id an object",
                {"jsonrpc": "2.0", "id": {"a": 1}, "method": "textDocument/hover", "params": hover},
                None,
                "",
            ),
            ("id a bool", {"jsonrpc": "2.0", "id": True, "method": "textDocument/hover", "params": hover}, None, ""),
            (
                "result and error",
                {"jsonrpc": "2.0", "id": new_id, "result": None, "error": {"code": 1, "message": "x"}},
                new_id,
                "",
            ),
            ("response to nothing", {"jsonrpc": "2.0", "id": new_id, "result": {"x": 1}}, new_id, ""),
            (
                "notification with a request's method",
                {"jsonrpc": "2.0", "method": "textDocument/hover", "params": hover},
                None,
                "",
            ),
            (
                "unknown notification",
                {"jsonrpc": "2.0", "method": "$/fuzzNotification", "params": {"x": self.nested()}},
                None,
                "",
            ),
            ("unknown notification", {"jsonrpc": "2.0", "method": "semcoder/whatever", "params": [1, 2]}, None, ""),
            (
                "request with a notification's method",
                {
                    "jsonrpc": "2.0",
                    "id": new_id,
                    "method": "textDocument/didSave",
                    "params": {"textDocument": {"uri": self.live_uri}},
                },
                new_id,
                "id",
            ),
            (
                "nested message in params",
                {
                    "jsonrpc": "2.0",
                    "id": new_id,
                    "method": "textDocument/hover",
                    "params": {**hover, "x": self.nested()},
                },
                new_id,
                "id",
            ),
            (
                "nested message in command arguments",
                {
                    "jsonrpc": "2.0",
                    "id": new_id,
                    "method": "workspace/executeCommand",
                    "params": {"command": "semcoder.selectRun", "arguments": [self.live_uri, self.nested()]},
                },
                new_id,
                "id",
            ),
            (
                "nested message as params",
                {"jsonrpc": "2.0", "id": new_id, "method": "textDocument/codeLens", "params": self.nested()},
                new_id,
                "id",
            ),
            (
                "second initialize",
                {
                    "jsonrpc": "2.0",
                    "id": new_id,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                },
                new_id,
                "id",
            ),
            (
                "shutdown with string params",
                {"jsonrpc": "2.0", "id": new_id, "method": "shutdown", "params": "now"},
                new_id,
                "id",
            ),
            (
                "settings",
                {
                    "jsonrpc": "2.0",
                    "method": "workspace/didChangeConfiguration",
                    "params": {"settings": {"semcoder": {"run": {"timeoutSeconds": -1}}}},
                },
                None,
                "",
            ),
            (
                "settings",
                {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": {"settings": self.nested()}},
                None,
                "",
            ),
            ("deeply nested params", _deep(new_id, 5000), new_id, "null"),
        ]
        label, body, msg_id, expect = self.rng.choice(cases)
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        return label, body, msg_id, expect


def _deep(msg_id: Any, depth: int) -> bytes:
    """A hover whose params nest ``depth`` objects (too deep for Python's json to write)."""
    params = b'{"a": ' * depth + b"1" + b"}" * depth
    return b'{"jsonrpc": "2.0", "id": %s, "method": "textDocument/hover", "params": %s}' % (
        json.dumps(msg_id).encode(),
        params,
    )


# -- the run ------------------------------------------------------------------------------


@dataclass
class Report:
    seed: int
    messages: int = 0
    requests: int = 0
    must_answer: int = 0
    unanswered: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    null_id_errors: int = 0
    expect_null: int = 0
    internal_errors: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    invalid_sent: int = 0
    hangs: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    runs_stopped: str | None = None
    shutdown: list[str] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)
    died: str | None = None
    framing: dict[str, str] = field(default_factory=dict)
    rss_after_init_kb: int = 0
    hwm_kb: int = 0
    tree_peak_kb: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    errors_by_code: dict[str, int] = field(default_factory=dict)
    tracebacks: int = 0
    memory_notes: list[str] = field(default_factory=list)
    per_method: dict[str, list[float]] = field(default_factory=dict)
    exceptions: dict[str, int] = field(default_factory=dict)
    server_messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        out = []
        if self.died:
            out.append(f"the server died: {self.died}")
        out += [f"unanswered: {u}" for u in self.unanswered]
        out += [f"answered more than once: {d}" for d in self.duplicates]
        out += [f"response to an id never sent: {u}" for u in self.unknown_ids]
        out += [f"hang: {h}" for h in self.hangs]
        out += [f"project written: {w}" for w in self.writes]
        if self.null_id_errors < self.expect_null:
            out.append(
                f"{self.expect_null} messages that were no valid JSON or no request object (parse error, "
                f"invalid request) got only {self.null_id_errors} errors with id null"
            )
        out += [f"internal error: {e}" for e in self.internal_errors]
        if self.runs_stopped:
            out.append(f"runs stopped: {self.runs_stopped}")
        out += [f"shutdown: {s}" for s in self.shutdown]
        out += [f"process left behind: {p}" for p in self.leftover]
        out += [f"framing, {case}: {what}" for case, what in self.framing.items() if not what.startswith("ok")]
        return out

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]

    def summary(self) -> str:
        lines = [
            f"seed {self.seed}: {self.messages} messages ({self.bytes_sent / 1e6:.1f} MB) in {self.seconds:.1f} s, "
            f"{self.requests} requests, {self.must_answer} needing an answer, {len(self.unanswered)} unanswered, "
            f"{len(self.duplicates)} answered twice, {len(self.unknown_ids)} answers to unsent ids, "
            f"{len(self.hangs)} hangs",
            f"latency: p95 {self.percentile(0.95) * 1000:.0f} ms, max {max(self.latencies, default=0) * 1000:.0f} ms",
            f"memory: server RSS after initialize {self.rss_after_init_kb / 1024:.0f} MB, peak (VmHWM) "
            f"{self.hwm_kb / 1024:.0f} MB; process tree peak {self.tree_peak_kb / 1024:.0f} MB",
            f"invalid messages sent {self.invalid_sent} ({self.expect_null} wanting an error with id null), "
            f"errors with id null {self.null_id_errors}; "
            f"error codes {dict(sorted(self.errors_by_code.items()))}; "
            f"tracebacks in the server's log: {self.tracebacks}",
        ]
        lines += [f"memory: {n}" for n in self.memory_notes]
        for method, times in sorted(self.per_method.items(), key=lambda i: -max(i[1])):
            ordered = sorted(times)
            p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
            lines.append(f"latency {method}: n {len(times)}, p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")
        if self.slowest:
            lines.append("slowest: " + "; ".join(f"{t * 1000:.0f} ms {s}" for t, s in self.slowest[:5]))
        lines += [f"server log: {n} x {e}" for e, n in sorted(self.exceptions.items(), key=lambda i: -i[1])[:15]]
        lines += [f"server said: {m}" for m in self.server_messages[:10]]
        lines.append("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()))
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"PROBLEM {p}" for p in self.problems()]
        return "\n".join(lines)


class _Sampler(threading.Thread):
    """The server's and its process tree's memory, and every process it started, every 0.2 s."""

    def __init__(self, pid: int, client: FrameClient) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.client = client
        self.stop = threading.Event()
        self.tree_peak_kb = 0
        self.hwm_kb = 0
        self.rss_peak = (0, -1)  # (server RSS kB, the last message written then)
        self.jumps: list[tuple[int, int, int]] = []  # (growth kB, written before, written after)
        self.last = (0, -1)
        self.seen: dict[tuple[int, int], str] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(0.2)

    def sample(self) -> None:
        tree = process_tree(self.pid)
        own = memory_kb(self.pid)
        self.hwm_kb = max(self.hwm_kb, own.get("VmHWM", 0))
        total = own.get("VmRSS", 0)
        written = self.client.last_written
        if total > self.rss_peak[0]:
            self.rss_peak = (total, written)
        if self.last[0] and total - self.last[0] > 50_000:
            self.jumps.append((total - self.last[0], self.last[1], written))
        self.last = (total, written) if total else self.last
        for child in tree:
            if child not in self.seen:
                self.seen[child] = cmdline(child[0])
            total += memory_kb(child[0]).get("VmRSS", 0)
        self.tree_peak_kb = max(self.tree_peak_kb, total)


def run_fuzz(
    seed: int,
    messages: int = 600,
    batch: int = 50,
    max_seconds: float = 120,
    max_buffer: int = 256_000,
    live_timeout: float = 5.0,
    final_timeout: float = 90.0,
    framing: bool = True,
    workdir: Path | None = None,
    log: Callable[[str], None] | None = None,
    keep: bool = False,
) -> Report:
    """Fuzz one server process with ``messages`` messages from ``seed``; framing cases on their own connections."""
    say = log or (lambda text: None)
    report = Report(seed=seed)
    tmp = Path(tempfile.mkdtemp(prefix="semcoder-fuzz-", dir=workdir))
    try:
        root = make_project(tmp / "project")
        (tmp / "server-tmp").mkdir()
        before = snapshot(root)
        started = time.monotonic()
        _main_stream(
            report, seed, root, tmp, messages, batch, max_seconds, max_buffer, live_timeout, final_timeout, say
        )
        report.seconds = time.monotonic() - started
        report.writes = snapshot_changes(before, snapshot(root))
        if framing:
            mark = time.monotonic()
            report.framing = framing_cases(tmp, root)
            report.phases["framing"] = time.monotonic() - mark
    finally:
        if keep:
            say(f"kept {tmp} (the project, server.log)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return report


def _main_stream(report, seed, root, tmp, messages, batch, max_seconds, max_buffer, live_timeout, final_timeout, say):
    rng = random.Random(seed)
    traffic = Traffic(rng, root, max_buffer)
    client = FrameClient(root, server_env(tmp / "server-tmp"), tmp / "server.log")
    sampler = _Sampler(client.proc.pid, client)
    sent: list[Sent] = []
    try:
        caps = handshake(client, root, capabilities_for(seed))["capabilities"]
        report.notes.append(f"position encoding {caps.get('positionEncoding', 'utf-16')}")
        commands = set((caps.get("executeCommandProvider") or {}).get("commands") or [])
        missing = set(COMMANDS) - commands
        if missing:
            report.notes.append(f"commands not advertised: {sorted(missing)}")
        live = traffic.live_uri
        mark = time.monotonic()
        client.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": live, "languageId": "python", "version": 1, "text": CALC}},
            }
        )
        # Runs happen before the storm: a hover shows the traced value.
        if not _wait_hover(client, live, "`6`", 90):
            report.notes.append("no traced value on the module before the fuzz (runs never happened)")
        report.rss_after_init_kb = memory_kb(client.proc.pid).get("VmRSS", 0)
        report.phases["first trace"] = time.monotonic() - mark
        mark = time.monotonic()
        sampler.start()
        say(f"seed {seed}: {messages} messages, batches of {batch}")
        deadline = time.monotonic() + max_seconds
        seq = 0
        batch_start = 0
        while seq < messages and time.monotonic() < deadline:
            for _ in range(min(batch, messages - seq)):
                seq += 1
                sent.append(send_one(client, traffic, seq, report))
            live_id = traffic.new_id()
            t0 = time.monotonic()
            key = client.request(
                live_id,
                "textDocument/hover",
                {"textDocument": {"uri": live}, "position": {"line": 6, "character": 4}},
                seq,
                "liveness hover",
            )
            report.requests += 1
            report.must_answer += 1
            reply = client.wait_for(key, live_timeout)
            if reply is None:
                late = client.wait_for(key, final_timeout)
                waited = time.monotonic() - t0
                kinds = _describe(sent[batch_start:seq])
                report.hangs.append(
                    f"liveness hover after message {seq} "
                    + (f"answered only after {waited:.1f} s" if late else f"unanswered after {waited:.0f} s")
                    + f"; that batch: {kinds}"
                )
                say(report.hangs[-1])
                if late is None:
                    break
            batch_start = seq
            if client.closed or client.proc.poll() is not None:
                break
            if seq % (batch * 10) == 0:
                say(f"  {seq} messages, {time.monotonic() - (deadline - max_seconds):.0f} s")
        report.messages = seq
        report.phases["fuzz"] = time.monotonic() - mark
        mark = time.monotonic()
        if seq < messages:
            report.notes.append(
                f"stopped after {seq} of {messages} messages (time limit {max_seconds:.0f} s or a dead server)"
            )
        client.drained(final_timeout)
        missing = client.wait_all(final_timeout)
        by_key = {s.seq: s for s in sent}
        for key in missing:
            p = client.pending[key]
            frame_bytes = by_key[p.seq].data if p.seq in by_key else None
            report.unanswered.append(
                f"#{p.seq} id {key[1]} {p.method} {p.summary}"
                + (f" | frame {frame_bytes[:400]!r}" if frame_bytes and p.summary == "" else "")
            )
        _responses(report, client)
        report.phases["last answers"] = time.monotonic() - mark
        mark = time.monotonic()
        if client.proc.poll() is not None:
            report.died = f"exit code {client.proc.returncode}; stderr: {client.stderr_tail(1500)}"
            return
        # Runs still happen: an edit of another module shows its new value (odd buffers still open).
        final = (root / "final.py").as_uri()
        item = {"uri": final, "languageId": "python", "version": 1, "text": FINAL.replace("x * 4", "x * 5")}
        client.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}})
        if not _wait_hover(client, final, "`10`", 60, line=1):
            open_docs = ", ".join(
                f"{u.rsplit('/', 1)[-1][:40]} ({len(d.text)} chars)" for u, d in sorted(traffic.docs.items())
            )
            report.runs_stopped = (
                f"after an edit of final.py no hover showed its traced value within 60 s (last hover: "
                f"{short(client.last_hover, 200)}); open: {open_docs}; server said: {client.messages[-3:]}"
            )
            for uri in traffic.docs:
                client.send(
                    {"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}
                )
            change = {
                "textDocument": {"uri": final, "version": 2},
                "contentChanges": [{"text": FINAL.replace("x * 4", "x * 6")}],
            }
            client.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": change})
            if _wait_hover(client, final, "`12`", 60, line=1):
                report.runs_stopped += "; they came back once those buffers were closed"
            else:
                report.runs_stopped += "; nor after closing every other buffer"
        report.phases["runs after"] = time.monotonic() - mark
        _shutdown(report, client, traffic)
    finally:
        sampler.stop.set()
        if sampler.is_alive():
            sampler.join()
        sampler.sample() if client.proc.poll() is None else None
        report.tree_peak_kb = sampler.tree_peak_kb
        report.hwm_kb = sampler.hwm_kb
        by_seq = {m.seq: m for m in sent}

        def around(last: int) -> str:
            """The largest messages among the last batch written: the server digests them after."""
            window = [by_seq[i] for i in range(max(0, last - batch), last + 1) if i in by_seq]
            big = sorted(window, key=lambda m: -m.size)[:2]
            return ", ".join(f"#{m.seq} {m.method} ({m.size / 1e6:.1f} MB)" for m in big)

        peak, at = sampler.rss_peak
        report.memory_notes.append(f"server RSS peak {peak / 1024:.0f} MB, the fuzzer having written up to #{at}")
        for growth, _, last in sorted(sampler.jumps, reverse=True)[:5]:
            report.memory_notes.append(f"+{growth / 1024:.0f} MB within 0.2 s, after {around(last)}")
        report.bytes_sent = client.bytes_sent
        client.close_input()
        client.kill()
        report.server_messages = sorted(set(m.replace(str(root), "<root>") for m in client.messages))[:20]
        by_seq = {m.seq: m for m in sent}
        shown: dict[str, list[int]] = {}
        for text, after in client.shown:
            if text.startswith("Error in server"):
                shown.setdefault(text.replace(str(root), "<root>")[:200], []).append(after)
        for text, afters in shown.items():
            near = by_seq.get(afters[0])
            cause = f"#{afters[0]} {near.method} {near.summary[:200]}" if near else f"#{afters[0]}"
            report.internal_errors.append(
                f"shown to the user {len(afters)} times: {text} (first once the fuzzer had written {cause})"
            )
        log_text = client.stderr_tail(10**7)
        report.tracebacks = log_text.count("Traceback (most recent call last)")
        report.exceptions = _exceptions(log_text, str(root))
        # Every process the server started must be gone once it has exited.
        deadline = time.monotonic() + 10
        while any(alive(*p) for p in sampler.seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        report.leftover = [f"{pid}: {cmd}" for (pid, st), cmd in sampler.seen.items() if alive(pid, st)]
        for pid, st in list(sampler.seen):
            if alive(pid, st):
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass


def _exceptions(log_text: str, root: str) -> dict[str, int]:
    """The distinct exceptions at the end of the tracebacks in the server's log (project path shortened)."""
    found: dict[str, int] = {}
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or lines[j].startswith("Traceback")):
                j += 1
            where = next((lines[k].strip() for k in range(j - 1, i, -1) if lines[k].strip().startswith("File ")), "")
            if j < len(lines):
                last = lines[j].replace(root, "<root>")[:160]
                key = f"{last} (at {where.replace(root, '<root>')[-90:]})"
                found[key] = found.get(key, 0) + 1
    return found


def send_one(client: FrameClient, traffic: Traffic, seq: int, report: Report) -> Sent:
    """Message ``seq`` of the traffic, sent to ``client``; requests are registered as expecting one answer."""
    rng = traffic.rng
    r = rng.random()
    if r < 0.36:
        method, params = traffic.request()
        msg_id = traffic.new_id()
        traffic.recent_ids = (traffic.recent_ids + [msg_id])[-20:]
        summary = short(params)
        client.request(msg_id, method, params, seq, summary)
        report.requests += 1
        report.must_answer += 1
        return Sent(seq, "request", method, len(encode(params)), summary)
    if r < 0.44:
        # $/cancelRequest: of a recent request, of an unknown id, or ill-typed
        target = rng.choice(
            [rng.choice(traffic.recent_ids) if traffic.recent_ids else 1, 987_654_321, "unknown", None, {"x": 1}]
        )
        params = {"id": target} if rng.random() < 0.9 else {}
        client.send_bytes(frame(encode({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": params})), None, seq)
        return Sent(seq, "cancel", "$/cancelRequest", 0, short(params))
    if r < 0.64:
        method, params = traffic.did_change()
    elif r < 0.72:
        method, params = traffic.did_open()
    elif r < 0.76:
        uri = rng.choice(sorted(traffic.docs)) if traffic.docs and rng.random() < 0.8 else traffic.any_uri()
        uri = traffic.storm_uris[2] if uri == traffic.live_uri else uri
        traffic.docs.pop(uri, None)
        method, params = "textDocument/didClose", {"textDocument": {"uri": uri}}
    elif r < 0.80:
        uri = rng.choice(sorted(traffic.docs)) if traffic.docs and rng.random() < 0.8 else traffic.any_uri()
        params = {"textDocument": {"uri": uri}}
        if rng.random() < 0.3:
            params["text"] = traffic.odd_text()
        method = "textDocument/didSave"
    else:
        msg_id = traffic.new_id()
        label, body, body_id, expect = traffic.malformed(msg_id)
        data = frame(body)
        body_key = id_key(body_id) if body_id is not None else None
        if body_key is not None and expect == "id":
            with client.lock:
                client.pending[body_key] = Pending(label, seq, "")
            report.requests += 1
            report.must_answer += 1
        elif body_key is not None:
            client.other_ids.add(body_key)
        client.send_bytes(data, body_key if expect == "id" else None, seq)
        report.invalid_sent += 1
        report.expect_null += expect == "null"
        return Sent(seq, "malformed", label, len(body), label, data if len(data) < 2000 else data[:2000])
    body = encode({"jsonrpc": "2.0", "method": method, "params": params})
    client.send_bytes(frame(body), None, seq)
    return Sent(seq, "notification", method, len(body), short(params, 100))


def _describe(sent: list[Sent]) -> str:
    counts: dict[str, int] = {}
    for s in sent:
        counts[s.method] = counts.get(s.method, 0) + 1
    big = sorted(sent, key=lambda s: -s.size)[:3]
    return f"{counts}; largest: " + ", ".join(f"#{s.seq} {s.method} {s.size} bytes" for s in big)


def _responses(report: Report, client: FrameClient) -> None:
    internal: dict[str, str] = {}  # -32603 answers: what the server said -> the first request that got it
    with client.lock:
        for key, answers in client.responses.items():
            if key in client.pending:
                p = client.pending[key]
                if p.sent:
                    latency = answers[0][0] - p.sent
                    report.latencies.append(latency)
                    report.per_method.setdefault(p.method, []).append(latency)
                    report.slowest.append((latency, f"#{p.seq} {p.method} {p.summary[:120]}"))
                if len(answers) > 1:
                    report.duplicates.append(f"#{p.seq} id {key[1]} {p.method}: {len(answers)} responses")
            elif key not in client.other_ids:
                report.unknown_ids.append(f"id {key[1]}: {short(answers[0][1], 300)}")
            for _, message in answers:
                if "error" in message:
                    error = message.get("error") or {}
                    code = str(error.get("code"))
                    report.errors_by_code[code] = report.errors_by_code.get(code, 0) + 1
                    text = str(error.get("message"))
                    if code == "-32603" and key in client.pending:
                        p = client.pending[key]
                        internal.setdefault(f"{p.method}: {text[:160]}", f"#{p.seq} {p.summary[:300]}")
                    if "Traceback" in text or "Traceback" in json.dumps(error.get("data")):
                        what = client.pending[key].method if key in client.pending else "?"
                        report.internal_errors.append(
                            f"a traceback sent to the client ({what}, {code}): {text[:200]!r}"
                        )
        report.internal_errors += [f"-32603 to {what} (first: {first})" for what, first in internal.items()]
        report.null_id_errors = len(client.null_errors)
        report.slowest.sort(reverse=True)
        del report.slowest[10:]
        if client.garbage:
            report.notes.append(
                f"{len(client.garbage)} frames from the server were not JSON objects: {client.garbage[:3]}"
            )


_WAITS = itertools.count(1)  # ids of the fuzzer's own waits: apart from the seeded traffic


def _wait_hover(client: FrameClient, uri: str, needle: str, timeout: float, line: int = 6) -> bool:
    deadline = time.monotonic() + timeout
    client.last_hover = None
    while time.monotonic() < deadline and not client.closed:
        params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": 4}}
        reply = client.call(f"wait-{next(_WAITS)}", "textDocument/hover", params, 10)
        client.last_hover = reply
        result = (reply or {}).get("result") or {}
        contents = result.get("contents") if isinstance(result, dict) else None
        if needle in json.dumps(contents):
            return True
        time.sleep(0.3)
    return False


def _shutdown(report: Report, client: FrameClient, traffic: Traffic) -> None:
    """shutdown, then requests (InvalidRequest per spec), then exit: the process ends with 0."""
    reply = client.call("shutdown-1", "shutdown", _ABSENT, 30)
    if reply is None or "result" not in reply or reply["result"] is not None:
        report.shutdown.append(f"shutdown answered {reply}")
    for method, params in (
        ("textDocument/hover", {"textDocument": {"uri": traffic.live_uri}, "position": {"line": 6, "character": 4}}),
        ("workspace/executeCommand", {"command": "semcoder.selectRun", "arguments": [traffic.live_uri]}),
    ):
        after = client.call(f"after-shutdown-{next(_WAITS)}", method, params, 10)
        report.requests += 1
        report.must_answer += 1
        if after is None:
            report.shutdown.append(f"{method} after shutdown: no response in 10 s")
        elif (after.get("error") or {}).get("code") != -32600:
            report.shutdown.append(f"{method} after shutdown answered {short(after, 200)}, not InvalidRequest (-32600)")
    client.send({"jsonrpc": "2.0", "method": "exit"})
    try:
        code = client.proc.wait(10)
    except subprocess.TimeoutExpired:
        report.shutdown.append("still running 10 s after exit")
        return
    if code != 0:
        report.shutdown.append(f"exit after shutdown: exit code {code}, expected 0")


# -- framing errors, each on its own connection ------------------------------------------------

FRAMING_CASES: dict[str, bytes] = {
    "length not a number": b"Content-Length: abc\r\n\r\n{}",
    "negative length": b"Content-Length: -5\r\n\r\n",
    "no length header": b'Content-Type: application/vscode-jsonrpc\r\n\r\n{"jsonrpc": "2.0", "method": "x"}',
    "garbage header line": b"hello world\r\n\r\n",
    "binary junk": bytes(range(256)) * 4,
    "length too short": b'Content-Length: 5\r\n\r\n{"jsonrpc": "2.0", "method": "initialized", "params": {}}',
    "huge length": b"Content-Length: 99999999999\r\n\r\n{}",
    "lone body": b'{"jsonrpc": "2.0", "id": 3, "method": "shutdown"}\r\n',
}


def framing_case(
    tmp: Path,
    root: Path,
    name: str,
    data: bytes,
    answer_timeout: float = 8,
    linger: float = 22,
    exit_timeout: float = 10,
) -> str:
    """Send ``data`` after a sound handshake, then a hover: "ok: ..." when the server resynchronises
    (answers within ``answer_timeout``) or exits (within ``answer_timeout`` + ``linger``, time for
    work in flight to end); otherwise what went wrong (deaf, lingering, processes left)."""
    folder = tmp / f"framing-{abs(hash(name)) % 10**8}"
    folder.mkdir()
    client = FrameClient(root, server_env(folder), folder / "server.log")
    try:
        handshake(client, root, capabilities={})
        client.send_bytes(data)
        sent = time.monotonic()
        hover = {"textDocument": {"uri": (root / "calc.py").as_uri()}, "position": {"line": 6, "character": 4}}
        reply = client.call(77, "textDocument/hover", hover, answer_timeout)
        children = process_tree(client.proc.pid)
        code = client.proc.poll()
        if reply is None and code is None:
            try:  # it may be ending: in-flight work (a run) finishing first
                code = client.proc.wait(linger)
            except subprocess.TimeoutExpired:
                pass
        after = time.monotonic() - sent
        if reply is not None:
            outcome = "ok: resynchronised, the next request was answered"
        elif code is not None and after <= answer_timeout:
            outcome = f"ok: closed the connection (exit code {code})"
        elif code is not None:
            outcome = f"ok: closed the connection (exit code {code}), {after:.1f} s after the bad frame"
        else:
            outcome = f"deaf: alive, and no answer to a request {after:.0f} s after the bad frame"
        client.close_input()
        try:
            client.proc.wait(exit_timeout)
        except subprocess.TimeoutExpired:
            outcome += f"; still running {exit_timeout:.0f} s after its input closed"
        deadline = time.monotonic() + 5
        while any(alive(*c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [c for c in children if alive(*c)]
        if left:
            outcome += f"; processes left: {[cmdline(p) for p, _ in left]}"
        if not outcome.startswith("ok") or ";" in outcome:
            outcome += f" | log: {client.stderr_tail(400)!r}"
            if outcome.startswith("ok"):
                outcome = "bad" + outcome[2:]
        return outcome
    finally:
        client.kill()


def framing_cases(tmp: Path, root: Path, cases: dict[str, bytes] | None = None) -> dict[str, str]:
    cases = FRAMING_CASES if cases is None else cases
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(framing_case, tmp, root, name, data) for name, data in cases.items()}
        return {name: future.result() for name, future in futures.items()}


# -- finding the message behind a hang -------------------------------------------------------


def explain_hang(
    seed: int,
    until: int,
    batch: int = 50,
    max_buffer: int = 4_000_000,
    slow: float = 1.0,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Replay the traffic of ``seed`` up to the batch that ends at message ``until`` at full speed,
    let the server settle, then send that batch one message at a time, each followed by a hover on
    the liveness module: the messages after which the hover took longer than ``slow`` seconds, or
    the server's peak memory (VmHWM) grew by more than 100 MB."""
    tmp = Path(tempfile.mkdtemp(prefix="semcoder-fuzz-hang-"))
    found: list[str] = []
    try:
        root = make_project(tmp / "project")
        (tmp / "server-tmp").mkdir()
        traffic = Traffic(random.Random(seed), root, max_buffer)
        client = FrameClient(root, server_env(tmp / "server-tmp"), tmp / "server.log")
        report = Report(seed=seed)
        try:
            handshake(client, root, capabilities_for(seed))
            live = traffic.live_uri
            item = {"uri": live, "languageId": "python", "version": 1, "text": CALC}
            client.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}})
            hover = {"textDocument": {"uri": live}, "position": {"line": 6, "character": 4}}
            first = until - batch + 1
            hwm = 0
            for seq in range(1, until + 1):
                if seq > 1 and (seq - 1) % batch == 0:
                    traffic.new_id()  # the liveness hover's id in run_fuzz
                if seq == first:
                    started = time.monotonic()
                    client.call(f"settle-{seq}", "textDocument/hover", hover, 300)
                    hwm = memory_kb(client.proc.pid).get("VmHWM", 0)
                    log(f"replayed #1-#{seq - 1}; the server settled in {time.monotonic() - started:.1f} s")
                sent = send_one(client, traffic, seq, report)
                if seq >= first:
                    started = time.monotonic()
                    client.call(f"probe-{seq}", "textDocument/hover", hover, 300)
                    waited = time.monotonic() - started
                    peak = memory_kb(client.proc.pid).get("VmHWM", 0)
                    what = f"#{seq} {sent.method} ({sent.size} bytes) {sent.summary[:160]}"
                    if waited > slow:
                        found.append(f"{what}: next hover {waited:.1f} s")
                        log(found[-1])
                    if hwm and peak - hwm > 100_000:
                        found.append(f"{what}: the server's peak memory grew {(peak - hwm) / 1024:.0f} MB")
                        log(found[-1])
                    hwm = max(hwm, peak)
        finally:
            client.kill()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return found
