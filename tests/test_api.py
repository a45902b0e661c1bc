"""Module-level helpers: one-off requests on their own client, all() and spread()."""

from __future__ import annotations

import httpx2
import pytest
import trio
import trio.testing

import trioaxios


async def test_module_get_awaits_on_its_own_client(server):
    """trioaxios.get(url) sends on a short-lived client and returns the decoded response."""
    with trio.fail_after(10):
        response = await trioaxios.get(f"{server.url}/json", params={"q": "1"})
    assert response.data == {"hello": "world", "items": [1, 2, 3]}
    assert server.app.requests[-1].query == "q=1"


async def test_module_get_streams_with_async_with(server):
    """`async with trioaxios.get(url) as r` streams; the body is readable inside the block."""
    with trio.fail_after(10):
        async with trioaxios.get(f"{server.url}/bytes/70000") as response:
            assert not response.is_closed
            body = await response.aread()
        assert response.is_closed
    assert len(body) == 70000


@pytest.mark.parametrize(
    ("call", "method"),
    [
        (lambda url: trioaxios.post(url, {"a": 1}), "POST"),
        (lambda url: trioaxios.put(url, {"a": 1}), "PUT"),
        (lambda url: trioaxios.patch(url, {"a": 1}), "PATCH"),
        (trioaxios.delete, "DELETE"),
        (trioaxios.options, "OPTIONS"),
        (lambda url: trioaxios.request({"url": url, "method": "post", "data": [1]}), "POST"),
    ],
)
async def test_module_methods(server, call, method):
    """The module-level methods send their method, with data for post/put/patch."""
    with trio.fail_after(10):
        response = await call(f"{server.url}/echo")
    assert response.data["method"] == method
    if method in {"POST", "PUT", "PATCH"}:
        assert response.data["json"] in ({"a": 1}, [1])


async def test_module_head(server):
    """trioaxios.head(url) returns the status with no data."""
    with trio.fail_after(10):
        response = await trioaxios.head(f"{server.url}/json")
    assert (response.status, response.data) == (200, None)


async def test_module_request_accepts_create_only_keys():
    """A one-off request may take transport=, since it creates its own client."""
    transport = httpx2.MockTransport(lambda _request: httpx2.Response(200, json={"mock": True}))
    response = await trioaxios.get("http://api.test/x", transport=transport)
    assert response.data == {"mock": True}


async def test_module_get_raises_status_errors(server):
    """A one-off request raises the same AxiosError as a client would."""
    with trio.fail_after(10), pytest.raises(trioaxios.AxiosError) as info:
        await trioaxios.get(f"{server.url}/status/404")
    assert info.value.code == trioaxios.ERR_BAD_REQUEST


# -- all / spread -------------------------------------------------------------------------


def mock_client(handler) -> trioaxios.Client:
    return trioaxios.create(base_url="http://api.test", transport=httpx2.MockTransport(handler))


async def delayed(request: httpx2.Request) -> httpx2.Response:
    """Answer after `?delay=` seconds, with status `?status=` (default 200)."""
    await trio.sleep(float(request.url.params.get("delay", "0")))
    status = int(request.url.params.get("status", "200"))
    return httpx2.Response(status, json={"path": request.url.path})


async def test_all_returns_results_in_input_order(autojump_clock):
    """all() runs requests concurrently and returns responses in input order."""
    async with mock_client(delayed) as api:
        start = trio.current_time()
        responses = await trioaxios.all(
            [api.get("/a?delay=3"), api.get("/b?delay=1"), api.get("/c?delay=2")]
        )
    assert [r.data["path"] for r in responses] == ["/a", "/b", "/c"]
    assert trio.current_time() - start == pytest.approx(3)


async def test_all_of_nothing_is_an_empty_list():
    """all([]) returns []."""
    assert await trioaxios.all([]) == []


async def test_all_first_failure_cancels_the_others_and_is_raised_bare(autojump_clock):
    """The first failure cancels the other requests and is raised as itself."""
    finished = []

    async def handler(request):
        response = await delayed(request)
        finished.append(request.url.path)
        return response

    async with mock_client(handler) as api:
        start = trio.current_time()
        with pytest.raises(trioaxios.AxiosError) as info:
            await trioaxios.all(
                [
                    api.get("/slow?delay=10"),
                    api.get("/fail?delay=1&status=500"),
                    api.get("/later-fail?delay=2&status=404"),
                ]
            )
    assert type(info.value) is trioaxios.AxiosError
    assert info.value.status == 500
    assert trio.current_time() - start == pytest.approx(1)
    assert finished == ["/fail"]


def test_all_raises_bare_under_strict_exception_groups():
    """With trio.run(strict_exception_groups=True), all() still raises the error itself."""

    async def main():
        async with mock_client(delayed) as api:
            await trioaxios.all([api.get("/ok?delay=5"), api.get("/bad?status=503")])

    with pytest.raises(trioaxios.AxiosError) as info:
        trio.run(
            main,
            strict_exception_groups=True,
            clock=trio.testing.MockClock(autojump_threshold=0),
        )
    assert info.value.status == 503


async def test_all_accepts_any_awaitable():
    """all() takes plain awaitables too (coroutines), like Promise.all."""

    async def value(n):
        await trio.lowlevel.checkpoint()
        return n

    assert await trioaxios.all([value(1), value(2)]) == [1, 2]


async def test_all_does_not_convert_outer_cancellation(autojump_clock):
    """Cancelling around all() cancels every request and propagates as a cancellation."""
    async with mock_client(delayed) as api:
        with trio.move_on_after(1) as scope:
            await trioaxios.all([api.get("/a?delay=5"), api.get("/b?delay=6")])
    assert scope.cancelled_caught


def test_spread_unpacks_arguments():
    """spread(fn)(args) calls fn(*args)."""
    assert trioaxios.spread(lambda a, b, c: a + b * c)([1, 2, 3]) == 7


async def test_spread_with_all(autojump_clock):
    """spread() pairs with all(), axios style."""
    async with mock_client(delayed) as api:
        responses = await trioaxios.all([api.get("/a"), api.get("/b")])
    joined = trioaxios.spread(lambda a, b: a.data["path"] + b.data["path"])(responses)
    assert joined == "/a/b"
