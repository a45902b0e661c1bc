"""
Memory per in-flight request: what each client holds with N slow requests open at once.

Each client runs in a fresh process (``_memory_worker``) against a fresh demo server process
(``_demo_process``: hypercorn on Trio, 127.0.0.1), with a pool of N connections and no engine
timeouts: trioaxios (default config otherwise), raw httpx2 and httpx 0.28 on Trio, aiohttp
(unlimited ``TCPConnector``) on asyncio. ``tracemalloc`` starts after the client is created
and warmed up; N ``GET /slow?delay=60`` are started 50 at a time, each batch once the server
holds the previous one. With all N held by the server, the traced memory is read and the
requests are cancelled. Per request: (peak - baseline) / N, and (current - baseline) / N
for what is still held at that moment. Clients are interleaved within each repeat; tracemalloc
keeps one frame per allocation. In full mode one more trioaxios run (``DEEP_REQUESTS``) keeps
``DEEP_FRAMES`` frames, to attribute the engine's allocations to the trioaxios line they
happen under.

Run it directly with ``python benchmarks/bench_memory.py [--quick]``; ``run(quick)`` returns
the markdown section for ``benchmarks/run.py``.
"""

from __future__ import annotations

import statistics
from typing import Any

from _common import standalone
from _demo_process import demo_server, run_worker
from _memory_worker import CLIENTS

FULL_REQUESTS = 1000
QUICK_REQUESTS = 200
FULL_REPEATS = 3
QUICK_REPEATS = 1
DELAY = 60
TARGET_RATIO = 1.2
WORKER_TIMEOUT = 600.0
DEEP_FRAMES = 32
#: Deep stacks make tracemalloc slow; per request, 200 requests attribute the same memory.
DEEP_REQUESTS = 200
BASELINE = "httpx2"
LABELS = {
    "trioaxios": "trioaxios",
    "httpx2": "raw httpx2 (baseline)",
    "httpx": "httpx 0.28 on Trio",
    "aiohttp": "aiohttp on asyncio",
}


def _hold(client: str, count: int, frames: int) -> dict[str, Any]:
    """One worker run against a fresh demo server."""
    with demo_server() as url:
        return run_worker(
            "_memory_worker.py", client, url, count, DELAY, frames, timeout=WORKER_TIMEOUT
        )


def _measure(count: int, repeats: int) -> dict[str, list[dict[str, Any]]]:
    """Run every client ``repeats`` times (interleaved); return the workers' results."""
    runs: dict[str, list[dict[str, Any]]] = {client: [] for client in CLIENTS}
    for _ in range(repeats):
        for client in CLIENTS:
            runs[client].append(_hold(client, count, 1))
    return runs


def _per_request(results: list[dict[str, Any]], key: str, count: int) -> list[float]:
    return [(r[key] - r["baseline"]) / count for r in results]


def _kb(value: float) -> str:
    return f"{value / 1000:.1f} kB"


def _sites(sites: list[list[Any]], count: int) -> str:
    return ", ".join(f"`{site}` {_kb(size / count)}" for site, size in sites)


def run(quick: bool) -> str:
    """Measure and return a markdown section (``quick``: 200 requests, one repeat)."""
    count = QUICK_REQUESTS if quick else FULL_REQUESTS
    repeats = QUICK_REPEATS if quick else FULL_REPEATS
    runs = _measure(count, repeats)
    peaks = {client: _per_request(runs[client], "peak", count) for client in CLIENTS}
    baseline = statistics.median(peaks[BASELINE])
    rows = []
    for client in CLIENTS:
        peak = statistics.median(peaks[client])
        held = statistics.median(_per_request(runs[client], "current", count))
        rows.append(
            f"| {LABELS[client]} | {_kb(peak)} | {_kb(min(peaks[client]))}-"
            f"{_kb(max(peaks[client]))} | {_kb(held)} | {peak / baseline:.2f}x |"
        )
    ratio = statistics.median(peaks["trioaxios"]) / baseline
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    ours = runs["trioaxios"][-1]
    under = (
        "Memory under each trioaxios line, the engine's allocations below it included "
        f"(one more run, {DEEP_REQUESTS} requests, {DEEP_FRAMES} frames): "
        f"{_sites(_hold('trioaxios', DEEP_REQUESTS, DEEP_FRAMES)['under_ours'], DEEP_REQUESTS)}."
        if not quick
        else "(Full mode also attributes the engine's allocations to trioaxios lines.)"
    )
    return "\n".join(
        [
            "## Memory per in-flight request",
            "",
            (
                f"{count} `GET /slow?delay={DELAY}` in flight at once, each client in a fresh "
                "process against a fresh demo server process (hypercorn on Trio), a pool of "
                f"{count} connections, no engine timeouts. `tracemalloc` starts after the client "
                "is created and has sent 5 warm-up requests; requests start 50 at a time until "
                "the server holds all of them. *Peak* is (tracemalloc peak - baseline) / N, "
                "*held* is (traced memory once all are in flight - baseline) / N. Median of "
                f"{repeats} run(s), clients interleaved."
            ),
            "",
            "| client | peak per request | min-max | held per request | ratio to raw httpx2 |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
            (
                f"trioaxios holds {ratio:.2f}x what raw httpx2 holds per request: it "
                f"{verdict} the {TARGET_RATIO}x target. Where trioaxios's own lines allocate "
                f"(innermost frame, per request): {_sites(ours['ours'], count)}. {under}"
            ),
            "",
        ]
    )


if __name__ == "__main__":
    standalone(run, __doc__, "200 requests in flight, one run (else 1000, three runs)")
