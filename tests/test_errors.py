"""AxiosError and CanceledError: fields, to_json, redaction, codes for network and URL errors."""

from __future__ import annotations

import json
import pickle

import httpx2
import pytest
import trio

import trioaxios
from trioaxios import AxiosError, CanceledError
from trioaxios._errors import ERROR_CODES

SECRETS = ("hunter2", "tok-123", "k3y-456", "Bearer-s3cret", "sid=c00kie", "pw-789")


def secret_url(port: int = 1) -> str:
    return f"http://user:hunter2@127.0.0.1:{port}/x?access_token=tok-123&api_key=k3y-456&page=2"


def secret_headers() -> dict[str, str]:
    return {"Authorization": "Bearer Bearer-s3cret", "Cookie": "sid=c00kie", "X-Plain": "ok"}


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


async def connection_refused_error() -> AxiosError:
    async with trioaxios.create() as api:
        with pytest.raises(AxiosError) as info:
            await api.get(secret_url(), headers=secret_headers(), auth=("user", "pw-789"))
    return info.value


# -- the classes --------------------------------------------------------------------------


def test_axios_error_fields():
    """AxiosError carries message, code, config, request and response; status follows response."""
    config = trioaxios.RequestConfig(url="/x")
    error = AxiosError("boom", trioaxios.ERR_NETWORK, config)
    assert (error.message, error.code, error.config) == ("boom", "ERR_NETWORK", config)
    assert error.request is None
    assert error.response is None
    assert error.status is None
    assert error.is_axios_error is True
    assert str(error) == "boom"
    assert repr(error) == "AxiosError('boom', code='ERR_NETWORK')"


def test_canceled_error_is_an_axios_error_with_err_canceled():
    """CanceledError has code ERR_CANCELED, axios's default message, and a reason."""
    error = CanceledError()
    assert isinstance(error, AxiosError)
    assert error.code == trioaxios.ERR_CANCELED
    assert error.message == "canceled"
    assert error.reason == "canceled"
    assert CanceledError("user left", reason={"why": 1}).reason == {"why": 1}


def test_is_cancel_and_is_axios_error():
    """is_cancel is True only for CanceledError; is_axios_error for any AxiosError."""
    assert trioaxios.is_cancel(CanceledError())
    assert not trioaxios.is_cancel(AxiosError("x"))
    assert not trioaxios.is_cancel(ValueError())
    assert trioaxios.is_axios_error(AxiosError("x"))
    assert trioaxios.is_axios_error(CanceledError())
    assert not trioaxios.is_axios_error(RuntimeError("x"))
    assert not trioaxios.is_axios_error("ERR_NETWORK")


def test_the_twelve_axios_codes_are_exported_as_their_own_names():
    """Every axios code exists as a constant whose value is its name."""
    names = {
        "ERR_BAD_OPTION_VALUE", "ERR_BAD_OPTION", "ECONNABORTED", "ETIMEDOUT", "ERR_NETWORK",
        "ERR_FR_TOO_MANY_REDIRECTS", "ERR_DEPRECATED", "ERR_BAD_RESPONSE", "ERR_BAD_REQUEST",
        "ERR_CANCELED", "ERR_NOT_SUPPORT", "ERR_INVALID_URL",
    }  # fmt: skip
    assert {getattr(trioaxios, name) for name in names} == names == ERROR_CODES


@pytest.mark.parametrize(
    "error",
    [AxiosError("boom", trioaxios.ERR_BAD_REQUEST), CanceledError("user left")],
)
def test_errors_pickle(error):
    """Errors survive pickling with their class, message and code."""
    clone = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert type(clone) is type(error)
    assert (clone.message, clone.code) == (error.message, error.code)


# -- real failures ------------------------------------------------------------------------


async def test_connection_refused_is_err_network():
    """Nothing listening (127.0.0.1:1) gives ERR_NETWORK, chained from the engine's error."""
    with trio.fail_after(10):
        error = await connection_refused_error()
    assert error.code == trioaxios.ERR_NETWORK
    assert isinstance(error.__cause__, httpx2.ConnectError)
    assert error.response is None
    assert error.request is not None
    assert error.config is not None


async def test_error_text_and_repr_hold_no_secrets():
    """str, repr, and the repr of .config/.request hold no credentials or secret headers."""
    with trio.fail_after(10):
        error = await connection_refused_error()
    assert_no_secrets(str(error))
    assert_no_secrets(repr(error))
    assert_no_secrets(repr(error.config))
    assert_no_secrets(repr(error.request))
    assert error.request is not None
    assert_no_secrets(repr(error.request.headers))


async def test_to_json_is_json_ready_with_code_and_redacted_url():
    """to_json() is a JSON-serializable dict with the code, method and a redacted URL."""
    with trio.fail_after(10):
        error = await connection_refused_error()
    data = error.to_json()
    text = json.dumps(data)
    assert data["code"] == trioaxios.ERR_NETWORK
    assert data["name"] == "AxiosError"
    assert data["method"] == "GET"
    assert data["status"] is None
    assert data["url"].startswith("http://user:")
    assert "page=2" in data["url"]
    assert_no_secrets(text)


async def test_to_json_of_a_status_error_has_the_status(server):
    """to_json() of a rejected status carries the status."""
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10), pytest.raises(AxiosError) as info:
            await api.get("/status/418")
    assert info.value.to_json()["status"] == 418
    json.dumps(info.value.to_json())


async def test_pickling_a_real_error_drops_live_context():
    """A raised error pickles; config, request and response are not carried across."""
    with trio.fail_after(10):
        error = await connection_refused_error()
    clone = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert clone.code == trioaxios.ERR_NETWORK
    assert clone.message == error.message
    assert clone.config is None


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("ftp://example.test/file", "scheme"),
        ("/relative/path", "base_url"),
        ("http://[::1", "invalid URL"),
        ("mailto:someone@example.test", "scheme"),
    ],
)
async def test_bad_urls_are_err_invalid_url(url, hint):
    """Unsupported schemes, relative URLs without base_url and malformed URLs: ERR_INVALID_URL."""
    async with trioaxios.create() as api:
        with pytest.raises(AxiosError) as info:
            await api.get(url)
    assert info.value.code == trioaxios.ERR_INVALID_URL
    assert hint in info.value.message
    assert info.value.config is not None
    assert info.value.to_json()["method"] == "GET"


async def test_invalid_url_error_redacts_credentials():
    """An ERR_INVALID_URL for a URL with credentials does not leak them anywhere."""
    async with trioaxios.create() as api:
        with pytest.raises(AxiosError) as info:
            await api.get("ftp://user:hunter2@h.test/?access_token=tok-123")
    assert_no_secrets(str(info.value))
    assert_no_secrets(json.dumps(info.value.to_json()))


async def test_status_error_repr_holds_no_secrets(server):
    """A 4xx error's message, repr and to_json do not show the Authorization header."""
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10), pytest.raises(AxiosError) as info:
            await api.get("/status/401", headers=secret_headers(), params={"api_key": "k3y-456"})
    error = info.value
    assert_no_secrets(str(error))
    assert_no_secrets(repr(error))
    assert_no_secrets(json.dumps(error.to_json()))
    assert_no_secrets(repr(error.response))
