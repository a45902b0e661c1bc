"""
Helpers shared by several test modules (tests/ is on sys.path: pytest's rootdir conftest).
"""

from __future__ import annotations

import httpx2
import trio

import trioaxios
from trioaxios import AxiosError


def recording_client(seen: list[httpx2.Request], delay: float = 0.0, **config):
    """A client whose mock server records each request and answers after ``delay`` seconds."""

    async def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        await trio.sleep(delay)
        return httpx2.Response(200, json={"ok": True})

    return trioaxios.create(
        base_url="http://api.test", transport=httpx2.MockTransport(handler), **config
    )


async def outcome_of(request):
    """Await a request; return the response or the AxiosError it raised."""
    try:
        return await request
    except AxiosError as exc:
        return exc


async def storm(client, n, path, **config):
    """Send ``n`` concurrent GETs (each tagged ``x-id``); return their outcomes in order."""
    results = [None] * n

    async def one(i):
        results[i] = await outcome_of(client.get(path, headers={"x-id": str(i)}, **config))

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(one, i)
    return results
