"""
Throughput against a real local server: trioaxios vs raw httpx2, httpx 0.28 and aiohttp.

One server (``_servers.serve()``: nginx when installed, else granian; one worker process)
serves every cell. A cell is one client at one scenario, run in a fresh interpreter
(``_clients.py``): C concurrent workers send a warm-up, then N measured requests, each read
and decoded in full. The scenarios are a small JSON GET at C = 1, 10 and 100 and a 1 MiB
download at C = 10. Each repeat runs every client once per scenario (the order rotates
between repeats); the tables give the median and the min-max over the repeats. The chart
(req/s against concurrency, JSON scenarios) goes to ``benchmarks/throughput.png``.

Run it directly with ``python benchmarks/bench_throughput.py [--quick]``; ``run(quick)``
returns the markdown section for ``benchmarks/run.py``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from _chart import Point, save_chart
from _common import standalone
from _servers import CPU_TICK_S, JSON_BODY, PAYLOAD_SIZE, Server, serve

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

HERE = Path(__file__).resolve().parent
CLIENT_SCRIPT = HERE / "_clients.py"
CHART = HERE / "throughput.png"
CLIENTS = ("trioaxios", "trioaxios-20", "httpx2", "httpx", "aiohttp")
BASELINE = "httpx2"
CELL_TIMEOUT = 180.0
FULL_REPEATS = 5
QUICK_REPEATS = 2
#: (client, concurrency, CPU-per-request limit relative to the baseline) for the Targets table.
TARGETS = (
    ("trioaxios", 10, 1.10),
    ("trioaxios", 100, 1.10),
    ("trioaxios-20", 10, 1.25),
    ("trioaxios-20", 100, 1.25),
)
CLIENT_NOTES = {
    "trioaxios": "`trioaxios.create(max_connections=C, max_keepalive_connections=C)`, defaults",
    "trioaxios-20": "the same + 5 request and 5 response no-op interceptors + 10 no-op middleware",
    "httpx2": "raw `httpx2.AsyncClient` on Trio, same pool limits (the baseline)",
    "httpx": "`httpx.AsyncClient` 0.28 (httpcore 1) on Trio, same pool limits",
    "aiohttp": "`aiohttp.ClientSession` on asyncio (default loop), `TCPConnector(limit=C)`",
}


@dataclass(frozen=True)
class Scenario:
    """A request and a concurrency, with the measured requests per cell in each mode."""

    title: str
    path: str
    concurrency: int
    full: int
    quick: int
    warmup: int

    @property
    def label(self) -> str:
        """``"GET /json, C=10"``."""
        return f"GET {self.path}, C={self.concurrency}"

    @property
    def body_size(self) -> int:
        """The size of the body every response must carry."""
        return len(JSON_BODY) if self.path == "/json" else PAYLOAD_SIZE


#: N is large enough at C=10 and C=100 that a cell spans several full garbage collections:
#: with 3000 requests, whether a cell caught one moved the median ratio by +-8% between runs.
SCENARIOS = (
    Scenario("Small JSON GET", "/json", 1, 2000, 300, 50),
    Scenario("Small JSON GET", "/json", 10, 8000, 500, 100),
    Scenario("Small JSON GET", "/json", 100, 8000, 500, 200),
    Scenario("1 MiB download", "/bytes", 10, 300, 40, 20),
)


@dataclass(frozen=True)
class Sample:
    """What one cell's subprocess reported."""

    requests: int
    wall_s: float
    cpu_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float

    @property
    def rps(self) -> float:
        """Requests per second (wall clock)."""
        return self.requests / self.wall_s

    @property
    def cpu_us(self) -> float:
        """Client CPU microseconds per request."""
        return self.cpu_s / self.requests * 1e6

    @property
    def server_share(self) -> float:
        """Server CPU seconds per second of the client's wall time (1.0 = one core busy)."""
        return self.server_cpu_s / self.wall_s


RPS: Callable[[Sample], float] = attrgetter("rps")
CPU_US: Callable[[Sample], float] = attrgetter("cpu_us")
P50: Callable[[Sample], float] = attrgetter("p50_ms")
P99: Callable[[Sample], float] = attrgetter("p99_ms")
SERVER_SHARE: Callable[[Sample], float] = attrgetter("server_share")


class CellError(RuntimeError):
    """A cell's subprocess failed, timed out or reported something wrong."""


