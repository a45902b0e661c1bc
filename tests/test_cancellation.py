"""Cancellation on a real loopback server: tokens, signals, outer scopes and cleanup."""

from __future__ import annotations

import time
from types import SimpleNamespace

import httpcore2
import pytest
import trio

import trioaxios
from trioaxios import AbortController, CanceledError, CancelToken
from trioaxios._transports._httpx2 import PoolStatistics, pool_statistics

# -- helpers ------------------------------------------------------------------------------


async def wait_for_requests(server, count: int) -> None:
    """Wait until the server has recorded ``count`` requests."""
    while len(server.app.requests) < count:  # noqa: ASYNC110 - the demo app has no event
        await trio.sleep(0.005)


def assert_pool_clean(api: trioaxios.Client, *, total: int | None = None) -> None:
    """The pool holds no connection in use (and ``total`` connections, if given)."""
    pool = api.statistics().pool
    assert pool is not None
    assert pool.active == 0
    assert pool.connecting == 0
    if total is not None:
        assert pool.total == total


# -- before and during the request --------------------------------------------------------


async def test_cancel_before_send_reaches_no_server(server):
    """A token cancelled before the call raises CanceledError and the server sees nothing."""
    source = CancelToken.source()
    source.cancel("changed my mind")
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(5), pytest.raises(CanceledError) as info:
            await api.get("/json", cancel_token=source.token)
        assert_pool_clean(api, total=0)
    assert info.value.reason == "changed my mind"
    assert server.app.requests == []


async def test_cancel_in_flight_raises_quickly_with_the_reason(server):
    """Cancelling a request the server sits on raises CanceledError with the reason at once."""
    source = CancelToken.source()
    elapsed: list[float] = []
    async with trioaxios.create(base_url=server.url) as api, trio.open_nursery() as nursery:

        async def cancel_when_received() -> None:
            await wait_for_requests(server, 1)
            elapsed.append(time.perf_counter())
            source.cancel("user left")

        nursery.start_soon(cancel_when_received)
        with trio.fail_after(5), pytest.raises(CanceledError) as info:
            await api.get("/slow", params={"delay": 5}, cancel_token=source.token)
        elapsed[0] = time.perf_counter() - elapsed[0]
        assert_pool_clean(api, total=0)
    assert info.value.code == "ERR_CANCELED"
    assert info.value.reason == "user left"
    assert elapsed[0] < 1  # generous; benchmarks/bench_cancel.py measures the latency
    assert source.token.statistics().listeners == 0


async def test_abort_signal_in_flight(server):
    """controller.abort(reason) during a real request raises CanceledError with that reason."""
    controller = AbortController()
    async with trioaxios.create(base_url=server.url) as api, trio.open_nursery() as nursery:

        async def abort_when_received() -> None:
            await wait_for_requests(server, 1)
            controller.abort("navigated away")

        nursery.start_soon(abort_when_received)
        with trio.fail_after(5), pytest.raises(CanceledError) as info:
            await api.get("/slow", params={"delay": 5}, signal=controller.signal)
    assert info.value.reason == "navigated away"


async def test_canceled_error_keeps_the_trio_cancelled_as_context(server):
    """The CanceledError's __context__ is the trio.Cancelled that names the reason."""
    source = CancelToken.source()
    async with trioaxios.create(base_url=server.url) as api, trio.open_nursery() as nursery:

        async def cancel_when_received() -> None:
            await wait_for_requests(server, 1)
            source.cancel("user left")

        nursery.start_soon(cancel_when_received)
        with trio.fail_after(5), pytest.raises(CanceledError) as info:
            await api.get("/slow", params={"delay": 5}, cancel_token=source.token)
    assert info.value.__suppress_context__
    assert isinstance(info.value.__context__, trio.Cancelled)
    assert "trioaxios: user left" in str(info.value.__context__)


async def test_next_request_after_a_cancel_works(server):
    """After a cancelled request, the next one on the same client succeeds."""
    source = CancelToken.source()
    async with trioaxios.create(base_url=server.url) as api:
        async with trio.open_nursery() as nursery:

            async def cancel_when_received() -> None:
                await wait_for_requests(server, 1)
                source.cancel()

            nursery.start_soon(cancel_when_received)
            with trio.fail_after(5), pytest.raises(CanceledError):
                await api.get("/slow", params={"delay": 5}, cancel_token=source.token)
        with trio.fail_after(5):
            response = await api.get("/json")
        assert response.status == 200
        assert_pool_clean(api, total=1)


# -- mid-body -----------------------------------------------------------------------------


async def test_cancel_mid_body_of_a_streamed_response(server):
    """Cancelling inside the read loop of a streamed /drip raises CanceledError at the block."""
    source = CancelToken.source()
    chunks = 0
    responses: list[trioaxios.Response] = []

    async def read_three_chunks() -> None:
        nonlocal chunks
        async with api.get(
            "/drip", params={"chunks": 100, "interval": 0.02}, cancel_token=source.token
        ) as response:
            responses.append(response)
            async for _ in response.aiter_bytes():
                chunks += 1
                if chunks == 3:
                    source.cancel("seen enough")

    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(5), pytest.raises(CanceledError) as info:
            await read_three_chunks()
        assert info.value.reason == "seen enough"
        assert responses[0].is_closed
        # The half-read connection was dropped, not returned to the pool.
        assert_pool_clean(api, total=0)
        with trio.fail_after(5):
            assert (await api.get("/json")).status == 200
    assert chunks == 3


