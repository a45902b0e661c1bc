"""CancelToken: axios's surface, the Trio bridge, listener hygiene and a schedule property test."""

from __future__ import annotations

import traceback

import httpx2
import pytest
import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trioaxios
from _helpers import recording_client as mock_client
from trioaxios import CanceledError, CancelToken

# -- helpers ------------------------------------------------------------------------------


# -- the token itself ---------------------------------------------------------------------


def test_source_gives_a_token_and_its_cancel_function():
    """CancelToken.source() pairs a fresh token with the function that cancels it."""
    source = CancelToken.source()
    assert isinstance(source.token, CancelToken)
    assert source.token.reason is None
    assert not source.token.requested
    source.cancel("user left")
    assert source.token.requested
    assert repr(source.token) == "<CancelToken cancelled>"


def test_reason_is_a_canceled_error_with_the_message():
    """After cancel(msg), token.reason is a CanceledError (ERR_CANCELED) carrying msg."""
    source = CancelToken.source()
    source.cancel("user left")
    reason = source.token.reason
    assert isinstance(reason, CanceledError)
    assert trioaxios.is_cancel(reason)
    assert reason.code == "ERR_CANCELED"
    assert reason.message == "user left"
    assert reason.reason == "user left"


def test_cancel_without_a_message_says_canceled():
    """cancel() with no message gives axios's default text, 'canceled'."""
    source = CancelToken.source()
    source.cancel()
    assert source.token.reason is not None
    assert source.token.reason.message == "canceled"


def test_cancel_with_a_non_string_keeps_the_object_as_reason():
    """A non-string passed to cancel() becomes the error's .reason; the message is its str()."""
    source = CancelToken.source()
    marker = ValueError("why")
    source.cancel(marker)
    assert source.token.reason is not None
    assert source.token.reason.reason is marker
    assert source.token.reason.message == "why"


def test_executor_form_receives_cancel_synchronously():
    """CancelToken(executor) calls the executor at once with a working cancel function."""
    captured = []
    token = CancelToken(captured.append)
    assert len(captured) == 1
    assert not token.requested
    captured[0]("from executor")
    assert token.reason is not None
    assert token.reason.message == "from executor"


def test_executor_must_be_callable():
    """A non-callable executor is a TypeError that says what to pass."""
    with pytest.raises(TypeError, match="executor must be a function"):
        CancelToken("nope")  # type: ignore[arg-type]


def test_cancelling_twice_keeps_the_first_reason():
    """A second cancel() is ignored: the reason object and its message stay the first."""
    source = CancelToken.source()
    source.cancel("first")
    first = source.token.reason
    source.cancel("second")
    assert source.token.reason is first
    assert first is not None
    assert first.message == "first"


def test_throw_if_requested_is_silent_before_cancel():
    """throw_if_requested() does nothing while the token is not cancelled."""
    CancelToken.source().token.throw_if_requested()


def test_throw_if_requested_raises_the_reason():
    """After cancel, throw_if_requested() raises the token's own CanceledError object."""
    source = CancelToken.source()
    source.cancel("stop")
    with pytest.raises(CanceledError) as info:
        source.token.throw_if_requested()
    assert info.value is source.token.reason


def test_throw_if_requested_does_not_grow_the_traceback():
    """Raising the same reason many times does not chain old frames onto its traceback."""
    source = CancelToken.source()
    source.cancel("stop")
    lengths = []
    for _ in range(20):
        try:
            source.token.throw_if_requested()
        except CanceledError as exc:
            lengths.append(len(traceback.extract_tb(exc.__traceback__)))
    assert lengths == [lengths[0]] * 20


def test_listener_is_called_once_with_the_reason():
    """A subscribed listener is called exactly once, with the reason, on cancel."""
    source = CancelToken.source()
    calls = []
    source.token.subscribe(calls.append)
    source.cancel("bye")
    source.cancel("again")
    assert calls == [source.token.reason]


def test_unsubscribed_listener_is_not_called():
    """unsubscribe() removes a listener before cancellation; unknown ones are ignored."""
    source = CancelToken.source()
    calls = []
    source.token.subscribe(calls.append)
    source.token.unsubscribe(calls.append)
    source.token.unsubscribe(print)
    source.cancel()
    assert calls == []
    assert source.token.statistics().listeners == 0


def test_listener_added_after_cancellation_runs_at_once():
    """Subscribing to a cancelled token calls the listener immediately and keeps nothing."""
    source = CancelToken.source()
    source.cancel("late")
    calls = []
    source.token.subscribe(calls.append)
    assert calls == [source.token.reason]
    assert source.token.statistics().listeners == 0


def test_failing_listener_does_not_stop_the_others():
    """Every listener runs even if one raises; cancel() then re-raises the first failure."""
    source = CancelToken.source()
    calls = []

    def broken(_error):
        raise RuntimeError("listener bug")

    source.token.subscribe(broken)
    source.token.subscribe(calls.append)
    with pytest.raises(RuntimeError, match="listener bug"):
        source.cancel("x")
    assert calls == [source.token.reason]
    assert source.token.requested


