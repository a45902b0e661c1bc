"""
Masking of secrets in URLs, headers and free text, for every string form we produce.

Every ``repr``, error message, ``to_json()`` and log line that trioaxios (or httpx2, for our
requests) produces goes through here. What counts as a secret:

- the value of a **sensitive header**: one of ``SENSITIVE_HEADERS``, any name that contains
  one of ``_HEADER_MARKERS`` (``token``, ``secret``, ``cookie``, ...), or a name marked
  sensitive with the ``sensitive_headers`` config key or used as ``xsrf_header_name``;
- the **password** of a URL (``https://user:pw@host``);
- the value of a **credential query parameter**, in the query or the fragment: one of
  ``SENSITIVE_QUERY_PARAMS``, any name that contains one of ``_PARAM_MARKERS``, or a name
  marked with the ``sensitive_params`` config key.

Names marked through config are registered process-wide (``register_sensitive_headers``):
a header that one client treats as a secret is masked in the output of every client. Masking
too much in a log line costs nothing; masking too little leaks a credential.

Everything here runs in linear time and never raises on malformed input: it runs while an
error is being reported.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from collections.abc import Iterable

REDACTED: Final = "[REDACTED]"

#: Headers whose values are always secret (lower-case).
SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-xsrf-token",
        "x-csrf-token",
        "x-api-key",
        "x-auth-token",
        "x-amz-security-token",
    }
)

#: A header whose lower-case name contains one of these is secret too.
_HEADER_MARKERS: Final = (
    "authorization",
    "cookie",
    "token",
    "secret",
    "password",
    "passwd",
    "api-key",
    "apikey",
    "api_key",
    "credential",
    "signature",
    "session",
)

#: Query (and fragment) parameters whose values are always secret (lower-case).
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
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "signature",
        "sig",
        "sid",
        "auth",
    }
)

#: A parameter whose lower-case name contains one of these is secret too.
_PARAM_MARKERS: Final = (
    "token",
    "secret",
    "password",
    "passwd",
    "signature",
    "credential",
    "apikey",
    "api_key",
    "api-key",
    "session",
)

_registered_headers: set[str] = set()
_registered_params: set[str] = set()

_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SCHEME_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-"
)
#: The longest scheme ``redact_text`` looks back for in front of ``://``.
_MAX_SCHEME: Final = 32
#: A character that ends a URL quoted inside free text (log lines, reprs).
_URL_END: Final = re.compile(r"[\s'\"<>`]")
_PARAM_SEPARATORS: Final = re.compile(r"([&;])")
#: How deep URLs inside parameter values inside URLs are followed.
_MAX_NESTING: Final = 3
#: ``(b'name', b'value')`` pairs, as httpcore2's debug traces print header lists.
_BYTES_PAIR: Final = re.compile(
    r"""\(b(?P<q1>['"])(?P<name>[!#$%&*+.^_`|~0-9A-Za-z\-]{1,256})(?P=q1), """
    r"""b(?P<q2>['"])(?P<value>(?:\\.|(?!(?P=q2))[^\\])*)(?P=q2)\)"""
)


def register_sensitive_headers(names: Iterable[str]) -> None:
    """Mark header ``names`` as secret in every string form, process-wide."""
    _registered_headers.update(name.lower() for name in names)


def register_sensitive_params(names: Iterable[str]) -> None:
    """Mark query parameter ``names`` as secret in every string form, process-wide."""
    _registered_params.update(name.lower() for name in names)


def is_sensitive_header(name: str) -> bool:
    """Return whether a header's value must never be shown (or sent to another origin)."""
    lower = name.lower()
    return (
        lower in SENSITIVE_HEADERS
        or lower in _registered_headers
        or any(marker in lower for marker in _HEADER_MARKERS)
    )


def is_sensitive_param(name: str) -> bool:
    """Return whether a query parameter's value must never be shown."""
    lower = name.lower()
    return (
        lower in SENSITIVE_QUERY_PARAMS
        or lower in _registered_params
        or any(marker in lower for marker in _PARAM_MARKERS)
    )


def _mask_params(text: str, depth: int) -> str:
    """
    Mask the values of credential parameters in ``a=1&token=s;b=2``, keeping the rest as is.

    A value that is itself a URL (``?next=https%3A%2F%2Fh%2F%3Ftoken%3Ds``) is redacted too,
    shown decoded, up to ``_MAX_NESTING`` levels deep.
    """
    if "=" not in text:
        return text
    pieces = _PARAM_SEPARATORS.split(text)
    for index in range(0, len(pieces), 2):
        name, eq, value = pieces[index].partition("=")
        if not eq:
            continue
        if is_sensitive_param(unquote_plus(name)):
            pieces[index] = f"{name}={REDACTED}"
        elif depth < _MAX_NESTING and ("://" in value or "%3A%2F%2F" in value.upper()):
            inner = unquote_plus(value)
            shown = _redact_url(inner, depth + 1)
            if shown != inner:
                pieces[index] = f"{name}={shown}"
    return "".join(pieces)


def _first_delimiter(text: str, delimiters: str = "/?#") -> int:
    """Index of the first of ``delimiters`` in ``text``, or ``len(text)``."""
    end = len(text)
    for delimiter in delimiters:
        found = text.find(delimiter, 0, end)
        if found != -1:
            end = found
    return end


def _mask_authority(rest: str) -> tuple[str, str]:
    """
    Split ``rest`` (a URL after ``//``) into a shown authority and what follows it.

    The authority ends at the first ``/``, ``?`` or ``#`` (RFC 3986, as httpx2 parses it),
    and its password is masked. When it holds no ``@`` but an ``@`` comes later and the
    authority has a port that is not a number, or the ``@`` is still in the path, the
    password probably holds a raw ``/``, ``?`` or ``#``: everything up to the last ``@`` is
    masked (over-masking a path is harmless; showing a password is not).
    """
    end = _first_delimiter(rest)
    authority = rest[:end]
    if "@" in authority:
        userinfo, _, hostport = authority.rpartition("@")
        if ":" in userinfo:
            return f"{userinfo.split(':', 1)[0]}:{REDACTED}@{hostport}", rest[end:]
        return authority, rest[end:]
    if ":" in authority and "@" in rest:
        port = authority.rpartition(":")[2]
        broken = not port.isdigit() and not authority.endswith("]")
        in_path = "@" in rest[: _first_delimiter(rest, "?#")]
        if broken or in_path:
            after = rest[rest.rfind("@") + 1 :]
            host_end = _first_delimiter(after)
            return f"{REDACTED}@{after[:host_end]}", after[host_end:]
    return authority, rest[end:]


def redact_url(url: str) -> str:
    """
    Return ``url`` with any password and credential parameter values masked.

    Works on absolute, protocol-relative and relative URLs, and on malformed ones: it never
    raises and runs in linear time.
    """
    if not isinstance(url, str):
        return REDACTED
    return _redact_url(url, 0)


def _redact_url(url: str, depth: int) -> str:
    match = _SCHEME.match(url)
    start = match.end() if match else 0
    shown, rest = url[:start], url[start:]
    if rest.startswith("//"):
        authority, rest = _mask_authority(rest[2:])
        shown += "//" + authority
    elif match is not None and "@" in rest[: _first_delimiter(rest)]:
        # ``user:pw@host/path`` without ``//``: the "scheme" is the user name.
        shown = f"{shown}{REDACTED}@"
        rest = rest.partition("@")[2]
    head, hash_mark, fragment = rest.partition("#")
    path, question, query = head.partition("?")
    if question:
        query = _mask_params(query, depth)
    if hash_mark:
        fragment = _mask_params(fragment, depth)
    return f"{shown}{path}{question}{query}{hash_mark}{fragment}"


def redact_header_value(name: str, value: str) -> str:
    """Return ``value``, the mask when ``name`` is a sensitive header, URLs in it redacted."""
    if is_sensitive_header(name):
        return REDACTED
    return redact_text(value)


def _scheme_start(text: str, colon: int) -> int:
    """Index where the scheme ending at ``text[colon] == ':'`` starts, or -1."""
    start = colon
    floor = max(0, colon - _MAX_SCHEME)
    while start > floor and text[start - 1] in _SCHEME_CHARS:
        start -= 1
    while start < colon and not text[start].isalpha():
        start += 1
    return start if start < colon else -1


def redact_text(text: str) -> str:
    """
    Return ``text`` with every ``scheme://...`` URL in it redacted, and secret header pairs.

    Header pairs are httpcore2's debug form ``(b'set-cookie', b'...')``. Linear time: URLs
    are found from their ``://`` without backtracking.
    """
    if not isinstance(text, str):
        return REDACTED
    if "://" in text:
        out: list[str] = []
        position = 0
        search = 0
        while True:
            found = text.find("://", search)
            if found == -1:
                break
            start = _scheme_start(text, found)
            stop = _URL_END.search(text, found + 3)
            end = len(text) if stop is None else stop.start()
            if start == -1 or start < position:
                search = found + 3
                continue
            out.append(text[position:start])
            out.append(redact_url(text[start:end]))
            position = search = end
        out.append(text[position:])
        text = "".join(out)
    if "(b" in text:
        text = _BYTES_PAIR.sub(_mask_pair, text)
    return text


def _mask_pair(match: re.Match[str]) -> str:
    if is_sensitive_header(match["name"]):
        q1, q2 = match["q1"], match["q2"]
        return f"(b{q1}{match['name']}{q1}, b{q2}{REDACTED}{q2})"
    return match.group(0)
