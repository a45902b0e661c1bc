"""
The httpx2 adapter: builds URLs, sends requests, follows redirects, translates errors.

Every httpx2 exception is translated here, at the edge, into the most specific ``AxiosError``
(``from exc``), and no message includes a URL or header value: the engine's own messages are
scrubbed (quoted wire bytes and URL secrets masked) before they are quoted or chained.

We own httpx2's client, so we own its logs: a ``logging.Filter`` on httpx2's and httpcore2's
loggers (installed once, at import) redacts URLs and secret headers in every record emitted
while one of our requests is being sent.

The redirect loop, cookies and xsrf follow ``_security.SendPolicy``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from contextlib import aclosing
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn, final

import httpx2
import trio

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
from .._models import CLOSE_TIMEOUT, is_coded
from .._redact import is_sensitive_header, redact_text
from .._security import DEFAULT_PORTS, Origin, SendPolicy
from .._types import TargetURL
from ._decoders import ACCEPT_ENCODING, body_decoder

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

    from .._types import PreparedRequest

ALLOWED_SCHEMES: Final = ("http", "https")

#: How many parsed request URLs a transport keeps (the cache is emptied when full).
_MAX_CACHED_TARGETS: Final = 256

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


#: Quoted bytes in engine messages are wire data (h11: "Illegal header value b'...'").
_QUOTED_BYTES: Final = re.compile(r"(?<!\w)(?:b'[^'\n]*'|b\"[^\"\n]*\")")
#: Any quoted text, dropped from messages about a URL ("Invalid port: 'pw'").
_QUOTED: Final = re.compile(r"(?<!\w)(?:b?'[^'\n]*'|b?\"[^\"\n]*\")")
_MAX_CHAIN: Final = 8


def _scrubbed(text: str, *, quoted: bool = False) -> str:
    text = (_QUOTED if quoted else _QUOTED_BYTES).sub("'...'", text)
    return redact_text(text)


def _scrub_chain(exc: BaseException, *, quoted: bool = False) -> None:
    """
    Mask secrets in the messages of ``exc`` and the exceptions it chains.

    They stay chained (``from exc``) for their types and tracebacks, but a chained message
    is printed by ``traceback.format_exception``, so it must be as clean as ours.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        if any(isinstance(arg, str) for arg in current.args):
            current.args = tuple(
                _scrubbed(arg, quoted=quoted) if isinstance(arg, str) else arg
                for arg in current.args
            )
        current = current.__cause__ or current.__context__


#: The engine exceptions translated at the edge (``except ENGINE_ERRORS as exc``).
ENGINE_ERRORS: Final = (httpx2.HTTPError, httpx2.StreamError)


def translated(exc: httpx2.HTTPError | httpx2.StreamError) -> AxiosError:
    """
    The ``AxiosError`` for an engine exception, its chain scrubbed first.

    Use as ``except ENGINE_ERRORS as exc: raise translated(exc) from exc`` (a plain ``try``
    costs nothing on the hot path, a context manager does).
    """
    _scrub_chain(exc, quoted=isinstance(exc, httpx2.InvalidURL))
    return _translate(exc)


def _translate(exc: Exception) -> AxiosError:
    for kind, code, text in _ERROR_CODES:
        if isinstance(exc, kind):
            cause = type(exc).__name__
            detail = "" if code == ERR_INVALID_URL else f" ({cause}: {_short(exc)})"
            return AxiosError(f"{text}{detail}", code)
    return AxiosError(f"Network Error ({type(exc).__name__})", ERR_NETWORK)


def _short(exc: BaseException) -> str:
    """The first line of the engine's message, scrubbed (see ``_scrubbed``), at most 120 chars."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return _scrubbed(text)[:120]


#: True while one of our requests is being sent: the engine's log records are ours then.
_OUR_REQUEST: ContextVar[bool] = ContextVar("trioaxios_our_request", default=False)

#: The loggers httpx2 and httpcore2 emit on (a logger's filters skip its children's records).
ENGINE_LOGGERS: Final = (
    "httpx2",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
    "httpcore2.socks",
)


@final
class EngineLogRedactor(logging.Filter):
    """
    Redact URLs and secret header values in engine log records emitted for our requests.

    httpx2 logs ``HTTP Request: GET <url with password and tokens> ...`` at INFO; httpcore2
    logs every response header (``Set-Cookie`` included) at DEBUG. The record's message is
    formatted and redacted in place; records of other httpx2 users pass untouched.
    """

    #: Marks our filter, so installing twice (or after a module reload) adds none.
    trioaxios_redactor: Final = True

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` when it was emitted while one of our requests was sent."""
        if _OUR_REQUEST.get():
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed record: its format string, redacted
                message = f"{record.msg!s}"
            record.msg = redact_text(message)
            record.args = ()
        return True


