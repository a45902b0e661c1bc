"""AbortController / AbortSignal: the DOM surface, timeout and any(), and signal= on requests."""

from __future__ import annotations

import math

import pytest
import trio

import trioaxios
from _helpers import recording_client as mock_client
from trioaxios import AbortController, AbortSignal, CanceledError, CancelToken

# -- helpers ------------------------------------------------------------------------------


async def fire_at(when: float, fn, *args) -> None:
    """Call ``fn(*args)`` at virtual time ``when`` (relative to now)."""
    await trio.sleep(when)
    fn(*args)


# -- controller and signal ----------------------------------------------------------------


def test_fresh_signal_is_not_aborted():
    """A new controller's signal is not aborted and has no reason."""
    signal = AbortController().signal
    assert not signal.aborted
    assert signal.reason is None
    assert signal.deadline == math.inf
    signal.throw_if_aborted()
    assert repr(signal) == "<AbortSignal active>"


def test_abort_sets_aborted_and_reason():
    """controller.abort(reason) makes the signal aborted with that reason."""
    controller = AbortController()
    controller.abort("user left")
    assert controller.signal.aborted
    assert controller.signal.reason == "user left"
    assert repr(controller.signal) == "<AbortSignal aborted>"


def test_abort_twice_keeps_the_first_reason():
    """A second abort() is ignored; listeners are called once."""
    controller = AbortController()
    calls = []
    controller.signal.subscribe(calls.append)
    controller.abort("first")
    controller.abort("second")
    assert controller.signal.reason == "first"
    assert len(calls) == 1
    assert calls[0].reason == "first"


def test_abort_without_reason_uses_the_dom_default():
    """abort() with no reason gives the DOM's default reason text."""
    controller = AbortController()
    controller.abort()
    assert controller.signal.reason == "signal is aborted without reason"


def test_abort_with_an_object_keeps_it_as_reason():
    """A non-string reason is kept as is; the CanceledError message is 'canceled'."""
    controller = AbortController()
    reason = ValueError("why")
    controller.abort(reason)
    assert controller.signal.reason is reason
    with pytest.raises(CanceledError) as info:
        controller.signal.throw_if_aborted()
    assert info.value.reason is reason
    assert info.value.message == "canceled"


def test_static_abort_gives_an_aborted_signal():
    """AbortSignal.abort(reason) returns a signal that is already aborted."""
    signal = AbortSignal.abort("gone")
    assert signal.aborted
    assert signal.reason == "gone"


def test_listener_added_after_abort_runs_at_once():
    """Subscribing to an aborted signal calls the listener immediately and keeps nothing."""
    signal = AbortSignal.abort("gone")
    calls = []
    signal.subscribe(calls.append)
    assert [c.reason for c in calls] == ["gone"]
    assert signal.statistics().listeners == 0


# -- AbortSignal.timeout ------------------------------------------------------------------


async def test_timeout_signal_aborts_at_its_exact_time(autojump_clock):
    """AbortSignal.timeout(2) is not aborted before 2 s (virtual) and is aborted at 2 s."""
    start = trio.current_time()
    signal = AbortSignal.timeout(2)
    assert signal.deadline == start + 2
    await trio.sleep(1.999)
    assert not signal.aborted
    assert signal.reason is None
    await trio.sleep(0.001)
    assert trio.current_time() == start + 2
    assert signal.aborted
    assert signal.reason == "signal timed out"
    assert signal.statistics().cancelled


async def test_timeout_signal_raises_when_its_time_passed(autojump_clock):
    """throw_if_aborted() raises a CanceledError once the timeout signal's time has passed."""
    signal = AbortSignal.timeout(1)
    signal.throw_if_aborted()
    await trio.sleep(1)
    with pytest.raises(CanceledError, match="signal timed out"):
        signal.throw_if_aborted()


@pytest.mark.parametrize("seconds", [-1, math.nan, True, "1", None])
async def test_timeout_rejects_bad_seconds(seconds):
    """AbortSignal.timeout() needs a number >= 0 and names its parameter."""
    with pytest.raises(ValueError, match="seconds must be a number >= 0"):
        AbortSignal.timeout(seconds)


async def test_timeout_signal_drives_cancel_scope(autojump_clock):
    """signal.cancel_scope() of a timeout signal stops Trio code exactly at its deadline."""
    start = trio.current_time()
    signal = AbortSignal.timeout(3)
    with signal.cancel_scope() as scope:
        await trio.sleep_forever()
    assert scope.cancelled_caught
    assert trio.current_time() - start == 3


