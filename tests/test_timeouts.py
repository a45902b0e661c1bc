"""timeout: end to end, exact in virtual time, its codes, and never confused with outer scopes."""

from __future__ import annotations

import time

import httpx2
import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

import trioaxios
from trioaxios import AxiosError, CanceledError, CancelToken

# -- helpers ------------------------------------------------------------------------------


class Server:
    """A mock server: records requests; ``delay`` before the headers; ``trickle`` body."""

    def __init__(self, delay: float = 0.0, trickle: float | None = None) -> None:
        self.delay = delay
        self.trickle = trickle
        self.requests: list[httpx2.Request] = []
        self.chunks_sent = 0

    async def body(self):
        assert self.trickle is not None
        while True:  # one byte every `trickle` seconds, forever
            await trio.sleep(self.trickle)
            self.chunks_sent += 1
            yield b"x"

    async def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        await trio.sleep(self.delay)
        if self.trickle is not None:
            return httpx2.Response(200, content=self.body())
        return httpx2.Response(200, json={"ok": True})

    def client(self, **config) -> trioaxios.Client:
        return trioaxios.create(
            base_url="http://api.test", transport=httpx2.MockTransport(self.handler), **config
        )


async def timed_failure(call) -> tuple[BaseException, float]:
    """Run ``call()``; return what it raised and the virtual time it took."""
    start = trio.current_time()
    try:
        await call()
    except Exception as exc:
        return exc, trio.current_time() - start
    pytest.fail("the call did not fail")


# -- codes and message --------------------------------------------------------------------


async def test_timeout_is_econnaborted_at_exactly_the_timeout(autojump_clock):
    """A server slower than timeout fails with ECONNABORTED at exactly timeout (virtual)."""
    server = Server(delay=10)
    async with server.client() as api:
        exc, elapsed = await timed_failure(lambda: api.get("/x", timeout=1.5))
    assert isinstance(exc, AxiosError)
    assert not isinstance(exc, CanceledError)
    assert exc.code == "ECONNABORTED"
    assert exc.message == "timeout of 1.5s exceeded"
    assert exc.config is not None
    assert exc.config.url == "/x"
    assert elapsed == 1.5


async def test_clarify_timeout_error_gives_etimedout(autojump_clock):
    """transitional.clarify_timeout_error switches the code to ETIMEDOUT."""
    server = Server(delay=10)
    async with server.client(transitional={"clarify_timeout_error": True}) as api:
        exc, elapsed = await timed_failure(lambda: api.get("/x", timeout=1))
    assert isinstance(exc, AxiosError)
    assert exc.code == "ETIMEDOUT"
    assert elapsed == 1


async def test_timeout_error_message_replaces_the_text(autojump_clock):
    """timeout_error_message is the whole message of the timeout error."""
    server = Server(delay=10)
    async with server.client(timeout=1, timeout_error_message="the API is slow today") as api:
        exc, _ = await timed_failure(lambda: api.get("/x"))
    assert isinstance(exc, AxiosError)
    assert str(exc) == "the API is slow today"
    assert exc.code == "ECONNABORTED"


async def test_timeout_zero_means_no_timeout(autojump_clock):
    """timeout=0 disables the timeout, as in axios."""
    server = Server(delay=100)
    async with server.client(timeout=0) as api:
        response = await api.get("/x")
    assert response.status == 200


async def test_response_in_time_is_not_affected(autojump_clock):
    """A response that arrives before the timeout succeeds, and the deadline ends with it."""
    server = Server(delay=0.9)
    async with server.client(timeout=1) as api:
        response = await api.get("/x")
        await trio.sleep(5)  # after the request, its deadline no longer applies
        assert response.data == {"ok": True}


# -- end to end, not per read (encode/httpx#1450) -----------------------------------------


async def test_trickling_body_is_cut_at_the_timeout(autojump_clock):
    """A body trickling one byte every 0.3 s forever is cut at exactly the timeout."""
    server = Server(trickle=0.3)
    async with server.client() as api:
        exc, elapsed = await timed_failure(lambda: api.get("/x", timeout=2))
    assert isinstance(exc, AxiosError)
    assert exc.code == "ECONNABORTED"
    assert elapsed == 2
    assert server.chunks_sent == 6  # bytes kept coming: no read was ever idle for long


