"""
The httpx2 adapter: builds URLs, sends requests, follows redirects, translates errors.

Every httpx2 exception is translated here, at the edge, into the most specific ``AxiosError``
(``from exc``), and no message includes a URL or header value.
"""

from __future__ import annotations

from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, final

import httpx2

from .._errors import (
    ECONNABORTED,
    ERR_BAD_OPTION_VALUE,
    ERR_BAD_REQUEST,
    ERR_BAD_RESPONSE,
    ERR_FR_TOO_MANY_REDIRECTS,
    ERR_INVALID_URL,
    ERR_NETWORK,
    AxiosError,
)
from .._types import TargetURL

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from .._types import PreparedRequest

ALLOWED_SCHEMES: Final = ("http", "https")

#: Exceptions in the order they must be tested (subclasses first) and the code they map to.
_ERROR_CODES: Final[tuple[tuple[type[Exception], str, str], ...]] = (
    (httpx2.TimeoutException, ECONNABORTED, "the engine timed out"),
    (httpx2.UnsupportedProtocol, ERR_INVALID_URL, "unsupported URL scheme"),
    (httpx2.InvalidURL, ERR_INVALID_URL, "invalid URL"),
    (httpx2.TooManyRedirects, ERR_FR_TOO_MANY_REDIRECTS, "too many redirects"),
    (httpx2.LocalProtocolError, ERR_BAD_REQUEST, "the request could not be sent as HTTP"),
    (httpx2.DecodingError, ERR_BAD_RESPONSE, "the response body could not be decoded"),
    (httpx2.ConnectError, ERR_NETWORK, "Network Error: could not connect"),
    (httpx2.RemoteProtocolError, ERR_NETWORK, "Network Error: the server broke the protocol"),
    (httpx2.ReadError, ERR_NETWORK, "Network Error: reading the response failed"),
    (httpx2.WriteError, ERR_NETWORK, "Network Error: sending the request failed"),
    (httpx2.TransportError, ERR_NETWORK, "Network Error"),
    (httpx2.StreamError, ERR_BAD_RESPONSE, "the response stream was misused"),
)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Translate httpx2 exceptions raised inside the block into ``AxiosError``."""
    try:
        yield
    except httpx2.HTTPError as exc:
        raise _translate(exc) from exc
    except httpx2.StreamError as exc:
        raise _translate(exc) from exc


def _translate(exc: Exception) -> AxiosError:
    for kind, code, text in _ERROR_CODES:
        if isinstance(exc, kind):
            cause = type(exc).__name__
            detail = "" if code == ERR_INVALID_URL else f" ({cause}: {_short(exc)})"
            return AxiosError(f"{text}{detail}", code)
    return AxiosError(f"Network Error ({type(exc).__name__})", ERR_NETWORK)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    # Engine messages may quote URLs; keep only the part before any scheme.
    for marker in ("http://", "https://"):
        if marker in text:
            text = text.split(marker, 1)[0].rstrip(" '\"(:") + " ..."
    return text[:120]


@final
class Httpx2Response:
    """A ``TransportResponse`` over an ``httpx2.Response`` opened with ``stream=True``."""

    __slots__ = ("_response",)

    def __init__(self, response: httpx2.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self._response.status_code

    @property
    def reason_phrase(self) -> str:
        """The status text; the standard phrase when the server sent none."""
        return self._response.reason_phrase or httpx2.codes.get_reason_phrase(self.status)

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The headers, in order."""
        return self._response.headers.multi_items()

    @property
    def url(self) -> str:
        """The final URL."""
        return str(self._response.url)

    async def aiter_bytes(self, *, decompress: bool) -> AsyncIterator[bytes]:
        """Iterate over the body, decoded unless ``decompress`` is false."""
        stream = self._response.aiter_bytes() if decompress else self._response.aiter_raw()
        with translate_errors():
            async with aclosing(stream):  # leaving early closes httpx2's generator now
                async for chunk in stream:
                    yield chunk

    async def aclose(self) -> None:
        """Close the body (an unread connection is dropped by the pool, not reused)."""
        with translate_errors():
            await self._response.aclose()


@final
@dataclass(frozen=True, slots=True)
class PoolStatistics:
    """
    Connections in the pool, by state (for tests and diagnostics).

    ``active`` counts every connection in use, including those still ``connecting``; a
    connection in use is never ``idle``.
    """

    total: int
    active: int
    idle: int
    connecting: int


