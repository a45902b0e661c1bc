"""Interceptors: axios's order, the promise-chain error rule, config results, removal, isolation."""

from __future__ import annotations

import httpx2
import pytest
import trio
import trio.lowlevel

import trioaxios
from trioaxios import AxiosError, RequestConfig

BASE = "http://api.test"

# -- helpers ------------------------------------------------------------------------------


class Recorder:
    """A mock transport handler that records requests and answers JSON (or a status)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return httpx2.Response(self.status, json={"path": request.url.path})


def mock_client(handler: Recorder | None = None, **config) -> trioaxios.Client:
    return trioaxios.create(
        base_url=BASE, transport=httpx2.MockTransport(handler or Recorder()), **config
    )


class BoomError(Exception):
    """A labelled error raised by test handlers."""


# -- order --------------------------------------------------------------------------------


async def test_request_interceptors_run_last_added_first():
    """Request interceptors run in reverse order of use(), as in axios."""
    order: list[str] = []

    def make(name):
        def interceptor(config):
            order.append(name)
            return config

        return interceptor

    async with mock_client() as api:
        for name in ("a", "b", "c"):
            api.interceptors.request.use(make(name))
        await api.get("/x")
    assert order == ["c", "b", "a"]


async def test_response_interceptors_run_first_added_first():
    """Response interceptors run in the order of use(), as in axios."""
    order: list[str] = []

    def make(name):
        def interceptor(response):
            order.append(name)
            return response

        return interceptor

    async with mock_client() as api:
        for name in ("a", "b", "c"):
            api.interceptors.response.use(make(name))
        await api.get("/x")
    assert order == ["a", "b", "c"]


async def test_sync_request_interceptor_mutates_the_config():
    """A plain-function request interceptor's header change reaches the transport."""
    recorder = Recorder()

    def stamp(config):
        config.headers["X-Stamp"] = "sync"
        return config

    async with mock_client(recorder) as api:
        api.interceptors.request.use(stamp)
        await api.get("/x")
    assert recorder.requests[0].headers["x-stamp"] == "sync"


async def test_async_request_interceptor_mutates_the_config():
    """An async request interceptor is awaited and its header change reaches the transport."""
    recorder = Recorder()

    async def stamp(config):
        await trio.lowlevel.checkpoint()
        config.headers["X-Stamp"] = "async"
        return config

    async with mock_client(recorder) as api:
        api.interceptors.request.use(stamp)
        await api.get("/x")
    assert recorder.requests[0].headers["x-stamp"] == "async"


async def test_response_interceptor_transforms_the_value():
    """What a response interceptor returns is what the request returns."""
    async with mock_client() as api:
        api.interceptors.response.use(lambda response: response.data)
        data = await api.get("/users")
    assert data == {"path": "/users"}


async def test_async_response_interceptor_transforms_the_value():
    """An async response interceptor is awaited; its result is the request's result."""

    async def unwrap(response):
        await trio.lowlevel.checkpoint()
        return response.status

    async with mock_client() as api:
        api.interceptors.response.use(unwrap)
        assert await api.get("/x") == 200


# -- what a request interceptor returns ---------------------------------------------------


async def test_request_interceptor_returning_none_names_it():
    """Returning None is ERR_BAD_OPTION_VALUE naming the interceptor, and nothing is sent."""
    recorder = Recorder()

    def forgot_to_return(config):
        config.headers["X-A"] = "1"

    async with mock_client(recorder) as api:
        api.interceptors.request.use(forgot_to_return)
        with pytest.raises(AxiosError) as info:
            await api.get("/x")
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "forgot_to_return" in info.value.message
    assert "returned None" in info.value.message
    assert recorder.requests == []


async def test_request_interceptor_returning_a_non_config_names_it():
    """Returning something that is neither a config nor a mapping is a clear error."""

    def wrong(config):
        return 42

    async with mock_client() as api:
        api.interceptors.request.use(wrong)
        with pytest.raises(AxiosError) as info:
            await api.get("/x")
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "wrong returned int" in info.value.message


async def test_request_interceptor_may_return_a_new_config():
    """A new RequestConfig replaces the request's config."""
    recorder = Recorder()

    def redirect(config):
        new = config.copy()
        new.url = "/elsewhere"
        return new

    async with mock_client(recorder) as api:
        api.interceptors.request.use(redirect)
        response = await api.get("/x")
    assert recorder.requests[0].url.path == "/elsewhere"
    assert response.config.url == "/elsewhere"


async def test_request_interceptor_may_return_a_mapping():
    """A mapping returned by a request interceptor becomes the request's config."""
    recorder = Recorder()

    def as_dict(config):
        return {**config.to_dict(), "url": "/from-mapping", "headers": {"X-M": "1"}}

    async with mock_client(recorder) as api:
        api.interceptors.request.use(as_dict)
        await api.get("/x")
    assert recorder.requests[0].url == httpx2.URL(f"{BASE}/from-mapping")
    assert recorder.requests[0].headers["x-m"] == "1"