def test_statistics_count_listeners_and_state():
    """statistics() reports the number of listeners and whether the token fired."""
    source = CancelToken.source()
    source.token.subscribe(print)
    source.token.subscribe(repr)
    assert source.token.statistics() == trioaxios.CancelStatistics(listeners=2, cancelled=False)
    source.cancel()
    assert source.token.statistics() == trioaxios.CancelStatistics(listeners=0, cancelled=True)


# -- token.cancel_scope(): any Trio code --------------------------------------------------


async def test_cancel_scope_cancels_arbitrary_trio_code(autojump_clock):
    """token.cancel_scope() stops any Trio code exactly when the token is cancelled."""
    source = CancelToken.source()
    start = trio.current_time()
    async with trio.open_nursery() as nursery:

        async def cancel_later():
            await trio.sleep(1.5)
            source.cancel("enough")

        nursery.start_soon(cancel_later)
        with source.token.cancel_scope() as scope:
            assert source.token.statistics().listeners == 1
            await trio.sleep_forever()
    assert scope.cancelled_caught
    assert trio.current_time() - start == 1.5
    assert source.token.statistics().listeners == 0


async def test_cancel_scope_puts_the_reason_on_trio_cancelled():
    """The trio.Cancelled raised inside token.cancel_scope() names the token's reason."""
    source = CancelToken.source()
    source.cancel("user left")
    seen: list[BaseException] = []
    with source.token.cancel_scope():
        try:
            await trio.sleep_forever()
        except trio.Cancelled as exc:
            seen.append(exc)
            raise
    assert "trioaxios: user left" in str(seen[0])


async def test_cancel_scope_of_a_cancelled_token_stops_at_the_first_checkpoint():
    """An already-cancelled token cancels its scope at once: the block stops at a checkpoint."""
    source = CancelToken.source()
    source.cancel()
    reached = False
    with source.token.cancel_scope() as scope:
        await trio.lowlevel.checkpoint()
        reached = True
    assert scope.cancelled_caught
    assert not reached


async def test_cancel_scope_does_not_catch_outer_cancellation(autojump_clock):
    """An enclosing deadline passes through token.cancel_scope() to its own scope."""
    source = CancelToken.source()
    with trio.move_on_after(1) as outer, source.token.cancel_scope() as inner:
        await trio.sleep_forever()
    assert outer.cancelled_caught
    assert not inner.cancelled_caught
    assert source.token.statistics().listeners == 0


async def test_cancel_scope_that_ends_normally_is_not_cancelled():
    """A block that finishes before cancel() is untouched, and a later cancel() is harmless."""
    source = CancelToken.source()
    with source.token.cancel_scope() as scope:
        await trio.lowlevel.checkpoint()
    source.cancel()
    assert not scope.cancelled_caught
    assert not scope.cancel_called


# -- tokens on requests (mock transport) --------------------------------------------------


async def test_pre_cancelled_token_sends_nothing():
    """A token cancelled before the call raises CanceledError and nothing reaches the server."""
    seen: list[httpx2.Request] = []
    source = CancelToken.source()
    source.cancel("too late")
    async with mock_client(seen) as api:
        with pytest.raises(CanceledError) as info:
            await api.get("/x", cancel_token=source.token)
    assert seen == []
    assert info.value.reason == "too late"
    assert info.value.config is not None
    assert info.value.config.url == "/x"


async def test_pre_cancelled_token_streaming_sends_nothing():
    """A cancelled token also stops a streamed request before anything is sent."""
    seen: list[httpx2.Request] = []
    source = CancelToken.source()
    source.cancel("too late")
    async with mock_client(seen) as api:
        with pytest.raises(CanceledError):
            async with api.get("/x", cancel_token=source.token):
                pytest.fail("the block must not run")
    assert seen == []


async def test_each_request_gets_its_own_error_with_the_token_reason(autojump_clock):
    """Requests sharing a token each raise a distinct CanceledError with that request's config."""
    seen: list[httpx2.Request] = []
    source = CancelToken.source()
    errors: list[CanceledError] = []

    async def one(path: str) -> None:
        try:
            await api.get(path, cancel_token=source.token)
        except CanceledError as exc:
            errors.append(exc)

    async with mock_client(seen, delay=10) as api, trio.open_nursery() as nursery:
        nursery.start_soon(one, "/a")
        nursery.start_soon(one, "/b")
        await trio.sleep(1)
        source.cancel("shutdown")
    assert sorted(e.config.url for e in errors if e.config) == ["/a", "/b"]
    assert errors[0] is not errors[1]
    assert all(e.reason == "shutdown" for e in errors)
    assert all(e is not source.token.reason for e in errors)


async def test_token_reused_by_100_sequential_requests_holds_no_listener():
    """A token reused by 100 sequential requests holds 0 listeners afterwards (axios#1181)."""
    seen: list[httpx2.Request] = []
    token = CancelToken.source().token
    async with mock_client(seen) as api:
        for _ in range(100):
            await api.get("/x", cancel_token=token)
    assert len(seen) == 100
    assert token.statistics().listeners == 0


