"""Redaction: URL passwords, credential parameters, secret headers, engine messages and logs.

The property test over every string form is in test_secrets_property.py; these are the rules
one by one (DESIGN §2, RELIABILITY T35).
"""

from __future__ import annotations

import json
import logging
import time
import traceback

import httpx2
import pytest
import trio

import trioaxios
from _helpers import outcome_of, routed_client
from trioaxios import AxiosError, Headers, RequestConfig
from trioaxios._models import Request
from trioaxios._redact import (
    REDACTED,
    is_sensitive_header,
    is_sensitive_param,
    redact_text,
    redact_url,
)
from trioaxios._transports._httpx2 import ENGINE_LOGGERS, EngineLogRedactor, install_log_redaction

# -- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:pw@h.test/x", f"https://u:{REDACTED}@h.test/x"),
        ("https://u@h.test/x", "https://u@h.test/x"),
        ("//u:pw@h.test/x", f"//u:{REDACTED}@h.test/x"),
        ("https://u:p%40ss@h.test/", f"https://u:{REDACTED}@h.test/"),
        (
            "https://h.test/x?access_token=t&page=2",
            f"https://h.test/x?access_token={REDACTED}&page=2",
        ),
        ("https://h.test/?a=1;Api_Key=k", f"https://h.test/?a=1;Api_Key={REDACTED}"),
        ("https://h.test/?acc%65ss_token=t", f"https://h.test/?acc%65ss_token={REDACTED}"),
        (
            "https://h.test/cb#access_token=t&state=s",
            f"https://h.test/cb#access_token={REDACTED}&state=s",
        ),
        ("https://h.test/?X-Amz-Signature=abc", f"https://h.test/?X-Amz-Signature={REDACTED}"),
        ("/relative?key=k", f"/relative?key={REDACTED}"),
        ("https://h.test/a%20b?q=a+b&x=%2F", "https://h.test/a%20b?q=a+b&x=%2F"),
    ],
)
def test_redact_url_masks_passwords_and_credential_parameters_only(url, shown):
    """Passwords and credential values are masked; everything else is kept byte for byte."""
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://h.test/login?next=https%3A%2F%2Fo.test%2Fcb%3Faccess_token%3Dnested-tok",
        "https://h.test/login?next=https://o.test/cb?access_token=nested-tok",
        "https://h.test/?a=https%3A%2F%2Fu%3Anested-tok%40o.test%2F",
    ],
)
def test_redact_url_masks_secrets_of_urls_inside_parameters(url):
    """A parameter whose value is a URL (encoded or not) has that URL redacted too."""
    assert "nested-tok" not in redact_url(url)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("http://u:p#ss@h.test/", "ss"),
        ("http://u:p?ss@h.test/", "ss"),
        ("http://u:p/ss@h.test/", "p/ss"),
        ("http://u:12/34@h.test", "12/34"),
        ("u:pw-raw@h.test/x", "pw-raw"),
    ],
)
def test_redact_url_masks_a_raw_password_that_breaks_the_authority(url, secret):
    """A password with a raw '#', '?' or '/' still does not show (everything to the '@' goes)."""
    shown = redact_url(url)
    assert secret not in shown
    assert shown.endswith(("h.test/", "h.test", "h.test/x"))


@pytest.mark.parametrize(
    "url", ["http://[bad", "http://u:pw@", "", "?", "#", "::::", "http://%zz@h/", "\x00\n"]
)
def test_redact_url_never_raises_on_malformed_input(url):
    """Malformed URLs are masked or shown, never an exception (this runs while reporting one)."""
    assert isinstance(redact_url(url), str)
    assert "pw" not in redact_url(url)


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "proxy-authorization",
        "COOKIE",
        "Set-Cookie",
        "X-XSRF-TOKEN",
        "X-Api-Key",
        "X-Auth-Token",
        "X-Amz-Security-Token",
        "X-Client-Secret",
        "X-Session-Id",
    ],
)
def test_built_in_and_marker_headers_are_sensitive(name):
    """The built-in list and names containing token/secret/session/... are secrets."""
    assert is_sensitive_header(name)


@pytest.mark.parametrize("name", ["Accept", "Content-Type", "X-Request-Id", "User-Agent", "Host"])
def test_ordinary_headers_are_not_sensitive(name):
    """Ordinary headers are shown."""
    assert not is_sensitive_header(name)


def test_sensitive_headers_config_masks_those_headers_everywhere():
    """A name marked with sensitive_headers is masked in every Headers repr afterwards."""
    RequestConfig(sensitive_headers=["X-Redaction-Tenant"])
    text = repr(Headers({"x-redaction-tenant": "tenant-s3cret", "X-Shown": "fine"}))
    assert "tenant-s3cret" not in text
    assert "fine" in text


def test_custom_xsrf_header_name_is_masked():
    """xsrf_header_name names a secret header: its value is masked."""
    RequestConfig(xsrf_header_name="X-Redaction-Csrf")
    assert "csrf-s3cret" not in repr(Headers({"X-Redaction-Csrf": "csrf-s3cret"}))