async def test_mapping_result_accepts_keys_declared_by_middleware():
    """A mapping from a request interceptor may carry keys that the client's middleware declared."""
    seen: list[object] = []

    async def flagged(ctx, next_):
        seen.append(ctx.req.extras.get("my_flag"))
        await next_()

    flagged.config_keys = ("my_flag",)  # type: ignore[attr-defined]
    async with mock_client() as api:
        api.use(flagged)
        api.interceptors.request.use(lambda config: {**config.to_dict(), "my_flag": "on"})
        await api.get("/x")
    assert seen == ["on"]


async def test_mapping_result_with_an_unknown_key_is_bad_option():
    """A mapping with a key nobody declared is ERR_BAD_OPTION, as for a request."""
    async with mock_client() as api:
        api.interceptors.request.use(lambda _config: {"url": "/x", "my_flag": 1})
        with pytest.raises(AxiosError) as info:
            await api.get("/x")
    assert info.value.code == trioaxios.ERR_BAD_OPTION


# -- run_when -----------------------------------------------------------------------------


async def test_run_when_false_skips_the_interceptor():
    """A request interceptor whose run_when returns False does not run."""
    ran: list[str] = []

    def record(config):
        ran.append(config.method)
        return config

    async with mock_client() as api:
        api.interceptors.request.use(record, run_when=lambda config: config.method == "post")
        await api.get("/x")
        await api.post("/x", {"a": 1})
    assert ran == ["post"]


async def test_run_when_sees_the_config_before_any_interceptor_runs():
    """run_when is evaluated before the chain starts, so earlier interceptors cannot change it."""
    ran: list[str] = []

    def record(config):
        ran.append("guarded")
        return config

    def make_post(config):
        config.method = "post"
        return config

    async with mock_client() as api:
        api.interceptors.request.use(record, run_when=lambda config: config.method == "post")
        api.interceptors.request.use(make_post)  # runs first, after run_when was evaluated
        await api.get("/x")
    assert ran == []


async def test_run_when_is_positional_third_as_in_design():
    """use(on_fulfilled, on_rejected, run_when) accepts run_when positionally."""
    ran: list[str] = []

    def record(config):
        ran.append("ran")
        return config

    async with mock_client() as api:
        api.interceptors.request.use(record, None, lambda _config: False)
        await api.get("/x")
    assert ran == []


def test_run_when_on_a_response_interceptor_is_refused():
    """run_when applies to request interceptors only; the response manager refuses it."""
    api = mock_client()
    with pytest.raises(AxiosError) as info:
        api.interceptors.response.use(lambda r: r, run_when=lambda _config: True)
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "request interceptors only" in info.value.message


async def test_run_when_error_is_raised_before_any_interceptor_runs():
    """An exception from run_when is raised as is, and no interceptor or transport runs."""
    recorder = Recorder()
    ran: list[str] = []

    def broken(config):
        raise BoomError("predicate")

    async with mock_client(recorder) as api:
        api.interceptors.request.use(lambda c: ran.append("req") or c)
        api.interceptors.request.use(lambda c: c, run_when=broken)
        api.interceptors.response.use(None, lambda _error: ran.append("rejected"))
        with pytest.raises(BoomError):
            await api.get("/x")
    assert ran == []
    assert recorder.requests == []


# -- the error rule -----------------------------------------------------------------------


async def test_on_rejected_recovers_a_404_into_a_value():
    """A response interceptor's on_rejected that returns a value recovers the chain."""

    def not_found_is_none(error):
        if isinstance(error, AxiosError) and error.response and error.response.status == 404:
            return
        raise error

    async with mock_client(Recorder(status=404)) as api:
        api.interceptors.response.use(None, not_found_is_none)
        assert await api.get("/missing") is None


async def test_request_interceptor_error_skips_the_transport():
    """An error from a request interceptor skips dispatch and reaches response on_rejected."""
    recorder = Recorder()
    seen: list[BaseException] = []

    def fail(config):
        raise BoomError("request side")

    def catch(error):
        seen.append(error)
        return "recovered"

    async with mock_client(recorder) as api:
        api.interceptors.request.use(fail)
        api.interceptors.response.use(None, catch)
        assert await api.get("/x") == "recovered"
    assert recorder.requests == []
    assert [str(e) for e in seen] == ["request side"]


async def test_on_fulfilled_error_skips_its_own_on_rejected():
    """An error raised by on_fulfilled goes to the next step's on_rejected, not its own."""
    calls: list[str] = []

    def fail(response):
        raise BoomError("step 1")

    def own_rejected(error):
        calls.append("own")
        return "own"

    def next_rejected(error):
        calls.append(f"next:{error}")
        return "next"

    async with mock_client() as api:
        api.interceptors.response.use(fail, own_rejected)
        api.interceptors.response.use(None, next_rejected)
        assert await api.get("/x") == "next"
    assert calls == ["next:step 1"]


