"""trioaxios.testing: the mock router and the token server, in virtual time."""

# The tokens in this file are fake test data, not secrets.
# ruff: noqa: S105

from __future__ import annotations

import re

import pytest
import trio

import trioaxios
import trioaxios.testing as kit
from _helpers import outcome_of, storm
from trioaxios import AuthRefresh, AxiosError, Token
from trioaxios.testing import (
    MISSING,
    MockRequest,
    MockResponse,
    MockRouter,
    NetworkError,
    TokenServer,
    UnmatchedRequestError,
)

BASE = "http://api.test"


# -- the public module ----------------------------------------------------------------------


def test_module_all_is_sorted_and_complete():
    """trioaxios.testing.__all__ is sorted and names every public object of the module."""
    public = sorted(
        name
        for name, value in vars(kit).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == "trioaxios.testing"
        and callable(value)
    )
    assert kit.__all__ == sorted(kit.__all__, key=lambda n: (not n.isupper(), n))
    assert set(public) <= set(kit.__all__)
    for name in kit.__all__:
        assert hasattr(kit, name)


@pytest.mark.parametrize("name", [n for n in kit.__all__ if n != "MISSING"])
def test_public_classes_claim_the_public_module(name):
    """Exported classes say __module__ == 'trioaxios.testing' (clean tracebacks and docs)."""
    assert getattr(kit, name).__module__ == "trioaxios.testing"


def test_the_kit_is_not_re_exported_from_trioaxios():
    """The test kit is imported as trioaxios.testing, never star-exported by trioaxios."""
    assert "testing" not in trioaxios.__all__
    assert not set(kit.__all__) & set(trioaxios.__all__)


@pytest.mark.parametrize("name", [n for n in kit.__all__ if n != "MISSING"])
def test_every_public_object_has_a_docstring(name):
    """Each class in trioaxios.testing documents itself."""
    assert getattr(kit, name).__doc__.strip()


# -- matching -------------------------------------------------------------------------------


async def test_exact_path_answers_json():
    """A route on an exact path answers its JSON body with the given status."""
    router = MockRouter(base_url=BASE)
    router.get("/users", status=201, json=[{"id": 1}])
    async with router.client() as api:
        response = await api.get("/users")
    assert (response.status, response.data) == (201, [{"id": 1}])
    assert response.headers["content-type"] == "application/json"


async def test_text_content_and_headers_are_sent_as_given():
    """text= is UTF-8 text/plain, content= is raw bytes, headers= reach the response."""
    router = MockRouter(base_url=BASE)
    router.get("/text", text="héllo", headers={"X-Trace": "7"})
    router.get("/raw", content=b"\x00\x01", headers={"Content-Type": "application/x-raw"})
    async with router.client() as api:
        text = await api.get("/text")
        raw = await api.get("/raw", response_type="bytes")
    assert (text.data, text.headers["x-trace"]) == ("héllo", "7")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert (raw.data, raw.headers["content-type"]) == (b"\x00\x01", "application/x-raw")


async def test_json_none_sends_null():
    """json=None is the JSON value null, not "no body"."""
    router = MockRouter(base_url=BASE)
    router.get("/null", json=None)
    async with router.client() as api:
        response = await api.get("/null", response_type="text")
    assert response.data == "null"


async def test_placeholders_capture_path_params():
    """Each {name} matches one path segment and lands in request.path_params."""
    router = MockRouter(base_url=BASE)
    route = router.get("/users/{user_id}/posts/{post_id}", json={})
    async with router.client() as api:
        await api.get("/users/42/posts/7")
        with pytest.raises(UnmatchedRequestError):
            await api.get("/users/42/posts/7/comments")
    assert route.calls[0].path_params == {"user_id": "42", "post_id": "7"}


async def test_regex_matches_the_path_after_the_base_url():
    """A compiled regex is fullmatched against the path under base_url; groups are params."""
    router = MockRouter(base_url=f"{BASE}/v1")
    route = router.get(re.compile(r"/items/(?P<item_id>\d+)"), json={})
    async with router.client() as api:
        await api.get("/items/33")
        with pytest.raises(UnmatchedRequestError):
            await api.get("/items/abc")
    assert route.calls[0].path_params == {"item_id": "33"}
    assert route.calls[0].path == "/v1/items/33"