def install_log_redaction() -> None:
    """Add one ``EngineLogRedactor`` to each engine logger that has none (idempotent)."""
    for name in ENGINE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(getattr(f, "trioaxios_redactor", False) for f in logger.filters):
            logger.addFilter(EngineLogRedactor())


install_log_redaction()


@final
class Httpx2Response:
    """A ``TransportResponse`` over an ``httpx2.Response`` opened with ``stream=True``."""

    __slots__ = ("_release", "_response")

    def __init__(self, response: httpx2.Response) -> None:
        self._response = response
        self._release: Callable[[], object] | None = None

    def release_on_close(self, release: Callable[[], object]) -> None:
        """Call ``release`` once, when this response is closed (its connection is free)."""
        self._release = release

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
        """
        Iterate over the body, decoded unless ``decompress`` is false.

        The raw stream is decoded here, in bounded pieces (``_decoders``), not by httpx2,
        which may hand over a whole decompression bomb as one chunk.
        """
        decoder = None
        if decompress:
            decoder = body_decoder(self._response.headers.get_list("content-encoding"))
        stream = _raw_stream(self._response)
        try:
            async with aclosing(stream):  # leaving early closes httpx2's generator now
                async for chunk in stream:
                    if decoder is None:
                        yield chunk
                        continue
                    for piece in decoder.decode(chunk):
                        yield piece
            if decoder is not None:
                for piece in decoder.finish():
                    yield piece
        except ENGINE_ERRORS as exc:
            raise translated(exc) from exc

    async def aread_plain(self) -> bytes | None:
        """
        The whole body in one read when it has no content coding; ``None`` when it has one.

        A coded body must go through ``aiter_bytes``, which decodes it in bounded pieces.
        """
        for value in self._response.headers.get_list("content-encoding"):
            if is_coded(value):
                return None
        try:
            return await self._response.aread()
        except ENGINE_ERRORS as exc:
            raise translated(exc) from exc

    async def aclose(self) -> None:
        """Close the body (an unread connection is dropped by the pool, not reused)."""
        try:
            await self._response.aclose()
        except ENGINE_ERRORS as exc:
            raise translated(exc) from exc
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


def _raw_stream(response: httpx2.Response) -> AsyncGenerator[bytes]:
    """
    The body as received, before any decoding.

    A response built in memory (``httpx2.Response(content=...)`` from a mock transport) was
    already read by httpx2 when it was made; its stream can be replayed, raw.
    """
    stream = response.stream
    if response.is_stream_consumed and isinstance(stream, httpx2.AsyncByteStream):
        return _replay(stream)
    return response.aiter_raw()


async def _replay(stream: httpx2.AsyncByteStream) -> AsyncGenerator[bytes]:
    async for chunk in stream:
        yield chunk


@final
@dataclass(frozen=True, slots=True)
class PoolStatistics:
    """
    Connections in the pool, by state (for tests and diagnostics).

    ``active`` counts every connection in use, including those still ``connecting``; a
    connection in use is never ``idle``. ``slots_in_use`` counts requests holding one of the
    pool's ``max_connections`` slots (their response not closed yet), ``waiting`` those
    queued for one.
    """

    total: int
    active: int
    idle: int
    connecting: int
    slots_in_use: int = 0
    waiting: int = 0


