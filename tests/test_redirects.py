"""Redirects: credential stripping across origins, bodies, max_redirects and before_redirect.

RELIABILITY T32, on a mock network of two origins (a.test, b.test), plus one loopback check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio

import trioaxios
from _helpers import outcome_of, routed_client
from trioaxios import AxiosError

if TYPE_CHECKING:
    import httpx2

INSTANCE_SECRETS = {
    "Authorization": "Bearer instance-token",
    "Proxy-Authorization": "Basic cHJveHk=",
    "X-XSRF-TOKEN": "instance-xsrf",
    "X-Redirect-Secret": "instance-tenant",
}
REDIRECT_STATUSES = [301, 302, 303, 307, 308]


def to_b(status: int, location: str = "http://b.test/landing"):
    return {("a.test", "/v1/go"): (status, {"location": location})}


def secrets_client(seen, routes, **config):
    return routed_client(
        seen,
        routes,
        base_url="http://a.test/v1/",
        headers={**INSTANCE_SECRETS, "Cookie": "sid=instance-cookie", "X-App": "demo"},
        sensitive_headers=["X-Redirect-Secret"],
        **config,
    )


def sensitive_in(request: httpx2.Request) -> set[str]:
    names = {*INSTANCE_SECRETS, "Cookie"}
    return {name for name in names if name in request.headers}


# -- stripping ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_cross_origin_hop_carries_no_sensitive_header(status):
    """a.test -> b.test by any redirect status: the b.test hop has no credential at all."""
    seen: list[httpx2.Request] = []
    async with secrets_client(seen, to_b(status)) as api:
        await api.get("go")
    assert [r.url.host for r in seen] == ["a.test", "b.test"]
    assert sensitive_in(seen[0]) == {*INSTANCE_SECRETS, "Cookie"}
    assert sensitive_in(seen[1]) == set()
    assert seen[1].headers["X-App"] == "demo"


async def test_credentials_the_call_passed_are_stripped_on_a_cross_origin_redirect():
    """The server chose the new origin, not the caller: even the call's own token is dropped."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, to_b(302)) as api:
        await api.get("go", headers={"Authorization": "Bearer call-token"})
    assert seen[0].headers["Authorization"] == "Bearer call-token"
    assert "Authorization" not in seen[1].headers


async def test_allow_cross_origin_credentials_does_not_apply_to_redirects():
    """The opt-in covers URLs the caller chose; a redirect's target still gets nothing."""
    seen: list[httpx2.Request] = []
    async with secrets_client(seen, to_b(302), allow_cross_origin_credentials=True) as api:
        await api.get("go")
    assert sensitive_in(seen[1]) == set()


async def test_same_origin_redirect_keeps_the_credentials():
    """A redirect within a.test keeps Authorization and the other instance headers."""
    seen: list[httpx2.Request] = []
    routes = {("a.test", "/v1/go"): (302, {"location": "/v1/there"})}
    async with secrets_client(seen, routes) as api:
        await api.get("go")
    assert str(seen[1].url) == "http://a.test/v1/there"
    assert sensitive_in(seen[1]) == set(INSTANCE_SECRETS)


@pytest.mark.parametrize(
    ("base", "location"),
    [
        ("https://a.test/v1/", "http://a.test/landing"),  # downgrade
        ("http://a.test/v1/", "https://a.test/landing"),  # upgrade: still another origin
        ("http://a.test/v1/", "http://a.test:8080/landing"),  # another port
    ],
)
async def test_scheme_or_port_change_on_the_same_host_drops_the_credentials(base, location):
    """https -> http (and any other origin change on the same host) strips auth."""
    seen: list[httpx2.Request] = []
    routes = {("a.test", "/v1/go"): (302, {"location": location})}
    async with routed_client(seen, routes, base_url=base, auth=("user", "pw")) as api:
        await api.get("go")
    assert "Authorization" in seen[0].headers
    assert str(seen[1].url) == location
    assert "Authorization" not in seen[1].headers