# -- AbortSignal.any ----------------------------------------------------------------------


def test_any_aborts_when_a_source_aborts():
    """any([a, b]) aborts, with b's reason, when b aborts; its listeners are called."""
    a, b = AbortController(), AbortController()
    combined = AbortSignal.any([a.signal, b.signal])
    calls = []
    combined.subscribe(calls.append)
    assert not combined.aborted
    b.abort("b went away")
    assert combined.aborted
    assert combined.reason == "b went away"
    assert [c.reason for c in calls] == ["b went away"]
    a.abort("a too")
    assert combined.reason == "b went away"


def test_any_of_an_aborted_source_is_aborted_at_once():
    """any() with an already-aborted source is aborted at creation, with that reason."""
    a = AbortController()
    combined = AbortSignal.any([a.signal, AbortSignal.abort("early")])
    assert combined.aborted
    assert combined.reason == "early"


def test_any_of_nothing_never_aborts():
    """any([]) is a signal that never aborts."""
    combined = AbortSignal.any([])
    assert not combined.aborted
    assert combined.deadline == math.inf


def test_any_rejects_non_signals():
    """any() accepts AbortSignals only."""
    with pytest.raises(TypeError, match="every item must be an AbortSignal"):
        AbortSignal.any([CancelToken.source().token])  # type: ignore[list-item]


async def test_any_adopts_the_earliest_timeout(autojump_clock):
    """any() of timeout signals has the earliest deadline and aborts exactly then."""
    start = trio.current_time()
    combined = AbortSignal.any([AbortSignal.timeout(5), AbortController().signal])
    combined = AbortSignal.any([combined, AbortSignal.timeout(2)])
    assert combined.deadline == start + 2
    await trio.sleep(2)
    assert combined.aborted
    assert combined.reason == "signal timed out"


async def test_any_reports_the_source_that_aborted_first(autojump_clock):
    """When two sources abort while nobody listens, the earlier one gives the reason."""
    late, early = AbortController(), AbortController()
    combined = AbortSignal.any([late.signal, early.signal])
    await trio.sleep(1)
    early.abort("early")
    await trio.sleep(1)
    late.abort("late")
    assert combined.reason == "early"


async def test_any_prefers_a_timeout_that_passed_before_an_abort(autojump_clock):
    """A timeout source whose time passed before another source's abort gives the reason."""
    controller = AbortController()
    combined = AbortSignal.any([controller.signal, AbortSignal.timeout(1)])
    await trio.sleep(2)
    controller.abort("too late")
    assert combined.reason == "signal timed out"


def test_any_links_to_sources_only_while_listened_to():
    """any() subscribes to its sources only while it has listeners (no pile-up on a parent)."""
    parent = AbortController()
    combined = [AbortSignal.any([parent.signal]) for _ in range(100)]
    assert parent.signal.statistics().listeners == 0
    combined[0].subscribe(print)
    assert parent.signal.statistics().listeners == 1
    combined[0].unsubscribe(print)
    assert parent.signal.statistics().listeners == 0


def test_nested_any_forwards_and_unlinks():
    """any() of any() forwards an abort through both levels and unlinks when unused."""
    parent = AbortController()
    inner = AbortSignal.any([parent.signal])
    outer = AbortSignal.any([inner])
    calls = []
    outer.subscribe(calls.append)
    assert parent.signal.statistics().listeners == 1
    outer.unsubscribe(calls.append)
    assert parent.signal.statistics().listeners == 0
    assert inner.statistics().listeners == 0
    outer.subscribe(calls.append)
    parent.abort("bye")
    assert [c.reason for c in calls] == ["bye"]
    assert outer.reason == "bye"
    assert parent.signal.statistics().listeners == 0


async def test_parent_signal_combined_per_request_holds_no_listener():
    """A long-lived signal combined with any() for 100 requests holds 0 listeners afterwards."""
    seen: list = []
    page = AbortController()
    async with mock_client(seen) as api:
        for _ in range(100):
            signal = AbortSignal.any([page.signal, AbortSignal.timeout(10)])
            await api.get("/x", signal=signal)
    assert len(seen) == 100
    assert page.signal.statistics().listeners == 0


# -- signal= on requests ------------------------------------------------------------------