@final
class Httpx2Transport:
    """
    The default transport: an ``httpx2.AsyncClient`` and its pool.

    The pool is real unless the user passed ``transport=`` (e.g. ``httpx2.MockTransport``).
    Engine timeouts are off (Trio scopes time requests) and redirects are followed here so
    ``max_redirects`` applies per request.
    """

    __slots__ = ("_client", "_slots", "_targets", "_transport", "is_network_pool")

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
        #: A request sent through our own network pool always reaches a schedule point
        #: (socket I/O); a user's transport (MockTransport, ASGI) may never yield.
        self.is_network_pool = transport is None
        #: One slot per connection the pool may open: a request waits here, not in the
        #: pool's queue, which httpcore2 rescans whenever a request joins or leaves it (so a
        #: thousand queued requests, or cancelling them, cost O(n) each). A request waiting
        #: for a slot has built nothing and sent nothing; cancelling it is O(1).
        self._slots = (
            trio.Semaphore(max_connections, max_value=max_connections)
            if transport is None and max_connections is not None
            else None
        )
        if transport is None:
            transport = httpx2.AsyncHTTPTransport(
                limits=httpx2.Limits(
                    max_connections=max_connections,
                    max_keepalive_connections=max_keepalive_connections,
                ),
                trust_env=False,
            )
        self._transport: httpx2.AsyncBaseTransport = transport
        #: URL text -> its parsed target: a client asks for the same few URLs again and again.
        self._targets: dict[str, TargetURL] = {}
        self._client = httpx2.AsyncClient(
            transport=transport,
            timeout=httpx2.Timeout(None),
            follow_redirects=False,
            trust_env=False,
            # Advertise only what _decoders can decode boundedly, whatever httpx2 could.
            headers={"Accept-Encoding": ACCEPT_ENCODING},
        )
        # Accept and User-Agent come from the client's defaults; httpx2's own values would
        # refill a header the caller suppressed with None.
        for name in ("Accept", "User-Agent"):
            self._client.headers.pop(name, None)

    def build_url(
        self, url: str, params: Any, serializer: Callable[[Any], str] | None
    ) -> TargetURL:
        """Return ``url`` with ``params`` merged into its query string."""
        if params is None:
            target = self._targets.get(url)
            if target is None:
                target = self._parse(url)
                if len(self._targets) >= _MAX_CACHED_TARGETS:
                    self._targets.clear()
                self._targets[url] = target
            return target
        parsed = self._parse(url).engine
        assert isinstance(parsed, httpx2.URL)  # noqa: S101 - _parse makes engine URLs
        query = serializer(params) if serializer is not None else _encode_params(params)
        if query:
            joined = parsed.query + (b"&" if parsed.query else b"") + query.encode("ascii")
            parsed = parsed.copy_with(query=joined)
        return TargetURL(str(parsed), parsed)

    @staticmethod
    def _parse(url: str) -> TargetURL:
        """Parse an absolute http(s) URL, or raise ``ERR_INVALID_URL`` saying what is wrong."""
        try:
            parsed = httpx2.URL(url)
        except (httpx2.InvalidURL, TypeError, ValueError) as exc:
            _scrub_chain(exc, quoted=True)  # "Invalid port: 'pw'" quotes the URL's parts
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
        return TargetURL(str(parsed), parsed)

    async def send(self, request: PreparedRequest) -> Httpx2Response:
        """
        Send ``request``, following up to ``max_redirects`` redirects; body unread.

        Cookies, xsrf and what each redirect hop may carry follow ``request.policy``
        (``_security``). On our own pool, the request first takes a connection slot, which
        the response gives back when it is closed.
        """
        slots = self._slots
        if slots is not None:
            try:
                slots.acquire_nowait()  # no schedule point when a slot is free: the common case
            except trio.WouldBlock:
                await slots.acquire()
        # One frame for the slot, the first hop and the translation: each frame is held for
        # as long as the request is in flight.
        policy = request.policy or SendPolicy()
        token = _OUR_REQUEST.set(True)
        try:
            outgoing, origin = self._first_hop(request, policy)
            engine_response = await self._client.send(outgoing, stream=True)
            if engine_response.next_request is None or request.max_redirects == 0:
                response = Httpx2Response(engine_response)
            else:
                response = await self._follow_redirects(
                    request, policy, (outgoing, origin), engine_response
                )
        except BaseException as exc:
            if slots is not None:
                slots.release()
            if isinstance(exc, ENGINE_ERRORS):
                raise translated(exc) from exc
            raise
        finally:
            _OUR_REQUEST.reset(token)
        if slots is not None:
            response.release_on_close(slots.release)
        return response

    def _first_hop(
        self, request: PreparedRequest, policy: SendPolicy
    ) -> tuple[httpx2.Request, Origin]:
        """The engine request for the first hop, with the jar's cookies and xsrf per policy."""
        outgoing = self._client.build_request(
            request.method,
            _engine_url(request.url),
            headers=request.headers,
            content=request.content,
        )
        if request.on_wire is not None:
            outgoing.extensions["trace"] = _wire_tracer(request.on_wire)
        origin = _origin(outgoing.url)
        own_cookie = any(name.lower() == "cookie" for name, _ in request.headers)
        if not own_cookie and not policy.jar_cookies_allowed(origin):
            outgoing.headers.pop("cookie", None)
        cookie_name, header_name = policy.xsrf_cookie_name, policy.xsrf_header_name
        if cookie_name and header_name and policy.xsrf_allowed(origin):
            value = self._jar_cookie(outgoing.url, cookie_name)
            if value is not None:
                outgoing.headers[header_name] = value
        return outgoing, origin

    async def _follow_redirects(
        self,
        request: PreparedRequest,
        policy: SendPolicy,
        first: tuple[httpx2.Request, Origin],
        response: httpx2.Response,
    ) -> Httpx2Response:
        """Follow the redirect ``response`` answered ``first`` with, hop by hop, per policy."""
        outgoing, origin = first
        with_body = request.content is not None and request.content != b""
        hops = 0
        while True:
            redirect = response.next_request
            if redirect is None:
                return Httpx2Response(response)
            hops += 1
            target = _origin(redirect.url)
            cross_origin = target != origin
            # httpx2 keeps the body unless the method became GET (303, 302, POST + 301).
            with_body = with_body and not (
                redirect.method == "GET" and redirect.method != outgoing.method
            )
            try:
                if redirect.url.scheme not in ALLOWED_SCHEMES:
                    _refuse_scheme(redirect.url.scheme)
                follow = await _may_follow(response, hops, request.max_redirects, policy)
                if follow and cross_origin and with_body:
                    _refuse_body_elsewhere(response.status_code)
            except BaseException:
                with trio.move_on_after(CLOSE_TIMEOUT, shield=True):
                    await response.aclose()
                raise
            if not follow:
                return Httpx2Response(response)
            await response.aclose()
            self._prepare_hop(redirect, policy, target, cross_origin=cross_origin)
            outgoing, origin = redirect, target
            response = await self._client.send(outgoing, stream=True)

    def _prepare_hop(
        self,
        redirect: httpx2.Request,
        policy: SendPolicy,
        target: Origin | None,
        *,
        cross_origin: bool,
    ) -> None:
        """Strip every sensitive header on a cross-origin hop; recompute the jar's cookies."""
        redirect.headers.pop("cookie", None)
        if cross_origin:
            for name in {name.lower() for name in redirect.headers}:
                if is_sensitive_header(name):
                    del redirect.headers[name]
        if policy.jar_cookies_allowed(target):
            self._client.cookies.set_cookie_header(redirect)

    def _jar_cookie(self, url: httpx2.URL, name: str) -> str | None:
        """The value of the jar's cookie ``name`` that would be sent to ``url``, or ``None``."""
        cookies = self._client.cookies
        if not cookies:
            return None
        probe = httpx2.Request("GET", url)
        cookies.set_cookie_header(probe)
        for pair in probe.headers.get("cookie", "").split(";"):
            key, eq, value = pair.strip().partition("=")
            if eq and key == name:
                return value
        return None

    def pool_statistics(self) -> PoolStatistics:
        """Count the pool's connections by state, and the requests holding or awaiting slots."""
        counts = pool_statistics(self._transport)
        slots = self._slots
        if slots is None:
            return counts
        return dataclasses.replace(
            counts,
            slots_in_use=(slots.max_value or 0) - slots.value,
            waiting=slots.statistics().tasks_waiting,
        )

    async def aclose(self) -> None:
        """Close the client and its pool."""
        await self._client.aclose()


