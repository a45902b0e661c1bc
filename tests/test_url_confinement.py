"""URL confinement: schemes, absolute URLs, '..' above base_url, and cross-origin credentials.

RELIABILITY T30 (absolute URLs), T31 (paths), T37 (schemes) and T38 (linear-time parsing).
"""

from __future__ import annotations

import base64
import time
import tracemalloc
from urllib.parse import unquote

import httpx2
import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

import trioaxios
from _helpers import outcome_of, routed_client
from trioaxios import AxiosError
from trioaxios._security import origin_of
from trioaxios._transports._httpx2 import _origin as engine_origin

BASE = "https://api.test/v1/users/"
SECRET_HEADERS = {
    "Authorization": "Bearer instance-token",
    "Proxy-Authorization": "Basic cHJveHk=",
    "Cookie": "sid=instance-cookie",
    "X-XSRF-TOKEN": "instance-xsrf",
    "X-Tenant-Pass": "instance-tenant",
}


def confined_client(seen, **config):
    """A client whose defaults hold every kind of instance credential."""
    return routed_client(
        seen,
        base_url=BASE,
        headers={**SECRET_HEADERS, "X-App": "demo"},
        sensitive_headers=["X-Tenant-Pass"],
        **config,
    )


def carried_secrets(request: httpx2.Request) -> set[str]:
    """The instance credential headers a recorded request carried, with the instance's value."""
    return {name for name, value in SECRET_HEADERS.items() if request.headers.get(name) == value}


async def invalid_url_error(request) -> AxiosError:
    with pytest.raises(AxiosError) as info:
        await request
    assert info.value.code == trioaxios.ERR_INVALID_URL
    return info.value


# -- T30: absolute URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.test/",
        "HTTPS://evil.test/x",
        "//evil.test/x",
        "https://api.test/v1/users/same-origin-but-absolute",
    ],
)
async def test_absolute_url_is_refused_before_any_io_when_absolute_urls_are_off(url):
    """allow_absolute_urls=False: any absolute URL is ERR_INVALID_URL and nothing is sent."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen, allow_absolute_urls=False) as api:
        error = await invalid_url_error(api.get(url))
    assert "allow_absolute_urls" in error.message
    assert seen == []


async def test_relative_urls_still_work_when_absolute_urls_are_off():
    """allow_absolute_urls=False leaves relative URLs alone."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen, allow_absolute_urls=False) as api:
        response = await api.get("42")
    assert response.request.url == BASE + "42"


async def test_allow_absolute_urls_off_without_base_url_has_nothing_to_confine():
    """Without base_url an absolute URL is the only kind there is, so it is used (axios)."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, base_url=None, allow_absolute_urls=False) as api:
        await api.get("http://b.test/x")
    assert str(seen[0].url) == "http://b.test/x"


async def test_absolute_url_to_another_origin_sends_no_instance_credentials():
    """With absolute URLs allowed, the request goes out without any instance credential."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen, auth=("user", "pw")) as api:
        await api.get("http://evil.test/")
    assert seen[0].url.host == "evil.test"
    assert carried_secrets(seen[0]) == set()
    assert "authorization" not in seen[0].headers
    assert seen[0].headers["X-App"] == "demo"


async def test_same_origin_absolute_url_keeps_the_instance_credentials():
    """An absolute URL on base_url's own origin is home: credentials go."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await api.get("https://api.test/elsewhere")
    assert carried_secrets(seen[0]) == set(SECRET_HEADERS)


async def test_response_request_headers_show_what_was_sent():
    """response.request.headers lacks the credentials that were dropped."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        response = await api.get("http://evil.test/")
    assert "Authorization" not in response.request.headers


@pytest.mark.parametrize(
    "url", ["http://api.test/x", "https://api.test:8443/x", "https://API.test.evil/x"]
)
async def test_another_scheme_port_or_host_is_another_origin(url):
    """Scheme, host and port all make the origin: changing any one drops credentials."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await api.get(url)
    assert carried_secrets(seen[0]) == set()


@pytest.mark.parametrize(
    "url",
    [
        "https://api.test\\@evil.test/",
        "https://api.test%40x@evil.test/",
        "https://api.test:@evil.test/",
    ],
)
async def test_authority_confusion_is_judged_by_where_the_engine_sends_it(url):
    """The part before the last "@" is userinfo: it goes to evil.test, without instance secrets."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await api.get(url)
    assert seen[0].url.host == "evil.test"
    assert carried_secrets(seen[0]) == set()


async def test_explicit_default_port_is_the_same_origin():
    """https://api.test:443 is https://api.test."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await api.get("https://api.test:443/x")
    assert "Authorization" in seen[0].headers


async def test_protocol_relative_url_takes_base_urls_scheme_and_drops_credentials():
    """//b.test/x becomes https://b.test/x (base_url's scheme), without credentials."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await api.get("//b.test/x")
    assert str(seen[0].url) == "https://b.test/x"
    assert carried_secrets(seen[0]) == set()


