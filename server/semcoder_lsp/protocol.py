"""JSON-RPC over the wire: reading frames and turning them into messages, per the LSP and JSON-RPC specs.

pygls reads frames with a reader that skips what it cannot parse and parses bodies with
``json.loads(object_hook=structure_message)``, which takes every nested object with a ``"jsonrpc"``
key for a message of its own. Here a body is parsed plainly and only its top level is a message;
every request gets exactly one answer, as the specs say:

- a body that is not JSON: ``-32700`` with id null; a body that is not one JSON-RPC 2.0 object (a
  batch, a scalar, no ``method`` in a request, a bad ``jsonrpc`` or id): ``-32600`` with its id if one
  can be read, else null;
- before ``initialize``: requests get ``-32002`` (ServerNotInitialized), notifications are dropped;
  a second ``initialize`` gets ``-32600``;
- after ``shutdown``: requests get ``-32600``, notifications are dropped; ``shutdown`` whose params
  are not empty gets ``-32602``; params that are neither an object nor an array get ``-32602``;
- a notification's method sent with an id gets ``-32600`` (pygls ran it and never answered); a
  ``$/cancelRequest`` of no valid id and a ``didChange`` of a document not open are dropped and logged;
- a handler's exception is answered with a short message: ``-32602`` for arguments that do not
  fit a command, ``-32803`` (RequestFailed) for a ``SemcoderError``, ``-32603`` for anything else;
  the traceback goes to the log (stderr), never to the client.

Framing errors close the connection: once a ``Content-Length`` is missing, not a number, over
``MAX_BODY``, a header line is not ``Name: value``, or the input ends inside a frame, where the next
frame starts can only be guessed, and a guess that is wrong answers requests that were never sent.
So the reason is logged and the server exits; the editor sees the process end and can restart it,
rather than waiting on a deaf one.
Headers other than ``Content-Length`` (``Content-Type``) are ignored, ``\\n`` line ends are accepted.

Exit statuses: 0 for ``exit`` after ``shutdown`` (or the input ending after ``shutdown``); 1 for
``exit`` without ``shutdown`` or the input ending without one (the LSP spec); 2 for a framing error.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import re
import stat
import threading
import typing
from collections.abc import Generator, Sequence
from typing import Any, BinaryIO
from urllib.parse import unquote

import attrs
import cattrs
from lsprotocol import types
from lsprotocol.types import ResponseError, ResponseErrorMessage
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcRequestCancelled,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage
from pygls.protocol.language_server import lsp_method

from semcoder_core.errors import SemcoderError

log = logging.getLogger(__name__)

MAX_BODY = 256 << 20  # a 5 MB module is a large buffer; 256 MiB is a broken header
LINE_LIMIT = 1 << 20  # the longest header line (and the StreamReader's buffer limit)
MAX_HEADERS = 32
HEADER_NAME = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")  # an HTTP token
FRAMING_ERROR = 2
MAX_UNREAD = 16 << 20  # answers the client has not read yet: past this, its next request waits


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed: the request was well formed, and the message says why it failed."""

    CODE = -32803
    MESSAGE = "Request failed"


class FramingError(Exception):
    """The input can no longer be split into messages."""


