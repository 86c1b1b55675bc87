"""A real OpenAI-compatible HTTP server that replays recorded completions of the real SemCoder model.

SemCoder (6.7B) cannot run here, so its recorded generations (../shared/data/recorded-generations)
stand in for it behind the real wire protocol: ``POST /v1/completions`` (JSON or SSE streaming,
``stop`` honoured, ``max_tokens`` in pieces) and ``GET /v1/models``. A prompt is answered with the
recording whose code it contains; a prompt with no recording gets a completion with no answer.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "semcoder-replay"
NO_RECORDING = "I have no recording for this prompt."


class ReplayServer:
    def __init__(
        self,
        recordings: dict[str, str],
        chunk_chars: int = 6,
        delay_s: float = 0.0,
        fail_status: int | None = None,
        stall_s: float = 0.0,
    ) -> None:
        """``recordings`` maps a text the prompt must contain (e.g. the labelled code) to the completion;
        ``fail_status`` answers every completion with that HTTP error, ``stall_s`` waits before answering."""
        self.recordings = dict(recordings)
        self.chunk_chars = chunk_chars
        self.delay_s = delay_s
        self.fail_status = fail_status
        self.stall_s = stall_s
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def completion_for(self, prompt: str) -> str:
        for key, completion in self.recordings.items():
            if key in prompt:
                return completion
        return NO_RECORDING

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._json({"object": "list", "data": [{"id": MODEL, "object": "model"}]})
                else:
                    self._json({"error": {"message": "not found"}}, 404)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.path.rstrip("/") != "/v1/completions":
                    self._json({"error": {"message": f"no route {self.path}"}}, 404)
                    return
                replay.requests.append(body)
                if replay.stall_s:
                    time.sleep(replay.stall_s)
                if replay.fail_status is not None:
                    self._json({"error": {"message": "the model crashed (replayed failure)"}}, replay.fail_status)
                    return
                text = replay.completion_for(body.get("prompt", ""))
                reason = "stop"
                stops = body.get("stop") or []
                stops = [stops] if isinstance(stops, str) else stops
                cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
                if cut >= 0:
                    text = text[:cut]
                size = replay.chunk_chars
                pieces = [text[i : i + size] for i in range(0, len(text), size)]
                limit = int(body.get("max_tokens") or 1 << 30)
                if len(pieces) > limit:
                    pieces, reason = pieces[:limit], "length"
                if not body.get("stream"):
                    choice = {"text": "".join(pieces), "index": 0, "logprobs": None, "finish_reason": reason}
                    self._json({"id": "cmpl-replay", "object": "text_completion", "model": MODEL, "choices": [choice]})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for i, piece in enumerate(pieces):
                        last = i == len(pieces) - 1
                        self._event(piece, reason if last else None)
                        if replay.delay_s:
                            time.sleep(replay.delay_s)
                    if not pieces:
                        self._event("", reason)
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client cancelled

            def _event(self, text: str, reason: str | None) -> None:
                chunk = {
                    "id": "cmpl-replay",
                    "object": "text_completion",
                    "model": MODEL,
                    "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": reason}],
                }
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                self.wfile.flush()

            def _json(self, value: dict, status: int = 200) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def recorded_completions(shared_data, mode: str = "output", model: str = "semcoder_1030_monologue") -> dict:
    """``{sample_id: (dataset row, completion)}`` of a recorded generations file."""
    folder = shared_data / "recorded-generations"
    rows = {}
    for line in (folder / "cruxeval_renamed.jsonl").read_text().splitlines():
        row = json.loads(line)
        rows[row["task_id"].replace("CRUXEval/", "sample_")] = row
    out = {}
    for key, raws in json.loads((folder / f"cruxeval_{mode}__{model}.json").read_text()).items():
        raw = raws[0]
        marker = raw.find("[MONOLOGUE]\n")
        out[key] = (rows[key], raw[marker + len("[MONOLOGUE]\n") :] if marker >= 0 else raw)
    return out
