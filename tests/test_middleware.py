"""Onion middleware: order, next() rules, retry, short-circuit, removal, config keys, isolation."""

from __future__ import annotations

import httpx2
import pytest
import trio

import trioaxios
from trioaxios import AxiosError

BASE = "http://api.test"

# -- helpers ------------------------------------------------------------------------------


class Recorder:
    """A mock transport handler: records requests, answers with the scripted statuses."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx2.Response(status, json={"n": len(self.requests), "path": request.url.path})


def mock_client(handler: Recorder | None = None, **config) -> trioaxios.Client:
    return trioaxios.create(
        base_url=BASE, transport=httpx2.MockTransport(handler or Recorder()), **config
    )


def tracer(trace: list[str], name: str):
    async def mw(ctx, next_):
        trace.append(f"{name} in")
        await next_()
        trace.append(f"{name} out")

    mw.__qualname__ = name
    return mw


# -- order --------------------------------------------------------------------------------


async def test_instance_middleware_in_order_then_core_innermost():
    """Instance middleware wraps in the order added; core middleware sits next to the transport."""
    trace: list[str] = []

    def handler(request):
        trace.append("transport")
        return httpx2.Response(200, json={})

    async with trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(handler)) as api:
        api.use(tracer(trace, "core1"), core=True)
        api.use(tracer(trace, "a"))
        api.use(tracer(trace, "core2"), core=True)
        api.use(tracer(trace, "b"))
        await api.get("/x")
    assert trace == [
        *("a in", "b in", "core1 in", "core2 in"),
        "transport",
        *("core2 out", "core1 out", "b out", "a out"),
    ]


async def test_middleware_runs_between_request_and_response_interceptors():
    """Request interceptors run before the onion and response interceptors after it."""
    trace: list[str] = []
    async with mock_client() as api:
        api.use(tracer(trace, "mw"))
        api.interceptors.request.use(lambda c: trace.append("request") or c)
        api.interceptors.response.use(lambda r: trace.append("response") or r)
        await api.get("/x")
    assert trace == ["request", "mw in", "mw out", "response"]


async def test_use_returns_the_middleware():
    """use() returns its argument, so it works as a decorator."""
    async with mock_client() as api:

        @api.use
        async def mw(ctx, next_):
            await next_()

        assert callable(mw)
        assert (await api.get("/x")).status == 200


async def test_sync_middleware_returning_next_runs_the_request():
    """A plain function that returns next() is awaited by the onion."""
    seen: list[str] = []

    def stamp(ctx, next_):
        ctx.req.headers["X-Sync"] = "1"
        seen.append("sync")
        return next_()

    recorder = Recorder()
    async with mock_client(recorder) as api:
        api.use(stamp)
        response = await api.get("/x")
    assert response.status == 200
    assert seen == ["sync"]
    assert recorder.requests[0].headers["x-sync"] == "1"


async def test_sync_middleware_that_drops_next_gets_a_clear_error():
    """A plain function that calls next() without returning it fails and says how to fix it."""

    def dropped(ctx, next_):
        next_()

    recorder = Recorder()
    async with mock_client(recorder) as api:
        api.use(dropped)
        with pytest.raises(RuntimeError, match=r"dropped called next\(\) without awaiting it"):
            await api.get("/x")
    assert recorder.requests == []


# -- ctx ----------------------------------------------------------------------------------


async def test_middleware_sees_the_status_after_next():
    """After next(), ctx.res holds the response, even one validate_status will reject."""
    statuses: list[int] = []

    async def watch(ctx, next_):
        assert ctx.res is None
        await next_()
        statuses.append(ctx.res.status)

    async with mock_client(Recorder(404)) as api:
        api.use(watch)
        with pytest.raises(AxiosError) as info:
            await api.get("/x")
    assert statuses == [404]
    assert info.value.code == trioaxios.ERR_BAD_REQUEST


async def test_middleware_carries_per_request_data_on_ctx():
    """Attributes set on ctx by one middleware are seen by the next, per request."""
    seen: list[str] = []

    async def tag(ctx, next_):
        ctx.request_id = ctx.req.url
        await next_()

    async def read(ctx, next_):
        seen.append(ctx.request_id)
        await next_()

    async with mock_client() as api:
        api.use(tag)
        api.use(read, core=True)
        await api.get("/one")
        await api.get("/two")
    assert seen == ["/one", "/two"]


async def test_middleware_may_change_the_config_before_next():
    """Changing ctx.req before next() changes what the transport sends."""
    recorder = Recorder()

    async def reroute(ctx, next_):
        ctx.req.url = "/rerouted"
        await next_()

    async with mock_client(recorder) as api:
        api.use(reroute)
        await api.get("/x")
    assert recorder.requests[0].url.path == "/rerouted"


async def test_ctx_client_is_the_sending_client():
    """ctx.client is the client the request was sent through."""
    clients: list[object] = []

    async def grab(ctx, next_):
        clients.append(ctx.client)
        await next_()

    async with mock_client() as api:
        api.use(grab)
        await api.get("/x")
    assert clients == [api]


# -- next() rules -------------------------------------------------------------------------


async def test_plain_next_twice_raises_and_says_to_use_retry():
    """A second plain next() raises RuntimeError naming the middleware and next(retry=True)."""
    recorder = Recorder()

    async def twice(ctx, next_):
        await next_()
        await next_()

    async with mock_client(recorder) as api:
        api.use(twice)
        with pytest.raises(RuntimeError) as info:
            await api.get("/x")
    assert "twice called next() twice" in str(info.value)
    assert "next(retry=True)" in str(info.value)
    assert len(recorder.requests) == 1


async def test_next_after_the_middleware_returned_raises():
    """A next() kept and called after its middleware returned refuses to send."""
    kept: list[object] = []

    async def keep(ctx, next_):
        kept.append(next_)
        await next_()

    async with mock_client() as api:
        api.use(keep)
        await api.get("/x")
    with pytest.raises(RuntimeError, match=r"called next\(\) after it returned"):
        kept[0]()


async def test_middleware_without_next_or_response_fails_clearly():
    """A middleware that neither calls next() nor sets ctx.res fails with ERR_BAD_OPTION_VALUE."""

    async def forgetful(ctx, next_):
        return

    recorder = Recorder()
    async with mock_client(recorder) as api:
        api.use(forgetful)
        with pytest.raises(AxiosError) as info:
            await api.get("/x")
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "must call `await next()` or set `ctx.res`" in info.value.message
    assert recorder.requests == []


# -- retry --------------------------------------------------------------------------------


async def test_retry_sends_again_and_replaces_the_response():
    """next(retry=True) runs the inner onion and transport again; ctx.res is the new response."""
    recorder = Recorder(503, 200)
    inner: list[str] = []
    attempts: list[int] = []

    async def retry_on_503(ctx, next_):
        await next_()
        if ctx.res.status == 503:
            await next_(retry=True)
        attempts.append(ctx.attempts)

    async def core(ctx, next_):
        inner.append("core")
        await next_()

    async with mock_client(recorder) as api:
        api.use(retry_on_503)
        api.use(core, core=True)
        response = await api.get("/x")
    assert response.status == 200
    assert response.data["n"] == 2
    assert inner == ["core", "core"]
    assert attempts == [2]


async def test_retry_does_not_rerun_interceptors():
    """Interceptors run once per request, however often a middleware retries."""
    counts = {"request": 0, "response": 0}

    def count_request(config):
        counts["request"] += 1
        return config

    def count_response(response):
        counts["response"] += 1
        return response

    async def retry_twice(ctx, next_):
        await next_()
        await next_(retry=True)
        await next_(retry=True)

    recorder = Recorder()
    async with mock_client(recorder) as api:
        api.interceptors.request.use(count_request)
        api.interceptors.response.use(count_response)
        api.use(retry_twice)
        await api.get("/x")
    assert len(recorder.requests) == 3
    assert counts == {"request": 1, "response": 1}


async def test_retry_closes_the_previous_streamed_response():
    """In a streaming request, next(retry=True) closes the previous response's body first."""
    previous: list[trioaxios.Response] = []

    async def retry_once(ctx, next_):
        await next_()
        previous.append(ctx.res)
        assert not ctx.res.is_closed
        await next_(retry=True)

    async with mock_client(Recorder(503, 200)) as api:
        api.use(retry_once)
        async with api.get("/x") as response:
            assert previous[0].is_closed
            assert response is not previous[0]
            assert not response.is_closed
            body = await response.aread()
    assert b'"n":2' in body


