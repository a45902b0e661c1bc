"""
Cancellation: cancel-to-raise latency, and whether a pool survives a cancellation storm.

Both run against the demo server in a process of its own (``_demo_process``: hypercorn on
Trio, 127.0.0.1), so the server's work does not share the client's CPU.

Latency (trioaxios): N requests to ``/slow?delay=30`` are put in flight, each with its own
``CancelToken``. Once the server holds all of them, they are cancelled one at a time: the
clock starts just before ``cancel()`` and stops when the ``except CanceledError`` in that
request's task runs (so it includes closing the connection and translating the
cancellation). The next cancel waits for the previous raise, so no measurement queues behind
another.

Storm (trioaxios, raw httpx2 and httpx 0.28, all on Trio; ``_storm_worker``): each client in
a fresh process against a fresh server, ``max_connections=2``, rounds of 6 concurrent GETs
cut by a ``trio.move_on_after`` of 0-60 ms from a seeded RNG; then one ``GET /json`` gets 5 s.
Each seed is a run; clients are interleaved within a seed and see the same schedule.

Run it directly with ``python benchmarks/bench_cancel.py [--quick]``; ``run(quick)`` returns
the markdown section for ``benchmarks/run.py``.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections import Counter

import trio
import trio.testing

import trioaxios
from _common import standalone
from _demo_process import demo_server, run_worker, server_stats, wait_in_flight
from _storm_worker import CHECK_TIMEOUT, TRIO_CLIENTS
from trioaxios import CanceledError, CancelToken

FULL_REQUESTS = 1000
QUICK_REQUESTS = 100
#: Requests are started this many at a time (the server's listen backlog is small).
START_BATCH = 50
FULL_ROUNDS = 200
QUICK_ROUNDS = 50
FULL_SEEDS = (1, 2, 3, 4, 5)
QUICK_SEEDS = (1,)
WORKER_TIMEOUT = 300.0


async def measure(url: str, count: int) -> list[float]:
    """Return the cancel-to-raise latency of ``count`` in-flight requests, in seconds."""
    latencies: list[float] = [math.nan] * count
    started_at: list[float] = [math.nan] * count
    sources = [CancelToken.source() for _ in range(count)]
    raised = [trio.Event() for _ in range(count)]
    received_before = server_stats(url)["received"]

    async with trioaxios.create(base_url=url, max_connections=count) as api:

        async def one(index: int) -> None:
            try:
                await api.get("/slow", params={"delay": 30}, cancel_token=sources[index].token)
            except CanceledError:
                latencies[index] = time.perf_counter() - started_at[index]
            raised[index].set()

        async with trio.open_nursery() as nursery:
            for first in range(0, count, START_BATCH):
                for index in range(first, min(first + START_BATCH, count)):
                    nursery.start_soon(one, index)
                target = min(first + START_BATCH, count)
                await wait_in_flight(url, target, trio.sleep)
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
    assert server_stats(url)["received"] - received_before == count
    assert all(not math.isnan(v) for v in latencies), "a request did not raise CanceledError"
    return latencies


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def _latency_row(url: str, count: int) -> str:
    ordered = sorted(trio.run(measure, url, count))
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return (
        f"| {count} | {_ms(statistics.median(ordered))} | {_ms(p99)} | {_ms(ordered[-1])} "
        f"| {_ms(statistics.fmean(ordered))} |"
    )


def _storm_runs(rounds: int, seeds: tuple[int, ...]) -> dict[str, list[dict]]:
    """Run every client's storm once per seed (clients interleaved); return the results."""
    runs: dict[str, list[dict]] = {client: [] for client in TRIO_CLIENTS}
    for seed in seeds:
        for client in TRIO_CLIENTS:
            with demo_server() as url:
                result = run_worker(
                    "_storm_worker.py", client, url, rounds, seed, timeout=WORKER_TIMEOUT
                )
            runs[client].append(result)
    return runs