async def test_aborted_signal_sends_nothing():
    """A request with an already-aborted signal raises CanceledError before any I/O."""
    seen: list = []
    async with mock_client(seen) as api:
        with pytest.raises(CanceledError) as info:
            await api.get("/x", signal=AbortSignal.abort("no"))
    assert seen == []
    assert info.value.reason == "no"


async def test_abort_in_flight_raises_canceled_error(autojump_clock):
    """controller.abort(reason) during a request raises CanceledError at that exact instant."""
    seen: list = []
    controller = AbortController()
    start = trio.current_time()
    async with mock_client(seen, delay=10) as api, trio.open_nursery() as nursery:
        nursery.start_soon(fire_at, 1, controller.abort, "user left")
        with pytest.raises(CanceledError) as info:
            await api.get("/x", signal=controller.signal)
    assert info.value.reason == "user left"
    assert trio.current_time() - start == 1
    assert controller.signal.statistics().listeners == 0


async def test_timeout_signal_cancels_the_request(autojump_clock):
    """signal=AbortSignal.timeout(1) gives CanceledError('signal timed out') at exactly 1 s."""
    seen: list = []
    start = trio.current_time()
    async with mock_client(seen, delay=10) as api:
        with pytest.raises(CanceledError) as info:
            await api.get("/x", signal=AbortSignal.timeout(1))
    assert info.value.reason == "signal timed out"
    assert trio.current_time() - start == 1


async def test_expired_timeout_signal_sends_nothing(autojump_clock):
    """A timeout signal whose time has passed stops the request before it is sent."""
    seen: list = []
    signal = AbortSignal.timeout(1)
    await trio.sleep(1)
    async with mock_client(seen) as api:
        with pytest.raises(CanceledError):
            await api.get("/x", signal=signal)
    assert seen == []


async def test_request_timeout_shorter_than_signal_timeout_wins(autojump_clock):
    """timeout=1 with a 2 s timeout signal fails with ECONNABORTED at exactly 1 s."""
    seen: list = []
    start = trio.current_time()
    async with mock_client(seen, delay=10) as api:
        with pytest.raises(trioaxios.AxiosError) as info:
            await api.get("/x", timeout=1, signal=AbortSignal.timeout(2))
    assert not isinstance(info.value, CanceledError)
    assert info.value.code == "ECONNABORTED"
    assert trio.current_time() - start == 1


async def test_signal_timeout_shorter_than_request_timeout_wins(autojump_clock):
    """A 1 s timeout signal with timeout=2 fails with CanceledError at exactly 1 s."""
    seen: list = []
    start = trio.current_time()
    async with mock_client(seen, delay=10) as api:
        with pytest.raises(CanceledError):
            await api.get("/x", timeout=2, signal=AbortSignal.timeout(1))
    assert trio.current_time() - start == 1


# -- a token and a signal together: the first to fire wins --------------------------------


@pytest.mark.parametrize(("token_at", "signal_at", "winner"), [(1, 2, "token"), (2, 1, "signal")])
async def test_token_and_signal_first_to_fire_wins(autojump_clock, token_at, signal_at, winner):
    """With both a token and a signal, the one that fires first gives the reason and time."""
    seen: list = []
    source = CancelToken.source()
    controller = AbortController()
    start = trio.current_time()
    async with mock_client(seen, delay=10) as api, trio.open_nursery() as nursery:
        nursery.start_soon(fire_at, token_at, source.cancel, "token")
        nursery.start_soon(fire_at, signal_at, controller.abort, "signal")
        with pytest.raises(CanceledError) as info:
            await api.get("/x", cancel_token=source.token, signal=controller.signal)
        assert trio.current_time() - start == min(token_at, signal_at)
    assert info.value.reason == winner


async def test_second_source_firing_before_delivery_does_not_change_the_reason():
    """A token cancelled right after the signal aborted (before delivery) keeps its reason."""
    seen: list = []
    source = CancelToken.source()
    controller = AbortController()

    async def both() -> None:
        async with api.get("/x", cancel_token=source.token, signal=controller.signal):
            controller.abort("signal first")
            source.cancel("token second")
            await trio.lowlevel.checkpoint()

    async with mock_client(seen) as api:
        with pytest.raises(CanceledError) as info:
            await both()
    assert info.value.reason == "signal first"
    assert source.token.statistics().listeners == 0
    assert controller.signal.statistics().listeners == 0
