"""AuthRefresh against the real loopback demo server (hypercorn on trio, real sockets)."""

# The tokens in this file are fake test data, not secrets.
# ruff: noqa: S106

from __future__ import annotations

from collections import Counter
from contextlib import asynccontextmanager

import httpx2
import pytest
import trio

import trioaxios
from _helpers import outcome_of
from _helpers import storm as shared_storm
from trioaxios import AuthRefresh, AxiosError, CanceledError, Token
from trioaxios._demo_server import DemoApp, serve_demo_app

OLD = "Bearer token-1"
NEW = "Bearer token-2"


class SendRecorder(httpx2.AsyncBaseTransport):
    """
    Wraps the real pool and records each request at the moment its headers hit the socket.

    Uses httpcore's `trace` extension, so a request that waited in the pool queue is
    recorded when it is really written, not when it was built.
    """

    def __init__(self, auth_holder, **limits):
        self.inner = httpx2.AsyncHTTPTransport(limits=httpx2.Limits(**limits), trust_env=False)
        self.auth_holder = auth_holder
        self.sends: list[tuple[str | None, int]] = []

    @property
    def _pool(self):  # for Client.statistics()
        return self.inner._pool

    async def _trace(self, name, info):
        if name == "http11.send_request_headers.started":
            headers = {name.lower(): value for name, value in info["request"].headers}
            token = headers.get(b"authorization")
            generation = self.auth_holder["auth"].statistics().generation
            self.sends.append((token.decode() if token else None, generation))

    async def handle_async_request(self, request):
        request.extensions["trace"] = self._trace
        return await self.inner.handle_async_request(request)

    async def aclose(self):
        await self.inner.aclose()


def demo_refresh(holder, *, bogus=False):
    async def refresh(client):
        token = holder["auth"].token
        r = await client.post("/auth/refresh", {"refresh_token": token.refresh_token})
        access = "bogus" if bogus else r.data["token"]
        return Token(access, refresh_token=r.data["refreshToken"], expires_in=r.data["expires_in"])

    return refresh


@asynccontextmanager
async def open_live(url, *, bogus=False, recorder=False, max_connections=100, **options):
    """A client on the demo server using AuthRefresh with the demo's refresh flow."""
    holder = {}
    auth = AuthRefresh(
        demo_refresh(holder, bogus=bogus),
        Token("token-1", refresh_token="refresh-1"),
        **options,
    )
    holder["auth"] = auth
    transport = SendRecorder(holder, max_connections=max_connections) if recorder else None
    async with trioaxios.create(
        base_url=url, transport=transport, max_connections=max_connections
    ) as client:
        client.use(auth)
        yield client, auth, transport
        assert client.statistics().pool.active == 0
    assert client.statistics().background_tasks == 0


async def storm(client, n, path="/protected", **config):
    """Send `n` concurrent GETs; return their outcomes in order."""
    return await shared_storm(client, n, path, **config)


def hits_per_request(app, path="/protected"):
    return Counter(r.header("x-id") for r in app.requests if r.path == path)


async def wait_until(predicate):
    while not predicate():  # noqa: ASYNC110 - the demo app and statistics() have no event
        await trio.sleep(0.005)


@pytest.mark.parametrize("n", [1, 50, 1000])
async def test_expired_storm_refreshes_exactly_once(server, n):
    """N concurrent requests with an expired token: one refresh at the server, all succeed."""
    app = server.app
    app.auth.expire()
    with trio.fail_after(60):
        async with open_live(server.url, recorder=True) as (client, _auth, recorder):
            results = await storm(client, n)
    assert app.auth.refresh_calls == 1
    assert all(r.status == 200 and r.data["generation"] == 2 for r in results)
    hits = hits_per_request(app)
    assert len(hits) == n
    assert max(hits.values()) <= 2
    protected = [(t, g) for t, g in recorder.sends if t is not None]
    assert len(protected) == sum(hits.values())
    assert {t for t, _ in protected} <= {OLD, NEW}
    assert not [t for t, g in protected if t == OLD and g >= 2]
    assert all(t == NEW for t, g in protected if g >= 2)
    tokens = [r.header("authorization") for r in app.requests if r.path == "/protected"]
    assert tokens.count(NEW) == n


async def test_expired_code_in_body_refreshes_once(server):
    """The 4001-in-a-200-body variant refreshes once and every request succeeds."""
    app = server.app
    app.auth.expire()

    def expired(res):
        return isinstance(res.data, dict) and res.data.get("code") == 4001

    with trio.fail_after(30):
        async with open_live(server.url, should_refresh=expired) as (client, _auth, _rec):
            results = await storm(client, 50, "/protected-code")
    assert app.auth.refresh_calls == 1
    assert all(r.data == {"ok": True, "generation": 2, "path": "/protected-code"} for r in results)
    assert max(hits_per_request(app, "/protected-code").values()) <= 2


