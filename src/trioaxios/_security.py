r"""
Where a request may go, and what it may carry there.

The rules, in the order a request meets them:

1. **Resolving the URL** (``resolve_url``): axios ``buildFullPath`` with umi-request's
   ``prefix`` / ``suffix``, hardened. All of these are ``ERR_INVALID_URL`` before anything is
   parsed, allocated or sent:

   - a URL longer than 65 536 characters (httpx2's own limit);
   - a scheme other than ``http`` / ``https`` (``data:``, ``file:``, ``ftp:``, ``gopher:``,
     ``javascript:``; a relative path whose first segment holds a colon, such as
     ``users:1``, reads as a scheme too: write ``./users:1``);
   - ``http:`` / ``https:`` not followed by ``//`` (``https:evil.test``);
   - a URL that starts with a backslash (``\\evil.test``, ``/\evil.test``): browsers
     read it as ``//evil.test``;
   - with ``base_url`` set and ``allow_absolute_urls=False``, any absolute URL, including
     a protocol-relative ``//host/path`` (axios 1.8, CVE-2025-27152);
   - a relative URL whose path would climb above ``base_url``'s path. Literal ``..``
     segments are normalized, then the result must still be under ``base_url``'s path and
     origin (checked on the URL exactly as the engine will send it). A segment that becomes
     ``..`` only once percent-decoded (``%2e%2e``, ``.%2E``, ``..%2f``, ``%252e%252e``) or
     split at a backslash (``..\admin``) is refused outright: a server may decode it and
     climb (CVE-2024-39338).

   A protocol-relative URL (``//host/path``) takes ``base_url``'s scheme.

2. **Confinement** (``confine``): the *home* origin is ``base_url``'s (scheme, host, port).
   A request that resolves to another origin carries none of the instance's credentials:
   every sensitive header (``_redact.is_sensitive_header``: ``Authorization``,
   ``Proxy-Authorization``, ``Cookie``, the xsrf header, names marked with
   ``sensitive_headers``, ...) and ``auth`` are dropped, unless the call itself passed them
   (``api.get(url, headers={"Authorization": ...})``) or the config says
   ``allow_cross_origin_credentials=True``. Without ``base_url`` there is no home origin and
   nothing is dropped here.

3. **On the wire** (``SendPolicy``, applied by the transport at every hop):

   - *Cookies* from the client's jar (filled by the servers' ``Set-Cookie``) go only where
     the jar's own domain and path rules allow, and, unless ``with_credentials=True``, only
     to the home origin (browsers' ``withCredentials``). Without ``base_url`` the jar's rules
     alone decide.
   - *XSRF* (axios ``xsrfCookieName`` / ``xsrfHeaderName``): when the first hop goes to the
     home origin, the jar's cookie named ``xsrf_cookie_name`` for that URL is sent as
     ``xsrf_header_name``. Never to another origin, whatever ``with_credentials`` or
     ``allow_cross_origin_credentials`` say (axios >= 1.6.0, CVE-2023-45857), never after a
     redirect has left the origin, and never without ``base_url``.
   - *Redirects* (up to ``max_redirects``; ``0`` returns the 3xx): a hop to another origin
     (an https -> http downgrade or http -> https upgrade included) strips every sensitive
     header; cookies are recomputed for the new URL by the rule above. ``before_redirect``
     runs first: ``False`` stops and returns the 3xx response, an exception fails the
     request with it. A 307/308 that would re-send a request body to another origin fails
     with ``ERR_BAD_RESPONSE``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, final
from urllib.parse import SplitResult, unquote, urlsplit

from ._config import call_credentials
from ._errors import ERR_INVALID_URL, AxiosError
from ._redact import is_sensitive_header

if TYPE_CHECKING:
    from ._config import RequestConfig
    from ._headers import Headers
    from ._models import Request
    from ._types import TransportResponse

#: (scheme, host, port): two URLs are same-origin when these are equal.
Origin = tuple[str, str, int]

ALLOWED_SCHEMES: Final = ("http", "https")
#: httpx2 refuses longer URLs; refusing them first spares scanning and copying them.
MAX_URL_LENGTH: Final = 65536
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SEPARATORS: Final = re.compile(r"[\\/]")
#: Percent-decoding rounds when looking for a hidden ``..`` (``%252e`` is two).
_DECODE_ROUNDS: Final = 4


def invalid_url(message: str) -> AxiosError:
    """An ``ERR_INVALID_URL`` error (the caller's fault: the URL or ``base_url``)."""
    return AxiosError(message, ERR_INVALID_URL)


def _fully_decoded(segment: str) -> str:
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(segment)
        if decoded == segment:
            break
        segment = decoded
    return segment


def _check_segments(relative: str) -> None:
    """Refuse a ``..`` that hides behind percent-encoding or a backslash."""
    end = len(relative)
    for delimiter in "?#":
        found = relative.find(delimiter, 0, end)
        if found != -1:
            end = found
    for segment in relative[:end].split("/"):
        if segment in {"", ".", ".."} or ("%" not in segment and "\\" not in segment):
            continue
        if ".." in _SEPARATORS.split(_fully_decoded(segment)):
            msg = (
                "the URL path has a '..' segment hidden by percent-encoding or a backslash; "
                "a server may decode it and climb above base_url"
            )
            raise invalid_url(msg)


def _is_absolute(url: str) -> bool:
    """Whether ``url`` names its own host; raise for schemes and forms we never send."""
    if url.startswith(("\\", "/\\")):
        msg = "the URL starts with a backslash, which browsers read as '//host'; use a path"
        raise invalid_url(msg)
    match = _SCHEME.match(url)
    if match is None:
        return url.startswith("//")
    scheme = match.group(0)[:-1].lower()
    if scheme not in ALLOWED_SCHEMES:
        msg = (
            f"URL scheme {scheme[:20]!r} is not supported; use http or https (a relative "
            "path with a ':' in its first segment must start with './')"
        )
        raise invalid_url(msg)
    if not url.startswith("//", match.end()):
        msg = f"write the URL as {scheme}://host/path (the '//' is missing)"
        raise invalid_url(msg)
    return True


def _absolute_url(url: str, config: RequestConfig) -> str:
    """Check an absolute ``url`` against ``allow_absolute_urls``; give ``//host`` a scheme."""
    base = config.base_url
    if base and not config.allow_absolute_urls:
        msg = (
            "absolute URLs are not allowed on this client (allow_absolute_urls=False): "
            "pass a path relative to base_url"
        )
        raise invalid_url(msg)
    if not url.startswith("//"):
        return url
    base_scheme = _SCHEME.match(base or "")
    if base_scheme is None:
        msg = "a protocol-relative URL ('//host/path') needs base_url for its scheme"
        raise invalid_url(msg)
    return base_scheme.group(0) + url


def resolve_url(config: RequestConfig) -> tuple[str, bool]:
    """
    Return the full URL of ``config`` (before params) and whether it is under ``base_url``.

    Raises:
        AxiosError: ``ERR_INVALID_URL`` for the cases in the module docstring.
    """
    url = config.url or ""
    if len(url) > MAX_URL_LENGTH:  # the engine's limit, checked before any copy is made
        msg = f"the URL is longer than {MAX_URL_LENGTH} characters"
        raise invalid_url(msg)
    if _is_absolute(url):
        return _absolute_url(url, config), False
    base = config.base_url
    relative = f"{config.prefix or ''}{url}{config.suffix or ''}"
    if not base:
        return relative, False
    _check_segments(relative)
    if not relative:
        return base, True
    return base.rstrip("/") + "/" + relative.lstrip("/"), True


def _origin(parts: SplitResult) -> Origin | None:
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return None
    return (scheme, host, port if port is not None else DEFAULT_PORTS.get(scheme, 0))


def origin_of(url: str) -> Origin | None:
    """
    Return the origin of an absolute URL as the engine normalized it, or ``None``.

    ``url`` must be the engine's own text (``TargetURL.text``, ``str(httpx2.URL)``): then
    its authority is unambiguous and this split agrees with the engine's.
    """
    return _origin(urlsplit(url))


#: base_url -> (its origin, its path without trailing slashes), in the engine's normal form.
_HOMES: dict[str, tuple[Origin | None, str]] = {}
_MAX_HOMES: Final = 64


def _home(base_url: str, canonical: Callable[[str], str]) -> tuple[Origin | None, str]:
    """``base_url``'s origin and root path; cached, as every request of a client asks."""
    home = _HOMES.get(base_url)
    if home is None:
        parts = urlsplit(canonical(base_url))
        # The join strips base_url's trailing slashes, so the root does too.
        home = (_origin(parts), parts.path.rstrip("/"))
        if len(_HOMES) >= _MAX_HOMES:
            _HOMES.clear()
        _HOMES[base_url] = home
    return home


@final
@dataclass(frozen=True, slots=True)
class Destination:
    """
    Where one request goes, relative to its home origin (``base_url``'s).

    Attributes:
        home: ``base_url``'s origin, or ``None`` without ``base_url``.
        origin: The request URL's origin (``None`` without a home: nothing to compare).
    """

    home: Origin | None
    origin: Origin | None

    @property
    def cross_origin(self) -> bool:
        """Whether the request leaves the home origin (never, without a home)."""
        return self.home is not None and self.origin != self.home


def confine(
    config: RequestConfig,
    target: str,
    under_base: bool,
    canonical: Callable[[str], str],
) -> Destination:
    """
    Check where ``target`` (the engine's text of the request URL) goes; return it.

    ``canonical`` turns ``base_url`` into the engine's text, so both URLs are compared in
    the same normal form.

    Raises:
        AxiosError: ``ERR_INVALID_URL`` when a relative URL left ``base_url``'s path.
    """
    if not config.base_url:
        return Destination(None, None)
    home, root = _home(config.base_url, canonical)
    parts = urlsplit(target)
    origin = _origin(parts)
    if under_base:
        if origin != home:
            msg = "the relative URL resolves to another origin than base_url's"
            raise invalid_url(msg)
        path = parts.path or "/"
        if path != root and not path.startswith(root + "/"):
            msg = "the URL path climbs above base_url's path with '..' segments"
            raise invalid_url(msg)
    return Destination(home, origin)


def apply_credentials(config: RequestConfig, headers: Headers, destination: Destination) -> None:
    """
    Add ``auth`` to ``headers``, and drop instance credentials bound for another origin.

    Kept: everything, when the request stays home or ``allow_cross_origin_credentials`` is
    on; otherwise only the sensitive headers and ``auth`` the call itself passed.
    """
    keep_all = not destination.cross_origin or config.allow_cross_origin_credentials
    own_headers, own_auth = call_credentials(config)
    if not keep_all:
        for name in list(headers):
            if is_sensitive_header(name) and name.lower() not in own_headers:
                del headers[name]
    if config.auth is not None and (keep_all or own_auth):
        token = f"{config.auth.username}:{config.auth.password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")