async def test_headers_and_body_share_one_deadline(autojump_clock):
    """Time to the headers counts against the same deadline as the body."""
    server = Server(delay=1.5, trickle=0.3)
    async with server.client() as api:
        exc, elapsed = await timed_failure(lambda: api.get("/x", timeout=2))
    assert isinstance(exc, AxiosError)
    assert exc.code == "ECONNABORTED"
    assert elapsed == 2


async def test_streamed_trickle_is_cut_at_the_timeout(autojump_clock):
    """A streamed body read with aiter_bytes() is cut at exactly the timeout."""
    server = Server(trickle=0.4)
    received = 0

    async def stream() -> None:
        nonlocal received
        async with api.get("/x", timeout=3) as response:
            async for chunk in response.aiter_bytes():
                received += len(chunk)

    async with server.client() as api:
        exc, elapsed = await timed_failure(stream)
    assert isinstance(exc, AxiosError)
    assert exc.code == "ECONNABORTED"
    assert elapsed == 3
    assert received == 7


async def test_streamed_timeout_covers_the_whole_block(autojump_clock):
    """For a streamed request the timeout runs until the end of the async with block."""
    server = Server()

    async def stream() -> None:
        async with api.get("/x", timeout=1) as response:
            assert response.status == 200
            await trio.sleep(10)

    async with server.client() as api:
        exc, elapsed = await timed_failure(stream)
    assert isinstance(exc, AxiosError)
    assert exc.code == "ECONNABORTED"
    assert elapsed == 1


async def test_timeout_starts_at_dispatch(autojump_clock):
    """Time spent in request interceptors before dispatch does not count against timeout."""
    server = Server(delay=0.5)

    async def slow_interceptor(config):
        await trio.sleep(5)
        return config

    async with server.client(timeout=1) as api:
        api.interceptors.request.use(slow_interceptor)
        start = trio.current_time()
        response = await api.get("/x")
    assert response.status == 200
    assert trio.current_time() - start == 5.5


# -- the caller's own deadline ------------------------------------------------------------


async def test_expired_enclosing_deadline_sends_nothing(autojump_clock):
    """Inside an already-expired deadline nothing is sent and trio.Cancelled reaches its scope."""
    server = Server()
    async with server.client(timeout=5) as api:
        with trio.move_on_at(trio.current_time()) as outer:
            await api.get("/x")
            pytest.fail("the request must not complete")
    assert outer.cancelled_caught
    assert server.requests == []


async def test_expired_enclosing_deadline_with_token_sends_nothing(autojump_clock):
    """An expired deadline wins over a live token: no request, no CanceledError."""
    server = Server()
    token = CancelToken.source().token
    async with server.client() as api:
        with trio.CancelScope(deadline=trio.current_time() - 1) as outer:
            async with api.get("/x", cancel_token=token):
                pytest.fail("the block must not run")
    assert outer.cancelled_caught
    assert server.requests == []
    assert token.statistics().listeners == 0


async def test_enclosing_deadline_shorter_than_timeout_propagates(autojump_clock):
    """Outer move_on_after(1) around timeout=2: the outer scope catches it at 1 s, no error."""
    server = Server(delay=10)
    start = trio.current_time()
    async with server.client() as api:
        with trio.move_on_after(1) as outer:
            await api.get("/x", timeout=2)
    assert outer.cancelled_caught
    assert trio.current_time() - start == 1


@pytest.mark.parametrize(("clarify", "code"), [(False, "ECONNABORTED"), (True, "ETIMEDOUT")])
async def test_own_timeout_inside_longer_outer_deadline(autojump_clock, clarify, code):
    """timeout=1 inside move_on_after(2): the request's own timeout error at 1 s (T25)."""
    server = Server(delay=10)
    transitional = {"clarify_timeout_error": clarify}
    async with server.client(transitional=transitional) as api:
        with trio.move_on_after(2) as outer:
            exc, elapsed = await timed_failure(lambda: api.get("/x", timeout=1))
    assert not outer.cancelled_caught
    assert isinstance(exc, AxiosError)
    assert exc.code == code
    assert elapsed == 1


async def test_enclosing_deadline_during_streamed_body_propagates(autojump_clock):
    """An outer deadline that fires while a streamed body is read is the caller's Cancelled."""
    server = Server(trickle=0.3)
    received = 0
    async with server.client(timeout=5) as api:
        with trio.move_on_after(1) as outer:
            async with api.get("/x") as response:
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
    assert outer.cancelled_caught
    assert received == 3