def test_sensitive_params_config_masks_those_parameters():
    """A parameter marked with sensitive_params is masked in URLs from then on."""
    RequestConfig(sensitive_params=["redaction_otp"])
    assert is_sensitive_param("Redaction_OTP")
    assert "123456" not in redact_url("https://h.test/?redaction_otp=123456")


def test_urls_inside_ordinary_header_values_are_redacted():
    """A Location (or any) header value holding a URL shows it redacted."""
    text = repr(Headers({"Location": "https://u:pw-loc@h.test/?token=tok-loc"}))
    assert "pw-loc" not in text
    assert "tok-loc" not in text


def test_request_repr_redacts_its_url():
    """Request's repr shows the method and a redacted URL."""
    request = Request("GET", "https://u:pw-req@h.test/?sig=sig-req", Headers())
    assert "pw-req" not in repr(request)
    assert "sig-req" not in repr(request)


# -- free text and engine messages --------------------------------------------------------


def test_redact_text_finds_urls_and_httpcore_header_pairs():
    """URLs anywhere in a line, and (b'set-cookie', b'...') pairs, are masked."""
    line = (
        'GET http://u:pw-a@h.test/?token=tok-b "HTTP/1.1 200" '
        "[(b'Set-Cookie', b'sid=c00kie'), (b'x-ok', b'shown')]"
    )
    text = redact_text(line)
    for secret in ("pw-a", "tok-b", "c00kie"):
        assert secret not in text
    assert "(b'x-ok', b'shown')" in text


@pytest.mark.parametrize(
    "unit", ["a", "a://", "(b'", "(b'x', b'", "x=1&", "http://h/?u=", "@", "%2e", "u:p@"]
)
def test_redaction_runs_in_linear_time(unit):
    """Adversarial text (letters with no '://', repeated schemes, open quotes) stays linear."""

    def cost(n):
        text = "http://" + (unit * n)[:n]
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            redact_text(text)
            redact_url(text)
            best = min(best, time.perf_counter() - start)
        return best

    small, large = cost(50_000), cost(100_000)
    assert large < 3 * small + 0.005
    assert large < 0.5


async def test_a_url_that_does_not_parse_leaves_no_password_in_the_error_or_its_chain():
    """httpx2's "Invalid port: '<password>'" is scrubbed from the message and the chained cause."""
    async with trioaxios.create() as api:
        error = await outcome_of(api.get("http://user:" + "hunter" + "2/x@h.test/"))
    assert error.code == trioaxios.ERR_INVALID_URL
    assert "hunter" not in str(error)
    assert "hunter" not in "".join(traceback.format_exception(error))


async def test_engine_error_messages_lose_quoted_wire_bytes():
    """An engine message quoting header bytes (h11's style) is scrubbed, in ours and the cause."""

    def handler(request):
        msg = "Illegal header value b'Bearer wire-s3cret'"
        raise httpx2.LocalProtocolError(msg)

    async with trioaxios.create(transport=httpx2.MockTransport(handler)) as api:
        error = await outcome_of(api.get("http://h.test/"))
    assert error.code == trioaxios.ERR_BAD_REQUEST
    assert "Illegal header value" in error.message
    assert "wire-s3cret" not in "".join(traceback.format_exception(error))


async def test_to_json_uses_the_redacted_url():
    """to_json() of an error carries the URL with password and tokens masked."""
    seen: list[httpx2.Request] = []
    async with routed_client(seen, {("a.test", "/v1/x"): (500, {})}) as api:
        error = await outcome_of(api.get("x", params={"access_token": "tok-json"}))
    assert isinstance(error, AxiosError)
    assert "tok-json" not in json.dumps(error.to_json())
    assert error.to_json()["url"].endswith(f"access_token={REDACTED}")


# -- engine logs --------------------------------------------------------------------------


def test_every_engine_logger_has_exactly_one_redactor():
    """Installing again (or opening clients) adds no second filter to any engine logger."""
    install_log_redaction()
    install_log_redaction()
    for name in ENGINE_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, EngineLogRedactor) for f in filters) == 1


async def test_engine_log_lines_for_our_requests_are_redacted(server, caplog):
    """At DEBUG, httpx2's request line and httpcore2's header dump show no secret."""
    caplog.set_level(logging.DEBUG)
    url = server.url.replace("http://", "http://user:log-pw@") + "/cookies/set"
    async with trioaxios.create() as api:
        with trio.fail_after(10):
            await api.get(url, params={"sid": "cookie-val", "access_token": "log-tok"})
            await api.get(
                server.url + "/redirect-to",
                params={"url": f"{server.url}/echo?api_key=loc-key"},
                headers={"Authorization": "Bearer log-bearer"},
            )
    text = caplog.text
    assert "HTTP Request: GET" in text
    assert "receive_response_headers.complete" in text
    for secret in ("log-pw", "cookie-val", "log-tok", "loc-key", "log-bearer"):
        assert secret not in text, secret


def test_engine_records_outside_our_requests_are_left_alone(caplog):
    """Someone else's httpx2 log line (not sent by us) is not rewritten."""
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx2").info("HTTP Request: GET %s", "http://u:theirs@h.test/")
    assert "http://u:theirs@h.test/" in caplog.text