async def test_retry_after_an_error_sends_again():
    """A middleware that catches an error from next() may retry; the request then succeeds."""
    calls: list[int] = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            raise httpx2.ConnectError("refused")
        return httpx2.Response(200, json={"ok": True})

    codes: list[str] = []

    async def retry_network(ctx, next_):
        try:
            await next_()
        except AxiosError as error:
            codes.append(error.code)
            await next_(retry=True)

    async with trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(handler)) as api:
        api.use(retry_network)
        response = await api.get("/x")
    assert response.data == {"ok": True}
    assert codes == [trioaxios.ERR_NETWORK]
    assert len(calls) == 2


async def test_retry_against_the_real_server(server):
    """A retry through a real server closes the first response and reuses the pool."""
    with trio.fail_after(10):
        async with trioaxios.create(base_url=server.url) as api:

            async def fallback(ctx, next_):
                await next_()
                if ctx.res.status == 503:
                    ctx.req.url = "/json"
                    await next_(retry=True)

            api.use(fallback)
            response = await api.get("/status/503")
            stats = api.statistics().pool
    assert response.data == {"hello": "world", "items": [1, 2, 3]}
    assert server.app.count("/status/503") == 1
    assert server.app.count("/json") == 1
    assert stats.active == 0


# -- short-circuit ------------------------------------------------------------------------