# -- first source wins ------------------------------------------------------------------


async def test_token_cancelled_after_the_deadline_keeps_the_timeout(autojump_clock):
    """A token cancelled after the timeout passed, before delivery, does not hide the timeout."""
    server = Server()
    source = CancelToken.source()

    async def shielded_work(ctx, next_):
        await next_()
        with trio.CancelScope(shield=True):  # e.g. cleanup that must finish
            await trio.sleep(1)
            source.cancel("too late")
            await trio.sleep(1)
        await trio.lowlevel.checkpoint()  # the pending cancellation is delivered here

    async with server.client() as api:
        api.use(shielded_work)
        exc, elapsed = await timed_failure(
            lambda: api.get("/x", timeout=0.5, cancel_token=source.token)
        )
    assert not isinstance(exc, CanceledError)
    assert isinstance(exc, AxiosError)
    assert exc.code == "ECONNABORTED"
    assert elapsed == 2


async def test_token_cancelled_before_the_deadline_wins(autojump_clock):
    """A token cancelled before the timeout passed gives CanceledError even if delivered later."""
    server = Server()
    source = CancelToken.source()

    async def shielded_work(ctx, next_):
        await next_()
        with trio.CancelScope(shield=True):
            source.cancel("first")
            await trio.sleep(2)
        await trio.lowlevel.checkpoint()  # the pending cancellation is delivered here

    async with server.client() as api:
        api.use(shielded_work)
        exc, elapsed = await timed_failure(
            lambda: api.get("/x", timeout=0.5, cancel_token=source.token)
        )
    assert isinstance(exc, CanceledError)
    assert exc.reason == "first"
    assert elapsed == 2


# -- one deadline across retries and a refresh (T24) --------------------------------------

RTT = 1 / 64  # exact in binary, so virtual times compare with ==


class RetryAfterServer:
    """401 for the first token, a 40 ms refresh, then 503 ``Retry-After: 1``, then 200."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, str | None]] = []
        self.unavailable_once = True

    async def handler(self, request: httpx2.Request) -> httpx2.Response:
        token = request.headers.get("authorization")
        self.log.append((trio.current_time(), request.url.path, token))
        if request.url.path == "/auth/refresh":
            await trio.sleep(0.04)
            return httpx2.Response(200, json={"token": "t2"})
        await trio.sleep(RTT)
        if token != "Bearer t2":  # noqa: S105 - fake test token
            return httpx2.Response(401)
        if self.unavailable_once:
            self.unavailable_once = False
            return httpx2.Response(503, headers={"Retry-After": "1"})
        return httpx2.Response(200, json={"ok": True})


async def honour_retry_after(ctx, call_next):
    """A user's retry middleware: sleep for ``Retry-After``, then send again (up to 3 times)."""
    await call_next()
    while ctx.res.status == 503 and ctx.attempts < 3:
        await trio.sleep(float(ctx.res.headers["retry-after"]))
        await call_next(retry=True)


def retry_and_refresh_client(server: RetryAfterServer, timeout: float) -> trioaxios.Client:
    async def refresh(client):
        response = await client.post("/auth/refresh")
        return trioaxios.Token(response.data["token"])

    api = trioaxios.create(
        base_url="http://api.test", transport=httpx2.MockTransport(server.handler), timeout=timeout
    )
    api.use(honour_retry_after)
    api.use(trioaxios.AuthRefresh(refresh, "t1"))
    return api


async def test_timeout_spans_the_refresh_and_the_retry_sleep(autojump_clock):
    """401, 40 ms refresh, 503 Retry-After 1, 200 with timeout=1: fails at 1.0 s exactly."""
    server = RetryAfterServer()
    async with retry_and_refresh_client(server, timeout=1.0) as api:
        exc, elapsed = await timed_failure(lambda: api.get("/data"))
    assert isinstance(exc, AxiosError)
    assert exc.code == "ECONNABORTED"
    assert elapsed == 1.0  # during the Retry-After sleep, never at 1.04 s or later
    assert [path for _, path, _ in server.log] == ["/data", "/auth/refresh", "/data"]


