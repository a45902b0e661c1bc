"""
One throughput cell, run in a fresh interpreter by ``bench_throughput.py``.

Usage::

    python benchmarks/_clients.py CLIENT URL PATH C N WARMUP [--server-pids PID,PID]

CLIENT is one of ``CLIENTS``. ``C`` concurrent workers (tasks on one event loop) share the
requests: first ``WARMUP`` of them (not measured; they also open the connections), then ``N``
measured ones. Every request reads the whole body and checks the status is 200; a ``/json``
body is parsed, any other body is kept as bytes.

Prints one JSON line: ``wall_s`` (``perf_counter``), ``cpu_s`` (this process's
``time.process_time()``), ``p50_ms`` / ``p99_ms`` (per-request latency), ``bytes`` (body
bytes received) and ``server_cpu_s`` (CPU the ``--server-pids`` used meanwhile, from
``/proc``), all over the measured part only. The library under test is imported here, not
by the parent, so each cell pays for nothing but its own client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from _servers import cpu_seconds

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from contextlib import AbstractAsyncContextManager
    from types import ModuleType

#: One request: send it, read and decode the whole body, return the body's size in bytes.
Fetch = Callable[[], Awaitable[int]]
#: Run these coroutine functions concurrently on the client's event loop; return when all are.
Gather = Callable[[list[Callable[[], Awaitable[None]]]], Awaitable[None]]
#: The measurement, as a coroutine function the client's event loop runs.
Main = Callable[[], Coroutine[Any, Any, dict[str, Any]]]

INTERCEPTORS_EACH = 5
MIDDLEWARE = 10


@dataclass(frozen=True)
class Cell:
    """What to measure: a client, a URL (``base`` + ``path``), concurrency and request counts."""

    client: str
    base: str
    path: str
    concurrency: int
    requests: int
    warmup: int

    @property
    def binary(self) -> bool:
        """Whether the body is kept as bytes (``/bytes``) rather than parsed as JSON."""
        return self.path != "/json"


class BadStatusError(RuntimeError):
    """The server answered something other than 200."""

    def __init__(self, status: int, cell: Cell) -> None:
        super().__init__(f"{cell.client}: GET {cell.path} answered {status}, expected 200")


def _expect_json_object(data: Any) -> None:
    if not isinstance(data, dict):
        msg = f"expected a JSON object, got {type(data).__name__}"
        raise TypeError(msg)


# -- the clients ------------------------------------------------------------------------------


def _same(value: Any) -> Any:
    return value


async def _noop_middleware(_ctx: Any, next_: Callable[[], Awaitable[None]]) -> None:
    await next_()


@contextlib.asynccontextmanager
async def _trioaxios(cell: Cell, *, handlers: bool) -> AsyncIterator[Fetch]:
    import trioaxios  # noqa: PLC0415 - each cell imports only the library it measures

    async with trioaxios.create(
        base_url=cell.base,
        max_connections=cell.concurrency,
        max_keepalive_connections=cell.concurrency,
    ) as api:
        if handlers:
            for _ in range(INTERCEPTORS_EACH):
                api.interceptors.request.use(_same)
                api.interceptors.response.use(_same)
            for _ in range(MIDDLEWARE):
                api.use(_noop_middleware)
        response_type = "bytes" if cell.binary else "json"

        async def fetch() -> int:
            response = await api.get(cell.path, response_type=response_type)
            if response.status != 200:
                raise BadStatusError(response.status, cell)
            if not cell.binary:
                _expect_json_object(response.data)
            return len(response.content)

        yield fetch


@contextlib.asynccontextmanager
async def _httpx_like(cell: Cell, module: ModuleType) -> AsyncIterator[Fetch]:
    """``httpx`` and ``httpx2`` share an API: an ``AsyncClient`` with the same pool limits."""
    limits = module.Limits(
        max_connections=cell.concurrency, max_keepalive_connections=cell.concurrency
    )
    async with module.AsyncClient(base_url=cell.base, limits=limits) as client:

        async def fetch() -> int:
            response = await client.get(cell.path)
            if response.status_code != 200:
                raise BadStatusError(response.status_code, cell)
            if not cell.binary:
                _expect_json_object(response.json())
            return len(response.content)

        yield fetch


def _httpx2(cell: Cell) -> AbstractAsyncContextManager[Fetch]:
    import httpx2  # noqa: PLC0415 - each cell imports only the library it measures

    return _httpx_like(cell, httpx2)


def _httpx(cell: Cell) -> AbstractAsyncContextManager[Fetch]:
    import httpx  # noqa: PLC0415 - each cell imports only the library it measures

    return _httpx_like(cell, httpx)


@contextlib.asynccontextmanager
async def _aiohttp(cell: Cell) -> AsyncIterator[Fetch]:
    import aiohttp  # noqa: PLC0415 - each cell imports only the library it measures

    connector = aiohttp.TCPConnector(limit=cell.concurrency)
    async with aiohttp.ClientSession(base_url=cell.base, connector=connector) as session:

        async def fetch() -> int:
            async with session.get(cell.path) as response:
                if response.status != 200:
                    raise BadStatusError(response.status, cell)
                body = await response.read()
            if not cell.binary:
                _expect_json_object(json.loads(body))
            return len(body)

        yield fetch


# -- the event loops --------------------------------------------------------------------------


async def _gather_trio(jobs: list[Callable[[], Awaitable[None]]]) -> None:
    import trio  # noqa: PLC0415 - the asyncio cells do not import trio

    async with trio.open_nursery() as nursery:
        for job in jobs:
            nursery.start_soon(job)


async def _gather_asyncio(jobs: list[Callable[[], Awaitable[None]]]) -> None:
    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(job())  # type: ignore[arg-type]


def _run_trio(main: Main) -> dict[str, Any]:
    import trio  # noqa: PLC0415 - the asyncio cells do not import trio

    return trio.run(main)


def _run_asyncio(main: Main) -> dict[str, Any]:
    return asyncio.run(main())


@dataclass(frozen=True)
class Client:
    """How to open a client library's session, and which event loop it runs on."""

    session: Callable[[Cell], AbstractAsyncContextManager[Fetch]]
    gather: Gather
    run: Callable[[Main], dict[str, Any]]


