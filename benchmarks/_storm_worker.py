"""
One client's cancellation storm, in a process of its own; prints one JSON line.

``python _storm_worker.py CLIENT URL ROUNDS SEED``: CLIENT is one of ``TRIO_CLIENTS``, each
with ``max_connections=2``. Every round starts ``ROUND_SIZE`` concurrent GETs, half to
``/slow?delay=0.05`` and half to ``/json`` (drawn from a ``random.Random(SEED)``), under a
``trio.move_on_after`` of 0-60 ms drawn from the same generator, so some requests complete
and others are cut mid-flight. After the storm one ``GET /json`` gets ``CHECK_TIMEOUT``
seconds. The JSON says how the storm's requests ended, whether the check was served and how
long it took, and the connection pool's state before and after it.

``open_client`` (the three Trio clients behind one ``get``) is shared with ``_memory_worker``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx
import httpx2
import trio

import trioaxios

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

#: The clients that run on Trio: trioaxios, raw httpx2 and httpx 0.28 (anyio picks Trio).
TRIO_CLIENTS = ("trioaxios", "httpx2", "httpx")
STORM_CONNECTIONS = 2
ROUND_SIZE = 6
MAX_CUT = 0.060
PATHS = ("/slow?delay=0.05", "/json")
CHECK_TIMEOUT = 5.0
CLOSE_TIMEOUT = 5.0


@dataclasses.dataclass(frozen=True, slots=True)
class TrioClient:
    """An open client: ``get(path)`` returns the status; ``pool`` is its httpcore(2) pool."""

    get: Callable[[str], Awaitable[int]]
    pool: Any


@contextlib.asynccontextmanager
async def open_client(name: str, url: str, connections: int) -> AsyncIterator[TrioClient]:
    """Open client ``name`` on ``url`` with a pool of ``connections``, no engine timeouts."""
    if name == "trioaxios":
        async with trioaxios.create(
            base_url=url, max_connections=connections, max_keepalive_connections=connections
        ) as api:

            async def get_axios(path: str) -> int:
                return (await api.get(path)).status

            yield TrioClient(get_axios, api._transport._transport._pool)  # noqa: SLF001
        return
    engine = {"httpx2": httpx2, "httpx": httpx}[name]
    limits = engine.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with engine.AsyncClient(base_url=url, limits=limits, timeout=None) as client:

        async def get_httpx(path: str) -> int:
            return (await client.get(path)).status_code

        yield TrioClient(get_httpx, client._transport._pool)  # noqa: SLF001


def _state(connection: Any, reserved: set[Any]) -> str:
    if connection.is_closed():
        return "closed"
    if connection.is_idle():
        return "idle"
    if getattr(connection, "_connection", True) is not None:
        return "active"
    return "connecting" if connection in reserved else "orphaned"


def describe_pool(pool: Any) -> str:
    """
    Summarise an httpcore or httpcore2 ``AsyncConnectionPool``: connections and requests.

    A connection not yet connected that no request of the pool refers to is *orphaned*: nobody
    will connect, use or close it, and it takes one of the pool's slots for good.
    """
    requests = list(pool._requests)  # noqa: SLF001 - the pool's own bookkeeping, as in its repr
    reserved = {r.connection for r in requests}
    states = Counter(_state(c, reserved) for c in pool.connections)
    queued = sum(1 for r in requests if r.is_queued())
    parts = [f"{n} {state}" for state, n in sorted(states.items())]
    if requests:
        parts.append(f"{len(requests) - queued} request(s) assigned, {queued} queued")
    return f"{states.total()} conn" + (f": {', '.join(parts)}" if parts else "")


async def storm(name: str, url: str, rounds: int, seed: int) -> dict[str, Any]:
    """Run the storm and the check with client ``name``; return what happened."""
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    result: dict[str, Any] = {"client": name, "rounds": rounds, "closed": False}
    with trio.CancelScope() as outer:
        async with open_client(name, url, STORM_CONNECTIONS) as client:

            async def one(path: str) -> None:
                outcomes["started"] += 1
                try:
                    status = await client.get(path)
                except Exception as exc:
                    outcomes[type(exc).__name__] += 1
                else:
                    outcomes["ok" if status == 200 else f"HTTP {status}"] += 1

            for _ in range(rounds):
                with trio.move_on_after(rng.uniform(0, MAX_CUT)):
                    async with trio.open_nursery() as nursery:
                        for _ in range(ROUND_SIZE):
                            nursery.start_soon(one, rng.choice(PATHS))
            result["pool_after_storm"] = describe_pool(client.pool)
            result["served"], result["error"] = False, None
            started = time.perf_counter()
            with trio.move_on_after(CHECK_TIMEOUT):
                try:
                    result["served"] = await client.get("/json") == 200
                except Exception as exc:
                    result["error"] = f"{type(exc).__name__}: {exc}"
            result["seconds"] = time.perf_counter() - started
            result["pool_after_check"] = describe_pool(client.pool)
            outer.deadline = trio.current_time() + CLOSE_TIMEOUT
        result["closed"] = True
    finished = sum(n for key, n in outcomes.items() if key != "started")
    result["outcomes"] = {**outcomes, "cut": outcomes["started"] - finished}
    return result


if __name__ == "__main__":
    client_name, base_url, round_count, rng_seed = sys.argv[1:]
    print(json.dumps(trio.run(storm, client_name, base_url, int(round_count), int(rng_seed))))
