"""AuthRefresh and Token on a scripted MockTransport token server, in virtual time."""

# The tokens in this file are fake test data, not secrets.
# ruff: noqa: S105, S106, S107

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx2
import pytest
import trio
import trio.lowlevel
import trio.testing

import trioaxios
from _helpers import outcome_of
from _helpers import storm as shared_storm
from trioaxios import AuthRefresh, AxiosError, CanceledError, Token

BASE = "http://api.test"
REFRESH_DELAY = 0.05
LATENCY = 0.01


# -- a scripted token server ----------------------------------------------------------------


@dataclass
class Sent:
    """One request as the server saw it."""

    time: float
    path: str
    token: str | None
    rid: str | None


class TokenServer:
    """
    A token server behind MockTransport: `/auth/refresh` rotates, the rest needs the token.

    The client starts with `t1`, which the server no longer accepts (it expects `expired-1`,
    which nobody holds). Each successful refresh issues `t<n>` / `r<n>` and spends the
    refresh token it was given; presenting a spent one revokes the whole family.
    """

    def __init__(self, *, latency=LATENCY, refresh_delay=REFRESH_DELAY, expired=True):
        self.generation = 1
        self.valid = "expired-1" if expired else "t1"
        self.refresh_token = "r1"
        self.latency = latency
        self.refresh_delay = refresh_delay
        self.mode = "ok"  # "ok" | "fail" | "hang" | "401"
        self.persistent_401 = False
        self.revoked = False
        self.refresh_calls = 0
        self.refresh_bodies: list[object] = []
        self.refresh_headers: list[httpx2.Headers] = []
        self.sent: list[Sent] = []
        self.latencies: dict[str, float] = {}
        self.closed_streams = 0

    def expire(self):
        self.valid = f"expired-{self.generation}"

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path == "/auth/refresh":
            return await self._refresh(request)
        if path == "/redirect":
            return httpx2.Response(302, headers={"location": f"{BASE}/auth/refresh"})
        token = request.headers.get("authorization")
        rid = request.headers.get("x-id")
        self.sent.append(Sent(trio.current_time(), path, token, rid))
        ok = token == f"Bearer {self.valid}" and not self.persistent_401 and not self.revoked
        await trio.sleep(self.latencies.get(path, self.latency))
        if path == "/code":
            body = {"ok": True, "token": token} if ok else {"code": 4001}
            return httpx2.Response(200, json=body)
        if path == "/big" and not ok:
            return httpx2.Response(401, stream=ClosableStream(self, b"x" * 65536))
        if not ok:
            return httpx2.Response(401, json={"error": "token expired"})
        return httpx2.Response(200, json={"ok": True, "token": token})

    async def _refresh(self, request: httpx2.Request) -> httpx2.Response:
        self.refresh_calls += 1
        self.refresh_headers.append(request.headers)
        body = json.loads(request.content) if request.content else None
        self.refresh_bodies.append(body)
        if self.mode == "hang":
            await trio.sleep_forever()
        await trio.sleep(self.refresh_delay)
        if self.mode == "fail":
            return httpx2.Response(400, json={"error": "invalid_grant"})
        if self.mode == "401":
            return httpx2.Response(401, json={"error": "token expired"})
        presented = body.get("refresh_token") if isinstance(body, dict) else None
        if presented is not None and presented != self.refresh_token:
            self.revoked = True  # a spent refresh token: revoke the family (axios#10701)
            return httpx2.Response(400, json={"error": "invalid_grant"})
        self.generation += 1
        self.valid = f"t{self.generation}"
        self.refresh_token = f"r{self.generation}"
        return httpx2.Response(200, json={"token": self.valid, "refreshToken": self.refresh_token})

    def sends_of(self, rid):
        return [s for s in self.sent if s.rid == rid]


class ClosableStream(httpx2.AsyncByteStream):
    """A response body that counts how often it was closed."""

    def __init__(self, server, body):
        self.server = server
        self.body = body

    async def __aiter__(self):
        yield self.body

    async def aclose(self):
        self.server.closed_streams += 1


