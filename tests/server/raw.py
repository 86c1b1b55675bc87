"""A client that speaks raw stdio frames to a real semcoder-lsp process: what a broken client could send."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

from .conftest import SERVER


class RawServer:
    """semcoder-lsp over raw stdio frames: what a broken client could send, byte for byte.

    A thread reads the server's frames into a queue, so reads can time out; its stderr (the log)
    goes to ``log`` when given."""

    def __init__(self, root: Path, log: Path | None = None) -> None:
        self.log = log
        err = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        if log is not None:
            err.close()  # the child holds its own copy
        self.root = root
        self.messages: queue.Queue[dict | None] = queue.Queue()
        self.received: list[dict] = []  # every message read so far, in order
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        stdout = self.proc.stdout
        while True:
            length = 0
            while True:
                line = stdout.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            try:
                self.messages.put(json.loads(stdout.read(length)))
            except ValueError:  # the output ended inside a frame
                self.messages.put(None)
                return

    def write(self, raw: bytes) -> None:
        """Bytes as they are: broken frames included."""
        self.proc.stdin.write(raw)
        self.proc.stdin.flush()

    def send(self, payload: bytes | dict | Any) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def read(self, timeout: float = 60) -> dict:
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message from the server within {timeout} s") from None
        if message is None:
            self.messages.put(None)  # stays closed for the next read
            raise AssertionError("the server closed its output")
        self.received.append(message)
        return message

    def response(self, msg_id, timeout: float = 60) -> dict:
        """The response to ``msg_id`` (requests and notifications from the server are skipped)."""
        while True:
            message = self.read(timeout)
            if message.get("id") == msg_id and "method" not in message:
                return message
            if "method" in message and "id" in message:  # a request to us: answer it empty
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def request(self, msg_id, method: str, params, timeout: float = 60) -> dict:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.response(msg_id, timeout)

    def notify(self, method: str, params) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def initialize(self, root: Path | None = None) -> dict:
        """``initialize`` and ``initialized`` on ``root`` (the project), with no client capabilities."""
        root = root or self.root
        reply = self.request(1, "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        self.notify("initialized", {})
        return reply

    def wait(self, timeout: float = 10) -> int:
        """The exit status; fails if the process is still running after ``timeout`` s."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server still runs {timeout} s later") from None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log is not None else ""

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