async def test_credentials_added_by_an_interceptor_are_instance_credentials():
    """A token an interceptor adds is dropped on the way to another origin too."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, base_url=BASE) as api:

        def add_token(config):
            config.headers["Authorization"] = "Bearer from-interceptor"
            return config

        api.interceptors.request.use(add_token)
        await api.get("http://evil.test/")
        await api.get("ok")
    assert "Authorization" not in seen[0].headers
    assert seen[1].headers["Authorization"] == "Bearer from-interceptor"


async def test_credentials_the_call_passes_itself_go_to_another_origin():
    """Headers and auth given to the call itself are the caller's explicit choice: sent."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await api.get("http://other.test/", headers={"X-Tenant-Pass": "for-other"})
        await api.get("http://other.test/", auth=("u", "p"))
    assert seen[0].headers["X-Tenant-Pass"] == "for-other"
    assert "Authorization" not in seen[0].headers
    assert seen[1].headers["Authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
    assert "X-Tenant-Pass" not in seen[1].headers


async def test_allow_cross_origin_credentials_opts_in():
    """allow_cross_origin_credentials=True sends the instance credentials anywhere."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen, allow_cross_origin_credentials=True) as api:
        await api.get("http://evil.test/")
    assert carried_secrets(seen[0]) == set(SECRET_HEADERS)


async def test_without_base_url_there_is_no_home_and_nothing_is_dropped():
    """A client without base_url sends its headers to the URLs it is given."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, base_url=None, headers={"Authorization": "Bearer t"}) as api:
        await api.get("http://b.test/x")
    assert seen[0].headers["Authorization"] == "Bearer t"


# -- T31: paths ---------------------------------------------------------------------------

T31_URLS = [
    "../../admin",
    "//evil.test/x",
    "\\\\evil.test",
    "%2e%2e/%2e%2e/admin",
    "https:evil.test",
]


@pytest.mark.parametrize("url", T31_URLS)
async def test_t31_urls_stay_under_the_base_path_or_are_invalid(url):
    """Each T31 URL is ERR_INVALID_URL or reaches api.test under /v1/users/ (absolute URLs off)."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen, allow_absolute_urls=False) as api:
        outcome = await outcome_of(api.get(url))
    if isinstance(outcome, AxiosError):
        assert outcome.code == trioaxios.ERR_INVALID_URL
        assert seen == []
    else:
        assert seen[0].url.host == "api.test"
        assert seen[0].url.path.startswith("/v1/users/")


@pytest.mark.parametrize(
    "url",
    [
        "../../admin",
        "..",
        "a/../../x",
        "%2e%2e/admin",
        ".%2E/admin",
        "%2E./admin",
        "%252e%252e/admin",
        "..%2fadmin",
        "..%5cadmin",
        "a/..\\..\\admin",
        "\\\\evil.test",
        "/\\evil.test",
        "https:evil.test",
        "http:/evil.test",
    ],
)
async def test_urls_that_would_leave_the_base_path_are_invalid(url):
    """A '..' that climbs, hidden '..', backslashes and scheme tricks: ERR_INVALID_URL, no I/O."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await invalid_url_error(api.get(url))
    assert seen == []


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("a/../b", "/v1/users/b"),
        ("./x", "/v1/users/x"),
        ("a/b/../../c", "/v1/users/c"),
        ("x/%2e/y", "/v1/users/x/%2e/y"),
        ("..a/b..", "/v1/users/..a/b.."),
    ],
)
async def test_dot_segments_within_the_base_path_are_normalized(url, path):
    """'..' that stays under base_url's path is resolved there, not refused."""
    seen: list[httpx2.Request] = []
    async with confined_client(seen) as api:
        await api.get(url)
    assert seen[0].url.raw_path.decode() == path


