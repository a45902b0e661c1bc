"""Request bodies and response data: encodings, transforms, validate_status, auth, redirects."""

from __future__ import annotations

import base64
import gzip
import json

import httpx2
import pytest
import trio

import trioaxios

BASE = "http://api.test"


def mock_client(handler, **config) -> trioaxios.Client:
    return trioaxios.create({"base_url": BASE}, transport=httpx2.MockTransport(handler), **config)


def reply(content: bytes, content_type: str | None, status: int = 200):
    headers = {} if content_type is None else {"Content-Type": content_type}
    return lambda _request: httpx2.Response(status, content=content, headers=headers)


def echo_body(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "body": request.content.decode("latin-1"),
            "type": request.headers.get("content-type"),
        },
    )


@pytest.fixture
async def live(server):
    async with trioaxios.create(base_url=server.url) as client:
        yield client


# -- response data ------------------------------------------------------------------------


async def test_json_body_is_decoded():
    """A JSON body becomes Python data."""
    async with mock_client(reply(b'{"a": [1, 2]}', "application/json")) as api:
        assert (await api.get("/j")).data == {"a": [1, 2]}


async def test_json_suffix_type_is_decoded():
    """A `+json` media type (problem+json) is decoded as JSON too."""
    async with mock_client(reply(b'{"title": "x"}', "application/problem+json")) as api:
        assert (await api.get("/j")).data == {"title": "x"}


async def test_undeclared_json_is_parsed_by_default():
    """Without a JSON content type, a body that parses is still decoded (forced_json_parsing)."""
    async with mock_client(reply(b"[1, 2]", "text/plain")) as api:
        assert (await api.get("/j")).data == [1, 2]


async def test_undeclared_non_json_stays_text():
    """Without a JSON content type, a body that does not parse is returned as text."""
    async with mock_client(reply(b"hello", "text/plain")) as api:
        assert (await api.get("/t")).data == "hello"


async def test_text_uses_the_declared_charset(live):
    """Text in a declared charset is decoded with it."""
    with trio.fail_after(10):
        response = await live.get("/text", params={"charset": "latin-1"}, response_type="text")
    assert response.data == "h\u00e9llo w\u00f6rld"


async def test_response_encoding_overrides_the_charset():
    """response_encoding wins over the charset the server declared."""
    body = "h\u00e9llo".encode("cp1252")
    async with mock_client(reply(body, "text/plain; charset=utf-8")) as api:
        response = await api.get("/t", response_type="text", response_encoding="cp1252")
    assert response.data == "h\u00e9llo"
    assert response.encoding == "cp1252"


async def test_missing_charset_defaults_to_utf8():
    """Text without a charset is read as UTF-8."""
    async with mock_client(reply("h\u00e9llo".encode(), "text/plain")) as api:
        assert (await api.get("/t", response_type="text")).data == "h\u00e9llo"


async def test_response_type_bytes_returns_raw_bytes():
    """response_type="bytes" returns the body untouched, even when it is JSON."""
    async with mock_client(reply(b'{"a": 1}', "application/json")) as api:
        assert (await api.get("/b", response_type="bytes")).data == b'{"a": 1}'


async def test_response_type_text_returns_a_str_even_for_json():
    """response_type="text" returns the body as a str, not parsed."""
    async with mock_client(reply(b'{"a": 1}', "application/json")) as api:
        assert (await api.get("/t", response_type="text")).data == '{"a": 1}'


async def test_bad_json_is_err_bad_response_with_a_short_excerpt(live):
    """A body declared JSON that does not parse: ERR_BAD_RESPONSE, status, short excerpt."""
    with trio.fail_after(10):
        with pytest.raises(trioaxios.AxiosError) as info:
            await live.get("/bad-json")
    error = info.value
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert error.response is not None
    assert error.response.status == 200
    assert "200" in error.message
    assert "{not json" in error.message
    assert len(error.message) < 200
    assert "x" * 200 not in error.message
    assert isinstance(error.__cause__, json.JSONDecodeError)