async def test_regex_without_base_url_matches_any_host():
    """Without a base_url a regex route matches the path on any host."""
    router = MockRouter()
    router.get(re.compile(r"/ping"), text="pong")
    async with router.client() as api:
        first = await api.get("http://one.test/ping")
        second = await api.get("https://two.test:8443/ping")
    assert (first.data, second.data) == ("pong", "pong")


async def test_absolute_pattern_matches_only_its_origin():
    """An absolute-URL pattern matches its scheme, host and port, not another host's."""
    router = MockRouter()
    router.get("http://api.test/users", json=[])
    async with router.client() as api:
        assert (await api.get("http://api.test:80/users")).data == []
        with pytest.raises(UnmatchedRequestError):
            await api.get("http://other.test/users")
        with pytest.raises(UnmatchedRequestError):
            await api.get("https://api.test/users")


async def test_relative_patterns_are_joined_to_the_base_url():
    """With base_url 'http://api.test/v1', the pattern '/users' matches '/v1/users' there."""
    router = MockRouter(base_url=f"{BASE}/v1/")
    router.get("/users", json=[])
    async with router.client() as api:
        assert (await api.get("/users")).data == []
        with pytest.raises(UnmatchedRequestError):
            await api.get(f"{BASE}/users")


async def test_relative_pattern_without_base_url_matches_any_host():
    """Without a base_url, '/users' matches that path on whatever host."""
    router = MockRouter()
    router.get("/users", json=[])
    async with router.client(base_url="http://elsewhere.test:9000") as api:
        assert (await api.get("/users")).data == []


async def test_method_must_match():
    """A GET route does not answer a POST to the same path; "*" answers any method."""
    router = MockRouter(base_url=BASE)
    router.get("/users", json=[])
    any_method = router.route("*", "/anything", status=204)
    async with router.client() as api:
        with pytest.raises(UnmatchedRequestError):
            await api.post("/users", {"name": "Fred"})
        await api.delete("/anything")
        await api.patch("/anything", {})
    assert [call.method for call in any_method.calls] == ["DELETE", "PATCH"]


async def test_params_are_required_query_parameters():
    """params= makes a route match only requests carrying those query values."""
    router = MockRouter(base_url=BASE)
    page_two = router.get("/items", params={"page": "2"}, json=["second"])
    router.get("/items", json=["first"])
    async with router.client() as api:
        assert (await api.get("/items", params={"page": 2, "q": "x"})).data == ["second"]
        assert (await api.get("/items", params={"page": 3})).data == ["first"]
    assert page_two.calls[0].params == {"page": "2", "q": "x"}


async def test_first_matching_route_wins():
    """Routes are tried in the order they were added."""
    router = MockRouter(base_url=BASE)
    specific = router.get("/users/me", json={"me": True})
    generic = router.get("/users/{user_id}", json={"me": False})
    async with router.client() as api:
        assert (await api.get("/users/me")).data == {"me": True}
        assert (await api.get("/users/5")).data == {"me": False}
    assert (specific.call_count, generic.call_count) == (1, 1)


async def test_head_gets_the_headers_without_the_body():
    """A HEAD route answers its headers, Content-Length included, but no body."""
    router = MockRouter(base_url=BASE)
    router.head("/users", json=[{"id": 1}])
    async with router.client() as api:
        response = await api.head("/users")
    assert response.data is None
    assert response.headers["content-length"] == str(len(b'[{"id":1}]'))


async def test_no_content_status_has_no_body():
    """A 204 answer carries no body even when one was configured by mistake."""
    router = MockRouter(base_url=BASE)
    router.delete("/users/{user_id}", status=204, text="ignored")
    async with router.client() as api:
        response = await api.delete("/users/1", response_type="text")
    assert (response.status, response.data) == (204, "")


async def test_redirects_are_followed_through_the_router():
    """A route answering 302 with a Location sends the client on to the next route."""
    router = MockRouter(base_url=BASE)
    old = router.get("/old", status=302, headers={"Location": "/new"})
    new = router.get("/new", json={"moved": True})
    async with router.client() as api:
        response = await api.get("/old")
    assert response.data == {"moved": True}
    assert response.url == f"{BASE}/new"
    assert (old.call_count, new.call_count) == (1, 1)


# -- handlers -------------------------------------------------------------------------------