async def _may_follow(
    response: httpx2.Response, hops: int, max_redirects: int, policy: SendPolicy
) -> bool:
    """Whether to follow the ``hops``-th redirect: within ``max_redirects``, not vetoed."""
    if hops > max_redirects:
        msg = f"Maximum number of redirects exceeded ({max_redirects})"
        raise AxiosError(msg, ERR_FR_TOO_MANY_REDIRECTS)
    return policy.before_redirect is None or await policy.before_redirect(Httpx2Response(response))


def _wire_tracer(on_wire: Callable[[], object]) -> Callable[[str, Any], Awaitable[None]]:
    """An httpcore2 ``trace`` extension that calls ``on_wire`` as the headers go out."""

    async def trace(event: str, _info: Any) -> None:
        if event.endswith(".send_request_headers.started"):
            on_wire()

    return trace


def _refuse_scheme(scheme: str) -> NoReturn:
    # A real pool refuses these itself; a custom transport (MockTransport, ASGI) might not.
    msg = f"the server redirected to a {scheme[:20]!r} URL; only http and https are followed"
    raise AxiosError(msg, ERR_INVALID_URL)


def _refuse_body_elsewhere(status: int) -> NoReturn:
    msg = (
        f"refused to follow a {status} redirect to another origin: it would re-send the "
        "request body there; set max_redirects=0 (or before_redirect) and handle it yourself"
    )
    raise AxiosError(msg, ERR_BAD_RESPONSE)


def _origin(url: httpx2.URL) -> Origin:
    """The origin of an engine URL: the same triple ``_security.origin_of`` gives its text."""
    scheme = url.scheme
    return (scheme, url.raw_host.decode("ascii").lower(), url.port or DEFAULT_PORTS.get(scheme, 0))


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
        for item in values:
            if item is not None and not isinstance(item, str | int | float):
                msg = (
                    f"option 'params': the value of {str(name)[:40]!r} must be a str, number, "
                    f"bool or None, or a list of them; got {type(item).__name__}"
                )
                raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
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