def make_refresh(server_holder, *, use_refresh_token=False):
    async def refresh(client):
        body = {}
        if use_refresh_token:
            body = {"refresh_token": server_holder["auth"].token.refresh_token}
        r = await client.post("/auth/refresh", body)
        return Token(r.data["token"], refresh_token=r.data["refreshToken"])

    return refresh


@asynccontextmanager
async def open_api(server, token="t1", **options):
    holder = {}
    refresh = options.pop("refresh", None) or make_refresh(
        holder, use_refresh_token=options.pop("use_refresh_token", False)
    )
    if isinstance(token, str):
        token = Token(token, refresh_token="r1")
    auth = AuthRefresh(refresh, token, **options)
    holder["auth"] = auth
    async with trioaxios.create(
        base_url=BASE, transport=httpx2.MockTransport(server.handle)
    ) as client:
        client.use(auth)
        yield client, auth
    assert client.statistics().background_tasks == 0


async def storm(client, n, path="/data", **config):
    """Send `n` concurrent GETs; return their outcomes in order."""
    return await shared_storm(client, n, path, **config)


async def wait_refreshing(auth, waiters=None):
    """Block until a refresh is in flight (with at least `waiters` waiting)."""
    while not auth.statistics().refreshing or (  # noqa: ASYNC110 - polling statistics()
        waiters is not None and auth.statistics().waiters < waiters
    ):
        await trio.sleep(0.001)


# -- the token on the wire ------------------------------------------------------------------


async def test_current_token_is_sent_as_bearer(autojump_clock):
    """Every request carries `Authorization: Bearer <token>`."""
    server = TokenServer(expired=False)
    async with open_api(server) as (client, auth):
        r = await client.get("/data")
    assert r.data == {"ok": True, "token": "Bearer t1"}
    assert server.refresh_calls == 0
    assert auth.statistics().generation == 1


async def test_header_and_empty_scheme_send_the_bare_token(autojump_clock):
    """`header=` names the header and `scheme=""` sends the token alone."""
    seen = []

    def handler(request):
        seen.append(request.headers.get("x-api-key"))
        return httpx2.Response(200, json={})

    auth = AuthRefresh(make_refresh({}), "k1", header="X-Api-Key", scheme="")
    async with trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(handler)) as client:
        client.use(auth)
        await client.get("/x")
    assert seen == ["k1"]


async def test_apply_function_puts_the_token_on_the_request(autojump_clock):
    """`apply(config, token)` decides where the token goes instead of the header."""
    seen = []

    def handler(request):
        seen.append((request.url.params.get("access_token"), request.headers.get("authorization")))
        return httpx2.Response(200, json={})

    def apply(config, token):
        config.params = {"access_token": token.access_token}

    auth = AuthRefresh(make_refresh({}), "k1", apply=apply)
    async with trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(handler)) as client:
        client.use(auth)
        await client.get("/x")
    assert seen == [("k1", None)]


# -- single flight (T1, body code, T2) ------------------------------------------------------


async def test_herd_of_1000_expired_requests_refreshes_once(autojump_clock):
    """1000 concurrent requests with an expired token: one refresh, all succeed (T1)."""
    server = TokenServer()
    installed = []
    async with open_api(server, on_token=lambda _t: installed.append(trio.current_time())) as (
        client,
        _auth,
    ):
        start = trio.current_time()
        results = await storm(client, 1000)
        elapsed = trio.current_time() - start
    assert server.refresh_calls == 1
    assert all(r.data == {"ok": True, "token": "Bearer t2"} for r in results)
    assert all(len(server.sends_of(str(i))) <= 2 for i in range(1000))
    [done] = installed
    assert all(s.time >= done for s in server.sent if s.token == "Bearer t2")
    assert not [s for s in server.sent if s.token == "Bearer t1" and s.time >= done]
    # 401 round trip + the 50 ms refresh + one retried round trip, exactly.
    assert elapsed == pytest.approx(LATENCY + REFRESH_DELAY + LATENCY)