async def test_sync_handler_receives_the_request():
    """A plain function handler gets the MockRequest and its answer is sent."""
    router = MockRouter(base_url=BASE)

    def create_user(request: MockRequest) -> MockResponse:
        return MockResponse(201, json={"id": 9, **request.json()})

    router.post("/users", handler=create_user)
    async with router.client() as api:
        response = await api.post("/users", {"name": "Fred"})
    assert (response.status, response.data) == (201, {"id": 9, "name": "Fred"})


async def test_async_handler_may_sleep_in_virtual_time(autojump_clock):
    """An async handler is awaited; its trio.sleep takes virtual time only."""
    router = MockRouter(base_url=BASE)

    async def slow(request: MockRequest) -> MockResponse:
        await trio.sleep(5)
        return MockResponse(text=request.path_params["name"])

    router.get("/hello/{name}", handler=slow)
    async with router.client() as api:
        response = await api.get("/hello/ada")
    assert response.data == "ada"
    assert trio.current_time() == 5


async def test_handler_must_return_a_mock_response():
    """A handler that returns something else fails the request with a TypeError saying so."""
    router = MockRouter(base_url=BASE)
    router.get("/bad", handler=lambda _request: {"not": "a response"})
    async with router.client() as api:
        with pytest.raises(TypeError, match=r"return a trioaxios\.testing\.MockResponse"):
            await api.get("/bad")


def test_handler_and_fixed_answer_are_exclusive():
    """A route takes a handler or a fixed answer, not both."""
    router = MockRouter(base_url=BASE)
    with pytest.raises(ValueError, match="not both"):
        router.get("/x", json={}, handler=lambda _request: MockResponse())


# -- recording ------------------------------------------------------------------------------


async def test_calls_record_method_url_headers_body_and_time(autojump_clock):
    """Each call records the method, full URL, headers, body and Trio arrival time."""
    router = MockRouter(base_url=BASE)
    route = router.post("/users", status=201)
    async with router.client(headers={"X-App": "demo"}) as api:
        await trio.sleep(3)
        await api.post("/users", {"name": "Fred"}, params={"dry": "1"})
    (call,) = route.calls
    assert (call.method, call.url, call.path, call.query) == (
        "POST",
        f"{BASE}/users?dry=1",
        "/users",
        "dry=1",
    )
    assert call.headers["x-app"] == "demo"
    assert call.headers["Content-Type"] == "application/json"
    assert (call.content, call.json(), call.text) == (
        b'{"name":"Fred"}',
        {"name": "Fred"},
        '{"name":"Fred"}',
    )
    assert call.time == 3


async def test_router_calls_keep_arrival_order_across_routes():
    """router.calls lists every answered request in order, whatever the route."""
    router = MockRouter(base_url=BASE)
    router.get("/a", json=1)
    router.get("/b", json=2)
    async with router.client() as api:
        await api.get("/b")
        await api.get("/a")
        await api.get("/b")
    assert [call.path for call in router.calls] == ["/b", "/a", "/b"]


async def test_streamed_upload_is_recorded_in_full():
    """A body sent as a stream (upload progress on) is read whole into call.content."""
    router = MockRouter(base_url=BASE)
    route = router.put("/blob", status=204)
    events = []
    body = bytes(range(256)) * 1000
    async with router.client() as api:
        await api.put("/blob", body, on_upload_progress=events.append)
    assert route.calls[0].content == body
    assert events[-1].loaded == len(body)


async def test_assert_all_called_lists_the_idle_routes():
    """assert_all_called names each route that was never called."""
    router = MockRouter(base_url=BASE)
    router.get("/used", json={})
    router.delete("/users/{user_id}")
    router.get("/search", params={"q": "x"})
    async with router.client() as api:
        await api.get("/used")
    with pytest.raises(AssertionError) as info:
        router.assert_all_called()
    assert str(info.value) == (
        "2 routes never called:\n  DELETE /users/{user_id}\n  GET /search q=x"
    )


async def test_assert_all_called_passes_when_every_route_answered():
    """assert_all_called is silent once every route has answered a request."""
    router = MockRouter(base_url=BASE)
    router.get("/a", json={})
    async with router.client() as api:
        await api.get("/a")
    router.assert_all_called()


async def test_unmatched_request_error_lists_the_routes():
    """An unmatched request raises UnmatchedRequestError naming it and every route."""
    router = MockRouter(base_url=BASE)
    router.get("/users/{user_id}", json={})
    async with router.client() as api:
        await api.get("/users/1")
        with pytest.raises(UnmatchedRequestError) as info:
            await api.post("/users", {})
    assert str(info.value) == (
        "no route matches POST http://api.test/users\n"
        "routes (tried in this order):\n"
        "  GET /users/{user_id}  (1 call)"
    )
    assert [call.path for call in router.unmatched] == ["/users"]