CLIENTS: dict[str, Client] = {
    "trioaxios": Client(lambda c: _trioaxios(c, handlers=False), _gather_trio, _run_trio),
    "trioaxios-20": Client(lambda c: _trioaxios(c, handlers=True), _gather_trio, _run_trio),
    "httpx2": Client(_httpx2, _gather_trio, _run_trio),
    "httpx": Client(_httpx, _gather_trio, _run_trio),
    "aiohttp": Client(_aiohttp, _gather_asyncio, _run_asyncio),
}


# -- the measurement --------------------------------------------------------------------------


async def _batch(
    fetch: Fetch, count: int, concurrency: int, gather: Gather
) -> tuple[list[float], int]:
    """Send ``count`` requests from ``concurrency`` workers; return latencies and bytes."""
    remaining = count
    latencies: list[float] = []
    received = 0

    async def worker() -> None:
        nonlocal remaining, received
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            size = await fetch()  # not `received += await ...`: that reads `received` first
            latencies.append(time.perf_counter() - started)
            received += size

    await gather([worker] * min(concurrency, count))
    return latencies, received


def _percentile_ms(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] * 1000


async def measure(cell: Cell, server_pids: list[int]) -> dict[str, Any]:
    """Warm up, then time ``cell.requests`` requests; return the JSON-ready result."""
    client = CLIENTS[cell.client]
    async with client.session(cell) as fetch:
        await _batch(fetch, cell.warmup, cell.concurrency, client.gather)
        gc.collect()
        server_before = cpu_seconds(server_pids)
        cpu_before = time.process_time()
        started = time.perf_counter()
        latencies, received = await _batch(fetch, cell.requests, cell.concurrency, client.gather)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        server_cpu = cpu_seconds(server_pids) - server_before
    ordered = sorted(latencies)
    return {
        "client": cell.client,
        "requests": len(latencies),
        "wall_s": wall,
        "cpu_s": cpu,
        "p50_ms": _percentile_ms(ordered, 0.50),
        "p99_ms": _percentile_ms(ordered, 0.99),
        "bytes": received,
        "server_cpu_s": server_cpu if server_pids else None,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, measure the cell and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("path", help="/json (parsed) or /bytes (read as bytes)")
    parser.add_argument("concurrency", type=int)
    parser.add_argument("requests", type=int)
    parser.add_argument("warmup", type=int)
    parser.add_argument("--server-pids", default="", help="comma-separated server process ids")
    args = parser.parse_args(argv)
    cell = Cell(args.client, args.url, args.path, args.concurrency, args.requests, args.warmup)
    pids = [int(pid) for pid in args.server_pids.split(",") if pid]
    result = CLIENTS[cell.client].run(lambda: measure(cell, pids))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
