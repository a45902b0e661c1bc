"""
Helpers shared by several test modules (tests/ is on sys.path: pytest's rootdir conftest).
"""

from __future__ import annotations

import httpx2
import pytest
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


def routed_client(seen: list[httpx2.Request], routes=None, base_url="http://a.test/v1/", **config):
    """
    A client on a mock network of several origins; ``seen`` records every request.

    ``routes[(host, path)]`` is ``(status, headers)`` (a redirect: ``(302, {"location": ...})``);
    anything else answers 200 with a small JSON body.
    """
    routes = routes or {}

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        status, headers = routes.get((request.url.host, request.url.path), (200, {}))
        if status >= 300 and status < 400:
            return httpx2.Response(status, headers=headers)
        return httpx2.Response(status, headers=headers, json={"ok": True})

    return trioaxios.create(base_url=base_url, transport=httpx2.MockTransport(handler), **config)


#: httpx2 leaves httpcore2's pool-stream generator to the garbage collector when a stream is
#: closed early (encode/httpx#3686): tests that close streams early ignore exactly that.
ENGINE_ABANDONED_GENERATOR = pytest.mark.filterwarnings(
    "ignore:Async generator 'httpcore2._async.connection_pool.PoolByteStream.__aiter__'"
    ":ResourceWarning"
)
