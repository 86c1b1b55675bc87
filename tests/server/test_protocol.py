"""The wire protocol against a real server process: every request gets one answer, as the LSP and
JSON-RPC specs say, and a broken frame ends the process with its reason in the log."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import SERVER
from .raw import RawServer

NESTED = {"jsonrpc": "2.0", "id": 5, "method": "textDocument/hover", "params": {}}


@pytest.fixture
def server(small_project: Path, tmp_path: Path):
    (small_project / "calc.py").write_text("def double(x):\n    return x * 2\n")
    raw = RawServer(small_project, log=tmp_path / "server.log")
    yield raw
    raw.close()


def answer(server: RawServer) -> dict:
    """The next response (what the server asks or tells meanwhile is skipped, its requests answered)."""
    while True:
        message = server.read(30)
        if "method" not in message:
            return message
        if "id" in message:
            server.send({"jsonrpc": "2.0", "id": message["id"], "result": None})


def hover(server: RawServer, msg_id, **extra) -> dict:
    params = {"textDocument": {"uri": (server.root / "calc.py").as_uri()}, "position": {"line": 0, "character": 4}}
    server.send({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": params | extra})
    return answer(server)


def error(reply: dict) -> tuple[int, str]:
    assert set(reply) == {"jsonrpc", "id", "error"}, reply
    return reply["error"]["code"], reply["error"]["message"]


def test_nested_messages_in_params_are_data(server: RawServer):
    server.initialize()
    uri = (server.root / "calc.py").as_uri()
    text = (server.root / "calc.py").read_text()
    item = {"uri": uri, "languageId": "python", "version": 1, "text": text, "extra": NESTED}
    server.notify("textDocument/didOpen", {"textDocument": item})
    server.notify("workspace/didChangeConfiguration", {"settings": {"semcoder": {"x": [NESTED]}}})
    reply = hover(server, 3, textDocument={"uri": uri, "deep": {"deeper": NESTED}}, extra=NESTED)
    assert reply["id"] == 3 and "error" not in reply, reply
    params = {"command": "semcoder.selectRun", "arguments": [uri, NESTED]}
    server.send({"jsonrpc": "2.0", "id": 4, "method": "workspace/executeCommand", "params": params})
    reply = answer(server)
    assert reply["id"] == 4 and error(reply)[0] == -32602  # a run id is a string, not an object
    assert hover(server, 6)["id"] == 6  # still serving, and every answer so far went to a request sent
    ids = [m["id"] for m in server.received if "method" not in m]
    assert ids == [1, 3, 4, 6]


def test_after_shutdown_only_exit(server: RawServer):
    server.initialize()
    assert error(server.request(2, "shutdown", "now")) == (-32602, "shutdown takes no params")
    assert error(server.request(3, "shutdown", 7)) == (-32602, "shutdown takes no params")
    assert server.request(4, "shutdown", None) == {"jsonrpc": "2.0", "id": 4, "result": None}
    assert error(hover(server, 5)) == (-32600, "the server is shutting down: textDocument/hover after shutdown")
    assert error(server.request(6, "shutdown", None))[0] == -32600
    server.notify("textDocument/didClose", {"textDocument": {"uri": (server.root / "calc.py").as_uri()}})
    assert error(hover(server, 7))[0] == -32600  # the notification was dropped without an answer
    server.notify("exit", None)
    assert server.wait(10) == 0


@pytest.mark.parametrize("initialized", [False, True])
def test_exit_without_shutdown_is_status_1(server: RawServer, initialized: bool):
    if initialized:
        server.initialize()
    server.notify("exit", None)
    assert server.wait(10) == 1


@pytest.mark.parametrize("after_shutdown", [False, True])
def test_input_ending_is_exit(server: RawServer, after_shutdown: bool):
    """The editor died: the input ends. Status 0 after shutdown, else 1 (as an exit without shutdown)."""
    server.initialize()
    if after_shutdown:
        assert server.request(2, "shutdown", None)["result"] is None
    server.proc.stdin.close()
    assert server.wait(10) == (0 if after_shutdown else 1)


def test_an_answer_to_our_request_that_does_not_fit(small_project: Path, tmp_path: Path):
    """explainExecution asks the client to show its markdown; the client's answer lacks ``success`` (and one
    more answer comes with an id that is an object). The command must not wait for ever: it answers, the
    user is not shown an error, and the object id is refused with id null."""
    (small_project / "calc.py").write_text("def double(x):\n    y = x * 2\n    return y\n")
    server = RawServer(small_project, log=tmp_path / "server.log")
    try:
        capabilities = {"window": {"showDocument": {"support": True}}}
        params = {"processId": None, "rootUri": small_project.as_uri(), "capabilities": capabilities}
        assert "result" in server.request(1, "initialize", params)
        server.notify("initialized", {})
        uri = (small_project / "calc.py").as_uri()
        item = {"uri": uri, "languageId": "python", "version": 1, "text": (small_project / "calc.py").read_text()}
        server.notify("textDocument/didOpen", {"textDocument": item})
        command = {"command": "semcoder.explainExecution", "arguments": [uri, 1, "double(2)"]}
        server.send({"jsonrpc": "2.0", "id": 2, "method": "workspace/executeCommand", "params": command})
        asked = server.read(60)
        while asked.get("method") != "window/showDocument":
            assert asked.get("id") != 2, asked  # answered before it asked to show the document?
            asked = server.read(60)
        server.send({"jsonrpc": "2.0", "id": asked["id"], "result": {}})  # ShowDocumentResult needs `success`
        server.send({"jsonrpc": "2.0", "id": {"an": "object"}, "result": None})
        reply = server.response(2, 60)
        assert reply["result"]["status"] == "ok" and reply["result"]["shown"] is False, reply
        assert "double(2)" in reply["result"]["markdown"]
        shown = [m for m in server.received if m.get("method") == "window/showMessage"]
        assert not [m for m in shown if "Error in server" in m["params"]["message"]], shown
        refused = [m for m in server.received if "method" not in m and m.get("id") is None]
        while not refused:  # the refusal may come after the answer (the two are handled concurrently)
            message = server.read(30)
            refused = [message] if "method" not in message and message.get("id") is None else []
        assert refused[-1]["error"]["code"] == -32600  # the object id
    finally:
        server.close()


def test_lifecycle_and_invalid_messages(server: RawServer):
    assert error(hover(server, "early")) == (-32002, "textDocument/hover before initialize")
    assert error(server.request(2, "shutdown", None))[0] == -32002
    server.notify("textDocument/didClose", {"textDocument": {"uri": "file:///x.py"}})  # dropped, not answered
    assert server.initialize()["result"]["capabilities"]["hoverProvider"]
    assert error(server.request(3, "initialize", {"processId": None, "capabilities": {}}))[0] == -32600
    cases = [
        (b"{this is not json", -32700, None),
        (b'{"jsonrpc": "2.0", "id": 8, "method": "x", "params": "\xff\xfe"}', -32700, None),  # not UTF-8
        (b"[1, 2, 3]", -32600, None),  # a batch: LSP has none
        (b"[]", -32600, None),
        (b"42", -32600, None),
        (b'{"jsonrpc": "2.0", "id": 7}', -32600, 7),  # no method, no result
        (b'{"jsonrpc": "1.0", "id": 8, "method": "textDocument/hover"}', -32600, 8),
        (b'{"id": 9, "method": "textDocument/hover"}', -32600, 9),
        (b'{"jsonrpc": "2.0", "id": {"n": 1}, "method": "textDocument/hover"}', -32600, None),
        (b'{"jsonrpc": "2.0", "id": 10, "method": 5}', -32600, 10),
        (b'{"jsonrpc": "2.0", "id": 14, "method": "textDocument/didClose", "params": {}}', -32600, 14),
        (b'{"jsonrpc": "2.0", "id": 11, "method": "textDocument/hover", "params": "calc.py"}', -32602, 11),
        (b'{"jsonrpc": "2.0", "id": 12, "method": "textDocument/hover", "params": {"textDocument": 42}}', -32602, 12),
    ]
    for body, code, msg_id in cases:
        server.send(body)
        reply = answer(server)
        assert reply["id"] == msg_id and error(reply)[0] == code, (body, reply)
        assert "\n" not in reply["error"]["message"] and len(reply["error"]["message"]) < 400
    # notifications that name nothing are dropped, not reported to the user as server errors
    server.notify("$/cancelRequest", {"id": {"n": 1}})
    change = {"textDocument": {"uri": (server.root / "never_opened.py").as_uri(), "version": 2}}
    server.notify("textDocument/didChange", change | {"contentChanges": [{"text": "x = 1\n"}]})
    assert hover(server, 13)["id"] == 13  # still serving
    shown = [m["params"]["message"] for m in server.received if m.get("method") == "window/showMessage"]
    assert not [text for text in shown if "Error in server" in text], shown


def test_user_errors_are_short_messages(server: RawServer):
    server.initialize()
    uri = (server.root / "calc.py").as_uri()
    usage = "semcoder.traceCall expects arguments [uri, expression[, function]]"
    for n, arguments in enumerate(([], [None], [1, 2, 3, 4], [uri, {"call": "double(2)"}])):
        reply = server.request(
            10 + n, "workspace/executeCommand", {"command": "semcoder.traceCall", "arguments": arguments}
        )
        assert error(reply) == (-32602, usage), arguments
    params = {"command": "semcoder.explainExecution", "arguments": [uri, "one"]}
    code, message = error(server.request(20, "workspace/executeCommand", params))
    assert (code, message) == (-32602, "semcoder.explainExecution expects arguments [uri, line[, expression]]")
    params = {"command": "semcoder.selectRun", "arguments": [uri, "r-404"]}
    code, message = error(server.request(21, "workspace/executeCommand", params))
    path = str((server.root / "calc.py").resolve())
    assert (code, message) == (-32803, f"no run 'r-404' covers {path}")  # RequestFailed, the SemcoderError's text
    code, message = error(server.request(22, "textDocument/hover", {"textDocument": 42}))
    assert code == -32602 and message.startswith("Invalid params for textDocument/hover: ")
    assert "$.params.position" in message and "Traceback" not in message
    server.request(23, "shutdown", None)
    server.notify("exit", None)
    assert server.wait(10) == 0
    log = server.log_text()
    assert "Traceback" in log and "SemcoderError: no run 'r-404'" in log  # the traceback is in the log only


def frame(body: dict) -> bytes:
    data = json.dumps(body).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(data), data)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"Content-Length: abc\r\n\r\n{}", "Content-Length is not a number: b'abc'"),
        (b"Content-Length: -2\r\n\r\n{}", "Content-Length is not a number: b'-2'"),
        (b"Content-Length: 999999999999\r\n\r\n{}", "Content-Length 999999999999 is over the 256 MiB limit"),
        (b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}", "a frame without a Content-Length header"),
        (b"hello, server\r\n\r\n", "not a header line: b'hello, server'"),
        (
            b'{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}\r\n',
            'not a header line: b\'{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}\'',
        ),
        (b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "two Content-Length headers"),
        (b"Content-Length: 100\r\n\r\n{}", "the input ended 2 bytes into a 100-byte body"),
        (b"Content-Length: 10\r\n", "the input ended inside a frame's headers"),
    ],
    ids=[
        "not-a-number",
        "negative",
        "huge",
        "missing",
        "garbage",
        "body-alone",
        "twice",
        "short-body",
        "no-blank-line",
    ],
)
def test_a_broken_frame_ends_the_process_with_its_reason(server: RawServer, raw: bytes, reason: str):
    server.initialize()
    server.write(raw)
    if "ended" in reason:  # a frame cut short by the end of input; the others end the process by themselves
        server.proc.stdin.close()
    assert server.wait(10) == 2
    assert f"closing the connection: {reason}" in server.log_text()


def test_frames_with_other_headers_are_read(server: RawServer):
    server.initialize()
    hover_params = {
        "textDocument": {"uri": (server.root / "calc.py").as_uri()},
        "position": {"line": 0, "character": 0},
    }
    body = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": hover_params}).encode()
    server.write(
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert answer(server)["id"] == 2
    body = body.replace(b'"id": 2', b'"id": 3')
    server.write(b"\r\ncontent-length:%d\nX-Anything: 1\n\n%s" % (len(body), body))  # lower case, \n, a stray line end
    assert answer(server)["id"] == 3
    server.write(frame({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}))
    assert answer(server) == {"jsonrpc": "2.0", "id": 4, "result": None}
    server.proc.stdin.close()  # the end of input after shutdown is an orderly end
    assert server.wait(10) == 0


def test_tcp_uses_the_same_reader(small_project: Path, tmp_path: Path):
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "tcp.log").open("wb")
    proc = subprocess.Popen([*SERVER, "--tcp", "--port", str(port)], stderr=log, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.1)
        with conn, conn.makefile("rb") as incoming:

            def reply() -> dict:
                length = 0
                while (line := incoming.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                return json.loads(incoming.read(length))

            init = {"processId": None, "rootUri": small_project.as_uri(), "capabilities": {}}
            conn.sendall(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}))
            assert reply()["id"] == 1
            params = {"command": "semcoder.selectRun", "arguments": [NESTED]}
            conn.sendall(frame({"jsonrpc": "2.0", "id": 2, "method": "workspace/executeCommand", "params": params}))
            assert error(reply()) == (-32602, "semcoder.selectRun expects arguments [uri[, run id]]")
            conn.sendall(frame({"jsonrpc": "2.0", "method": "exit"}))
            assert proc.wait(10) == 1
    finally:
        proc.kill()
        proc.wait()
        log.close()
