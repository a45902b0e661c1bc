"""XSRF and the cookie jar: the xsrf header goes to base_url's origin only (RELIABILITY T33).

Two loopback servers on different ports are two origins that share a cookie domain
(127.0.0.1), which is exactly where a jar's domain rules alone would leak.
"""

from __future__ import annotations

import pytest
import trio

import trioaxios
from trioaxios._demo_server import serve_demo_app


@pytest.fixture
async def other():
    """A second demo server: another origin (another port) on the same host."""
    async with serve_demo_app() as srv:
        yield srv


async def with_xsrf_cookie(api, value: str = "xsrf-value", name: str = "XSRF-TOKEN") -> None:
    """Have the home server set the xsrf cookie (and a session cookie) in the client's jar."""
    await api.get("/cookies/set", params={name: value, "sid": "session-cookie"})


def last_header(srv, name: str) -> str | None:
    return srv.app.requests[-1].header(name)


async def test_same_origin_request_carries_the_xsrf_header(server):
    """The jar's XSRF-TOKEN is sent as X-XSRF-TOKEN to base_url's origin."""
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get("/echo")
    assert last_header(server, "x-xsrf-token") == "xsrf-value"


@pytest.mark.parametrize(
    "options",
    [{}, {"with_credentials": True}, {"allow_cross_origin_credentials": True}],
)
async def test_cross_origin_absolute_url_never_carries_the_xsrf_header(server, other, options):
    """No xsrf header to another origin, whatever with_credentials says (CVE-2023-45857)."""
    async with trioaxios.create(base_url=server.url, **options) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get(other.url + "/echo")
    assert last_header(other, "x-xsrf-token") is None


async def test_no_xsrf_header_after_a_redirect_to_another_origin(server, other):
    """A redirect from home to another origin does not carry the xsrf header there."""
    async with trioaxios.create(base_url=server.url, with_credentials=True) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get("/redirect-to", params={"url": other.url + "/echo"})
    assert other.app.count("/echo") == 1
    assert last_header(other, "x-xsrf-token") is None
    assert server.app.requests[-1].header("x-xsrf-token") == "xsrf-value"


async def test_a_same_origin_redirect_keeps_the_xsrf_header(server):
    """Within base_url's origin the header follows the redirect."""
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get("/redirect-to", params={"url": "/echo"})
    assert last_header(server, "x-xsrf-token") == "xsrf-value"


async def test_without_base_url_no_xsrf_header_is_sent(server):
    """No base_url, no home origin: the xsrf header is never sent."""
    async with trioaxios.create() as api:
        with trio.fail_after(10):
            await api.get(server.url + "/cookies/set", params={"XSRF-TOKEN": "v"})
            await api.get(server.url + "/echo")
    assert last_header(server, "cookie") is not None
    assert last_header(server, "x-xsrf-token") is None


@pytest.mark.parametrize("off", [{"xsrf_cookie_name": None}, {"xsrf_header_name": None}])
async def test_xsrf_can_be_turned_off(server, off):
    """xsrf_cookie_name=None or xsrf_header_name=None: no xsrf header."""
    async with trioaxios.create(base_url=server.url, **off) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get("/echo")
    assert last_header(server, "x-xsrf-token") is None


async def test_custom_xsrf_names_are_used(server):
    """xsrf_cookie_name / xsrf_header_name pick the cookie and the header."""
    config = {"xsrf_cookie_name": "csrftoken", "xsrf_header_name": "X-CSRFToken"}
    async with trioaxios.create(base_url=server.url, **config) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api, "django-style", name="csrftoken")
            await api.get("/echo")
    assert last_header(server, "x-csrftoken") == "django-style"
    assert last_header(server, "x-xsrf-token") is None


async def test_no_cookie_no_xsrf_header(server):
    """Without the cookie in the jar there is nothing to send."""
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10):
            await api.get("/echo")
    assert last_header(server, "x-xsrf-token") is None


# -- with_credentials: the jar's cookies and other origins --------------------------------


async def test_jar_cookies_stay_home_without_with_credentials(server, other):
    """with_credentials=False: the home server's cookies do not go to another origin."""
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get("/echo")
            await api.get(other.url + "/echo")
    assert "sid=session-cookie" in last_header(server, "cookie")
    assert last_header(other, "cookie") is None


async def test_with_credentials_lets_the_jar_send_cookies_to_other_origins(server, other):
    """with_credentials=True: the jar's own domain rules decide (127.0.0.1 matches)."""
    async with trioaxios.create(base_url=server.url, with_credentials=True) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get(other.url + "/echo")
    assert "sid=session-cookie" in last_header(other, "cookie")


async def test_redirect_to_another_origin_gets_no_jar_cookies_without_with_credentials(
    server, other
):
    """A redirect away from home recomputes cookies: none for the other origin."""
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10):
            await with_xsrf_cookie(api)
            await api.get("/redirect-to", params={"url": other.url + "/echo"})
    assert other.app.count("/echo") == 1
    assert last_header(other, "cookie") is None