async def test_unmatched_request_error_is_not_an_axios_error():
    """Code under test that catches AxiosError cannot swallow an unmatched request."""
    router = MockRouter(base_url=BASE)
    async with router.client() as api:
        outcome = None
        with pytest.raises(UnmatchedRequestError, match=r"\(no routes\)"):
            outcome = await outcome_of(api.get("/nothing"))
    assert outcome is None
    assert issubclass(UnmatchedRequestError, AssertionError)
    assert not issubclass(UnmatchedRequestError, AxiosError)


# -- failures and time ----------------------------------------------------------------------


async def test_network_error_route_gives_err_network():
    """network_error=True fails the request as the network would: ERR_NETWORK."""
    router = MockRouter(base_url=BASE)
    route = router.get("/down", network_error=True)
    async with router.client() as api:
        with pytest.raises(AxiosError) as info:
            await api.get("/down")
    assert info.value.code == trioaxios.ERR_NETWORK
    assert route.call_count == 1


async def test_handler_raising_network_error_gives_err_network():
    """A handler that raises NetworkError fails the request with ERR_NETWORK."""
    router = MockRouter(base_url=BASE)

    def flaky(request: MockRequest) -> MockResponse:
        raise NetworkError("connection reset")

    router.get("/flaky", handler=flaky)
    async with router.client() as api:
        with pytest.raises(AxiosError) as info:
            await api.get("/flaky")
    assert info.value.code == trioaxios.ERR_NETWORK
    assert "connection reset" in info.value.message


async def test_delay_drives_the_client_timeout_exactly(autojump_clock):
    """A route delay longer than the timeout gives ECONNABORTED at exactly the timeout."""
    router = MockRouter(base_url=BASE)
    router.get("/slow", json={}, delay=10)
    async with router.client(timeout=2.5) as api:
        with pytest.raises(AxiosError) as info:
            await api.get("/slow")
    assert info.value.code == trioaxios.ECONNABORTED
    assert trio.current_time() == 2.5


async def test_delay_shorter_than_the_timeout_answers(autojump_clock):
    """A delayed answer within the timeout arrives after exactly the delay."""
    router = MockRouter(base_url=BASE)
    router.get("/slow", json={"ok": True}, delay=1.5)
    async with router.client(timeout=2.5) as api:
        response = await api.get("/slow")
    assert response.data == {"ok": True}
    assert trio.current_time() == 1.5


# -- wiring ---------------------------------------------------------------------------------


async def test_transport_plugs_into_create():
    """create(transport=router.transport) sends through the router; clients may share it."""
    router = MockRouter()
    router.get("http://api.test/x", json={"via": "transport"})
    async with trioaxios.create(base_url=BASE, transport=router.transport) as first:
        assert (await first.get("/x")).data == {"via": "transport"}
    async with trioaxios.create(base_url=BASE, transport=router.transport) as second:
        assert (await second.get("/x")).data == {"via": "transport"}
    assert len(router.calls) == 2


async def test_client_takes_config_and_defaults_to_the_base_url():
    """router.client(**config) passes the config on; its base_url defaults to the router's."""
    router = MockRouter(base_url=BASE)
    route = router.get("/x", json={})
    api = router.client({"headers": {"X-A": "1"}}, timeout=3)
    assert (api.defaults.base_url, api.defaults.timeout) == (BASE, 3)
    async with api:
        await api.get("/x")
    assert route.calls[0].headers["x-a"] == "1"


def test_client_refuses_a_transport():
    """router.client() is the router's transport already; passing another is an error."""
    with pytest.raises(TypeError, match="the router is the transport"):
        MockRouter().client(transport=object())


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("/users?page=1", "match query with params="),
        ("users", "must start with '/'"),
        (42, "must be a str or a compiled regex"),
    ],
)
def test_bad_patterns_are_refused(pattern, message):
    """Patterns with a query, relative ones without a base_url, and non-strings are refused."""
    with pytest.raises((TypeError, ValueError), match=message):
        MockRouter().get(pattern)