async def test_base_path_without_trailing_slash_is_a_directory_too():
    """base_url ending in /v1 confines to /v1/... as well."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, base_url="http://a.test/v1") as api:
        await api.get("x/../y")
        error = await outcome_of(api.get("../v2/y"))
    assert seen[0].url.path == "/v1/y"
    assert error.code == trioaxios.ERR_INVALID_URL


_PIECES = st.sampled_from(
    [
        ".",
        "..",
        "%2e",
        "%2E",
        "%25",
        "2e",
        "/",
        "\\",
        "%2f",
        "%5c",
        "a",
        "b",
        "?",
        "#",
        "@",
        ":",
        ";",
    ]
)


def server_view(raw_path: str) -> str:
    """The path a lenient server may act on: decoded repeatedly, '\\' as '/', dots removed."""
    path = raw_path
    for _ in range(4):
        path = unquote(path)
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    return "/".join(segments)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_no_relative_url_reaches_a_path_outside_the_base(url):
    """Random dots, encodings and separators never escape /v1/users/ (decoded too) or api.test."""
    seen: list[httpx2.Request] = []

    async def main():
        async with routed_client(seen, base_url=BASE, allow_absolute_urls=False) as api:
            return await outcome_of(api.get(url))

    outcome = trio.run(main)
    if isinstance(outcome, AxiosError):
        assert outcome.code == trioaxios.ERR_INVALID_URL
        return
    sent = seen[0].url
    assert sent.host == "api.test"
    raw = sent.raw_path.decode().partition("?")[0]
    assert (server_view(raw) + "/").startswith("/v1/users/")


_URL_CHARS = st.sampled_from(list("abAB09-._~%!$&'()*+,;=:@\\[]"))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.text(_URL_CHARS, max_size=12),
    st.sampled_from(["a.test", "B.TEST", "127.0.0.1", "[::1]", "xn--bcher-kva.test"]),
    st.one_of(st.none(), st.integers(1, 65535)),
)
def test_origin_of_agrees_with_the_engines_parse(scheme, userinfo, host, port):
    """Both origin functions give the engine's own (scheme, host, port), userinfo tricks too."""
    url = f"{scheme}://{userinfo}@{host}" + (f":{port}" if port else "") + "/p"
    try:
        parsed = httpx2.URL(url)
    except httpx2.InvalidURL:
        return
    default = {"http": 80, "https": 443}[parsed.scheme]
    expected = (parsed.scheme, parsed.raw_host.decode("ascii").lower(), parsed.port or default)
    assert origin_of(str(parsed)) == expected
    assert engine_origin(parsed) == expected


# -- T37: schemes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "data:text/plain;base64,aGk=",
        "file:///etc/passwd",
        "ftp://ftp.test/file",
        "gopher://g.test/",
        "javascript:alert(1)",
        "users:1",
    ],
)
@pytest.mark.parametrize("base_url", [None, BASE])
async def test_non_http_schemes_are_invalid_before_any_io(url, base_url):
    """data:, file:, ftp:, gopher:, javascript: are ERR_INVALID_URL, with or without base_url."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, base_url=base_url) as api:
        error = await invalid_url_error(api.get(url))
    assert "scheme" in error.message
    assert seen == []


async def test_a_huge_data_url_is_refused_without_allocating_it():
    """A 32 MB data: URL is refused while tracemalloc sees well under 1 MB allocated."""
    url = "data:application/octet-stream;base64," + "QUFB" * (8 * 1024 * 1024)
    seen: list[httpx2.Request] = []
    async with routed_client(seen, base_url=None) as api:
        tracemalloc.start()
        try:
            outcome = await outcome_of(api.get(url))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert outcome.code == trioaxios.ERR_INVALID_URL
    assert len(outcome.message) < 200
    assert peak < 1024 * 1024
    assert seen == []


@pytest.mark.parametrize("url", ["a/" * 40_000, "http://h.test/" + "x" * 70_000])
async def test_urls_longer_than_the_engines_limit_are_refused_first(url):
    """Past 65 536 characters a URL is ERR_INVALID_URL before it is scanned or copied."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen) as api:
        error = await invalid_url_error(api.get(url))
    assert "65536" in error.message
    assert seen == []


# -- T38: linear time ---------------------------------------------------------------------


def best_time(fn, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


async def _at_authority(api, n: int):
    outcome = await outcome_of(api.get("http://" + "@" * n + "/x"))
    str(outcome), repr(outcome), outcome.to_json()


async def _slash_base(api, n: int):
    # Past 64 KiB the engine refuses the URL ("URL too long"); quickly, which is the point.
    await outcome_of(api.get("x", base_url="http://a.test" + "/" * n))


async def _padded_header(api, n: int):
    padding = " " * n
    response = await api.get("x", headers={"X-Pad": f"{padding}v{padding}"})
    repr(response.request.headers)


@pytest.mark.parametrize("case", [_at_authority, _slash_base, _padded_header])
def test_long_inputs_are_handled_in_linear_time(case):
    """100 000-char inputs take well under a second, and doubling N at most ~doubles the time."""
    seen: list[httpx2.Request] = []

    def timed(n: int) -> float:
        async def main():
            async with routed_client(seen, base_url="http://a.test/") as api:
                await case(api, 10)  # warm up
                start = time.perf_counter()
                await case(api, n)
                return time.perf_counter() - start

        return trio.run(main)

    def run(n):
        return lambda: timed(n)

    small, large = best_time(run(25_000)), best_time(run(50_000))
    assert large < 3 * small + 0.005
    assert best_time(run(100_000), repeats=2) < 0.5
