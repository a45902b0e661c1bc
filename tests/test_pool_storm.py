"""Pool safety under cancellation storms on a real loopback server (RELIABILITY T13, T14)."""

from __future__ import annotations

import random

import trio

import trioaxios
from _helpers import ENGINE_ABANDONED_GENERATOR
from trioaxios import CanceledError, CancelToken


def assert_pool_clean(api: trioaxios.Client) -> None:
    """No connection is in use or stuck connecting."""
    pool = api.statistics().pool
    assert pool is not None
    assert pool.active == 0
    assert pool.connecting == 0
    assert pool.slots_in_use == 0  # every request gave its connection slot back
    assert pool.waiting == 0


async def test_cancel_storm_leaves_the_pool_usable(server):
    """200 rounds of 6 GETs on 2 connections, each round cancelled at random: the pool recovers."""
    rng = random.Random(13)
    cancelled_rounds = 0
    async with trioaxios.create(base_url=server.url, max_connections=2) as api:

        async def get() -> None:
            await api.get("/slow", params={"delay": 0.05})

        with trio.fail_after(60):
            for _ in range(200):
                with trio.move_on_after(rng.uniform(0, 0.06)) as round_scope:
                    async with trio.open_nursery() as nursery:
                        for _ in range(6):
                            nursery.start_soon(get)
                cancelled_rounds += round_scope.cancelled_caught
        # With 2 connections, 6 requests of 50 ms cannot all finish within 60 ms.
        assert cancelled_rounds == 200
        with trio.fail_after(2):
            response = await api.get("/json")
        assert response.status == 200
        assert_pool_clean(api)
        assert api.statistics().background_tasks == 0


async def test_500_streams_cancelled_mid_body_then_20_succeed(server):
    """500 streamed /drip bodies cancelled mid-body (50 at a time); then 20 requests all succeed."""
    rng = random.Random(14)
    # Per stream: (reason or "completed", bytes received, response closed after the block).
    outcomes: list[tuple[object, int, bool]] = []
    listeners: list[int] = []

    async def cancel_later(source, delay: float) -> None:
        await trio.sleep(delay)
        source.cancel("storm")

    async def stream(nursery: trio.Nursery, delay: float) -> None:
        source = CancelToken.source()
        received = 0
        responses: list[trioaxios.Response] = []
        try:
            async with api.get(
                "/drip",
                params={"chunks": 100, "interval": 0.01, "size": 1024},
                cancel_token=source.token,
            ) as response:
                responses.append(response)
                async for chunk in response.aiter_bytes():
                    if not received:  # mid-body: the cancel is armed after the first bytes
                        nursery.start_soon(cancel_later, source, delay)
                    received += len(chunk)
        except CanceledError as exc:
            outcomes.append((exc.reason, received, responses[0].is_closed))
        else:
            outcomes.append(("completed", received, responses[0].is_closed))
        listeners.append(source.token.statistics().listeners)

    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(60):
            for _ in range(10):
                async with trio.open_nursery() as nursery:
                    for _ in range(50):
                        nursery.start_soon(stream, nursery, rng.uniform(0.005, 0.2))
        assert [reason for reason, _, _ in outcomes] == ["storm"] * 500
        assert all(0 < received < 100 * 1024 for _, received, _ in outcomes)  # mid-body
        assert all(closed for _, _, closed in outcomes)
        assert listeners == [0] * 500
        assert_pool_clean(api)

        results: list[int] = []

        async def get(index: int) -> None:
            results.append((await api.get("/echo", params={"i": index})).status)

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                for index in range(20):
                    nursery.start_soon(get, index)
        assert results == [200] * 20
        assert_pool_clean(api)


@ENGINE_ABANDONED_GENERATOR
async def test_every_outcome_gives_its_connection_slot_back(server):
    """
    Success, error statuses, redirects, streams left early or failing, timeouts, cancellation:
    each request returns the slot it took, so a 2-connection client never starves.
    """
    async with trioaxios.create(base_url=server.url, max_connections=2) as api:

        async def outcomes() -> None:
            await api.get("/json")
            await api.get("/redirect/3")
            await trioaxios_error(api.get("/status/404"))
            await trioaxios_error(api.get("/status/503"))
            await trioaxios_error(api.get("/slow", params={"delay": 1}, timeout=0.05))
            await trioaxios_error(api.get("/redirect/5", max_redirects=2))
            async with api.get("/bytes/200000") as response:
                async for _ in response.aiter_bytes():
                    break  # left early
            try:
                async with api.get("/drip", params={"chunks": 5, "interval": 0.01}):
                    raise LookupError
            except LookupError:
                pass
            with trio.move_on_after(0.02):
                await api.get("/slow", params={"delay": 1})

        with trio.fail_after(30):
            async with trio.open_nursery() as nursery:
                for _ in range(6):  # three times the slots, all at once
                    nursery.start_soon(outcomes)
        assert_pool_clean(api)

        async def slow() -> None:
            await api.get("/slow", params={"delay": 0.5})

        with trio.fail_after(0.9):  # both slots free: two slow requests overlap
            async with trio.open_nursery() as nursery:
                for _ in range(2):
                    nursery.start_soon(slow)
        assert_pool_clean(api)


async def trioaxios_error(request: trioaxios.PendingRequest) -> None:
    """Await ``request`` and swallow the ``AxiosError`` it is expected to raise."""
    try:
        await request
    except trioaxios.AxiosError:
        pass
    else:
        raise AssertionError("expected an AxiosError")