def test_bad_base_url_is_refused_at_once():
    """A base_url that is not an absolute http(s) URL fails when the router is made."""
    with pytest.raises(ValueError, match="not an absolute URL"):
        MockRouter(base_url="api.test")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": 99}, "100..599"),
        ({"json": {}, "text": "x"}, "at most one"),
    ],
)
def test_mock_response_validates(kwargs, message):
    """MockResponse refuses an impossible status and more than one body."""
    with pytest.raises(ValueError, match=message):
        MockResponse(**kwargs)


def test_missing_is_not_none():
    """MISSING (no JSON body) is distinct from None (the JSON value null)."""
    assert MockResponse().json is MISSING
    assert MockResponse(json=None).json is None
    assert repr(MISSING) == "MISSING"


# -- the token server -----------------------------------------------------------------------


def auth_for(tokens: TokenServer, **options) -> AuthRefresh:
    """An AuthRefresh whose refresh function speaks the TokenServer's protocol."""

    async def refresh(client: trioaxios.Client) -> Token:
        r = await client.post("/auth/refresh", {"refresh_token": auth.token.refresh_token})
        return Token(r.data["access_token"], refresh_token=r.data["refresh_token"])

    auth = AuthRefresh(
        refresh, Token(tokens.access_token, refresh_token=tokens.refresh_token), **options
    )
    return auth


async def test_protected_route_needs_the_current_token():
    """A protected route answers 401 without the token, and its body with it."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router)
    tokens.get("/me", json={"name": "Fred"})
    async with router.client() as api:
        denied = await api.get("/me", validate_status=None)
        allowed = await api.get("/me", headers={"Authorization": "Bearer access-1"})
    assert (denied.status, denied.data) == (401, {"error": "token expired"})
    assert (allowed.status, allowed.data) == (200, {"name": "Fred"})
    assert [call.path for call in tokens.rejected] == ["/me"]
    assert "authorization" not in tokens.rejected[0].headers


async def test_expire_then_one_refresh_serves_a_storm(autojump_clock):
    """After expire(), 50 concurrent requests through AuthRefresh cause exactly one refresh."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router, refresh_delay=0.5)
    me = tokens.get("/me", json={"name": "Fred"}, delay=0.1)
    async with router.client() as api:
        api.use(auth_for(tokens))
        assert (await api.get("/me")).status == 200
        tokens.expire()
        outcomes = await storm(api, 50, "/me")
    assert all(o.status == 200 for o in outcomes)
    tokens.assert_refreshed_once()
    assert tokens.generation == 2
    assert tokens.refreshed_at == [pytest.approx(0.1 + 0.1 + 0.5)]
    assert all(call.time < tokens.refreshed_at[0] for call in tokens.rejected)
    assert me.call_count == 1 + 50 + len(tokens.rejected)