async def test_expired_code_in_a_200_body_refreshes_once(autojump_clock):
    """A `should_refresh` predicate on the body (HTTP 200, code 4001) drives the refresh."""
    server = TokenServer()

    def expired(res):
        return res.status == 401 or (isinstance(res.data, dict) and res.data.get("code") == 4001)

    async with open_api(server, should_refresh=expired) as (client, _auth):
        results = await storm(client, 50, "/code")
    assert server.refresh_calls == 1
    assert all(r.data == {"ok": True, "token": "Bearer t2"} for r in results)


async def test_should_refresh_may_be_async(autojump_clock):
    """An `async def` predicate is awaited like a plain one."""
    server = TokenServer()

    async def expired(res):
        await trio.lowlevel.checkpoint()
        return res.status == 401

    async with open_api(server, should_refresh=expired) as (client, _auth):
        results = await storm(client, 10)
    assert server.refresh_calls == 1
    assert all(r.status == 200 for r in results)


async def test_late_401_from_an_old_generation_retries_without_refreshing(autojump_clock):
    """A 401 for a token already replaced is retried at once with the new one (T2)."""
    server = TokenServer()
    server.latencies["/slow"] = 0.2
    async with open_api(server) as (client, auth):
        async with trio.open_nursery() as nursery:
            slow = []

            async def send_slow():
                slow.append(await client.get("/slow", headers={"x-id": "A"}))

            nursery.start_soon(send_slow)
            await trio.sleep(0.001)
            fast = await client.get("/data", headers={"x-id": "B"})
            assert auth.statistics().generation == 2
        assert server.refresh_calls == 1
    assert fast.data["token"] == "Bearer t2"
    assert slow[0].data["token"] == "Bearer t2"
    assert [s.token for s in server.sends_of("A")] == ["Bearer t1", "Bearer t2"]


async def test_requests_started_during_a_refresh_wait_instead_of_sending_the_old_token(
    autojump_clock,
):
    """A request made while a refresh is in flight is sent once, with the new token."""
    server = TokenServer()
    async with open_api(server) as (client, auth), trio.open_nursery() as nursery:
        nursery.start_soon(outcome_of, client.get("/data", headers={"x-id": "first"}))
        await wait_refreshing(auth)
        late = await client.get("/data", headers={"x-id": "late"})
    assert [s.token for s in server.sends_of("late")] == ["Bearer t2"]
    assert late.status == 200


# -- failure (T3, refresh timeout, T4) ------------------------------------------------------


async def test_refresh_failure_reaches_every_waiter_with_the_same_cause(autojump_clock):
    """200 waiters all raise an AxiosError caused by the one refresh failure, at once (T3)."""
    server = TokenServer()
    server.mode = "fail"
    failures = []
    async with open_api(server, on_refresh_failed=failures.append) as (client, auth):
        start = trio.current_time()
        results = await storm(client, 200)
        assert trio.current_time() - start == pytest.approx(LATENCY + REFRESH_DELAY)
        [cause] = failures
        assert all(type(r) is AxiosError for r in results)
        assert all(r.__cause__ is cause for r in results)
        assert all(r.code == "ERR_BAD_REQUEST" for r in results)
        assert cause.status == 400
        assert results[0].status == 401
        assert auth.statistics().refreshes_failed == 1
        assert auth.statistics().waiters == 0
        assert client.statistics().background_tasks == 0
        server.mode = "ok"
        again = await client.get("/data")
    assert again.data["token"] == "Bearer t2"
    assert server.refresh_calls == 2


