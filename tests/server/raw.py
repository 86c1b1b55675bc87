"""A client that speaks raw stdio frames to a real semcoder-lsp process: what a broken client could send."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .conftest import SERVER


class RawServer:
    """semcoder-lsp over raw stdio frames: what a broken client could send, byte for byte."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.root = root

    def send(self, payload: bytes | dict) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def read(self) -> dict:
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def response(self, msg_id) -> dict:
        """The response to ``msg_id`` (requests and notifications from the server are skipped)."""
        while True:
            message = self.read()
            if message.get("id") == msg_id and "method" not in message:
                return message
            if "method" in message and "id" in message:  # a request to us: answer it empty
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def request(self, msg_id, method: str, params) -> dict:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.response(msg_id)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
