"""
Memory held by one client with N requests in flight, in a process of its own; prints JSON.

``python _memory_worker.py CLIENT URL N DELAY FRAMES``: CLIENT is one of ``CLIENTS``, with a
pool of N connections (aiohttp: ``TCPConnector(limit=0)``, unlimited) and no engine timeouts.
After ``WARMUP`` sequential ``GET /json`` (imports, first connection), ``tracemalloc`` starts,
keeping FRAMES frames per allocation; N ``GET /slow?delay=DELAY`` are started ``BATCH`` at a
time, each batch once the server holds the previous one (``_demo_process.wait_in_flight``).
When the server holds all N and the client has had ``SETTLE`` seconds more,
``tracemalloc.get_traced_memory()`` gives ``current`` and ``peak``; then the requests are
cancelled. ``baseline`` is the traced memory just before the first request started. FRAMES
changes none of these sizes, only how slowly the process runs (1 frame: a few times faster).

The JSON also has the allocation sites holding the most memory at that moment: ``top`` by
innermost frame; ``ours`` the same restricted to trioaxios's own lines; ``under_ours`` by the
innermost trioaxios frame on the allocation's stack (what a trioaxios line holds, httpx2's
allocations below it included; only meaningful with FRAMES deep enough to reach trioaxios).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import trio

import trioaxios
from _demo_process import wait_in_flight
from _storm_worker import TRIO_CLIENTS, open_client

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

CLIENTS = (*TRIO_CLIENTS, "aiohttp")
WARMUP = 5
BATCH = 50
SETTLE = 0.2
TOP = 5
OURS = str(Path(trioaxios.__file__).resolve().parent)


def _start_tracing(frames: int) -> int:
    """Collect garbage, start tracemalloc keeping ``frames`` frames; return traced bytes now."""
    gc.collect()
    tracemalloc.start(frames)
    return tracemalloc.get_traced_memory()[0]


async def _fill(
    start: Callable[[], None], url: str, count: int, sleep: Callable[[float], Awaitable[object]]
) -> None:
    """Call ``start()`` ``count`` times, ``BATCH`` at a time, until the server holds them all."""
    for first in range(0, count, BATCH):
        for _ in range(first, min(first + BATCH, count)):
            start()
        await wait_in_flight(url, min(first + BATCH, count), sleep)
    await sleep(SETTLE)


def _site(frame: tracemalloc.Frame) -> str:
    """``package/module.py:line``, e.g. ``trioaxios/_client.py:385``."""
    path = Path(frame.filename)
    return f"{path.parent.name}/{path.name}:{frame.lineno}"


def _top(counts: Counter[str]) -> list[tuple[str, int]]:
    return counts.most_common(TOP)


def _measure(baseline: int) -> dict[str, Any]:
    """Read the traced memory, then rank the allocation sites; stop tracing."""
    current, peak = tracemalloc.get_traced_memory()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    result: dict[str, Any] = {"baseline": baseline, "current": current, "peak": peak}
    innermost: Counter[str] = Counter()
    in_ours: Counter[str] = Counter()
    under_ours: Counter[str] = Counter()
    for trace in snapshot.traces:
        frames = list(trace.traceback)  # oldest first
        innermost[_site(frames[-1])] += trace.size
        if frames[-1].filename.startswith(OURS):
            in_ours[_site(frames[-1])] += trace.size
        mine = [frame for frame in frames if frame.filename.startswith(OURS)]
        if mine:
            under_ours[_site(mine[-1])] += trace.size
    result["top"] = _top(innermost)
    result["ours"] = _top(in_ours)
    result["under_ours"] = _top(under_ours)
    return result


async def _hold_trio(name: str, url: str, count: int, delay: float, frames: int) -> dict[str, Any]:
    path = f"/slow?delay={delay}"
    async with open_client(name, url, count) as client:
        for _ in range(WARMUP):
            await client.get("/json")
        baseline = _start_tracing(frames)
        async with trio.open_nursery() as nursery:
            await _fill(lambda: nursery.start_soon(client.get, path), url, count, trio.sleep)
            result = _measure(baseline)
            nursery.cancel_scope.cancel()
    return result


async def _hold_aiohttp(url: str, count: int, delay: float, frames: int) -> dict[str, Any]:
    path = f"/slow?delay={delay}"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(base_url=url, connector=connector) as session:

        async def get(target: str) -> int:
            async with session.get(target) as response:
                await response.read()
                return response.status

        for _ in range(WARMUP):
            await get("/json")
        baseline = _start_tracing(frames)
        tasks: list[asyncio.Task[int]] = []
        await _fill(lambda: tasks.append(asyncio.create_task(get(path))), url, count, asyncio.sleep)
        result = _measure(baseline)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return result


def hold(name: str, url: str, count: int, delay: float, frames: int) -> dict[str, Any]:
    """Measure client ``name`` holding ``count`` requests to ``/slow?delay=delay``."""
    if name == "aiohttp":
        return asyncio.run(_hold_aiohttp(url, count, delay, frames))
    return trio.run(_hold_trio, name, url, count, delay, frames)


if __name__ == "__main__":
    client_name, base_url, request_count, slow_delay, stack_frames = sys.argv[1:]
    result = hold(client_name, base_url, int(request_count), float(slow_delay), int(stack_frames))
    print(json.dumps(result))