async def test_request_sent_before_a_failure_raises_it_without_refreshing_again(autojump_clock):
    """An expired response that comes back after the refresh failed raises that failure."""
    server = TokenServer()
    server.mode = "fail"
    server.latencies["/slow"] = 0.5
    failures = []
    slow = []

    async def send_slow(client):
        slow.append(await outcome_of(client.get("/slow")))

    async with (
        open_api(server, on_refresh_failed=failures.append) as (client, _auth),
        trio.open_nursery() as nursery,
    ):
        nursery.start_soon(send_slow, client)
        await trio.sleep(0.001)
        first = await outcome_of(client.get("/data"))
    [cause] = failures
    assert first.__cause__ is cause
    assert slow[0].__cause__ is cause
    assert server.refresh_calls == 1


async def test_refresh_timeout_fails_the_waiters_with_econnaborted(autojump_clock):
    """A refresh that runs past `refresh_timeout` fails every waiter with ECONNABORTED."""
    server = TokenServer()
    server.mode = "hang"
    failures = []
    async with open_api(server, refresh_timeout=2, on_refresh_failed=failures.append) as (
        client,
        _auth,
    ):
        start = trio.current_time()
        results = await storm(client, 10)
        assert trio.current_time() - start == pytest.approx(LATENCY + 2)
    [cause] = failures
    assert cause.code == "ECONNABORTED"
    assert all(r.code == "ECONNABORTED" and r.__cause__ is cause for r in results)


async def test_refresh_requests_are_not_intercepted(autojump_clock):
    """The refresh's own 401 is not refreshed: one call, no deadlock, failure fans out (T4)."""
    server = TokenServer()
    server.mode = "401"
    async with open_api(server) as (client, _auth):
        results = await storm(client, 5)
    assert server.refresh_calls == 1
    assert "authorization" not in server.refresh_headers[0]
    assert all(r.code == "ERR_BAD_REQUEST" for r in results)
    assert all(r.__cause__.status == 401 for r in results)
    assert all(r.__cause__.config.url == "/auth/refresh" for r in results)


async def test_skip_auth_refresh_never_waits_for_the_refresh(autojump_clock):
    """`skip_auth_refresh=True` is sent during a refresh and its 401 is final (T4)."""
    server = TokenServer()
    server.refresh_delay = 10
    async with open_api(server) as (client, auth), trio.open_nursery() as nursery:
        nursery.start_soon(outcome_of, client.get("/data"))
        await wait_refreshing(auth)
        start = trio.current_time()
        with pytest.raises(AxiosError) as info:
            await client.get("/data", skip_auth_refresh=True, headers={"x-id": "skip"})
        assert trio.current_time() - start == pytest.approx(LATENCY)
        assert auth.statistics().waiters == 1
    assert info.value.status == 401
    assert [s.token for s in server.sends_of("skip")] == ["Bearer t1"]
    assert server.refresh_calls == 1


async def test_refresh_requests_never_follow_redirects(autojump_clock):
    """A redirect answered to the refresh is not followed (RELIABILITY T32)."""
    server = TokenServer()

    async def refresh(client):
        r = await client.post("/redirect", {}, validate_status=None)
        return Token(f"status-{r.status}")

    async with open_api(server, refresh=refresh) as (client, auth):
        await outcome_of(client.get("/data"))
    assert auth.token.access_token == "status-302"
    assert server.refresh_calls == 0


async def test_refresh_returning_a_wrong_type_fans_out_a_clear_error(autojump_clock):
    """A refresh that returns neither Token nor str fails its waiters with the reason."""
    server = TokenServer()

    async def refresh(client):
        return 42

    async with open_api(server, refresh=refresh) as (client, _auth):
        error = await outcome_of(client.get("/data"))
    assert error.code == "ERR_BAD_OPTION_VALUE"
    assert "must return a trioaxios.Token or a str" in str(error.__cause__)


async def test_refresh_raising_a_plain_exception_gives_err_bad_request(autojump_clock):
    """A non-axios exception from refresh reaches the waiter as its __cause__."""
    server = TokenServer()
    boom = ValueError("no refresh token stored")

    async def refresh(client):
        raise boom

    async with open_api(server, refresh=refresh) as (client, _auth):
        error = await outcome_of(client.get("/data"))
    assert error.code == "ERR_BAD_REQUEST"
    assert error.__cause__ is boom
    assert "ValueError" in error.message
    assert "no refresh token stored" not in error.message