@final
class Httpx2Transport:
    """
    The default transport: an ``httpx2.AsyncClient`` and its pool.

    The pool is real unless the user passed ``transport=`` (e.g. ``httpx2.MockTransport``).
    Engine timeouts are off (Trio scopes time requests) and redirects are followed here so
    ``max_redirects`` applies per request.
    """

    __slots__ = ("_client", "_transport")

    def __init__(
        self,
        transport: Any = None,
        *,
        max_connections: int | None = 100,
        max_keepalive_connections: int | None = 20,
    ) -> None:
        if transport is not None and not isinstance(transport, httpx2.AsyncBaseTransport):
            msg = (
                "option 'transport' must be an httpx2 async transport such as "
                f"httpx2.MockTransport(handler), got {type(transport).__name__}"
            )
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        if transport is None:
            transport = httpx2.AsyncHTTPTransport(
                limits=httpx2.Limits(
                    max_connections=max_connections,
                    max_keepalive_connections=max_keepalive_connections,
                ),
                trust_env=False,
            )
        self._transport: httpx2.AsyncBaseTransport = transport
        self._client = httpx2.AsyncClient(
            transport=transport,
            timeout=httpx2.Timeout(None),
            follow_redirects=False,
            trust_env=False,
        )

    def build_url(
        self, url: str, params: Any, serializer: Callable[[Any], str] | None
    ) -> TargetURL:
        """Return ``url`` with ``params`` merged into its query string."""
        try:
            parsed = httpx2.URL(url)
        except (httpx2.InvalidURL, TypeError, ValueError) as exc:
            msg = f"invalid URL: {_short(exc) or 'it does not parse'}"
            raise AxiosError(msg, ERR_INVALID_URL) from exc
        if not parsed.scheme:
            msg = "the URL is relative: set base_url, or pass an absolute http(s) URL"
            raise AxiosError(msg, ERR_INVALID_URL)
        if parsed.scheme not in ALLOWED_SCHEMES:
            msg = f"URL scheme {parsed.scheme[:20]!r} is not supported; use http or https"
            raise AxiosError(msg, ERR_INVALID_URL)
        if not parsed.host:
            msg = "the URL has no host; write it as http(s)://host/path"
            raise AxiosError(msg, ERR_INVALID_URL)
        if params is None:
            return TargetURL(str(parsed), parsed)
        query = serializer(params) if serializer is not None else _encode_params(params)
        if query:
            joined = parsed.query + (b"&" if parsed.query else b"") + query.encode("ascii")
            parsed = parsed.copy_with(query=joined)
        return TargetURL(str(parsed), parsed)

    async def send(self, request: PreparedRequest) -> Httpx2Response:
        """Send ``request``, following up to ``max_redirects`` redirects; body unread."""
        with translate_errors():
            outgoing = self._client.build_request(
                request.method,
                _engine_url(request.url),
                headers=request.headers,
                content=request.content,
            )
            hops = 0
            while True:
                response = await self._client.send(outgoing, stream=True)
                redirect = response.next_request
                if redirect is None or request.max_redirects == 0:
                    return Httpx2Response(response)
                await response.aclose()
                hops += 1
                if hops > request.max_redirects:
                    msg = f"Maximum number of redirects exceeded ({request.max_redirects})"
                    raise AxiosError(msg, ERR_FR_TOO_MANY_REDIRECTS)
                outgoing = redirect

    def pool_statistics(self) -> PoolStatistics:
        """Count the pool's connections by state."""
        return pool_statistics(self._transport)

    async def aclose(self) -> None:
        """Close the client and its pool."""
        await self._client.aclose()


def _engine_url(target: TargetURL) -> httpx2.URL | str:
    """The parsed URL ``build_url`` made, or its text when another transport built it."""
    return target.engine if isinstance(target.engine, httpx2.URL) else target.text


def _encode_params(params: Any) -> str:
    """
    Encode ``params`` like axios: ``None`` values dropped, list values repeated, appended.

    A mapping or ``(name, value)`` pairs; a str is taken as an already-encoded query.
    """
    if isinstance(params, str):
        return params.lstrip("?")
    items = params.items() if hasattr(params, "items") else params
    pairs: list[tuple[str, Any]] = []
    for name, value in items:
        values = value if isinstance(value, list | tuple) else (value,)
        pairs.extend((name, item) for item in values if item is not None)
    return str(httpx2.QueryParams(pairs))


def pool_statistics(transport: Any) -> PoolStatistics:
    """Count connections in an ``httpx2.AsyncHTTPTransport``'s pool by state."""
    pool = getattr(transport, "_pool", None)
    connections = list(getattr(pool, "connections", []))
    active = sum(1 for c in connections if not c.is_idle() and not c.is_closed())
    idle = sum(1 for c in connections if c.is_idle())
    # A connection still opening has no protocol object yet; one whose connect failed is
    # "closed", not connecting.
    connecting = sum(
        1 for c in connections if getattr(c, "_connection", True) is None and not c.is_closed()
    )
    return PoolStatistics(len(connections), active, idle, connecting)
