"""
CPU cost of the request pipeline against a mock transport.

Three variants send the same GET to the same ``httpx2.MockTransport`` (a 200 with a small JSON
body) and decode the JSON:

* ``raw``: ``httpx2.AsyncClient(transport=...)``, ``await client.get(url)``, ``.json()``: the
  baseline, the transport called directly.
* ``empty``: a trioaxios client with no interceptors and no middleware.
* ``full``: a trioaxios client with 10 no-op interceptors (5 request + 5 response, plain
  functions returning their argument) and 10 no-op middleware (``async def mw(ctx, next):
  await next()``).

Each run sends ``requests`` requests after a warm-up and measures ``time.process_time()``; the
variants take turns, run after run, and the table reports the median per request.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

import httpx2
import trio

import trioaxios
from _common import standalone

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

URL = "http://bench.test/items"
BODY = b'{"id":1,"name":"widget","tags":["a","b"]}'
INTERCEPTORS_EACH = 5
MIDDLEWARE = 10


def _handler(_request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, content=BODY, headers={"Content-Type": "application/json"})


def _transport() -> httpx2.MockTransport:
    return httpx2.MockTransport(_handler)


def _same(value: Any) -> Any:
    return value


async def _noop_middleware(_ctx: trioaxios.Context, next_: trioaxios.Next) -> None:
    await next_()


async def _time_raw(requests: int, warmup: int) -> float:
    async with httpx2.AsyncClient(transport=_transport()) as client:

        async def once() -> None:
            response = await client.get(URL)
            assert response.json()["id"] == 1

        return await _measure(once, requests, warmup)


async def _time_trioaxios(requests: int, warmup: int, *, full: bool) -> float:
    async with trioaxios.create(transport=_transport()) as api:
        if full:
            for _ in range(INTERCEPTORS_EACH):
                api.interceptors.request.use(_same)
                api.interceptors.response.use(_same)
            for _ in range(MIDDLEWARE):
                api.use(_noop_middleware)

        async def once() -> None:
            response = await api.get(URL)
            assert response.data["id"] == 1

        return await _measure(once, requests, warmup)


async def _measure(once: Callable[[], Awaitable[None]], requests: int, warmup: int) -> float:
    for _ in range(warmup):
        await once()
    started = time.process_time()
    for _ in range(requests):
        await once()
    return (time.process_time() - started) / requests * 1e6


VARIANTS: dict[str, tuple[str, Callable[[int, int], Awaitable[float]]]] = {
    "raw": (
        "raw `httpx2.AsyncClient` + `MockTransport` (baseline)",
        _time_raw,
    ),
    "empty": (
        "trioaxios, empty pipeline",
        lambda n, w: _time_trioaxios(n, w, full=False),
    ),
    "full": (
        "trioaxios, 10 interceptors (5 request + 5 response) + 10 middleware",
        lambda n, w: _time_trioaxios(n, w, full=True),
    ),
}


def measure(*, runs: int, requests: int, warmup: int) -> dict[str, list[float]]:
    """Return, per variant, the µs/request of each run (variants interleaved run by run)."""
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, (_, timer) in VARIANTS.items():
            samples[name].append(trio.run(timer, requests, warmup))
    return samples


def run(quick: bool) -> str:
    """Measure the three variants and return a markdown section."""
    runs, requests, warmup = (3, 200, 50) if quick else (9, 1000, 100)
    samples = measure(runs=runs, requests=requests, warmup=warmup)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["raw"]
    lines = [
        "## Pipeline overhead (CPU time per request, mock transport)",
        "",
        (
            f"{requests} GET requests per run after {warmup} warm-up requests, median of {runs} "
            "runs (variants interleaved), `time.process_time()`. Every variant gets a 200 with "
            f"a {len(BODY)}-byte JSON body from the same `httpx2.MockTransport` and decodes it. "
            "No-op interceptors are plain functions returning their argument; no-op middleware "
            "is `async def mw(ctx, next): await next()`."
        ),
        "",
        "| variant | µs/request (median) | min-max | ratio to raw httpx2 |",
        "|---|---:|---:|---:|",
    ]
    for name, (title, _) in VARIANTS.items():
        values = samples[name]
        lines.append(
            f"| {title} | {medians[name]:.1f} | {min(values):.1f}-{max(values):.1f} "
            f"| {medians[name] / base:.2f}x |"
        )
    handlers = 2 * INTERCEPTORS_EACH + MIDDLEWARE
    added = medians["full"] - medians["empty"]
    lines += [
        "",
        (
            f"The {handlers} no-op handlers add {added:.1f} µs per request "
            f"({added / handlers:.2f} µs per handler); the empty pipeline costs "
            f"{medians['empty'] - base:.1f} µs per request over the raw client."
        ),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    standalone(run, __doc__, "3 runs of 200 requests (else 9 runs of 1000)")