# -- retries (T5, max_retries) --------------------------------------------------------------


async def test_persistent_401_gives_one_refresh_and_two_hits_per_request(autojump_clock):
    """A 401 that survives the fresh token ends as ERR_BAD_REQUEST, no loop (T5)."""
    server = TokenServer()
    server.persistent_401 = True
    async with open_api(server) as (client, _auth):
        start = trio.current_time()
        results = await storm(client, 20)
        assert trio.current_time() - start == pytest.approx(LATENCY + REFRESH_DELAY + LATENCY)
    assert server.refresh_calls == 1
    assert all(r.code == "ERR_BAD_REQUEST" and r.status == 401 for r in results)
    assert all(len(server.sends_of(str(i))) == 2 for i in range(20))


async def test_max_retries_zero_returns_the_401_without_refreshing(autojump_clock):
    """`max_retries=0` turns the reactive refresh off."""
    server = TokenServer()
    async with open_api(server, max_retries=0) as (client, _auth):
        error = await outcome_of(client.get("/data"))
    assert error.status == 401
    assert server.refresh_calls == 0


async def test_max_retries_two_refreshes_twice_for_a_persistent_401(autojump_clock):
    """With `max_retries=2` a persistent 401 is refreshed and retried twice, then returned."""
    server = TokenServer()
    server.persistent_401 = True
    async with open_api(server, max_retries=2) as (client, _auth):
        error = await outcome_of(client.get("/data", headers={"x-id": "a"}))
    assert error.status == 401
    assert server.refresh_calls == 2
    assert len(server.sends_of("a")) == 3


# -- cancellation (T6, T7, T9, T10) ---------------------------------------------------------


async def test_cancelling_the_leader_leaves_the_refresh_and_the_others(autojump_clock):
    """The request whose 401 started the refresh is cancelled; the others succeed (T6)."""
    server = TokenServer()
    source = trioaxios.CancelToken.source()
    async with open_api(server) as (client, auth):
        leader = []
        async with trio.open_nursery() as nursery:

            async def lead():
                leader.append(await outcome_of(client.get("/data", cancel_token=source.token)))

            nursery.start_soon(lead)
            await wait_refreshing(auth)
            others = []

            async def follow():
                others.append(await storm(client, 999))

            nursery.start_soon(follow)
            await trio.sleep(0.01)
            source.cancel("user left")
        assert server.refresh_calls == 1
    assert isinstance(leader[0], CanceledError)
    assert leader[0].reason == "user left"
    assert all(r.data["token"] == "Bearer t2" for r in others[0])


async def test_cancelled_waiters_end_at_once_and_the_rest_succeed(autojump_clock):
    """500 of 1000 waiters cancelled by token or outer scope; 500 succeed, one refresh (T7)."""
    server = TokenServer()
    source = trioaxios.CancelToken.source()
    outer = [trio.CancelScope() for _ in range(1000)]
    ended: dict[int, tuple[str, float]] = {}
    async with open_api(server) as (client, auth):

        async def one(i):
            token = source.token if i % 4 == 0 else None
            scope = outer[i]
            try:
                with scope:
                    await client.get("/data", cancel_token=token)
                    ended[i] = ("ok", trio.current_time())
                    return
                ended[i] = ("outer", trio.current_time())
            except CanceledError:
                ended[i] = ("canceled", trio.current_time())

        async with trio.open_nursery() as nursery:
            for i in range(1000):
                nursery.start_soon(one, i)
            await wait_refreshing(auth, waiters=1000)
            await trio.sleep(0.02)
            cancel_time = trio.current_time()
            source.cancel()
            for i in range(1, 1000, 4):
                outer[i].cancel()
            await trio.testing.wait_all_tasks_blocked()
            assert auth.statistics().waiters == 500
            assert auth.statistics().refreshing
    kinds = [ended[i][0] for i in range(1000)]
    assert kinds.count("canceled") == kinds.count("outer") == 250
    assert kinds.count("ok") == 500
    assert all(t == cancel_time for kind, t in ended.values() if kind != "ok")
    assert server.refresh_calls == 1