async def test_token_reused_by_100_concurrent_requests_holds_no_listener(autojump_clock):
    """100 concurrent requests hold one listener each while running, and 0 afterwards."""
    seen: list[httpx2.Request] = []
    token = CancelToken.source().token
    during: list[int] = []

    async def one():
        await api.get("/x", cancel_token=token)

    async with mock_client(seen, delay=1) as api, trio.open_nursery() as nursery:
        for _ in range(100):
            nursery.start_soon(one)
        await trio.sleep(0.5)
        during.append(token.statistics().listeners)
    assert during == [100]
    assert len(seen) == 100
    assert token.statistics().listeners == 0


async def test_streamed_requests_release_their_listener():
    """A streamed request holds the token's listener until its block ends, then releases it."""
    seen: list[httpx2.Request] = []
    token = CancelToken.source().token
    async with mock_client(seen) as api:
        for _ in range(10):
            async with api.get("/x", cancel_token=token) as response:
                assert token.statistics().listeners == 1
                await response.aread()
    assert token.statistics().listeners == 0


async def test_failed_requests_release_their_listener():
    """Requests that fail (status error, bad URL) leave no listener on the token."""
    token = CancelToken.source().token

    def handler(_request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(500)

    async with trioaxios.create(
        base_url="http://api.test", transport=httpx2.MockTransport(handler)
    ) as api:
        for _ in range(10):
            with pytest.raises(trioaxios.AxiosError):
                await api.get("/x", cancel_token=token)
            with pytest.raises(trioaxios.AxiosError):
                await api.get("ftp://nope/", cancel_token=token)
    assert token.statistics().listeners == 0


# -- property: any cancel/complete schedule ------------------------------------------------

schedules = st.fixed_dictionaries(
    {
        # Per request: (start time, server delay, streamed?) in whole virtual seconds.
        "requests": st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, 6), st.booleans()),
            min_size=1,
            max_size=8,
        ),
        # The token is cancelled at a half second (so never tied with a completion), or never.
        "cancel_at": st.none() | st.integers(0, 12),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=schedules)
def test_any_schedule_ends_every_request_exactly_once(schedule):
    """For any schedule, each request ends once (response xor CanceledError) as predicted."""
    requests = schedule["requests"]
    cancel_at = schedule["cancel_at"]
    cancel_time = None if cancel_at is None else cancel_at + 0.5
    outcomes: dict[int, list[str]] = {i: [] for i in range(len(requests))}
    sent: list[int] = []

    async def main() -> None:
        source = CancelToken.source()

        async def handler(request: httpx2.Request) -> httpx2.Response:
            index = int(request.url.params["i"])
            sent.append(index)
            await trio.sleep(requests[index][1])
            return httpx2.Response(200, json={"i": index})

        async def one(index: int, start: int, streamed: bool) -> None:
            await trio.sleep(start)
            try:
                if streamed:
                    async with api.get("/r", params={"i": index}, cancel_token=source.token) as r:
                        await r.aread()
                else:
                    r = await api.get("/r", params={"i": index}, cancel_token=source.token)
            except CanceledError as exc:
                outcomes[index].append(f"canceled: {exc.reason}")
            else:
                outcomes[index].append(f"response: {r.status}")

        async def cancel_later() -> None:
            assert cancel_time is not None
            await trio.sleep(cancel_time)
            source.cancel("stop")

        transport = httpx2.MockTransport(handler)
        async with trioaxios.create(base_url="http://api.test", transport=transport) as api:
            async with trio.open_nursery() as nursery:
                if cancel_time is not None:
                    nursery.start_soon(cancel_later)
                for index, (start, _delay, streamed) in enumerate(requests):
                    nursery.start_soon(one, index, start, streamed)
            assert api.statistics().background_tasks == 0
        assert source.token.statistics().listeners == 0

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))

    for index, (start, delay, _streamed) in enumerate(requests):
        completes = cancel_time is None or start + delay < cancel_time
        expected = "response: 200" if completes else "canceled: stop"
        assert outcomes[index] == [expected]
        # A request that starts after the cancel is never sent.
        assert (index in sent) == (cancel_time is None or start < cancel_time)


async def test_pre_cancelled_token_still_checkpoints():
    """A call with a pre-cancelled token checkpoints first; a cancelled caller gets Cancelled."""
    source = CancelToken.source()
    source.cancel()
    async with mock_client([]) as api:
        with trio.CancelScope() as scope:
            scope.cancel()
            await api.get("/x", cancel_token=source.token)
    assert scope.cancelled_caught


async def test_pre_cancelled_token_checkpoints_in_both_forms():
    """Awaiting and entering a request with a pre-cancelled token both pass a checkpoint."""
    source = CancelToken.source()
    source.cancel("gone")
    async with mock_client([]) as api:
        with trio.testing.assert_checkpoints(), pytest.raises(CanceledError):
            await api.get("/x", cancel_token=source.token)
        with trio.testing.assert_checkpoints(), pytest.raises(CanceledError):
            async with api.get("/x", cancel_token=source.token):
                pass
