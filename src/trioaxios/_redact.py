"""
Masking of secrets in URLs and headers, for every string form we produce.

Used by error messages, ``repr`` and ``to_json``; the hardening work extends the lists.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED: Final = "[REDACTED]"

SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-xsrf-token",
        "x-csrf-token",
        "x-api-key",
    }
)

SENSITIVE_QUERY_PARAMS: Final = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "api_key",
        "apikey",
        "key",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "signature",
        "sig",
    }
)


def is_sensitive_header(name: str) -> bool:
    """Return whether a header's value must never be shown."""
    return name.lower() in SENSITIVE_HEADERS


def redact_url(url: str) -> str:
    """
    Return ``url`` with any password and credential-looking query values masked.

    Malformed input is returned masked as a whole rather than raising: this runs while an
    error is being reported and must not fail itself.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{REDACTED}@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(k.lower() in SENSITIVE_QUERY_PARAMS for k, _ in pairs):
                masked = [
                    (k, REDACTED if k.lower() in SENSITIVE_QUERY_PARAMS else v) for k, v in pairs
                ]
                query = urlencode(masked, safe="[]")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return REDACTED


def redact_header_value(name: str, value: str) -> str:
    """Return ``value``, or the mask when ``name`` is a sensitive header."""
    return REDACTED if is_sensitive_header(name) else value