async def test_hanging_refresh_lets_each_waiter_time_out_on_its_own_deadline(autojump_clock):
    """Refresh never answers: waiters fail with ECONNABORTED at exactly 5 s (T9)."""
    server = TokenServer()
    server.mode = "hang"
    failures = []
    async with open_api(server, refresh_timeout=20, on_refresh_failed=failures.append) as (
        client,
        auth,
    ):
        start = trio.current_time()
        results = await storm(client, 20, timeout=5)
        assert trio.current_time() - start == pytest.approx(5)
        assert all(r.code == "ECONNABORTED" and r.__cause__ is None for r in results)
        assert auth.statistics().refreshing  # the flight ends by its own deadline
        await trio.sleep(20)
        assert len(failures) == 1
        assert not auth.statistics().refreshing
        server.mode = "ok"
        again = await client.get("/data")
    assert again.data["token"] == "Bearer t2"
    assert server.refresh_calls == 2


async def test_closing_the_client_during_a_refresh_cancels_it_and_its_waiters(autojump_clock):
    """Client exit while 100 wait: each raises CanceledError, nothing outlives it (T10)."""
    server = TokenServer()
    server.mode = "hang"
    failures = []
    auth = AuthRefresh(make_refresh({}), "t1", on_refresh_failed=failures.append)
    results = []
    async with trio.open_nursery() as nursery:
        client = trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(server.handle))
        async with client:
            client.use(auth)

            async def one():
                results.append(await outcome_of(client.get("/data")))

            for _ in range(100):
                nursery.start_soon(one)
            await wait_refreshing(auth, waiters=100)
            start = trio.current_time()
        assert trio.current_time() == start
        assert client.statistics().background_tasks == 0
    assert len(results) == 100
    assert all(isinstance(r, CanceledError) for r in results)
    assert not failures
    assert auth.statistics().refreshes_failed == 0
    assert not auth.statistics().refreshing


# -- proactive refresh (T8) -----------------------------------------------------------------


async def test_proactive_refresh_within_leeway_runs_before_sending(autojump_clock):
    """A request within `leeway` of a known expiry refreshes first, then sends once."""
    server = TokenServer()
    token = Token("t1", refresh_token="r1", expires_in=100)
    async with open_api(server, token=token, leeway=10) as (client, auth):
        await trio.sleep(91)
        r = await client.get("/data", headers={"x-id": "a"})
    assert r.data["token"] == "Bearer t2"
    assert [s.token for s in server.sends_of("a")] == ["Bearer t2"]
    assert auth.statistics().refreshes_done == 1


async def test_no_proactive_refresh_before_leeway(autojump_clock):
    """Outside the leeway the token is used as is."""
    server = TokenServer(expired=False)
    token = Token("t1", expires_in=100)
    async with open_api(server, token=token, leeway=10) as (client, _auth):
        await trio.sleep(89)
        r = await client.get("/data")
    assert r.data["token"] == "Bearer t1"
    assert server.refresh_calls == 0


async def test_token_shorter_lived_than_leeway_is_not_refreshed_on_every_request(
    autojump_clock,
):
    """The leeway is capped at half the token's lifetime, so a 60 s token lasts 30 s."""
    server = TokenServer()

    async def refresh(client):
        await client.post("/auth/refresh", {})
        return Token(server.valid, expires_in=60)

    async with open_api(server, token=None, refresh=refresh, leeway=300) as (client, _auth):
        for _ in range(5):
            await client.get("/data")
            await trio.sleep(5)
        assert server.refresh_calls == 1
        await trio.sleep(10)
        await client.get("/data")
    assert server.refresh_calls == 2