async def test_respond_short_circuits_the_transport():
    """ctx.respond() gives a response without inner middleware or the transport running."""
    recorder = Recorder()
    trace: list[str] = []

    async def offline(ctx, next_):
        await ctx.respond(json={"offline": True}, headers={"X-Offline": "1"})

    async with mock_client(recorder) as api:
        api.use(offline)
        api.use(tracer(trace, "inner"))
        response = await api.get("/x", params={"q": "1"})
    assert recorder.requests == []
    assert trace == []
    assert response.status == 200
    assert response.status_text == "OK"
    assert response.data == {"offline": True}
    assert response.headers["x-offline"] == "1"
    assert response.request.url == f"{BASE}/x?q=1"


async def test_respond_goes_through_validate_status_and_interceptors():
    """A short-circuit 404 is a status error that response on_rejected sees."""
    seen: list[int] = []

    async def not_here(ctx, next_):
        await ctx.respond(404, content="gone")

    def record(error):
        seen.append(error.response.status)
        return error.response.data

    async with mock_client() as api:
        api.use(not_here)
        api.interceptors.response.use(None, record)
        assert await api.get("/x") == "gone"
    assert seen == [404]


async def test_respond_decodes_like_the_transport():
    """respond() bodies follow response_type and transform_response like real ones."""

    async def fixture(ctx, next_):
        await ctx.respond(content=b'{"a": 1}', headers={"Content-Type": "application/json"})

    async with mock_client() as api:
        api.use(fixture)
        as_json = await api.get("/x")
        as_bytes = await api.get("/x", response_type="bytes")
        transformed = await api.get("/x", transform_response=lambda _data, _headers, _status: 7)
    assert as_json.data == {"a": 1}
    assert as_bytes.data == b'{"a": 1}'
    assert transformed.data == 7


async def test_respond_streams_in_an_async_with_block():
    """A short-circuit response can be iterated in a streaming request."""

    async def fixture(ctx, next_):
        await ctx.respond(content=b"abc")

    async with mock_client() as api:
        api.use(fixture)
        async with api.get("/x", response_type="bytes") as response:
            chunks = [chunk async for chunk in response.aiter_bytes()]
    assert b"".join(chunks) == b"abc"


async def test_respond_replaces_a_response_after_next():
    """A middleware may replace a failed response after next(); the old one is closed."""
    old: list[trioaxios.Response] = []

    async def fallback(ctx, next_):
        await next_()
        if ctx.res.status >= 500:
            old.append(ctx.res)
            await ctx.respond(json={"cached": True})

    async with mock_client(Recorder(502)) as api:
        api.use(fallback)
        response = await api.get("/x")
    assert response.data == {"cached": True}
    assert old[0].is_closed


async def test_respond_rejects_a_bad_status():
    """respond() refuses a status outside 100..599."""
    errors: list[AxiosError] = []

    async def bad(ctx, next_):
        try:
            await ctx.respond(700)
        except AxiosError as error:
            errors.append(error)
            raise

    async with mock_client() as api:
        api.use(bad)
        with pytest.raises(AxiosError):
            await api.get("/x")
    assert errors[0].code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "100..599" in errors[0].message


async def test_cache_middleware_short_circuits_with_a_stored_response():
    """Setting ctx.res to a cached response without next() skips the transport."""
    recorder = Recorder()
    cache: dict[str, trioaxios.Response] = {}

    async def cached(ctx, next_):
        hit = cache.get(ctx.req.url)
        if hit is not None:
            ctx.res = hit
            return
        await next_()
        cache[ctx.req.url] = ctx.res

    async with mock_client(recorder) as api:
        api.use(cached)
        first = await api.get("/x")
        second = await api.get("/x")
    assert len(recorder.requests) == 1
    assert second.data == first.data == {"n": 1, "path": "/x"}


# -- errors through the onion -------------------------------------------------------------


async def test_error_after_next_closes_the_response_and_reaches_on_rejected():
    """An error raised after next() closes ctx.res and reaches response on_rejected."""
    responses: list[trioaxios.Response] = []
    seen: list[str] = []

    async def fail_after(ctx, next_):
        await next_()
        responses.append(ctx.res)
        raise ValueError("after")

    async with mock_client() as api:
        api.use(fail_after)
        api.interceptors.response.use(None, lambda error: seen.append(str(error)) or "ok")
        assert await api.get("/x") == "ok"
    assert seen == ["after"]
    assert responses[0].is_closed


