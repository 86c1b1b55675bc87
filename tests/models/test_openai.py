"""The OpenAI-compatible backend against a real ``llama_cpp.server``, and against small real HTTP
servers written here that fail the ways servers fail (die mid-answer, hang, 500, refuse)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from semcoder_core.config import ModelSettings
from semcoder_core.models import Decoding, GenerationCancelled, ModelError, load_backend
from semcoder_core.models.openai import OpenAIBackend

from .conftest import PROMPT, SERVER_KEY, free_port

GREEDY = Decoding(max_tokens=48, temperature=0)
# llama_cpp.server applies repeat_penalty 1.1 unless told otherwise; the in-process backend does not
SAME_SAMPLING = {"repeat_penalty": 1.0}


# -- against a real llama_cpp.server ------------------------------------------------------------


@pytest.fixture
def server_backend(llama_server, api_key_env):
    backend = OpenAIBackend(llama_server.url, api_key_env=api_key_env, extra_body=SAME_SAMPLING)
    yield backend
    backend.close()


def test_discovers_the_model_and_streams_token_pieces(server_backend, smollm2_gguf):
    pieces = list(server_backend.stream(PROMPT, GREEDY))
    assert server_backend.model == str(smollm2_gguf)  # llama_cpp.server names its model by path
    assert len(pieces) > 10
    done = server_backend.generate(PROMPT, GREEDY)
    assert "".join(pieces) == done.text
    assert (done.finish_reason, done.tokens) == ("length", 48)


def test_same_greedy_text_as_in_process(server_backend, llama_backend):
    assert server_backend.generate(PROMPT, GREEDY).text == llama_backend.generate(PROMPT, GREEDY).text


def test_server_default_sampling_differs_but_greedy_stays_deterministic(llama_server, api_key_env, llama_backend):
    """Without repeat_penalty 1.0 the server's greedy answer is its own (penalised), but repeatable."""
    with OpenAIBackend(llama_server.url + "/v1/", api_key_env=api_key_env) as plain:
        first = plain.generate(PROMPT, GREEDY)
        assert plain.generate(PROMPT, GREEDY).text == first.text
    ours = llama_backend.generate(PROMPT, GREEDY).text
    assert first.text != ours  # if this fails, llama_cpp.server no longer penalises repeats by default
    common = next(i for i, (a, b) in enumerate(zip(first.text, ours)) if a != b)
    assert common >= 10  # they agree until a repeated token gets penalised


def test_stop_string_cuts_the_output(server_backend):
    full = server_backend.generate(PROMPT, GREEDY).text
    stop = full[20:26]
    expected = full[: full.find(stop)]
    done = server_backend.generate(PROMPT, GREEDY.with_stop(stop))
    assert (done.text, done.finish_reason) == (expected, "stop")
    # more stops than the OpenAI API takes (4): the rest are cut on our side
    many = GREEDY.with_stop("@@1", "@@2", "@@3", "@@4", stop)
    assert server_backend.generate(PROMPT, many).text == expected


def test_cancel_mid_stream_closes_the_request(server_backend, llama_server):
    cancel = threading.Event()
    seen = []
    with pytest.raises(GenerationCancelled) as info:
        for piece in server_backend.stream(PROMPT, Decoding(max_tokens=500, temperature=0), cancel):
            seen.append(piece)
            if len(seen) == 3:
                threading.Thread(target=cancel.set).start()
    assert info.value.partial == "".join(seen) and len(seen) >= 3
    # the server noticed the closed connection (and stopped generating): it says so in its log
    deadline = time.monotonic() + 15
    while "isconnected" not in llama_server.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, "llama_cpp.server did not see the client leave"
        time.sleep(0.1)
    assert server_backend.generate(PROMPT, Decoding(max_tokens=4, temperature=0)).tokens == 4