async def test_no_token_yet_refreshes_before_the_first_request(autojump_clock):
    """With `token=None` the first request waits for a refresh and is sent once."""
    server = TokenServer()
    async with open_api(server, token=None) as (client, _auth):
        r = await client.get("/data", headers={"x-id": "a"})
    assert r.data["token"] == "Bearer t2"
    assert [s.token for s in server.sends_of("a")] == ["Bearer t2"]


async def test_proactive_and_reactive_share_one_flight(autojump_clock):
    """Expiry and 300 401s at the same instant present the rotating token once (T8)."""
    server = TokenServer(latency=0.025)
    token = Token("t1", refresh_token="r1", expires_in=0.05)
    async with (
        open_api(server, token=token, leeway=1, use_refresh_token=True) as (
            client,
            _auth,
        ),
        trio.open_nursery() as nursery,
    ):
        results = []

        async def reactive():
            results.append(await storm(client, 300))

        nursery.start_soon(reactive)
        await trio.sleep(0.025)  # half the lifetime, as the 401s arrive: all due at once
        proactive = await client.get("/data")
    assert not server.revoked
    assert server.refresh_calls == 1
    presented = [b["refresh_token"] for b in server.refresh_bodies]
    assert len(presented) == len(set(presented))
    assert proactive.data["token"] == "Bearer t2"
    assert all(r.status == 200 for r in results[0])


# -- results of a refresh -------------------------------------------------------------------


async def test_refresh_may_return_a_plain_str(autojump_clock):
    """A str from `refresh` becomes the new access token."""
    server = TokenServer()

    async def refresh(client):
        await client.post("/auth/refresh", {})
        return server.valid

    async with open_api(server, refresh=refresh) as (client, auth):
        r = await client.get("/data")
    assert r.data["token"] == "Bearer t2"
    assert auth.token == Token("t2")


async def test_on_token_runs_after_the_waiters_are_released(autojump_clock):
    """`on_token` gets the new Token once, when no refresh is in flight any more."""
    server = TokenServer()
    calls = []

    async def on_token(token):
        calls.append((token, auth.statistics()))
        await trio.sleep(1)

    async with open_api(server, on_token=on_token) as (client, auth):
        start = trio.current_time()
        await storm(client, 10)
        assert trio.current_time() - start == pytest.approx(LATENCY + REFRESH_DELAY + LATENCY)
    [(token, stats)] = calls
    assert token.access_token == "t2"
    assert not stats.refreshing
    assert stats.waiters == 0
    assert stats.generation == 2


async def test_on_token_error_propagates_out_of_the_client(autojump_clock):
    """An exception from `on_token` crashes the client's nursery like any background task."""
    server = TokenServer()

    def on_token(token):
        raise ZeroDivisionError

    async def use_client():
        async with open_api(server, on_token=on_token) as (client, _auth):
            await client.get("/data")
            await trio.sleep(1)

    with pytest.raises(ZeroDivisionError):
        await use_client()


async def test_set_token_starts_a_new_generation(autojump_clock):
    """`set_token` installs a token that the next request uses, with no refresh."""
    server = TokenServer()
    async with open_api(server) as (client, auth):
        server.valid = "login"
        auth.set_token("login")
        r = await client.get("/data")
        assert auth.statistics().generation == 2
    assert r.data["token"] == "Bearer login"
    assert server.refresh_calls == 0


async def test_statistics_report_the_flight_and_its_waiters(autojump_clock):
    """During a refresh: refreshing, the waiters; afterwards: the counts."""
    server = TokenServer()
    async with open_api(server) as (client, auth):
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(outcome_of, client.get("/data"))
            await wait_refreshing(auth, waiters=3)
            during = auth.statistics()
        after = auth.statistics()
    assert (during.refreshing, during.waiters, during.generation) == (True, 3, 1)
    assert (after.refreshing, after.waiters, after.generation) == (False, 0, 2)
    assert (after.refreshes_done, after.refreshes_failed) == (1, 0)
    assert "t2" not in repr(auth)