async def test_first_request_interceptor_on_rejected_is_never_called():
    """The request interceptor that runs first (added last) has nothing before it to catch."""
    calls: list[str] = []

    def fail(config):
        raise BoomError("first")

    async with mock_client() as api:
        api.interceptors.request.use(
            lambda c: c, lambda _error: calls.append("second") or {"url": BASE}
        )
        api.interceptors.request.use(fail, lambda _error: calls.append("first") or {"url": BASE})
        response = await api.get("/x")
    assert calls == ["second"]
    assert response.status == 200


async def test_new_config_replaces_the_request_config_whole():
    """A new config is not merged with the defaults (axios): here it loses base_url."""
    recorder = Recorder()
    async with mock_client(recorder) as api:
        api.interceptors.request.use(lambda _config: RequestConfig(url="/fallback"))
        with pytest.raises(AxiosError) as info:
            await api.get("/x")
    assert info.value.code == trioaxios.ERR_INVALID_URL
    assert recorder.requests == []


async def test_request_on_rejected_recovery_reaches_the_transport():
    """A config returned by a request on_rejected is dispatched."""
    recorder = Recorder()

    def fail(config):
        raise BoomError("no token")

    async with mock_client(recorder) as api:
        api.interceptors.request.use(
            None, lambda error: RequestConfig(url=f"{BASE}/fallback", headers={"X-E": str(error)})
        )
        api.interceptors.request.use(fail)
        await api.get("/x")
    assert recorder.requests[0].url.path == "/fallback"
    assert recorder.requests[0].headers["x-e"] == "no token"


async def test_unhandled_error_is_raised_with_its_identity():
    """With no handler recovering, the request raises the very exception a handler raised."""
    error = BoomError("as is")

    def fail(response):
        raise error

    async with mock_client() as api:
        api.interceptors.response.use(fail)
        with pytest.raises(BoomError) as info:
            await api.get("/x")
    assert info.value is error


async def test_status_error_reaches_response_on_rejected():
    """validate_status's error (ERR_BAD_RESPONSE for 5xx) reaches response on_rejected."""
    seen: list[str] = []

    def record(error):
        seen.append(error.code)
        raise error

    async with mock_client(Recorder(status=503)) as api:
        api.interceptors.response.use(None, record)
        with pytest.raises(AxiosError):
            await api.get("/x")
    assert seen == [trioaxios.ERR_BAD_RESPONSE]


async def test_outer_cancellation_is_not_passed_to_on_rejected():
    """trio.Cancelled from an enclosing scope propagates past every on_rejected, untouched."""
    rejected: list[BaseException] = []

    async def slow(config):
        await trio.sleep(10)
        return config

    async with mock_client() as api:
        api.interceptors.request.use(slow)
        api.interceptors.request.use(None, rejected.append)
        api.interceptors.response.use(None, rejected.append)
        with trio.move_on_after(0.01) as scope:
            await api.get("/x")
    assert scope.cancelled_caught
    assert rejected == []


async def test_own_timeout_is_raised_after_the_chain_without_on_rejected(autojump_clock):
    """The request's own timeout cancels its whole scope; no on_rejected sees it (documented)."""
    rejected: list[BaseException] = []

    async def slow(request):
        await trio.sleep(10)
        return httpx2.Response(200)

    async with trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(slow)) as api:
        api.interceptors.response.use(None, rejected.append)
        start = trio.current_time()
        with pytest.raises(AxiosError) as info:
            await api.get("/x", timeout=2)
    assert info.value.code == trioaxios.ECONNABORTED
    assert trio.current_time() - start == 2
    assert rejected == []


# -- removal ------------------------------------------------------------------------------


async def test_eject_removes_an_interceptor():
    """An ejected interceptor no longer runs; the others still do."""
    ran: list[str] = []
    async with mock_client() as api:
        first = api.interceptors.request.use(lambda c: ran.append("first") or c)
        api.interceptors.request.use(lambda c: ran.append("second") or c)
        api.interceptors.request.eject(first)
        await api.get("/x")
    assert ran == ["second"]


def test_eject_of_an_unknown_id_is_ignored():
    """Ejecting an id that is not registered does nothing (axios)."""
    api = mock_client()
    kept = api.interceptors.request.use(lambda c: c)
    api.interceptors.request.eject(kept + 100)
    assert len(api.interceptors.request) == 1