async def test_bad_json_is_text_when_silent_parsing_and_not_declared():
    """An undeclared body that fails to parse is kept as text (silent_json_parsing)."""
    async with mock_client(reply(b"{oops", None)) as api:
        assert (await api.get("/t")).data == "{oops"


async def test_undeclared_bad_json_raises_when_silent_parsing_is_off():
    """With silent_json_parsing off and response_type json, a parse failure raises."""
    async with mock_client(reply(b"{oops", "text/plain")) as api:
        with pytest.raises(trioaxios.AxiosError) as info:
            await api.get("/t", transitional={"silent_json_parsing": False})
    assert info.value.code == trioaxios.ERR_BAD_RESPONSE


async def test_forced_json_parsing_off_keeps_undeclared_json_as_text():
    """With forced_json_parsing off, an undeclared JSON-looking body stays text."""
    async with mock_client(reply(b"[1]", "text/plain")) as api:
        response = await api.get("/t", transitional={"forced_json_parsing": False})
    assert response.data == "[1]"


async def test_head_response_data_is_none(live):
    """HEAD has no body: data is None and it is not an error."""
    with trio.fail_after(10):
        response = await live.head("/json")
    assert response.status == 200
    assert response.data is None


@pytest.mark.parametrize("path", ["/empty", "/status/204"])
async def test_204_data_is_none(live, path):
    """A 204 with no body gives data None, not a decoding error."""
    with trio.fail_after(10):
        response = await live.get(path)
    assert response.status == 204
    assert response.data is None


async def test_empty_body_declared_json_is_none():
    """An empty body that claims to be JSON is None, not an error."""
    async with mock_client(reply(b"", "application/json")) as api:
        assert (await api.get("/e")).data is None


async def test_empty_body_as_text_is_an_empty_string():
    """An empty body with response_type text is ''."""
    async with mock_client(reply(b"", "text/plain")) as api:
        assert (await api.get("/e", response_type="text")).data == ""


async def test_awaiting_a_stream_response_type_says_to_use_async_with():
    """response_type="stream" needs `async with`; awaiting it raises and says so."""
    async with mock_client(reply(b"{}", "application/json")) as api:
        with pytest.raises(trioaxios.AxiosError) as info:
            await api.get("/s", response_type="stream")
    assert "async with" in info.value.message


# -- validate_status ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, trioaxios.ERR_BAD_REQUEST), (500, trioaxios.ERR_BAD_RESPONSE)],
)
async def test_default_validate_status_rejects_non_2xx(live, status, code):
    """4xx is ERR_BAD_REQUEST and 5xx ERR_BAD_RESPONSE, with .response and .status set."""
    with trio.fail_after(10):
        with pytest.raises(trioaxios.AxiosError) as info:
            await live.get(f"/status/{status}")
    error = info.value
    assert error.code == code
    assert error.response is not None
    assert error.response.status == error.status == status
    assert error.response.data == {"status": status}
    assert error.message == f"Request failed with status code {status}"
    assert error.config is not None
    assert error.request is not None


async def test_custom_validate_status_accepts_what_it_says():
    """A custom validate_status decides: here 404 is fine and 200 is not."""
    async with mock_client(reply(b"{}", "application/json", status=404)) as api:
        response = await api.get("/x", validate_status=lambda status: status == 404)
    assert response.status == 404
    async with mock_client(reply(b"{}", "application/json")) as api:
        with pytest.raises(trioaxios.AxiosError) as info:
            await api.get("/x", validate_status=lambda status: status == 404)
    assert info.value.status == 200


async def test_validate_status_none_accepts_everything():
    """validate_status=None accepts every status, 5xx included."""
    async with mock_client(reply(b'{"e": 1}', "application/json", status=503)) as api:
        response = await api.get("/x", validate_status=None)
    assert response.status == 503
    assert response.data == {"e": 1}


