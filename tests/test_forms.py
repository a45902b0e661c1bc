"""
Form bodies: urlencoded encoding, and post_form / put_form / patch_form choosing the type.

Bodies are checked byte for byte as the echo server received them.
"""

from __future__ import annotations

import io

import pytest
import trio

import trioaxios
from trioaxios import ERR_BAD_OPTION_VALUE, AxiosError

URLENCODED = "application/x-www-form-urlencoded"
FORM_HEADERS = {"Content-Type": URLENCODED}


@pytest.fixture
async def api(server):
    async with trioaxios.create(base_url=server.url, timeout=10) as client:
        yield client


def received(server):
    return server.app.requests[-1]


async def test_urlencoded_body_is_exact(server, api):
    """Strings are plus-quoted, lists repeat the name, bools are lower-case, None is left out."""
    data = {"q": "a b&c=d", "tags": ["x", "y"], "on": True, "off": False, "n": 1.5, "none": None}
    await api.post("/echo", data, headers=FORM_HEADERS)
    assert received(server).body == b"q=a+b%26c%3Dd&tags=x&tags=y&on=true&off=false&n=1.5"
    assert received(server).header("content-type") == URLENCODED


async def test_urlencoded_nested_mapping_gets_bracketed_names(server, api):
    """A nested mapping and list items that are mappings get axios's bracketed names."""
    data = {"user": {"name": "Fred", "roles": ["a", "b"]}, "items": [{"id": 1}, {"id": 2}]}
    await api.post("/echo", data, headers=FORM_HEADERS)
    assert received(server).body == (
        b"user%5Bname%5D=Fred&user%5Broles%5D=a&user%5Broles%5D=b"
        b"&items%5B0%5D%5Bid%5D=1&items%5B1%5D%5Bid%5D=2"
    )


async def test_urlencoded_pairs_keep_their_order(server, api):
    """A list of (name, value) pairs is sent in order, repeated names included."""
    await api.post("/echo", [("b", "1"), ("a", "2"), ("b", "3")], headers=FORM_HEADERS)
    assert received(server).body == b"b=1&a=2&b=3"


async def test_urlencoded_utf8_and_bytes_values(server, api):
    """Text is UTF-8 percent-encoded and bytes values are percent-encoded as they are."""
    await api.post("/echo", {"name": "J\u00fcrgen", "raw": b"\x00\xff"}, headers=FORM_HEADERS)
    assert received(server).body == b"name=J%C3%BCrgen&raw=%00%FF"


async def test_urlencoded_file_is_refused_before_sending(server, api):
    """A file in a urlencoded form is ERR_BAD_OPTION_VALUE that points to multipart."""
    with pytest.raises(AxiosError) as info:
        await api.post("/echo", {"f": io.BytesIO(b"x")}, headers=FORM_HEADERS)
    assert info.value.code == ERR_BAD_OPTION_VALUE
    assert "multipart/form-data" in info.value.message
    assert server.app.count("/echo") == 0


@pytest.mark.parametrize("data", [42, ["a", "b"], [("a", "1", "extra")]])
async def test_form_type_with_data_that_is_not_fields(server, api, data):
    """Data that is neither a mapping nor (name, value) pairs cannot be a form."""
    with pytest.raises(AxiosError) as info:
        await api.post("/echo", data, headers=FORM_HEADERS)
    assert info.value.code == ERR_BAD_OPTION_VALUE
    assert "mapping" in info.value.message
    assert server.app.count("/echo") == 0


async def test_form_type_with_str_data_sends_it_as_it_is(server, api):
    """A str body is taken as already encoded, whatever the form type."""
    await api.post("/echo", "a=1&b=2", headers=FORM_HEADERS)
    assert received(server).body == b"a=1&b=2"


async def test_form_value_of_an_unknown_type_names_the_field(api):
    """A value that is not text, a number, bytes or a file is refused, naming its field."""
    with pytest.raises(AxiosError) as info:
        await api.post_form("/echo", {"when": object()})
    assert info.value.code == ERR_BAD_OPTION_VALUE
    assert "'when'" in info.value.message


@pytest.mark.parametrize("method", ["post", "put", "patch"])
async def test_client_form_methods_send_multipart(server, api, method):
    """post_form / put_form / patch_form send the method with a multipart body and boundary."""
    response = await getattr(api, f"{method}_form")("/echo", {"a": "1"})
    request = received(server)
    assert request.method == method.upper()
    content_type = request.header("content-type")
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1]
    assert (
        request.body
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
            f"--{boundary}--\r\n"
        ).encode()
    )
    assert response.status == 200


@pytest.mark.parametrize("where", ["options", "config"])
async def test_form_methods_keep_a_urlencoded_type_set_by_the_caller(server, api, where):
    """A urlencoded Content-Type given to post_form (keyword or config mapping) is kept."""
    if where == "options":
        await api.post_form("/echo", {"a": "1 2"}, headers=FORM_HEADERS)
    else:
        await api.post_form("/echo", {"a": "1 2"}, {"headers": FORM_HEADERS})
    assert received(server).header("content-type") == URLENCODED
    assert received(server).body == b"a=1+2"


async def test_form_methods_replace_a_non_form_type(server, api):
    """post_form over a JSON Content-Type still sends multipart, like axios's postForm."""
    await api.post_form("/echo", {"a": "1"}, headers={"Content-Type": "application/json"})
    assert received(server).header("content-type").startswith("multipart/form-data; boundary=")


async def test_form_methods_keep_other_caller_headers(server, api):
    """The caller's other headers go along with the form Content-Type."""
    await api.post_form("/echo", {"a": "1"}, headers={"X-Trace": "t-1"})
    assert received(server).header("x-trace") == "t-1"


@pytest.mark.parametrize("method", ["post", "put", "patch"])
async def test_one_off_form_functions(server, method):
    """trioaxios.post_form / put_form / patch_form send multipart on a short-lived client."""
    with trio.fail_after(10):
        await getattr(trioaxios, f"{method}_form")(f"{server.url}/echo", {"k": "v"})
    request = received(server)
    assert request.method == method.upper()
    assert request.header("content-type").startswith("multipart/form-data; boundary=")
    assert b'name="k"\r\n\r\nv\r\n' in request.body


async def test_form_defaults_do_not_change(api):
    """post_form does not write its Content-Type into the client's defaults."""
    await api.post_form("/echo", {"a": "1"})
    assert "content-type" not in api.defaults.headers
    assert "content-type" not in api.defaults.headers.post
