"""
Cancel-to-raise latency: how long after ``source.cancel()`` the request raises ``CanceledError``.

N requests to ``/slow?delay=30`` on the embedded loopback server (``serve_demo_app``) are put
in flight, each with its own ``CancelToken``. Once the server has received all of them, they
are cancelled one at a time: the clock starts just before ``cancel()`` and stops when the
``except CanceledError`` in that request's task runs (so it includes closing the connection
and translating the cancellation). The next cancel waits for the previous raise, so no
measurement queues behind another.

Run it directly with ``python benchmarks/bench_cancel.py [--quick]``; ``run(quick)`` returns
the markdown section for ``benchmarks/run.py``.
"""

from __future__ import annotations

import gc
import math
import statistics
import time

import trio
import trio.testing

import trioaxios
from _common import standalone
from trioaxios import CanceledError, CancelToken
from trioaxios._demo_server import serve_demo_app

FULL_REQUESTS = 1000
QUICK_REQUESTS = 100
#: Requests are started this many at a time (the server's listen backlog is small).
START_BATCH = 50
SETUP_TIMEOUT = 120.0


async def measure(count: int) -> list[float]:
    """Return the cancel-to-raise latency of ``count`` in-flight requests, in seconds."""
    latencies: list[float] = [math.nan] * count
    started_at: list[float] = [math.nan] * count
    sources = [CancelToken.source() for _ in range(count)]
    raised = [trio.Event() for _ in range(count)]

    async with (
        serve_demo_app() as server,
        trioaxios.create(base_url=server.url, max_connections=count) as api,
    ):

        async def one(index: int) -> None:
            try:
                await api.get("/slow", params={"delay": 30}, cancel_token=sources[index].token)
            except CanceledError:
                latencies[index] = time.perf_counter() - started_at[index]
            raised[index].set()

        async with trio.open_nursery() as nursery:
            with trio.fail_after(SETUP_TIMEOUT):
                for first in range(0, count, START_BATCH):
                    for index in range(first, min(first + START_BATCH, count)):
                        nursery.start_soon(one, index)
                    target = min(first + START_BATCH, count)
                    while len(server.app.requests) < target:  # noqa: ASYNC110 - the app has no event
                        await trio.sleep(0.005)
            await trio.testing.wait_all_tasks_blocked()
            gc.collect()
            for index in range(count):
                started_at[index] = time.perf_counter()
                sources[index].cancel("benchmark")
                with trio.fail_after(10):
                    await raised[index].wait()
        pool = api.statistics().pool
        assert pool is not None
        assert pool.active == 0, pool
    assert len(server.app.requests) == count
    assert all(not math.isnan(v) for v in latencies), "a request did not raise CanceledError"
    return latencies


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def _row(count: int) -> str:
    ordered = sorted(trio.run(measure, count))
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return (
        f"| {count} | {_ms(statistics.median(ordered))} | {_ms(p99)} | {_ms(ordered[-1])} "
        f"| {_ms(statistics.fmean(ordered))} |"
    )


def run(quick: bool) -> str:
    """Measure and return a markdown section (``quick``: 100 requests; else 100 and 1000)."""
    counts = [QUICK_REQUESTS] if quick else [QUICK_REQUESTS, FULL_REQUESTS]
    return "\n".join(
        [
            "## Cancellation: cancel-to-raise latency",
            "",
            (
                "N requests to `/slow?delay=30` in flight at once on the embedded loopback "
                "server (hypercorn on Trio, same process), each with its own `CancelToken`; "
                "each is cancelled in turn and timed from `cancel()` to its "
                "`except CanceledError` (`time.perf_counter()`; closing the connection and the "
                "pool's bookkeeping included). httpcore2's pool rescans every connection when a "
                "request leaves it, so the latency grows with the number of connections."
            ),
            "",
            "| requests in flight at the start | median | p99 | max | mean |",
            "|---:|---:|---:|---:|---:|",
            *(_row(count) for count in counts),
            "",
        ]
    )


if __name__ == "__main__":
    standalone(run, __doc__, "only 100 requests in flight (else 100, then 1000)")