async def test_clear_removes_every_interceptor():
    """clear() empties a manager: none of its interceptors run."""
    ran: list[str] = []
    async with mock_client() as api:
        api.interceptors.response.use(lambda r: ran.append("a") or r)
        api.interceptors.response.use(lambda r: ran.append("b") or r)
        api.interceptors.response.clear()
        await api.get("/x")
    assert ran == []
    assert len(api.interceptors.response) == 0


def test_ids_are_not_reused_after_clear():
    """An id from before clear() never names a later interceptor."""
    api = mock_client()
    old = api.interceptors.request.use(lambda c: c)
    api.interceptors.request.clear()
    new = api.interceptors.request.use(lambda c: c)
    api.interceptors.request.eject(old)
    assert new != old
    assert len(api.interceptors.request) == 1


def test_non_callable_handler_is_refused():
    """use() refuses a handler that is not callable, naming which one."""
    api = mock_client()
    with pytest.raises(AxiosError) as info:
        api.interceptors.request.use("not a function")  # type: ignore[arg-type]
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "on_fulfilled" in info.value.message


async def test_interceptor_added_during_a_request_applies_from_the_next_one():
    """The chain is a snapshot taken when the request starts."""
    ran: list[str] = []

    def add_response_interceptor(config):
        api.interceptors.response.use(lambda r: ran.append("late") or r)
        return config

    async with mock_client() as api:
        adder = api.interceptors.request.use(add_response_interceptor)
        await api.get("/x")
        assert ran == []
        api.interceptors.request.eject(adder)
        await api.get("/x")
    assert ran == ["late"]


# -- isolation ----------------------------------------------------------------------------


async def test_two_clients_do_not_share_interceptors():
    """An interceptor on one client never runs for another (umijs/umi-request#133)."""
    first, second = Recorder(), Recorder()

    def stamp(config):
        config.headers["X-Stamp"] = "1"
        return config

    async with mock_client(first) as a, mock_client(second) as b:
        a.interceptors.request.use(stamp)
        await a.get("/x")
        await b.get("/x")
    assert "x-stamp" in first.requests[0].headers
    assert "x-stamp" not in second.requests[0].headers


async def test_child_client_does_not_inherit_or_leak_interceptors():
    """client.create() starts with no interceptors, and its own do not reach the parent."""
    ran: list[str] = []
    async with mock_client() as parent:
        parent.interceptors.request.use(lambda c: ran.append("parent") or c)
        child = parent.create()
        child.interceptors.request.use(lambda c: ran.append("child") or c)
        async with child:
            await child.get("/x")
        await parent.get("/x")
    assert ran == ["child", "parent"]


# -- a real server ------------------------------------------------------------------------


async def test_interceptors_against_the_real_server(server):
    """A request interceptor's header reaches a real server; a response interceptor unwraps."""
    with trio.fail_after(10):
        async with trioaxios.create(base_url=server.url) as api:

            def stamp(config):
                config.headers["X-Request-Id"] = "abc"
                return config

            api.interceptors.request.use(stamp)
            api.interceptors.response.use(lambda response: response.data)
            data = await api.get("/echo")
    assert data["headers"]["x-request-id"] == "abc"


# -- streaming requests -------------------------------------------------------------------


class TrackedStream(httpx2.AsyncByteStream):
    """A response body that records whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self):
        yield b'{"a": 1}'

    async def aclose(self) -> None:
        self.closed = True


def streaming_client(streams: list[TrackedStream]) -> trioaxios.Client:
    def handler(request: httpx2.Request) -> httpx2.Response:
        streams.append(TrackedStream())
        return httpx2.Response(200, stream=streams[-1])

    return trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(handler))


async def test_streamed_response_is_closed_when_a_response_interceptor_raises():
    """In `async with`, an error from a response interceptor closes the unread response."""
    streams: list[TrackedStream] = []

    def fail(response):
        raise BoomError("after dispatch")

    async with streaming_client(streams) as api:
        api.interceptors.response.use(fail)
        with pytest.raises(BoomError):
            async with api.get("/x"):
                pass
    assert [s.closed for s in streams] == [True]


async def test_streamed_response_is_closed_when_an_interceptor_unwraps_it():
    """In `async with`, a response interceptor may return another value; the body still closes."""
    streams: list[TrackedStream] = []

    async with streaming_client(streams) as api:
        api.interceptors.response.use(lambda response: response.status)
        async with api.get("/x") as status:
            assert status == 200
            assert not streams[0].closed
    assert streams[0].closed


async def test_streaming_request_recovered_before_dispatch_yields_the_value():
    """In `async with`, a value recovered from a request-side error is what the block gets."""
    streams: list[TrackedStream] = []

    def fail(config):
        raise BoomError("no token")

    async with streaming_client(streams) as api:
        api.interceptors.request.use(fail)
        api.interceptors.response.use(None, lambda error: f"offline: {error}")
        async with api.get("/x") as value:
            assert value == "offline: no token"
    assert streams == []