#: ``await hook(raw_3xx)``: ``False`` stops at the 3xx; ``True`` follows the redirect.
RedirectHook = Callable[["TransportResponse"], Awaitable[bool]]


@final
@dataclass(frozen=True, slots=True)
class SendPolicy:
    """
    What the transport enforces on the wire for one request (rule 3 of the module docstring).

    Attributes:
        home: ``base_url``'s origin, or ``None``.
        with_credentials: Jar cookies may go to origins other than ``home``.
        xsrf_cookie_name: The jar cookie whose value becomes the xsrf header, or ``None``.
        xsrf_header_name: The header that carries it, or ``None``.
        before_redirect: Called before each redirect is followed, or ``None``.
    """

    home: Origin | None = None
    with_credentials: bool = False
    xsrf_cookie_name: str | None = None
    xsrf_header_name: str | None = None
    before_redirect: RedirectHook | None = None

    def jar_cookies_allowed(self, origin: Origin | None) -> bool:
        """Whether the jar's cookies may be attached to a request to ``origin``."""
        return self.home is None or self.with_credentials or origin == self.home

    def xsrf_allowed(self, origin: Origin | None) -> bool:
        """Whether the xsrf header may be sent to ``origin`` (first hop only)."""
        return (
            self.home is not None
            and origin == self.home
            and bool(self.xsrf_cookie_name)
            and bool(self.xsrf_header_name)
        )


def send_policy(config: RequestConfig, request: Request, destination: Destination) -> SendPolicy:
    """Return the wire policy of ``config``, whose ``before_redirect`` sees our ``Response``."""
    hook = config.before_redirect
    before_redirect: RedirectHook | None = None
    if hook is not None:
        # L1/L2 helpers, imported here so this module stays at L0 with the types it serves.
        from ._interceptors import call_maybe_async  # noqa: PLC0415 - L2, lazily
        from ._models import Response  # noqa: PLC0415 - L1, lazily

        async def before_redirect(raw: TransportResponse) -> bool:
            response = Response(raw, config, request)
            return await call_maybe_async(hook, config, response) is not False

    return SendPolicy(
        home=destination.home,
        with_credentials=config.with_credentials,
        xsrf_cookie_name=config.xsrf_cookie_name,
        xsrf_header_name=config.xsrf_header_name,
        before_redirect=before_redirect,
    )