def run_cell(server: Server, client: str, scenario: Scenario, requests: int) -> Sample:
    """Measure ``client`` at ``scenario`` in a fresh interpreter."""
    where = f"client {client!r}, cell {scenario.label} ({requests} requests)"
    command = [
        sys.executable,
        str(CLIENT_SCRIPT),
        client,
        server.url,
        scenario.path,
        str(scenario.concurrency),
        str(requests),
        str(scenario.warmup),
        "--server-pids",
        ",".join(map(str, server.pids)),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - our own script, arguments we built
            command, capture_output=True, text=True, timeout=CELL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        msg = f"{where}: no result within {CELL_TIMEOUT:.0f} s (killed); stderr:\n{stderr}"
        raise CellError(msg) from None
    if done.returncode != 0 or not done.stdout.strip():
        msg = f"{where}: exited with status {done.returncode}; stderr:\n{done.stderr}"
        raise CellError(msg)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["requests"] != requests or result["bytes"] != requests * scenario.body_size:
        msg = f"{where}: expected {requests} bodies of {scenario.body_size} bytes, got {result}"
        raise CellError(msg)
    return Sample(
        requests=result["requests"],
        wall_s=result["wall_s"],
        cpu_s=result["cpu_s"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        server_cpu_s=result["server_cpu_s"],
    )


def measure(server: Server, *, quick: bool) -> dict[Scenario, dict[str, list[Sample]]]:
    """Run every cell: per scenario, ``repeats`` rounds of all clients in rotating order."""
    repeats = QUICK_REPEATS if quick else FULL_REPEATS
    results: dict[Scenario, dict[str, list[Sample]]] = {}
    for scenario in SCENARIOS:
        print(f"   {scenario.label} x {repeats} ...", file=sys.stderr, flush=True)
        samples: dict[str, list[Sample]] = {client: [] for client in CLIENTS}
        requests = scenario.quick if quick else scenario.full
        for repeat in range(repeats):
            shift = repeat % len(CLIENTS)
            for client in CLIENTS[shift:] + CLIENTS[:shift]:
                samples[client].append(run_cell(server, client, scenario, requests))
        results[scenario] = samples
    return results


def _median(samples: Sequence[Sample], value: Callable[[Sample], float]) -> float:
    return statistics.median(value(s) for s in samples)


def _spread(samples: Sequence[Sample], value: Callable[[Sample], float], digits: int) -> str:
    values = [value(s) for s in samples]
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:,.{digits}f}"
    return f"{median:,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def _cpu_ratio(samples: dict[str, list[Sample]], client: str) -> float:
    """Median client CPU per request of ``client`` over that of the baseline."""
    return _median(samples[client], CPU_US) / _median(samples[BASELINE], CPU_US)


def _scenario_table(scenario: Scenario, samples: dict[str, list[Sample]]) -> list[str]:
    requests = samples[BASELINE][0].requests
    lines = [
        f"### {scenario.title}, C={scenario.concurrency} ({requests} requests per cell)",
        "",
        (
            "| client | req/s median (min-max) | CPU µs/req median (min-max) "
            f"| CPU ÷ {BASELINE} | p50 ms | p99 ms | server CPU share |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for client in CLIENTS:
        runs = samples[client]
        lines.append(
            f"| {client} | {_spread(runs, RPS, 0)} "
            f"| {_spread(runs, CPU_US, 0)} | {_cpu_ratio(samples, client):.2f}x "
            f"| {_median(runs, P50):.2f} | {_median(runs, P99):.2f} "
            f"| {_median(runs, SERVER_SHARE):.2f} |"
        )
    return [*lines, ""]


def _targets_table(results: dict[Scenario, dict[str, list[Sample]]]) -> list[str]:
    by_concurrency = {s.concurrency: samples for s, samples in results.items() if s.path == "/json"}
    lines = [
        "### Targets: client CPU per request relative to raw httpx2 (small JSON GET)",
        "",
        "| client | C | CPU/req ÷ httpx2 | target | result |",
        "|---|---:|---:|---:|---|",
    ]
    for client, concurrency, limit in TARGETS:
        ratio = _cpu_ratio(by_concurrency[concurrency], client)
        verdict = "met" if ratio <= limit else "missed"
        lines.append(f"| {client} | {concurrency} | {ratio:.2f}x | <= {limit:.2f}x | {verdict} |")
    return [*lines, ""]


def _chart(results: dict[Scenario, dict[str, list[Sample]]], server: str) -> str:
    """Save the chart; return the markdown that shows it (or says why there is none)."""
    series = {
        client: [
            Point(
                scenario.concurrency,
                _median(samples[client], RPS),
                min(s.rps for s in samples[client]),
                max(s.rps for s in samples[client]),
            )
            for scenario, samples in results.items()
            if scenario.path == "/json"
        ]
        for client in CLIENTS
    }
    try:
        save_chart(CHART, series, f"Small JSON GET against {server} (loopback)")
    except ModuleNotFoundError as exc:
        return f"No chart: {exc.name} is not installed (it is in the `bench` dependency group)."
    # Raw HTML: the docs include RESULTS.md from another folder, where a markdown image
    # would be a broken link to mkdocs --strict; the chart is beside RESULTS.md.
    return f'<img src="{CHART.name}" alt="req/s vs concurrency, per client" width="640">'


def _intro(server: Server, repeats: int) -> list[str]:
    clients = [f"- `{client}`: {note}" for client, note in CLIENT_NOTES.items()]
    return [
        "## Throughput against a local server: trioaxios vs httpx2, httpx and aiohttp",
        "",
        (
            f"Server: {server.name} on 127.0.0.1, one worker process (the client has the "
            "other core). Each cell is one client at one scenario in a fresh Python process: "
            "C concurrent workers (tasks on one event loop) send a warm-up, then N measured "
            "requests; each response is checked for status 200 and read in full (`/json`: "
            f"{len(JSON_BODY)} bytes, parsed; `/bytes`: 1 MiB, kept as bytes). req/s is N "
            "over the measured wall time; CPU µs/req is the client process's "
            "`time.process_time()` over the measured part, divided by N; p50/p99 are "
            "per-request latencies (median over the repeats); server CPU share is the "
            "server's user+system CPU during the measured part over the client's wall time "
            "(1.00 = a core kept busy: the server was the limit; `/proc` counts in "
            f"{CPU_TICK_S * 1000:.0f} ms ticks, so short cells read coarsely). {repeats} "
            "repeat(s); in each, every client runs once per scenario, in an order that "
            "rotates between repeats."
        ),
        "",
        *clients,
        "",
    ]


def run(quick: bool) -> str:
    """Measure every scenario and return a markdown section (``quick``: small N, two repeats)."""
    with serve() as server:
        results = measure(server, quick=quick)
        lines = _intro(server, QUICK_REPEATS if quick else FULL_REPEATS)
    for scenario, samples in results.items():
        lines += _scenario_table(scenario, samples)
    lines += _targets_table(results)
    lines += [_chart(results, server.name), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    standalone(run, __doc__, "small N and two repeats, about 40 s (else 5 repeats)")