def test_wrong_api_key_is_a_clear_401_without_the_key(llama_server, monkeypatch):
    monkeypatch.setenv("SEMCODER_TEST_WRONG_KEY", "wrong-secret-4711")
    with OpenAIBackend(llama_server.url, model="m", api_key_env="SEMCODER_TEST_WRONG_KEY") as backend:
        with pytest.raises(ModelError) as info:
            backend.generate(PROMPT, GREEDY)
    message = str(info.value)
    assert "HTTP 401" in message and "Invalid API key" in message
    assert "$SEMCODER_TEST_WRONG_KEY" in message and llama_server.url in message
    assert "wrong-secret-4711" not in message and SERVER_KEY not in message


def test_unset_api_key_variable_is_named(llama_server, monkeypatch):
    monkeypatch.delenv("SEMCODER_TEST_UNSET_KEY", raising=False)
    with OpenAIBackend(llama_server.url, api_key_env="SEMCODER_TEST_UNSET_KEY") as backend:
        with pytest.raises(ModelError, match="SEMCODER_TEST_UNSET_KEY, which is not set"):
            backend.generate(PROMPT, GREEDY)


def test_from_settings(llama_server, api_key_env):
    settings = ModelSettings(
        backend="openai", url=llama_server.url + "/v1", api_key_env=api_key_env, timeout_seconds=30
    )
    with load_backend(settings) as backend:
        assert backend.name == f"openai:{llama_server.url}"
        assert backend.generate("x = ", Decoding(max_tokens=3, temperature=0)).tokens == 3


# -- small real servers that misbehave ------------------------------------------------------------