async def test_late_401_from_an_old_generation_does_not_refresh_again(server):
    """A's 401 (token-1) is processed after B's refresh: A is retried, no second refresh."""
    app = server.app
    app.auth.expire()
    held = trio.Event()
    refreshed = trio.Event()

    async def hold_a(ctx, call_next):
        await call_next()
        if ctx.req.headers.get("x-id") == "A" and ctx.attempts == 1:
            held.set()
            await refreshed.wait()

    with trio.fail_after(30):
        async with open_live(server.url, on_token=lambda _t: refreshed.set()) as (
            client,
            _auth,
            _rec,
        ):
            client.use(hold_a)
            async with trio.open_nursery() as nursery:
                results = {}

                async def send(name):
                    results[name] = await client.get("/protected", headers={"x-id": name})

                nursery.start_soon(send, "A")
                await held.wait()
                nursery.start_soon(send, "B")
    assert app.auth.refresh_calls == 1
    assert results["A"].data["generation"] == 2
    a_tokens = [r.header("authorization") for r in app.requests if r.header("x-id") == "A"]
    assert a_tokens == [OLD, NEW]


async def test_refresh_failure_reaches_all_100_waiters(server):
    """The server refuses the refresh: all 100 fail with the same cause, callback once."""
    app = server.app
    app.auth.expire()
    app.auth.refresh_fails = True
    app.auth.refresh_delay = 0.2
    failures = []
    with trio.fail_after(30):
        async with open_live(
            server.url,
            refresh_timeout=10,
            on_refresh_failed=lambda e: failures.append((e, trio.current_time())),
        ) as (client, _auth, _rec):
            start = trio.current_time()
            results = await storm(client, 100)
            end = trio.current_time()
    [(cause, failed_at)] = failures
    assert app.auth.refresh_calls == 1
    assert cause.status == 400
    assert all(type(r) is AxiosError and r.__cause__ is cause for r in results)
    assert end - start < 10  # within the refresh's own time limit
    assert end - failed_at < 2  # nobody waited on after the failure


async def test_cancelling_the_request_that_triggered_the_refresh(server):
    """The leader is cancelled mid-refresh; the refresh completes and the others succeed."""
    app = server.app
    app.auth.expire()
    app.auth.refresh_delay = 0.3
    source = trioaxios.CancelToken.source()
    leader = []
    others = []

    async def lead(client):
        leader.append(await outcome_of(client.get("/protected", cancel_token=source.token)))

    async def follow(client):
        others.append(await storm(client, 49))

    with trio.fail_after(30):
        async with open_live(server.url) as (client, auth, _rec), trio.open_nursery() as nursery:
            nursery.start_soon(lead, client)
            await wait_until(lambda: auth.statistics().refreshing)
            nursery.start_soon(follow, client)
            await wait_until(lambda: auth.statistics().waiters == 50)
            source.cancel("leader gave up")
    assert isinstance(leader[0], CanceledError)
    assert app.auth.refresh_calls == 1
    assert all(r.status == 200 and r.data["generation"] == 2 for r in others[0])


async def test_persistent_401_gives_one_refresh_and_two_hits(server):
    """A token the server never accepts: one refresh, two hits per request, 401 errors."""
    app = server.app
    app.auth.expire()
    with trio.fail_after(30):
        async with open_live(server.url, bogus=True) as (client, _auth, _rec):
            results = await storm(client, 30)
    assert app.auth.refresh_calls == 1
    assert all(r.code == "ERR_BAD_REQUEST" and r.status == 401 for r in results)
    assert set(hits_per_request(app).values()) == {2}


class BigUnauthorizedApp(DemoApp):
    """The demo app plus `/protected-big`, whose 401 carries a 64 KiB body."""

    def _route(self, request):
        if request.path == "/protected-big":
            return BigUnauthorizedApp._protected_big
        return super()._route(request)

    async def _protected_big(self, ex):
        if not self._authorized(ex):
            await ex.reply(401, b"x" * 65536, content_type=b"text/plain")
            return
        await ex.reply_json(200, {"ok": True, "generation": self.auth.generation})


async def test_streamed_401s_are_closed_before_the_retry():
    """200 streamed 401s (64 KiB bodies) through 4 connections: all succeed, pool clean (T11)."""
    with trio.fail_after(60):
        async with serve_demo_app(BigUnauthorizedApp()) as srv:
            srv.app.auth.expire()
            async with open_live(srv.url, max_connections=4) as (client, _auth, _rec):
                ok = []

                async def one():
                    async with client.get("/protected-big") as r:
                        await r.aread()
                        ok.append(r.status)

                async with trio.open_nursery() as nursery:
                    for _ in range(200):
                        nursery.start_soon(one)
            assert srv.app.auth.refresh_calls == 1
    assert ok == [200] * 200