async def test_outer_middleware_sees_an_inner_error():
    """An error raised by an inner middleware propagates out through the outer one's next()."""
    caught: list[str] = []

    async def outer(ctx, next_):
        try:
            await next_()
        except ValueError as error:
            caught.append(str(error))
            raise

    async def inner(ctx, next_):
        raise ValueError("inner")

    async with mock_client() as api:
        api.use(outer)
        api.use(inner, core=True)
        with pytest.raises(ValueError, match="inner"):
            await api.get("/x")
    assert caught == ["inner"]


# -- removal, config keys, isolation ------------------------------------------------------


async def test_eject_removes_middleware():
    """An ejected middleware no longer runs."""
    trace: list[str] = []
    async with mock_client() as api:
        kept = api.use(tracer(trace, "kept"))
        gone = api.use(tracer(trace, "gone"), core=True)
        api.eject(gone)
        await api.get("/x")
        api.eject(kept)
        await api.get("/x")
    assert trace == ["kept in", "kept out"]


def test_eject_of_unknown_middleware_raises():
    """Ejecting middleware that is not in use is a ValueError."""
    api = mock_client()
    with pytest.raises(ValueError, match="not in use"):
        api.eject(tracer([], "never"))


def test_use_refuses_a_non_callable():
    """use() refuses something that cannot be called as mw(ctx, next)."""
    api = mock_client()
    with pytest.raises(AxiosError) as info:
        api.use("nope")  # type: ignore[arg-type]
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE


class Flagged:
    """A middleware object declaring the extra config key it understands."""

    config_keys = ("skip_flag",)

    def __init__(self) -> None:
        self.seen: list[object] = []

    async def __call__(self, ctx, next_):
        self.seen.append(ctx.req.extras.get("skip_flag"))
        await next_()


async def test_declared_config_key_is_accepted_and_stored_in_extras():
    """A key in a middleware's config_keys is accepted on requests and lands in config.extras."""
    flagged = Flagged()
    async with mock_client() as api:
        api.use(flagged)
        await api.get("/x", skip_flag=True)
        await api.get("/x")
    assert flagged.seen == [True, None]


def test_undeclared_key_is_still_bad_option():
    """With a middleware declaring one key, any other unknown key is still ERR_BAD_OPTION."""
    api = mock_client()
    api.use(Flagged())
    with pytest.raises(AxiosError) as info:
        api.get("/x", skip_flags=True)
    assert info.value.code == trioaxios.ERR_BAD_OPTION
    assert "did you mean 'skip_flag'?" in info.value.message


def test_declared_key_is_refused_after_eject():
    """Ejecting the middleware withdraws the keys it declared."""
    api = mock_client()
    flagged = api.use(Flagged())
    api.eject(flagged)
    with pytest.raises(AxiosError) as info:
        api.get("/x", skip_flag=True)
    assert info.value.code == trioaxios.ERR_BAD_OPTION


async def test_two_clients_do_not_share_middleware():
    """Middleware on one client never runs for another (umijs/umi-request#133)."""
    trace: list[str] = []
    async with mock_client() as a, mock_client() as b:
        a.use(tracer(trace, "a"))
        await b.get("/x")
        await a.get("/x")
    assert trace == ["a in", "a out"]


async def test_child_client_does_not_inherit_or_leak_middleware():
    """client.create() starts with no middleware, and its own never run for the parent."""
    trace: list[str] = []
    async with mock_client() as parent:
        parent.use(tracer(trace, "parent"))
        child = parent.create()
        child.use(tracer(trace, "child"))
        async with child:
            await child.get("/x")
        await parent.get("/x")
    assert trace == ["child in", "child out", "parent in", "parent out"]


def test_child_client_does_not_inherit_declared_keys():
    """A child of a client with a config_keys middleware does not accept those keys."""
    parent = mock_client()
    parent.use(Flagged())
    child = parent.create()
    with pytest.raises(AxiosError) as info:
        child.get("/x", skip_flag=True)
    assert info.value.code == trioaxios.ERR_BAD_OPTION


async def test_timing_middleware_against_the_real_server(server):
    """A middleware sees the real server's status and headers after next()."""
    seen: list[tuple[int, str]] = []

    async def timing(ctx, next_):
        started = trio.current_time()
        await next_()
        ctx.elapsed = trio.current_time() - started
        seen.append((ctx.res.status, ctx.res.headers["content-type"]))

    with trio.fail_after(10):
        async with trioaxios.create(base_url=server.url) as api:
            api.use(timing)
            await api.get("/json")
    assert seen == [(200, "application/json")]