def chunk(text: str, reason=None) -> bytes:
    event = {"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": reason}]}
    return f"data: {json.dumps(event)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    behaviour = "ok"
    release: threading.Event
    requests: list

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def do_GET(self):
        self.requests.append(("GET", self.path, None, self.headers.get("Authorization")))
        self.send_body(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("POST", self.path, body, self.headers.get("Authorization")))
        getattr(self, "answer_" + self.behaviour)()

    def send_body(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def answer_ok(self):
        self.start_stream()
        for piece in (b": keep-alive comment\n\n", chunk("Hello"), chunk(" world"), chunk("!", "stop")):
            self.send_chunk(piece)
        self.send_chunk(b"data: [DONE]\n\n")
        self.send_chunk(b"")

    def answer_dies_mid_stream(self):
        self.start_stream()
        self.send_chunk(chunk("Hello"))
        self.send_chunk(chunk(" world"))
        self.connection.shutdown(socket.SHUT_RDWR)  # killed: no final chunk, no [DONE]
        self.close_connection = True

    def answer_ends_without_done(self):
        # an HTTP/1.0-style body that simply ends: a clean EOF, but the answer is incomplete
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(chunk("Hello") + chunk(" world"))
        self.close_connection = True

    def answer_hangs(self):
        self.release.wait(30)

    def answer_fails_500(self):
        self.send_body(500, {"error": {"message": "CUDA out of memory", "type": "server_error"}})

    def answer_fails_once(self):
        if len(self.requests) == 1:
            self.send_body(503, {"detail": "loading model"})
        else:
            self.answer_ok()

    def answer_bad_request(self):
        self.send_body(400, {"error": {"message": "max_tokens is too large: 999999"}})

    def answer_error_event(self):
        self.start_stream()
        self.send_chunk(chunk("Hel"))
        self.send_chunk(b'data: {"error": {"message": "engine crashed"}}\n\n')
        self.send_chunk(b"")


@contextmanager
def fake_server(behaviour: str) -> Iterator[tuple[str, list]]:
    release = threading.Event()
    requests: list = []
    handler = type("H", (Handler,), {"behaviour": behaviour, "release": release, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def backend_for(url: str, **kw) -> OpenAIBackend:
    kw.setdefault("backoff_seconds", 0.01)
    return OpenAIBackend(url, **kw)


def test_fake_server_speaks_the_protocol(monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "k-123")
    with fake_server("ok") as (url, requests), backend_for(url + "/v1", api_key_env="FAKE_KEY") as backend:
        d = Decoding(max_tokens=5, temperature=0.2, top_p=0.9, stop=("\n\n",), seed=3)
        assert list(backend.stream("Say hi", d)) == ["Hello", " world", "!"]
        done = backend.generate("Say hi", d)
    assert (done.text, done.finish_reason, done.tokens) == ("Hello world!", "stop", 3)
    assert requests[0][:2] == ("GET", "/v1/models")
    method, path, body, auth = requests[1]
    assert (method, path, auth) == ("POST", "/v1/completions", "Bearer k-123")
    assert body == {
        "model": "fake-model",
        "prompt": "Say hi",
        "max_tokens": 5,
        "temperature": 0.2,
        "top_p": 0.9,
        "stream": True,
        "stop": ["\n\n"],
        "seed": 3,
    }


def test_server_dying_mid_stream_is_not_retried():
    with fake_server("dies_mid_stream") as (url, requests), backend_for(url, model="m", retries=3) as backend:
        seen = []
        with pytest.raises(ModelError, match="closed the connection mid-answer") as info:
            for piece in backend.stream(PROMPT, GREEDY):
                seen.append(piece)
    assert seen == ["Hello", " world"]
    assert url in str(info.value)
    assert len(requests) == 1  # a half-streamed answer is never asked for twice


def test_stream_ending_without_done_is_mid_answer():
    with fake_server("ends_without_done") as (url, requests), backend_for(url, model="m") as backend:
        with pytest.raises(ModelError, match="mid-answer"):
            backend.generate(PROMPT, GREEDY)
    assert len(requests) == 1


def test_error_event_inside_the_stream():
    with fake_server("error_event") as (url, _), backend_for(url, model="m") as backend:
        with pytest.raises(ModelError, match="failed mid-answer: engine crashed"):
            backend.generate(PROMPT, GREEDY)


def test_slow_server_times_out_with_a_clear_message():
    with fake_server("hangs") as (url, requests), backend_for(url, model="m", timeout_seconds=1, retries=2) as backend:
        with pytest.raises(ModelError) as info:
            backend.generate(PROMPT, GREEDY)
    assert str(info.value) == f"the model server at {url} did not answer in 1 s (model.timeout_seconds)"
    assert len(requests) == 1  # a busy server is not sent the same request again


def test_http_500_is_retried_then_reported():
    with fake_server("fails_500") as (url, requests), backend_for(url, model="m", retries=2) as backend:
        with pytest.raises(ModelError) as info:
            backend.generate(PROMPT, GREEDY)
    assert len(requests) == 3
    assert str(info.value) == f"the model server at {url} answered HTTP 500: CUDA out of memory (after 2 retries)"


def test_retry_recovers_from_one_503():
    with fake_server("fails_once") as (url, requests), backend_for(url, model="m", retries=1) as backend:
        assert backend.generate(PROMPT, GREEDY).text == "Hello world!"
    assert len(requests) == 2


def test_http_400_is_not_retried():
    with fake_server("bad_request") as (url, requests), backend_for(url, model="m", retries=3) as backend:
        with pytest.raises(ModelError, match="HTTP 400: max_tokens is too large: 999999$"):
            backend.generate(PROMPT, GREEDY)
    assert len(requests) == 1


def test_connection_refused_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there now
    with backend_for(url, model="m", retries=1) as backend:
        with pytest.raises(ModelError) as info:
            backend.generate(PROMPT, GREEDY)
    message = str(info.value)
    assert message.startswith(f"cannot reach the model server at {url}: ")
    assert message.endswith("(after 1 retry)")


def test_url_must_be_http():
    with pytest.raises(ModelError, match="must start with http"):
        OpenAIBackend("127.0.0.1:8000")
    with pytest.raises(ModelError, match="needs model.url"):
        load_backend(ModelSettings(backend="openai"))