async def test_assert_refreshed_once_fails_on_two_refreshes(autojump_clock):
    """Two refreshes (two separate expiries) fail assert_refreshed_once, with their times."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router)
    tokens.get("/me", json={})
    async with router.client() as api:
        api.use(auth_for(tokens))
        tokens.expire()
        await api.get("/me")
        await trio.sleep(2)
        tokens.expire()
        await api.get("/me")
    with pytest.raises(AssertionError) as info:
        tokens.assert_refreshed_once()
    assert str(info.value) == "expected 1 refresh (POST /auth/refresh), got 2: t=0, t=2"
    tokens.assert_refreshed(2)


def test_assert_refreshed_once_fails_when_nothing_refreshed():
    """With no refresh at all, assert_refreshed_once says none happened."""
    tokens = TokenServer(MockRouter(base_url=BASE))
    with pytest.raises(AssertionError, match="got 0: none"):
        tokens.assert_refreshed_once()


async def test_refresh_rotates_and_refuses_a_spent_refresh_token():
    """Each refresh rotates both tokens; presenting a spent refresh token is invalid_grant."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router, expires_in=3600)
    async with router.client(validate_status=None) as api:
        first = await api.post("/auth/refresh", {"refresh_token": "refresh-1"})
        spent = await api.post("/auth/refresh", {"refresh_token": "refresh-1"})
    assert first.data == {
        "access_token": "access-2",
        "refresh_token": "refresh-2",
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    assert (spent.status, spent.data) == (400, {"error": "invalid_grant"})
    assert (tokens.access_token, tokens.refresh_token, tokens.refresh_calls) == (
        "access-2",
        "refresh-2",
        2,
    )


async def test_refresh_accepts_a_form_encoded_body():
    """The refresh token may come as a form field instead of JSON."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router)
    async with router.client() as api:
        response = await api.post(
            "/auth/refresh",
            {"refresh_token": "refresh-1", "grant_type": "refresh_token"},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.data["access_token"] == "access-2"
    assert tokens.generation == 2


async def test_refresh_without_token_check():
    """require_refresh_token=False accepts a refresh with any body."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router, require_refresh_token=False)
    async with router.client() as api:
        response = await api.post("/auth/refresh")
    assert response.data["access_token"] == "access-2"
    assert tokens.generation == 2


async def test_fail_refresh_reaches_every_waiter_once(autojump_clock):
    """fail_refresh makes the one refresh fail; every waiter raises, on_refresh_failed runs once."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router)
    tokens.get("/me", json={})
    failures = []
    async with router.client() as api:
        api.use(auth_for(tokens, on_refresh_failed=failures.append))
        tokens.expire()
        tokens.fail_refresh = True
        outcomes = await storm(api, 10, "/me")
    assert all(isinstance(o, AxiosError) for o in outcomes)
    assert {o.__cause__ for o in outcomes} == {failures[0]}
    assert len(failures) == 1
    tokens.assert_refreshed_once()


async def test_issued_tokens_expire_on_the_trio_clock(autojump_clock):
    """With expires_in, a refreshed token is refused once that much virtual time has passed."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router, expires_in=60)
    tokens.get("/me", json={})
    async with router.client(validate_status=None) as api:
        await api.post("/auth/refresh", {"refresh_token": "refresh-1"})
        bearer = {"Authorization": "Bearer access-2"}
        await trio.sleep(59)
        assert (await api.get("/me", headers=bearer)).status == 200
        assert not tokens.expired
        await trio.sleep(1)
        assert tokens.expired
        assert (await api.get("/me", headers=bearer)).status == 401


async def test_proactive_refresh_before_expiry_sends_no_expired_request(autojump_clock):
    """AuthRefresh with expires_in refreshes before the server's expiry: nothing is rejected."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router, expires_in=100)
    tokens.get("/me", json={})
    store = {"refresh_token": "refresh-1"}

    async def refresh(client: trioaxios.Client) -> Token:
        r = await client.post("/auth/refresh", {"refresh_token": store["refresh_token"]})
        store["refresh_token"] = r.data["refresh_token"]
        return Token(r.data["access_token"], expires_in=r.data["expires_in"])

    async with router.client() as api:
        api.use(AuthRefresh(refresh, leeway=10))
        for _ in range(30):
            await api.get("/me")
            await trio.sleep(10)
    assert tokens.rejected == []
    assert tokens.refreshed_at == [0, 90, 180, 270]


async def test_custom_expired_response_and_bare_token_header(autojump_clock):
    """expired_response and scheme=None model an API that says 200 {code: 4001}."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(
        router,
        header="X-Token",
        scheme=None,
        expired_response=MockResponse(200, json={"code": 4001}),
    )
    tokens.get("/me", json={"ok": True})
    auth = auth_for(
        tokens,
        header="X-Token",
        scheme=None,
        should_refresh=lambda r: isinstance(r.data, dict) and r.data.get("code") == 4001,
    )
    async with router.client() as api:
        api.use(auth)
        tokens.expire()
        response = await api.get("/me")
    assert response.data == {"ok": True}
    assert [call.headers["x-token"] for call in router.routes[1].calls] == [
        "access-1",
        "access-2",
    ]
    tokens.assert_refreshed_once()


def test_token_server_refuses_a_bad_lifetime():
    """expires_in must be a positive number of seconds."""
    with pytest.raises(ValueError, match="expires_in"):
        TokenServer(MockRouter(base_url=BASE), expires_in=0)


def test_reprs_show_state_and_no_token():
    """Router, route and token server reprs summarise their state and never show a token."""
    router = MockRouter(base_url=BASE)
    tokens = TokenServer(router)
    route = tokens.get("/me", json={})
    assert repr(route) == "<Route GET /me calls=0>"
    assert repr(router) == ("<MockRouter base_url='http://api.test' routes=2 calls=0 unmatched=0>")
    assert repr(tokens) == "<TokenServer generation=1 refresh_calls=0 rejected=0>"
    assert "access-1" not in repr(tokens)