async def test_validate_status_from_defaults_applies():
    """validate_status set on the client applies to every request."""
    async with mock_client(
        reply(b"{}", "application/json", status=404), validate_status=lambda s: s < 500
    ) as api:
        assert (await api.get("/x")).status == 404


# -- request bodies and transforms --------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "body", "content_type"),
    [
        ({"a": 1, "b": "\u00e9"}, '{"a":1,"b":"\u00e9"}'.encode(), "application/json"),
        ([1, 2], b"[1,2]", "application/json"),
        ("plain \u00e9", "plain \u00e9".encode(), None),
        (b"\x00\xff", b"\x00\xff", None),
        (bytearray(b"ab"), b"ab", None),
    ],
)
async def test_default_request_encoding(data, body, content_type):
    """dict/list go out as UTF-8 JSON with application/json; str and bytes pass through."""
    seen: list[httpx2.Request] = []

    def handler(request):
        seen.append(request)
        return httpx2.Response(204)

    async with mock_client(handler) as api:
        await api.post("/x", data)
    assert seen[0].content == body
    assert seen[0].headers.get("content-type") == content_type


async def test_caller_content_type_is_kept_for_json():
    """A caller-set Content-Type is kept when a dict is JSON-encoded."""
    async with mock_client(echo_body) as api:
        response = await api.post("/x", {"a": 1}, headers={"content-type": "application/vnd+json"})
    assert response.data == {"body": '{"a":1}', "type": "application/vnd+json"}