async def test_streamed_expired_response_is_closed_before_the_refresh(autojump_clock):
    """A streamed 401 releases its body before waiting, then the retry is streamed."""
    server = TokenServer()
    closed_before_refresh = []

    async def refresh(client):
        closed_before_refresh.append(server.closed_streams)
        await client.post("/auth/refresh", {})
        return server.valid

    async with open_api(server, refresh=refresh) as (client, _auth), client.get("/big") as r:
        body = await r.aread()
    assert json.loads(body)["token"] == "Bearer t2"
    assert closed_before_refresh == [1]


async def test_skip_auth_refresh_is_unknown_without_the_middleware():
    """The `skip_auth_refresh` key exists only on clients that use AuthRefresh."""
    async with trioaxios.create(
        base_url=BASE, transport=httpx2.MockTransport(lambda _r: httpx2.Response(200))
    ) as client:
        with pytest.raises(AxiosError) as info:
            await client.get("/x", skip_auth_refresh=True)
    assert info.value.code == "ERR_BAD_OPTION"


# -- Token and argument validation ----------------------------------------------------------


def test_token_repr_hides_both_tokens():
    """`repr(Token)` shows the expiry but neither secret."""
    text = repr(Token("secret-access", refresh_token="secret-refresh", expires_at=5.0))
    assert "secret" not in text
    assert "expires_at=5.0" in text


async def test_token_expires_in_becomes_an_absolute_time_inside_trio(autojump_clock):
    """Inside trio, `expires_in` is turned into `expires_at` on the Trio clock."""
    await trio.sleep(7)
    assert Token("a", expires_in=10).expires_at == pytest.approx(trio.current_time() + 10)


def test_token_made_outside_trio_is_anchored_when_first_used():
    """A token created before `trio.run` gets its expiry when AuthRefresh first uses it."""
    token = Token("t1", expires_in=100)
    assert token.expires_at is None
    auth = AuthRefresh(make_refresh({}), token, leeway=10)
    server = TokenServer(expired=False)

    async def main():
        await trio.sleep(50)
        async with trioaxios.create(
            base_url=BASE, transport=httpx2.MockTransport(server.handle)
        ) as client:
            client.use(auth)
            await client.get("/data")
            return auth.token.expires_at

    expires_at = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert expires_at == pytest.approx(150)
    assert server.refresh_calls == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"access_token": 1},
        {"access_token": "a", "refresh_token": 2},
        {"access_token": "a", "expires_in": "soon"},
        {"access_token": "a", "expires_at": float("nan")},
    ],
)
def test_token_rejects_bad_fields(kwargs):
    """Token fields are validated and the error names the field."""
    with pytest.raises(AxiosError, match="Token: `"):
        Token(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"refresh": None}, "refresh"),
        ({"header": ""}, "header"),
        ({"scheme": 1}, "scheme"),
        ({"apply": "x"}, "apply"),
        ({"should_refresh": 1}, "should_refresh"),
        ({"leeway": -1}, "leeway"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"on_token": 1}, "on_token"),
        ({"on_refresh_failed": 1}, "on_refresh_failed"),
        ({"refresh_timeout": 0}, "refresh_timeout"),
        ({"refresh_timeout": -1}, "refresh_timeout"),
        ({"leeway": float("nan")}, "leeway"),
        ({"token": 5}, "token"),
    ],
)
def test_auth_refresh_rejects_bad_arguments(kwargs, name):
    """Each bad argument raises ERR_BAD_OPTION_VALUE naming the parameter."""
    arguments = {"refresh": make_refresh({}), **kwargs}
    with pytest.raises(AxiosError, match=f"`{name}`") as info:
        AuthRefresh(**arguments)
    assert info.value.code == "ERR_BAD_OPTION_VALUE"
