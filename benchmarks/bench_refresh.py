"""
The refresh storm: N concurrent requests with an expired token vs the same N with a valid one.

Both run in the same process, on the embedded loopback server (``serve_demo_app``: hypercorn
on Trio), through a client that uses ``AuthRefresh`` with the demo's rotating refresh flow
(``POST /auth/refresh``). A round measures each scenario once, with a fresh client each time
(so both pay for opening their connections), and the scenarios alternate round after round:

* ``valid``: ``GET /protected`` N times at once with the token the server accepts.
* ``expired``: the server has expired that token (``app.auth.expire()``): every request gets a
  401, exactly one refresh runs (asserted at the server), and every request is retried with
  the new token.

Wall time is ``time.perf_counter()`` from starting the N tasks to the last response. The
server's hit counts are asserted: one refresh, every request succeeds, none sent more than
twice.

Run it directly with ``python benchmarks/bench_refresh.py [--quick]``; ``run(quick)`` returns
the markdown section for ``benchmarks/run.py``.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

import trio

import trioaxios
from _common import standalone
from trioaxios import AuthRefresh, Token
from trioaxios._demo_server import DemoServer, serve_demo_app

FULL_REQUESTS = 1000
QUICK_REQUESTS = 200
FULL_ROUNDS = 5
QUICK_ROUNDS = 1
ROUND_TIMEOUT = 120.0


async def refresh_latency(server: DemoServer, times: int = 20) -> float:
    """The median wall time of one ``POST /auth/refresh`` on a warm connection, alone."""
    walls = []
    async with trioaxios.create(base_url=server.url) as client:
        await client.get("/json")  # open the connection first
        for _ in range(times):
            server.app.reset()
            started = time.perf_counter()
            await client.post("/auth/refresh", {"refresh_token": server.app.auth.refresh_token})
            walls.append(time.perf_counter() - started)
    server.app.reset()
    return statistics.median(walls)


async def storm(server: DemoServer, count: int, *, expired: bool) -> tuple[float, int, int, int]:
    """
    Send ``count`` concurrent requests; return (wall seconds, refreshes, server hits,
    requests held back).
    """
    app = server.app
    app.reset()
    if expired:
        app.auth.expire()
    auth: AuthRefresh

    async def refresh(client: trioaxios.Client) -> Token:
        current = auth.token
        assert current is not None
        r = await client.post("/auth/refresh", {"refresh_token": current.refresh_token})
        return Token(r.data["token"], refresh_token=r.data["refreshToken"])

    initial = Token("token-1", refresh_token="refresh-1")  # noqa: S106 - the demo's fake token
    auth = AuthRefresh(refresh, initial)
    statuses: list[int] = []
    async with trioaxios.create(base_url=server.url) as client:
        client.use(auth)

        async def one(index: int) -> None:
            r = await client.get("/protected", headers={"x-id": str(index)})
            statuses.append(r.status)

        with trio.fail_after(ROUND_TIMEOUT):
            started = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for index in range(count):
                    nursery.start_soon(one, index)
            wall = time.perf_counter() - started
    hits = Counter(r.header("x-id") for r in app.requests if r.path == "/protected")
    assert statuses == [200] * count
    assert len(hits) == count
    assert max(hits.values()) <= 2
    assert app.auth.refresh_calls == (1 if expired else 0)
    assert auth.statistics().refreshes_done == (1 if expired else 0)
    return wall, app.auth.refresh_calls, sum(hits.values()), auth.statistics().held_back


Round = tuple[float, int, int, int]


async def measure(count: int, rounds: int) -> tuple[dict[str, list[Round]], float]:
    """Alternate the two scenarios for ``rounds`` rounds on one server; time one refresh."""
    results: dict[str, list[Round]] = {"valid": [], "expired": []}
    async with serve_demo_app() as server:
        await storm(server, min(count, 50), expired=True)  # warm-up, not recorded
        for _ in range(rounds):
            for name in ("valid", "expired"):
                results[name].append(await storm(server, count, expired=name == "expired"))
        latency = await refresh_latency(server)
    return results, latency


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def run(quick: bool) -> str:
    """Measure and return a markdown section (``quick``: 200 requests, one round)."""
    count = QUICK_REQUESTS if quick else FULL_REQUESTS
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    results, latency = trio.run(measure, count, rounds)
    rows = []
    medians = {}
    for name, runs in results.items():
        walls = [run[0] for run in runs]
        medians[name] = statistics.median(walls)
        refreshes = {run[1] for run in runs}
        hits = [run[2] for run in runs]
        held = [run[3] for run in runs]
        rows.append(
            f"| {name} | {count} | {', '.join(map(str, sorted(refreshes)))} "
            f"| {min(hits)}-{max(hits)} | {min(held)}-{max(held)} | {_ms(medians[name])} "
            f"| {_ms(min(walls))} | {_ms(max(walls))} |"
        )
    ratio = medians["expired"] / medians["valid"]
    budget = 1.5 * medians["valid"] + latency
    verdict = "met" if medians["expired"] <= budget else "missed"
    return "\n".join(
        [
            "## Token refresh: an expired-token storm vs the same storm with a valid token",
            "",
            (
                f"{count} concurrent `GET /protected` on the embedded loopback server "
                "(hypercorn on Trio, in the same process: the server's work shares the "
                "client's core, so both storms are slower than the client alone would be), "
                "through a fresh client with `AuthRefresh` and the default pool (100 "
                "connections). `expired`: the server expired the token first; the requests "
                "already on the wire get a 401, exactly one refresh runs (`POST "
                "/auth/refresh`, asserted once at the server), the requests still queued for "
                "a connection are held back (never sent with the stale token), and all go out "
                "with the new one. `valid`: the same requests with a token the server "
                f"accepts. {rounds} round(s), scenarios alternating; wall time from starting "
                "the tasks to the last response (`time.perf_counter()`)."
            ),
            "",
            (
                "| token | requests | refreshes | server hits | held back | median wall | min "
                "| max |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            (
                f"The expired storm takes {ratio:.2f}x the valid one. One refresh alone takes "
                f"{_ms(latency)} (median of 20, warm connection). Target: expired <= 1.5 x "
                f"valid + one refresh = {_ms(budget)}: **{verdict}** "
                f"({_ms(medians['expired'])})."
                + ("" if count >= FULL_REQUESTS else " The target is set for 1000 requests.")
            ),
            "",
        ]
    )


if __name__ == "__main__":
    standalone(run, __doc__, "200 requests, one round (else 1000, five rounds)")