async def test_form_urlencoded_mapping():
    """A mapping with a form content type is form-encoded, None values dropped."""
    async with mock_client(echo_body) as api:
        response = await api.post(
            "/x",
            {"a": "1 2", "b": ["x", "y"], "c": None},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.data["body"] == "a=1+2&b=x&b=y"
    assert response.data["type"] == "application/x-www-form-urlencoded"


async def test_unserializable_data_is_err_bad_option_value():
    """Data that cannot be JSON-encoded is ERR_BAD_OPTION_VALUE before anything is sent."""
    seen = []

    def handler(request):
        seen.append(request)  # pragma: no cover - never reached
        return httpx2.Response(200)  # pragma: no cover - never reached

    async with mock_client(handler) as api:
        with pytest.raises(trioaxios.AxiosError) as info:
            await api.post("/x", {"when": object()})
        with pytest.raises(trioaxios.AxiosError):
            await api.post("/x", {"nan": float("nan")})
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "data" in info.value.message
    assert seen == []


async def test_transform_request_list_runs_in_order_sync_and_async():
    """transform_request functions (sync and async) run in order with (data, headers)."""

    def add_b(data, headers):
        headers["X-Transformed"] = "yes"
        return {**data, "b": 2}

    async def to_text(data, headers):
        await trio.lowlevel.checkpoint()
        return ";".join(f"{k}={v}" for k, v in data.items())

    async with mock_client(echo_body) as api:
        response = await api.post("/x", {"a": 1}, transform_request=[add_b, to_text])
    assert response.data["body"] == "a=1;b=2"
    assert response.request.headers["x-transformed"] == "yes"


async def test_transform_response_list_runs_in_order_sync_and_async():
    """transform_response functions (sync and async) run on the decoded data in order."""
    calls = []

    def first(data, headers, status):
        calls.append((headers["content-type"], status))
        return data["n"]

    async def second(data, headers, status):
        await trio.lowlevel.checkpoint()
        return data * 10

    async with mock_client(reply(b'{"n": 4}', "application/json", status=201)) as api:
        response = await api.get("/x", transform_response=[first, second])
    assert response.data == 40
    assert calls == [("application/json", 201)]


async def test_single_transform_function_is_accepted():
    """A single callable is accepted where a list is expected."""
    async with mock_client(reply(b'{"n": 4}', "application/json")) as api:
        response = await api.get("/x", transform_response=lambda _data, _headers, _status: "done")
    assert response.data == "done"


async def test_transform_response_sees_error_responses_too():
    """transform_response runs before validate_status, so error.response.data is transformed."""
    async with mock_client(reply(b'{"n": 4}', "application/json", status=500)) as api:
        with pytest.raises(trioaxios.AxiosError) as info:
            await api.get("/x", transform_response=[lambda _data, _headers, status: status])
    assert info.value.response is not None
    assert info.value.response.data == 500


# -- auth, redirects, decompression -------------------------------------------------------


@pytest.mark.parametrize(
    "auth", [("aladdin", "open sesame"), {"username": "aladdin", "password": "open sesame"}]
)
async def test_basic_auth_sets_the_authorization_header(auth):
    """auth as a pair or mapping sends a Basic Authorization header."""
    async with mock_client(lambda request: httpx2.Response(200, json=dict(request.headers))) as api:
        response = await api.get("/x", auth=auth)
    expected = "Basic " + base64.b64encode(b"aladdin:open sesame").decode()
    assert response.data["authorization"] == expected


async def test_basic_auth_wins_over_an_authorization_header():
    """auth replaces an Authorization header set by hand (axios)."""
    async with mock_client(lambda request: httpx2.Response(200, json=dict(request.headers))) as api:
        response = await api.get("/x", auth=("u", "p"), headers={"Authorization": "Bearer t"})
    assert response.data["authorization"].startswith("Basic ")


async def test_redirects_are_followed(live, server):
    """Redirects are followed to the final response by default."""
    with trio.fail_after(10):
        response = await live.get("/redirect/3")
    assert response.status == 200
    assert response.data == {"hello": "world", "items": [1, 2, 3]}
    assert response.url == f"{server.url}/json"
    assert server.app.count("/json") == 1


async def test_max_redirects_zero_returns_the_redirect(live, server):
    """max_redirects=0 returns the 3xx itself (with a validate_status that accepts it)."""
    with trio.fail_after(10):
        response = await live.get("/redirect/3", max_redirects=0, validate_status=lambda s: s < 400)
    assert response.status == 302
    assert response.headers["location"] == "/redirect/2"
    assert server.app.count("/redirect/2") == 0


async def test_max_redirects_zero_with_default_validate_status_rejects_the_3xx(live):
    """With redirects off, a 3xx fails the default validate_status."""
    with trio.fail_after(10):
        with pytest.raises(trioaxios.AxiosError) as info:
            await live.get("/redirect/1", max_redirects=0)
    assert info.value.status == 302


async def test_exceeding_max_redirects_is_err_fr_too_many_redirects(live, server):
    """More redirects than max_redirects: ERR_FR_TOO_MANY_REDIRECTS, and no request beyond."""
    with trio.fail_after(10):
        with pytest.raises(trioaxios.AxiosError) as info:
            await live.get("/redirect/5", max_redirects=2)
    assert info.value.code == trioaxios.ERR_FR_TOO_MANY_REDIRECTS
    assert server.app.count("/redirect/3") == 1  # two hops followed: 5 -> 4 -> 3
    assert server.app.count("/redirect/2") == 0


async def test_exact_number_of_redirects_is_allowed(live):
    """max_redirects=N allows exactly N hops."""
    with trio.fail_after(10):
        response = await live.get("/redirect/2", max_redirects=3)
    assert response.status == 200


async def test_gzip_is_decompressed_by_default(live):
    """A gzip body is decompressed and decoded."""
    with trio.fail_after(10):
        response = await live.get("/gzip")
    assert response.data == {"gzipped": True}


async def test_decompress_false_returns_raw_gzip_bytes(live):
    """decompress=False with response_type bytes returns the compressed bytes."""
    with trio.fail_after(10):
        response = await live.get("/gzip", decompress=False, response_type="bytes")
    assert response.data[:2] == b"\x1f\x8b"
    assert json.loads(gzip.decompress(response.data)) == {"gzipped": True}