def _storm_row(client: str, rounds: int, results: list[dict]) -> str:
    served = [r for r in results if r["served"]]
    served_times = [r["seconds"] for r in served]
    time_cell = _ms(statistics.median(served_times)) if served_times else "-"
    if len(served_times) > 1:
        time_cell += f" (median; max {_ms(max(served_times))})"
    if len(served) < len(results):
        time_cell += f"; not served: gave up after {CHECK_TIMEOUT:.0f} s"
    errors = {r["error"] for r in results if r["error"]}
    if errors:
        time_cell += f" ({', '.join(sorted(errors))})"
    pools = Counter(r["pool_after_storm"] for r in results)
    pool_cell = "; ".join(f"{n}x: {state}" for state, n in pools.most_common())
    completed = ", ".join(str(r["outcomes"].get("ok", 0)) for r in results)
    unclosed = sum(1 for r in results if not r["closed"])
    if unclosed:
        pool_cell += f"; client close timed out in {unclosed} run(s)"
    return (
        f"| {client} | {rounds} x {len(results)} | {len(served)}/{len(results)} "
        f"| {time_cell} | {pool_cell} | {completed} |"
    )


def run(quick: bool) -> str:
    """Measure and return a markdown section (``quick``: 100 requests; 50 rounds, one seed)."""
    counts = [QUICK_REQUESTS] if quick else [QUICK_REQUESTS, FULL_REQUESTS]
    with demo_server() as url:
        latency_rows = [_latency_row(url, count) for count in counts]
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    seeds = QUICK_SEEDS if quick else FULL_SEEDS
    runs = _storm_runs(rounds, seeds)
    return "\n".join(
        [
            "## Cancellation",
            "",
            "### Cancel-to-raise latency (trioaxios)",
            "",
            (
                "N requests to `/slow?delay=30` in flight at once on the demo server "
                "(hypercorn on Trio, in its own process), each with its own `CancelToken`; "
                "each is cancelled in turn and timed from `cancel()` to its "
                "`except CanceledError` (`time.perf_counter()`; closing the connection and the "
                "pool's bookkeeping included). httpcore2's pool rescans every connection when a "
                "request leaves it, so the latency grows with the number of connections."
            ),
            "",
            "| requests in flight at the start | median | p99 | max | mean |",
            "|---:|---:|---:|---:|---:|",
            *latency_rows,
            "",
            "### Cancellation storm: does the pool still serve the next request?",
            "",
            (
                "Each client in its own process, on Trio, against a fresh demo server process, "
                "`max_connections=2`. A round starts 6 concurrent GETs (each to "
                "`/slow?delay=0.05` or `/json`, at random) inside `trio.move_on_after(0-60 ms)`; "
                f"the schedule comes from a seeded RNG (seed(s) {', '.join(map(str, seeds))}: one "
                "run each, the same schedule for every client). After the storm, one "
                f"`GET /json` gets {CHECK_TIMEOUT:.0f} s (`trio.move_on_after`). *Pool after* is "
                "the httpcore(2) pool right after the storm, before that request: its "
                "connections by state and any requests it still tracks, with how many runs "
                "ended in that state. An *orphaned* connection was never connected and no "
                "request refers to it: nobody will use or close it, and it holds one of the "
                "2 slots for good."
            ),
            "",
            (
                "| client | rounds x runs | served next request | time | pool after "
                "| storm requests completed, per run |"
            ),
            "|---|---:|---:|---|---|---|",
            *(_storm_row(client, rounds, runs[client]) for client in TRIO_CLIENTS),
            "",
            (
                "A slot is orphaned when a queued request is cancelled just as the pool hands "
                "it a new connection: the request leaves the pool without that connection "
                "being closed (encode/httpcore#1093). httpcore2 drops such connections "
                "(pydantic/httpx2#983). Once both slots are orphaned, every later request "
                "waits forever (or until the pool timeout), which is also why a poisoned run "
                "completes fewer storm requests. Whether and when it happens depends on "
                "timing, so it varies between runs of the same seed."
            ),
            "",
        ]
    )


if __name__ == "__main__":
    standalone(run, __doc__, "100 requests in flight; storm of 50 rounds, one seed")
