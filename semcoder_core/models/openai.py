"""Any OpenAI-compatible server (llama.cpp's server, ``vllm serve``, Ollama, …) over ``/v1/completions``.

SemCoder's prompts are raw completions, so this speaks the legacy completions endpoint, never chat.
Answers are streamed (server-sent events), one chunk per token on the servers we know.

Failures a user sees as one :class:`ModelError` with the server's URL in it: refused connections and
HTTP 5xx / 429 are retried with exponential backoff, but only before the first token arrived (a
half-streamed answer is never asked for twice); a server silent for ``timeout_seconds`` (to connect,
or between two chunks) is not retried: it is alive but busy, and a second request would queue
behind the first. The API key is read from the environment variable named by ``api_key_env`` on
every request and never appears in a message.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Optional

import httpx

from .base import Backend, Decoding, ModelError

# The OpenAI API takes at most four stop strings; the rest are cut on our side (base.StopScanner).
_MAX_SERVER_STOPS = 4
_RETRY_STATUS = {429, 500, 502, 503, 504}


def _base_url(url: str) -> str:
    base = url.strip().rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    if not base.startswith(("http://", "https://")):
        raise ModelError(f"model.url must start with http:// or https://, got {url!r}")
    return base


class OpenAIBackend(Backend):
    """Completions from an OpenAI-compatible server at ``url`` (with or without a trailing ``/v1``)."""

    def __init__(
        self,
        url: str,
        *,
        model: Optional[str] = None,
        api_key_env: Optional[str] = None,
        timeout_seconds: float = 120.0,
        retries: int = 2,
        backoff_seconds: float = 0.5,
        extra_body: Optional[dict] = None,
    ) -> None:
        """``extra_body``: fields added to every completion request, for a server's own sampling knobs
        (llama.cpp's server applies ``repeat_penalty`` 1.1 unless told ``{"repeat_penalty": 1.0}``)."""
        super().__init__()
        self.url = _base_url(url)
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.extra_body = dict(extra_body or {})
        self.name = f"openai:{self.url}" + (f"#{model}" if model else "")
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_seconds))

    @classmethod
    def from_settings(cls, model) -> OpenAIBackend:
        if not model.url:
            raise ModelError("the openai backend needs model.url, e.g. http://127.0.0.1:8000")
        return cls(
            model.url,
            model=model.name,
            api_key_env=model.api_key_env,
            timeout_seconds=model.timeout_seconds,
            retries=model.retries,
            extra_body=model.extra_body,
        )

    # -- requests -------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if not self.api_key_env:
            return {}
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ModelError(f"model.api_key_env names the environment variable {self.api_key_env}, which is not set")
        return {"Authorization": f"Bearer {key}"}

    def _describe_error(self, response: httpx.Response) -> str:
        """``HTTP 401: Invalid API key``: the status and the server's own message, short, key-free."""
        try:
            body = response.read().decode("utf-8", "replace")
        except httpx.HTTPError:
            body = ""
        detail = body.strip()
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            err = data.get("error", data.get("detail", data.get("message")))
            if isinstance(err, dict):
                err = err.get("message", err)
            if err is not None:
                detail = err if isinstance(err, str) else json.dumps(err)
        detail = " ".join(detail.split())
        if len(detail) > 300:
            detail = detail[:300] + "…"
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            detail = detail.replace(key, "***")
        text = f"the model server at {self.url} answered HTTP {response.status_code}"
        if detail:
            text += f": {detail}"
        if response.status_code in (401, 403):
            text += (
                f" (check the API key in ${self.api_key_env})"
                if self.api_key_env
                else " (the server wants an API key: set model.api_key_env)"
            )
        return text

    def _timeout_error(self) -> ModelError:
        return ModelError(
            f"the model server at {self.url} did not answer in {self.timeout_seconds:g} s (model.timeout_seconds)"
        )

    @contextmanager
    def _open(self, method: str, path: str, body: Optional[dict] = None) -> Iterator[httpx.Response]:
        """A response with status 2xx, after retries of refused connections and 5xx/429 answers."""
        attempt = 0
        while True:
            stack = ExitStack()
            wait: Optional[float] = None
            try:
                response = stack.enter_context(
                    self._client.stream(method, self.url + path, json=body, headers=self._headers())
                )
            except httpx.TimeoutException as exc:
                if not isinstance(exc, httpx.ConnectTimeout) or attempt >= self.retries:
                    raise self._timeout_error() from exc
                error, retry = "", True
            except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
                # RemoteProtocolError here: closed before the status line, so nothing was streamed yet
                error, retry = f"cannot reach the model server at {self.url}: {exc}", True
            except httpx.HTTPError as exc:
                raise ModelError(f"request to the model server at {self.url} failed: {exc}") from exc
            else:
                with stack:
                    if response.status_code < 400:
                        # outside any except clause: errors while streaming are the caller's to handle
                        yield response
                        return
                    error = self._describe_error(response)
                    retry = response.status_code in _RETRY_STATUS
                    wait = _retry_after(response)
            if not retry or attempt >= self.retries:
                if retry and self.retries:
                    error += f" (after {self.retries} retr{'y' if self.retries == 1 else 'ies'})"
                raise ModelError(error)
            time.sleep(wait if wait is not None else self.backoff_seconds * 2**attempt)
            attempt += 1

    def model_name(self) -> str:
        """``model`` as configured, else the first model the server lists at ``/v1/models``."""
        if self.model:
            return self.model
        with self._open("GET", "/v1/models") as response:
            try:
                data = json.loads(response.read())
                self.model = str(data["data"][0]["id"])
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise ModelError(
                    f"the model server at {self.url} lists no model at /v1/models; set model.name"
                ) from exc
        return self.model

    # -- the backend ----------------------------------------------------------------------------

    def _pieces(self, prompt: str, decoding: Decoding, should_stop) -> Iterator[tuple[str, Optional[str]]]:
        body: dict = {
            "model": self.model_name(),
            "prompt": prompt,
            "max_tokens": decoding.max_tokens,
            "temperature": decoding.temperature,
            "top_p": decoding.top_p,
            "stream": True,
        }
        if decoding.stop:
            body["stop"] = list(decoding.stop[:_MAX_SERVER_STOPS])
        if decoding.seed is not None:
            body["seed"] = decoding.seed
        body.update(self.extra_body)
        if should_stop():
            return
        # Leaving this block (finished, cancelled, or the consumer closed us) closes the response:
        # the server sees the disconnect and stops generating.
        with self._open("POST", "/v1/completions", body) as response:
            finished = False
            try:
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue  # comments (": ping"), event names, blank separators
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        finished = True
                        break
                    chunk = _parse_chunk(data, self.url)
                    choices = chunk.get("choices") or []
                    if not choices:
                        continue  # e.g. a usage-only chunk
                    text = choices[0].get("text") or ""
                    reason = choices[0].get("finish_reason")
                    if reason is None:
                        yield text, None
                    else:
                        # the last token often comes with the reason: count it as a token (base.py)
                        finished = True
                        if text:
                            yield text, None
                        yield "", reason
                        return
                    if should_stop():
                        return
            except httpx.TimeoutException as exc:
                raise self._timeout_error() from exc
            except httpx.HTTPError as exc:
                raise ModelError(f"the model server at {self.url} closed the connection mid-answer: {exc}") from exc
            if not finished:
                raise ModelError(f"the model server at {self.url} closed the connection mid-answer")

    def close(self) -> None:
        self._client.close()


def _parse_chunk(data: str, url: str) -> dict:
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise ModelError(f"the model server at {url} sent an unreadable event: {data[:200]!r}") from exc
    if not isinstance(chunk, dict):
        raise ModelError(f"the model server at {url} sent an unexpected event: {data[:200]!r}")
    if "error" in chunk:  # vLLM and llama.cpp report failures inside the stream
        err = chunk["error"]
        message = err.get("message", err) if isinstance(err, dict) else err
        raise ModelError(f"the model server at {url} failed mid-answer: {message}")
    return chunk


def _retry_after(response: httpx.Response) -> Optional[float]:
    value = response.headers.get("retry-after")
    try:
        return min(float(value), 30.0) if value is not None else None
    except ValueError:
        return None