async def test_credentials_do_not_come_back_when_a_redirect_returns_home():
    """a.test -> b.test -> a.test: once stripped, the credentials stay stripped."""
    seen: list[httpx2.Request] = []
    routes = {
        ("a.test", "/v1/go"): (302, {"location": "http://b.test/bounce"}),
        ("b.test", "/bounce"): (302, {"location": "http://a.test/v1/home"}),
    }
    async with secrets_client(seen, routes) as api:
        await api.get("go")
    assert [r.url.host for r in seen] == ["a.test", "b.test", "a.test"]
    assert sensitive_in(seen[2]) == set()


async def test_protocol_relative_location_is_another_origin():
    """Location: //b.test/x resolves against the current URL and is stripped like any other."""
    seen: list[httpx2.Request] = []
    async with secrets_client(seen, to_b(302, "//b.test/x")) as api:
        await api.get("go")
    assert str(seen[1].url) == "http://b.test/x"
    assert sensitive_in(seen[1]) == set()


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://b.test/x", "gopher://b.test/"])
async def test_redirect_to_a_non_http_scheme_is_err_invalid_url(location):
    """A Location with another scheme is never followed, whatever the transport would do."""
    seen: list[httpx2.Request] = []
    async with secrets_client(seen, to_b(302, location)) as api:
        error = await outcome_of(api.get("go"))
    assert isinstance(error, AxiosError)
    assert error.code == trioaxios.ERR_INVALID_URL
    assert len(seen) == 1