async def open_reader(stdin: BinaryIO) -> asyncio.StreamReader:
    """A StreamReader on ``stdin``. A pipe or a socket is read on the event loop: pygls reads it
    through a worker thread, three thread hops per message, and a burst of 200 didChange took
    130-230 ms to get through. A file or a terminal cannot be, so a daemon thread feeds it in
    (a daemon: a thread blocked on a terminal must not keep the process alive after ``exit``)."""
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    loop = asyncio.get_running_loop()
    try:
        mode = os.fstat(stdin.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        mode = 0
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
        return reader

    def pump() -> None:
        read = getattr(stdin, "read1", stdin.read)
        try:
            while chunk := read(1 << 16):
                loop.call_soon_threadsafe(reader.feed_data, chunk)
            loop.call_soon_threadsafe(reader.feed_eof)
        except (OSError, ValueError, RuntimeError):  # stdin closed, or the loop is gone: the server is ending
            return

    threading.Thread(target=pump, name="semcoder-stdin", daemon=True).start()
    return reader


class PipeWriter:
    """Frames out through an asyncio transport. pygls' writer writes to stdout synchronously, so a
    client slow to read (a full 64 KB pipe) held the event loop in ``write``: 2 s of 20 in a benchmark
    of large files, and for ever for a client that stopped reading. Thread-safe: a frame written from
    a worker thread is handed to the loop."""

    def __init__(self, transport: asyncio.WriteTransport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self._loop_thread = threading.get_ident()

    def write(self, data: bytes) -> None:
        if self.transport.is_closing():
            raise BrokenPipeError("the client closed its end of the connection")
        if threading.get_ident() == self._loop_thread:
            self.transport.write(data)
        else:
            self.loop.call_soon_threadsafe(self.transport.write, data)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait (up to ``timeout``) until what was written has reached the pipe: before the process exits."""
        deadline = self.loop.time() + timeout
        while self.transport.get_write_buffer_size() and not self.transport.is_closing():
            if self.loop.time() > deadline:
                log.warning("the client did not read the last %d bytes", self.transport.get_write_buffer_size())
                return
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self.transport.close()


async def open_writer(stdout: BinaryIO) -> PipeWriter | None:
    """A non-blocking writer on ``stdout`` when it is a pipe or a socket; None for a file or a terminal
    (written synchronously, as pygls does)."""
    try:
        mode = os.fstat(stdout.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return None
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, stdout)
    return PipeWriter(transport, loop)


async def _until_written(writer: Any) -> None:
    """Back-pressure: while the client has not read ``MAX_UNREAD`` bytes of our answers, read no more of its
    requests (their answers would only pile up in memory)."""
    if isinstance(writer, PipeWriter):
        while writer.transport.get_write_buffer_size() > MAX_UNREAD and not writer.transport.is_closing():
            await asyncio.sleep(0.01)
    elif isinstance(writer, asyncio.StreamWriter):
        await writer.drain()  # TCP: asyncio's own flow control


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The body of the next frame; None where the input ends between frames. Raises FramingError."""
    length: int | None = None
    headers = 0
    while True:
        try:
            line = await reader.readline()
        except ValueError as exc:  # the StreamReader's limit
            raise FramingError(f"a header line longer than {LINE_LIMIT} bytes") from exc
        if not line:
            if headers:
                raise FramingError("the input ended inside a frame's headers")
            return None
        if not line.endswith(b"\n"):
            raise FramingError(f"the input ended inside a header line: {line[:80]!r}")
        text = line.rstrip(b"\r\n")
        if not text:
            if length is not None:
                break
            if headers:
                raise FramingError("a frame without a Content-Length header")
            continue  # a stray line end between frames costs nothing
        headers += 1
        if headers > MAX_HEADERS:
            raise FramingError(f"more than {MAX_HEADERS} header lines")
        name, colon, value = text.partition(b":")
        name = name.strip()
        if not colon or not HEADER_NAME.fullmatch(name):  # e.g. a body sent without headers
            raise FramingError(f"not a header line: {text[:80]!r}")
        if name.lower() == b"content-length":
            if length is not None:
                raise FramingError("two Content-Length headers")
            length = content_length(value)
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise FramingError(f"the input ended {len(exc.partial)} bytes into a {length}-byte body") from exc


def content_length(value: bytes) -> int:
    """A Content-Length header's value, checked. Raises FramingError."""
    digits = value.strip()
    if not digits.isdigit():
        raise FramingError(f"Content-Length is not a number: {digits[:40]!r}")
    if len(digits) > 12 or int(digits) > MAX_BODY:
        raise FramingError(f"Content-Length {digits[:40].decode()} is over the {MAX_BODY >> 20} MiB limit")
    return int(digits)


async def read_messages(stop: threading.Event, reader: asyncio.StreamReader, protocol: SemcoderProtocol) -> int:
    """Hand each frame of ``reader`` to ``protocol`` until ``exit``, ``stop`` or the end of input;
    the process's exit status."""
    while not stop.is_set() and protocol.exit_status is None:
        await _until_written(protocol.writer)
        try:
            body = await read_frame(reader)
        except FramingError as exc:
            log.error("closing the connection: %s", exc)
            return FRAMING_ERROR
        if body is None:
            log.info("the client closed the connection")
            return 0 if protocol.shut_down else 1
        protocol.receive(body)
    return protocol.exit_status if protocol.exit_status is not None else 0


class SemcoderProtocol(LanguageServerProtocol):
    """pygls' LSP protocol with the lifecycle and the error answers of the specs (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_seen = False
        self.exit_status: int | None = None

    @property
    def shut_down(self) -> bool:
        return self._shutdown

    # -- from the wire ---------------------------------------------------------------

    def receive(self, body: bytes) -> None:
        """One frame's body: answered here if the specs say so, else handed to pygls."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            self._refuse(None, JsonRpcParseError(f"Parse error: {short(exc)}"))
            return
        problem = invalid(data)
        if problem:
            self._refuse(readable_id(data), JsonRpcInvalidRequest(f"Invalid request: {problem}"))
            return
        request = "method" in data and "id" in data
        refusal = self._refusal(data) if "method" in data else None
        if refusal is None:
            try:
                message = self.structure_message(data)
            except JsonRpcException as exc:
                refusal = exc
        if refusal is not None:
            if request:
                self._refuse(data["id"], refusal)
            elif "method" not in data:  # an answer to our request that does not fit: the waiter gets the error
                log.info("a response to %r does not fit: %s", data["id"], refusal.message)
                if self._request_futures.get(data["id"]) is not None:
                    self._handle_response(data["id"], error=ResponseError(code=refusal.code, message=refusal.message))
            else:
                log.info("dropped %s: %s", data["method"], refusal.message)
            return
        if data.get("method") == types.INITIALIZE:
            self.initialize_seen = True
        try:
            self.handle_message(message)
        except Exception as exc:  # noqa: BLE001 - one message must not stop the reader
            log.exception("failed to handle %s", data.get("method", "a response"))
            self._server._report_server_error(exc, JsonRpcException)

    def _refusal(self, data: dict) -> JsonRpcException | None:
        """Why a request or notification is not handled, by the lifecycle and the params; None if it is."""
        method, params = data["method"], data.get("params")
        if method == types.EXIT:
            return None
        if self._shutdown:
            return JsonRpcInvalidRequest(f"the server is shutting down: {method} after shutdown")
        if method == types.INITIALIZE and self.initialize_seen:
            return JsonRpcInvalidRequest("initialize was already sent")
        if method != types.INITIALIZE and not self.initialize_seen:
            return JsonRpcServerNotInitialized(f"{method} before initialize")
        if method == types.SHUTDOWN and params not in (None, {}, []):
            return JsonRpcInvalidParams("shutdown takes no params")
        if not isinstance(params, (dict, list, type(None))):
            return JsonRpcInvalidParams(f"{method}: params must be an object or an array")
        kind = self.get_message_type(method)
        if "id" in data and kind is not None and "id" not in attrs.fields_dict(kind):
            return JsonRpcInvalidRequest(f"{method} is a notification: it takes no id")  # else never answered
        return None

    def _refuse(self, msg_id: Any, error: JsonRpcException) -> None:
        log.info("answered %s with %s %s", msg_id, error.code, error.message)
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": error.code, "message": error.message}})

    def structure_message(self, data: dict) -> Any:
        """The top level as its lsprotocol type (pygls' version is called on every nested object too,
        and logs a traceback for every client's mistake). Raises InvalidParams with what did not fit."""
        method = data.get("method")
        if method is not None:
            kind: Any = self.get_message_type(method) or (
                JsonRPCRequestMessage if "id" in data else JsonRPCNotification
            )
        elif "error" in data:
            kind = ResponseErrorMessage
        else:
            kind = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
        try:
            return self._converter.structure(data, kind)
        except Exception as exc:  # noqa: BLE001 - whatever the converter raises, the message did not fit
            detail = short("; ".join(cattrs.transform_error(exc)[:3]))
            raise JsonRpcInvalidParams(f"Invalid params for {method or 'a response'}: {detail}") from exc

    # -- answers -------------------------------------------------------------------

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        """The client's answer to a request of ours. One that comes after we stopped waiting (the request
        was cancelled, or timed out) is dropped: pygls set the result on the cancelled future, which raised,
        and the user saw "Error in server: CANCELLED"."""
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            self._request_futures.pop(msg_id, None)
            log.info("a late answer to our request %r, after it was cancelled: dropped", msg_id)
            return
        super()._handle_response(msg_id, result, error)

    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        """pygls answers an exception with its traceback as data; answer a short message instead."""
        self._request_futures.pop(msg_id, None)
        if future.cancelled():
            error: JsonRpcException = JsonRpcRequestCancelled(f'Request with id "{msg_id}" is canceled')
        elif (exc := future.exception()) is None:
            self._send_response(msg_id, result=future.result())
            return
        else:
            error = answer_for(exc, msg_id)
        self._send_response(msg_id, error=error.to_response_error())

    def _check_handler_result(self, future: Any) -> None:
        """A notification handler's exception: pygls shows its message; its traceback goes to the log."""
        if not future.cancelled() and (exc := future.exception()) is not None:
            log.error("a notification handler failed", exc_info=exc)
        super()._check_handler_result(future)

    # -- lifecycle -----------------------------------------------------------------

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """Ends the reader loop; ``read_messages`` returns the status (pygls' sys.exit got lost)."""
        self.exit_status = 0 if self._shutdown else 1
        yield from ()

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """An id that is no integer or string cannot name a request (a dict raised TypeError, shown to the user)."""
        if isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool):
            super()._handle_cancel_notification(msg_id)
        else:
            log.info("$/cancelRequest of %s, which is no request id: ignored", short(repr(msg_id)))

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        """A change to a document that is not open is dropped (pygls raised KeyError, shown to the user)."""
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            log.warning("didChange of %s, which is not open: ignored", short(params.text_document.uri))
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams) -> Any:
        """Arguments are checked against the command's signature first: pygls turns ``None`` and
        ``1`` into the strings ``"None"`` and ``"1"``, and never checks ``*rest``."""
        handler = self.fm.commands.get(params.command)
        if handler is not None and not arguments_fit(handler, params.arguments or []):
            raise JsonRpcInvalidParams(f"{params.command} expects arguments [{usage(handler)}]")
        return (yield from super().lsp_workspace__execute_command(params))


