"""What a request computes runs off the event loop, once per content, and stops when it is no longer wanted.

The event loop only reads messages, takes a snapshot (a document's text and
version, the selected run) and answers. Parsing, line maps, notes and code lenses
are computed on a small pool of threads, shared by every request that asks for
the same thing (same document version, same runs): a burst of ``inlayHint``
requests after a keystroke costs one computation. A newer version of a document
supersedes the work for an older one, and ``$/cancelRequest`` stops the work of
the request it names: the work checks its ``stop`` event between steps and
raises ``Stopped``, which answers the request with ContentModified (-32801) or
RequestCancelled (-32800), as the LSP specifies.

Threads share the GIL: Python code on them gives the loop its turn every switch
interval (5 ms), but a parse is C code that holds the GIL until it ends (about
90 ms for a 12,000-line module, 0.26 s near the 1 MB limit past which nothing is
parsed), so a request may wait for one parse. Each analysis (syntax check, planning,
notes and lenses, code actions) parses a given text once, its results cached by
content, and parses run one at a time (semcoder_core.pysource).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Generic, TypeVar

from pygls.exceptions import JsonRpcContentModified

T = TypeVar("T")
MAX_JOBS = 256  # results kept (one per kind of request and document)


class Stopped(Exception):
    """The work was superseded by a newer version of its document, or cancelled."""


class _Job(Generic[T]):
    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.stop = threading.Event()
        self.future: Future[T] | None = None
        self.waiting = 0  # requests awaiting it; when all are cancelled, it stops


class Work:
    """Computations for requests, keyed by ``(slot, key)``: ``slot`` names what is computed for what (e.g.
    ``("lens", uri)``), ``key`` the inputs (e.g. the document's version and the runs shown)."""

    def __init__(self, workers: int = 2) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="semcoder-request")
        self._jobs: dict[Hashable, _Job] = {}  # slot -> the latest job for it, least recently asked first

    async def run(self, slot: Hashable, key: Hashable, compute: Callable[[threading.Event], T]) -> T:
        """The result of ``compute(stop)`` for ``key``, from a job already under way for the same key if
        there is one. A different key for the same slot stops the older job."""
        job = self._jobs.get(slot)
        if job is None or job.key != key or job.stop.is_set():
            if job is not None:
                job.stop.set()  # superseded
            job = self._jobs[slot] = _Job(key)
            job.future = self.pool.submit(_guarded, compute, job.stop)
            while len(self._jobs) > MAX_JOBS:  # a result pins its inputs (a view: the text, the run)
                self._jobs.pop(next(iter(self._jobs))).stop.set()
        else:
            self._jobs[slot] = self._jobs.pop(slot)  # recently asked: kept longest
        assert job.future is not None
        job.waiting += 1
        try:
            return await asyncio.shield(asyncio.wrap_future(job.future))
        except asyncio.CancelledError:
            if job.waiting == 1:
                job.stop.set()  # nobody else wants it
            raise  # pygls answers RequestCancelled
        except Stopped:
            raise JsonRpcContentModified() from None
        finally:
            job.waiting -= 1
            done = job.future.done()
            if self._jobs.get(slot) is job and done and (job.future.cancelled() or job.future.exception()):
                del self._jobs[slot]  # failed or stopped: the next request computes again

    def forget(self, uri: str) -> None:
        """The document closed: drop what was computed for it (slots are ``(kind, uri)``)."""
        for slot in [s for s in self._jobs if isinstance(s, tuple) and s[-1] == uri]:
            self._jobs.pop(slot).stop.set()

    def shutdown(self) -> None:
        for job in self._jobs.values():
            job.stop.set()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _guarded(compute: Callable[[threading.Event], T], stop: threading.Event) -> T:
    if stop.is_set():
        raise Stopped()
    return compute(stop)


def check(stop: threading.Event) -> None:
    """Raise ``Stopped`` if the work is no longer wanted (call it between steps of a long computation)."""
    if stop.is_set():
        raise Stopped()