async def test_a_location_that_does_not_parse_as_a_url_is_not_followed():
    """Location: data:,hi has no host to go to: the 302 itself fails validate_status."""
    seen: list[httpx2.Request] = []
    async with secrets_client(seen, to_b(302, "data:,hi")) as api:
        error = await outcome_of(api.get("go"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert error.status == 302
    assert len(seen) == 1


# -- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "method"), [(307, "post"), (308, "post"), (301, "put")])
async def test_a_redirect_that_would_resend_the_body_elsewhere_is_refused(status, method):
    """307/308 (and 301 for PUT) keep the body; to another origin that is ERR_BAD_RESPONSE."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, to_b(status)) as api:
        error = await outcome_of(api.request(method=method, url="go", data={"card": "4242"}))
    assert isinstance(error, AxiosError)
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert "body" in error.message
    assert [r.url.host for r in seen] == ["a.test"]


async def test_a_303_turns_the_post_into_a_get_without_body_and_is_followed():
    """303 drops the body (the method becomes GET), so another origin may receive it."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, to_b(303)) as api:
        await api.post("go", {"card": "4242"})
    assert (seen[1].url.host, seen[1].method, seen[1].content) == ("b.test", "GET", b"")


async def test_a_307_within_the_origin_resends_the_body():
    """A same-origin 307 re-sends method and body, as HTTP says."""
    seen: list[httpx2.Request] = []
    routes = {("a.test", "/v1/go"): (307, {"location": "/v1/there"})}
    async with routed_client(seen, routes) as api:
        await api.post("go", {"n": 1})
    assert (seen[1].method, seen[1].content) == ("POST", b'{"n":1}')


async def test_a_cross_origin_307_without_a_body_is_followed():
    """A GET has no body to leak: a 307 to another origin is followed."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, to_b(307)) as api:
        response = await api.get("go")
    assert response.status == 200
    assert seen[1].url.host == "b.test"


# -- max_redirects ------------------------------------------------------------------------


def hop_routes(count: int):
    return {
        ("a.test", f"/v1/hop/{n}"): (302, {"location": f"/v1/hop/{n - 1}"})
        for n in range(1, count + 1)
    }


async def test_the_default_allows_21_redirects():
    """max_redirects defaults to 21 (axios): a chain of 21 hops succeeds."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, hop_routes(21)) as api:
        response = await api.get("hop/21")
    assert response.status == 200
    assert len(seen) == 22


async def test_the_22nd_redirect_is_err_fr_too_many_redirects():
    """One more than max_redirects: ERR_FR_TOO_MANY_REDIRECTS, and that hop is not followed."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, hop_routes(22)) as api:
        error = await outcome_of(api.get("hop/22"))
    assert error.code == trioaxios.ERR_FR_TOO_MANY_REDIRECTS
    assert len(seen) == 22
    assert error.config is not None


async def test_max_redirects_zero_returns_the_3xx_without_calling_the_hook():
    """max_redirects=0: the 3xx is the response, before_redirect is not consulted."""
    seen: list[httpx2.Request] = []
    calls: list[int] = []
    async with routed_client(seen, to_b(302)) as api:
        response = await api.get(
            "go",
            max_redirects=0,
            validate_status=None,
            before_redirect=lambda _config, response: calls.append(response.status),
        )
    assert response.status == 302
    assert calls == []
    assert len(seen) == 1


# -- before_redirect ----------------------------------------------------------------------


async def test_before_redirect_returning_false_stops_at_the_3xx():
    """A hook that returns False makes the 3xx the response; the target is never asked."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, to_b(302)) as api:
        response = await api.get("go", validate_status=None, before_redirect=lambda *_: False)
    assert response.status == 302
    assert response.headers["location"] == "http://b.test/landing"
    assert [r.url.host for r in seen] == ["a.test"]


async def test_a_stopped_redirect_fails_the_default_validate_status():
    """Stopped at a 302 with the default validate_status: the usual status error."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, to_b(302)) as api:
        error = await outcome_of(api.get("go", before_redirect=lambda *_: False))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert error.status == 302


async def test_before_redirect_raising_fails_the_request_with_that_exception():
    """A hook's exception reaches the caller unchanged, and nothing more is sent."""
    seen: list[httpx2.Request] = []

    def veto(config, response):
        raise PermissionError("no leaving a.test")

    async with routed_client(seen, to_b(302)) as api:
        with pytest.raises(PermissionError, match="no leaving"):
            await api.get("go", before_redirect=veto)
    assert len(seen) == 1


async def test_async_before_redirect_sees_config_and_response_and_lets_it_through():
    """An async hook gets the request's config and the 3xx Response; None means follow."""
    seen: list[httpx2.Request] = []
    calls = []

    async def hook(config, response):
        await trio.lowlevel.checkpoint()
        calls.append((config.url, response.status, response.headers["location"]))

    async with routed_client(seen, to_b(301)) as api:
        response = await api.get("go", before_redirect=hook)
    assert response.status == 200
    assert calls == [("go", 301, "http://b.test/landing")]


async def test_before_redirect_runs_once_per_hop():
    """Three redirects, three calls, in order."""
    seen: list[httpx2.Request] = []
    statuses: list[str] = []
    async with routed_client(seen, hop_routes(3)) as api:
        await api.get(
            "hop/3",
            before_redirect=lambda _config, response: statuses.append(response.headers["location"]),
        )
    assert statuses == ["/v1/hop/2", "/v1/hop/1", "/v1/hop/0"]


async def test_before_redirect_from_the_defaults_applies_to_every_request():
    """create(before_redirect=...) is an instance default like any other key."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, to_b(302), before_redirect=lambda *_: False) as api:
        response = await api.get("go", validate_status=None)
    assert response.status == 302


async def test_followed_redirects_release_their_connections(server):
    """On a real server, each followed 3xx is closed: the pool ends with nothing active."""
    locations: list[str] = []
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10):
            response = await api.get(
                "/redirect/3",
                before_redirect=lambda _c, r: locations.append(r.headers["location"]),
            )
        stats = api.statistics().pool
    assert response.status == 200
    assert locations == ["/redirect/2", "/redirect/1", "/redirect/0", "/json"]
    assert stats.active == 0