def invalid(data: Any) -> str:
    """Why ``data`` is not a JSON-RPC 2.0 request, notification or response; empty if it is one."""
    if isinstance(data, list):
        return "batches are not supported by LSP"
    if not isinstance(data, dict):
        return f"a message is a JSON object, not {type(data).__name__}"
    if data.get("jsonrpc") != "2.0":
        return 'a message needs "jsonrpc": "2.0"'
    if "method" in data:
        if not isinstance(data["method"], str):
            return "method is a string"
        return "an id is an integer or a string" if "id" in data and readable_id(data) is None else ""
    if ("result" in data) == ("error" in data):
        return "a message needs a method, or a result or an error"
    if "id" not in data:
        return "a response needs an id"
    return "" if data["id"] is None or readable_id(data) is not None else "an id is an integer or a string"


def readable_id(data: Any) -> int | str | None:
    msg_id = data.get("id") if isinstance(data, dict) else None
    return msg_id if isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool) else None


def short(what: BaseException | str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(str(what).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_for(exc: BaseException, msg_id: Any) -> JsonRpcException:
    """The error a handler's exception is answered with; its traceback goes to the log."""
    if isinstance(exc, JsonRpcException):  # raised on purpose, e.g. by the argument check: no traceback
        log.warning("request %s: %s", msg_id, exc.message)
        return exc if not isinstance(exc, JsonRpcInternalError) else JsonRpcInternalError(short(exc))
    if isinstance(exc, SemcoderError):
        log.warning("request %s: %s", msg_id, exc, exc_info=exc)
        return RequestFailed(short(exc))
    log.error("request %s failed", msg_id, exc_info=exc)
    return JsonRpcInternalError(f"Internal error: {type(exc).__name__}: {short(exc)}")


# -- command arguments ----------------------------------------------------------------

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _parameters(handler: Any) -> tuple[list[inspect.Parameter], dict[str, Any]]:
    """A command's parameters after the server, and their types."""
    func = getattr(handler, "func", handler)  # pygls binds the server with a partial or a wrapper
    params = list(inspect.signature(func).parameters.values())
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - a hint that does not resolve checks nothing
        hints = {}
    return (params[1:] if func is not handler else params), hints


def arguments_fit(handler: Any, arguments: Sequence[Any]) -> bool:
    """Whether ``arguments`` fit the command's parameters in count and JSON type."""
    params, hints = _parameters(handler)
    positional = [p for p in params if p.kind in _POSITIONAL]
    rest = next((p for p in params if p.kind == inspect.Parameter.VAR_POSITIONAL), None)
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    if len(arguments) < len(required) or (rest is None and len(arguments) > len(positional)):
        return False
    slots = positional + [rest] * (len(arguments) - len(positional)) if rest else positional
    return all(fits(value, hints.get(p.name)) for value, p in zip(arguments, slots))


def fits(value: Any, kind: Any) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    return True


def usage(handler: Any) -> str:
    """The arguments as the command's docstring names them ("Arguments ``uri, expression``")."""
    func = getattr(handler, "func", handler)
    doc = inspect.getdoc(func) or ""
    if "Arguments ``" in doc:
        return doc.split("Arguments ``", 1)[1].split("``", 1)[0]
    params, _ = _parameters(handler)
    return ", ".join(("*" if p.kind == inspect.Parameter.VAR_POSITIONAL else "") + p.name for p in params)
