"""JSON-RPC over the wire: reading frames and turning them into messages, per the LSP and JSON-RPC specs."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Callable

from pygls.exceptions import JsonRpcException
from pygls.io_ import run_async
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


class SemcoderProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict):
        """pygls drops a request whose params do not fit the method's type, so the client waits
        for ever; answer it with the error instead."""
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=exc.to_response_error())
            raise


async def read_messages(
    stop: threading.Event,
    reader: asyncio.StreamReader,
    protocol: SemcoderProtocol,
    error_handler: Callable[[Exception, type[JsonRpcException]], Any],
) -> None:
    """Read framed messages from ``reader`` and hand them to ``protocol`` until ``stop`` or the end of input."""
    await run_async(stop_event=stop, reader=reader, protocol=protocol, logger=log, error_handler=error_handler)