async def test_the_same_call_with_a_longer_timeout_succeeds_after_one_refresh(autojump_clock):
    """With timeout=2 the call ends at RTT + 40 ms + RTT + 1 s + RTT, one refresh spent."""
    server = RetryAfterServer()
    async with retry_and_refresh_client(server, timeout=2.0) as api:
        start = trio.current_time()
        response = await api.get("/data")
        assert trio.current_time() - start == RTT + 0.04 + RTT + 1 + RTT
    assert response.data == {"ok": True}
    paths = [path for _, path, _ in server.log]
    assert paths == ["/data", "/auth/refresh", "/data", "/data"]
    assert [token for _, _, token in server.log][2:] == ["Bearer t2", "Bearer t2"]


TICKS = st.integers(min_value=0, max_value=64)  # multiples of 1/64 s: exact virtual times


@settings(max_examples=150, deadline=None)
@given(
    durations=st.lists(TICKS, min_size=1, max_size=4),
    gaps=st.lists(TICKS, min_size=3, max_size=3),
    timeout_ticks=st.integers(min_value=1, max_value=200),
)
def test_timeout_is_one_deadline_over_all_attempts_and_waits(durations, gaps, timeout_ticks):
    """
    Property: attempts of random length with random waits between them (a middleware that
    sleeps, then sends again) succeed iff they all end before ``timeout``; otherwise the
    call raises ECONNABORTED at exactly ``timeout``, wherever the deadline fell.
    """
    timeout = timeout_ticks / 64
    total = (sum(durations) + sum(gaps[: len(durations) - 1])) / 64
    sent: list[float] = []

    async def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(trio.current_time())
        await trio.sleep(durations[len(sent) - 1] / 64)
        return httpx2.Response(200, json={"attempt": len(sent)})

    async def send_again(ctx, call_next):
        await call_next()
        for gap in gaps[: len(durations) - 1]:
            await trio.sleep(gap / 64)
            await call_next(retry=True)

    async def main() -> tuple[str, float]:
        async with trioaxios.create(
            base_url="http://api.test", transport=httpx2.MockTransport(handler), timeout=timeout
        ) as api:
            api.use(send_again)
            start = trio.current_time()
            try:
                response = await api.get("/x")
            except AxiosError as exc:
                return exc.code or "", trio.current_time() - start
            assert response.data == {"attempt": len(durations)}
            return "ok", trio.current_time() - start

    outcome, elapsed = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    if total < timeout:
        assert (outcome, elapsed) == ("ok", total)
    elif total > timeout:
        assert (outcome, elapsed) == ("ECONNABORTED", timeout)
    else:  # the last response and the deadline at the same instant: either is honest
        assert elapsed == timeout


# -- real server --------------------------------------------------------------------------


async def test_real_trickling_server_is_cut_at_the_timeout(server):
    """On loopback, /drip sending a byte every 0.2 s is cut near timeout=1 s, not per read."""
    async with trioaxios.create(base_url=server.url) as api:
        start = time.perf_counter()
        with trio.fail_after(10), pytest.raises(AxiosError) as info:
            await api.get("/drip", params={"chunks": 1000, "interval": 0.2}, timeout=1)
        elapsed = time.perf_counter() - start
        assert info.value.code == "ECONNABORTED"
        assert 0.9 <= elapsed < 3
        pool = api.statistics().pool
        assert pool is not None
        assert (pool.total, pool.active) == (0, 0)  # the half-read connection was dropped
        with trio.fail_after(5):
            assert (await api.get("/json")).status == 200


async def test_real_timed_out_stream_closes_its_connection(server):
    """A streamed request that times out mid-body drops its connection instead of pooling it."""
    responses: list[trioaxios.Response] = []

    async def read_all() -> None:
        async with api.get("/drip", params={"chunks": 1000, "interval": 0.05}) as response:
            responses.append(response)
            async for _ in response.aiter_bytes():
                pass

    async with trioaxios.create(base_url=server.url, timeout=0.5) as api:
        with trio.fail_after(10), pytest.raises(AxiosError) as info:
            await read_all()
        assert info.value.code == "ECONNABORTED"
        assert responses[0].is_closed
        pool = api.statistics().pool
        assert pool is not None
        assert (pool.total, pool.active) == (0, 0)
        with trio.fail_after(5):
            assert (await api.get("/json")).status == 200
