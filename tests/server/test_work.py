"""Request work off the event loop: shared per key, stopped when superseded or cancelled (real threads)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pygls.exceptions import JsonRpcContentModified
from semcoder_lsp.work import Work, check


def steps(started: threading.Event, seen: list[str], name: str, n: int = 400):
    """A computation of ``n`` short steps that checks ``stop`` between them, as the lenses do."""

    def compute(stop: threading.Event) -> str:
        started.set()
        for _ in range(n):
            check(stop)
            stop.wait(0.005)
        seen.append(name)
        return name

    return compute


async def wait_started(started: threading.Event) -> None:
    while not started.is_set():
        await asyncio.sleep(0.001)


def test_the_same_key_shares_one_computation():
    async def scenario():
        work, seen, started = Work(), [], threading.Event()
        compute = steps(started, seen, "v1", n=20)
        results = await asyncio.gather(*(work.run(("lens", "a"), 1, compute) for _ in range(5)))
        work.shutdown()
        return results, seen

    results, seen = asyncio.run(scenario())
    assert results == ["v1"] * 5 and seen == ["v1"]  # five requests, one computation


def test_a_newer_version_stops_the_older_work():
    async def scenario():
        work, seen = Work(), []
        first_started, second_started = threading.Event(), threading.Event()
        old = asyncio.ensure_future(work.run(("lens", "a"), 1, steps(first_started, seen, "v1")))
        await wait_started(first_started)
        new = await work.run(("lens", "a"), 2, steps(second_started, seen, "v2", n=5))
        with pytest.raises(JsonRpcContentModified):
            await old
        other = await work.run(("lens", "b"), 1, steps(threading.Event(), seen, "b", n=5))  # other slots go on
        work.shutdown()
        return new, other, seen

    new, other, seen = asyncio.run(scenario())
    assert new == "v2" and other == "b" and seen == ["v2", "b"]  # v1 never finished its 2 s of steps


def test_a_cancelled_request_stops_its_work():
    async def scenario():
        work, seen, started = Work(), [], threading.Event()
        task = asyncio.ensure_future(work.run(("hints", "a"), 1, steps(started, seen, "v1")))
        await wait_started(started)
        task.cancel()  # what pygls does on $/cancelRequest
        with pytest.raises(asyncio.CancelledError):
            await task
        job = work._jobs.get(("hints", "a"))
        await asyncio.sleep(0.1)
        stopped = job is not None and job.stop.is_set() and job.future.done()  # it stopped, well before 2 s
        again = await work.run(("hints", "a"), 1, steps(threading.Event(), seen, "again", n=2))  # computed anew
        work.shutdown()
        return stopped, again, seen

    stopped, again, seen = asyncio.run(scenario())
    assert stopped and again == "again" and seen == ["again"]