async def test_cancel_from_another_task_while_streaming(server):
    """A token cancelled by another task while the block reads the body raises CanceledError."""
    source = CancelToken.source()
    chunks = 0

    async def cancel_soon() -> None:
        await trio.sleep(0.1)
        source.cancel("from elsewhere")

    async def read_all(nursery: trio.Nursery) -> None:
        nonlocal chunks
        async with api.get(
            "/drip", params={"chunks": 100, "interval": 0.02}, cancel_token=source.token
        ) as response:
            nursery.start_soon(cancel_soon)
            async for _ in response.aiter_bytes():
                chunks += 1

    async with trioaxios.create(base_url=server.url) as api, trio.open_nursery() as nursery:
        with trio.fail_after(5), pytest.raises(CanceledError) as info:
            await read_all(nursery)
        assert info.value.reason == "from elsewhere"
        assert_pool_clean(api, total=0)
    assert 0 < chunks < 100


async def test_cancel_mid_body_of_an_awaited_response(server):
    """A request cancelled while its body is being read closes that connection."""
    source = CancelToken.source()
    async with trioaxios.create(base_url=server.url) as api, trio.open_nursery() as nursery:

        async def cancel_mid_body() -> None:
            await wait_for_requests(server, 1)
            await trio.sleep(0.15)
            source.cancel("mid body")

        nursery.start_soon(cancel_mid_body)
        with trio.fail_after(5), pytest.raises(CanceledError) as info:
            await api.get(
                "/drip", params={"chunks": 100, "interval": 0.02}, cancel_token=source.token
            )
        assert info.value.reason == "mid body"
        assert_pool_clean(api, total=0)


# -- cancellation that is not ours --------------------------------------------------------


async def test_outer_move_on_after_is_not_converted(server):
    """An enclosing move_on_after expiring mid-request is caught by that scope; no CanceledError."""
    source = CancelToken.source()
    async with trioaxios.create(base_url=server.url) as api:
        with trio.move_on_after(0.3) as outer:
            await api.get("/slow", params={"delay": 5}, cancel_token=source.token, timeout=2)
            pytest.fail("the request must not complete")
        assert outer.cancelled_caught
        assert_pool_clean(api)
    assert source.token.statistics().listeners == 0


async def test_outer_move_on_after_around_a_stream_is_not_converted(server):
    """An enclosing deadline expiring inside a streamed block reaches the enclosing scope."""
    async with trioaxios.create(base_url=server.url, timeout=5) as api:
        with trio.move_on_after(0.3) as outer:
            async with api.get("/drip", params={"chunks": 100, "interval": 0.02}) as response:
                async for _ in response.aiter_bytes():
                    pass
            pytest.fail("the stream must not complete")
        assert outer.cancelled_caught
        assert response.is_closed
        assert_pool_clean(api, total=0)


async def test_cancelled_nursery_is_not_converted(server):
    """When a sibling fails, the request gets trio.Cancelled and only the sibling's error shows."""
    source = CancelToken.source()

    async def sibling() -> None:
        await wait_for_requests(server, 1)
        raise ValueError("sibling failed")

    async with trioaxios.create(base_url=server.url) as api:

        async def request() -> None:
            await api.get("/slow", params={"delay": 5}, cancel_token=source.token)

        with trio.fail_after(5), pytest.RaisesGroup(ValueError):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(request)
                nursery.start_soon(sibling)
        assert_pool_clean(api)


async def test_keyboard_interrupt_propagates_untouched(server):
    """A KeyboardInterrupt raised inside a request propagates as is and releases everything."""
    source = CancelToken.source()

    async def interrupt(ctx, next_):
        await next_()
        raise KeyboardInterrupt

    async with trioaxios.create(base_url=server.url) as api:
        api.use(interrupt)
        with trio.fail_after(5), pytest.raises(KeyboardInterrupt):
            await api.get("/json", cancel_token=source.token)
        assert_pool_clean(api)
    assert source.token.statistics().listeners == 0


async def test_other_base_exceptions_propagate_untouched(server):
    """A BaseException that is not an Exception passes through the request scope unchanged."""

    class Stop(BaseException):
        pass

    marker = Stop()
    source = CancelToken.source()

    async def stop_mid_body(ctx, next_):
        await next_()
        raise marker

    async with trioaxios.create(base_url=server.url) as api:
        api.use(stop_mid_body)
        with trio.fail_after(5), pytest.raises(Stop) as info:
            await api.get("/json", cancel_token=source.token)
        assert_pool_clean(api)
    assert info.value is marker
    assert source.token.statistics().listeners == 0


# -- what the pool statistics count -------------------------------------------------------


def test_pool_statistics_count_connecting_but_not_failed_connections():
    """A connection still opening is active and connecting; one whose connect failed is neither."""
    origin = httpcore2.Origin(b"http", b"127.0.0.1", 9)
    opening = httpcore2.AsyncHTTPConnection(origin=origin)
    failed = httpcore2.AsyncHTTPConnection(origin=origin)
    failed._connect_failed = True
    transport = SimpleNamespace(_pool=SimpleNamespace(connections=[opening, failed]))
    assert pool_statistics(transport) == PoolStatistics(total=2, active=1, idle=1, connecting=1)
