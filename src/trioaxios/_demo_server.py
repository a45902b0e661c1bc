"""
An embedded ASGI application and a Trio-native server for the demo and the tests.

:class:`DemoApp` is a plain ASGI 3 application (no web framework) that offers a
handful of endpoints useful for exercising an HTTP client: echo, arbitrary
status codes, slow and dripping responses, redirects, gzip, cookies and a small
token-refresh flow. It records every request it receives so tests can inspect
what actually reached the server.

:func:`serve_demo_app` runs the application with hypercorn on Trio, bound to an
OS-chosen port on the loopback interface. hypercorn is an optional dependency
(the ``demo`` extra) and is imported only when the server is started.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import functools
import gzip
import json
import logging
import math
import urllib.parse
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from typing import Any, ClassVar, Final, TypeAlias

import trio

__all__ = [
    "AuthState",
    "DemoApp",
    "DemoServer",
    "RecordedRequest",
    "serve_demo_app",
]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
_Headers: TypeAlias = list[tuple[bytes, bytes]]

_CHUNK_SIZE: Final = 64 * 1024
_PATTERN_PERIOD: Final = 251
_PATTERN: Final = bytes(range(_PATTERN_PERIOD))
_NO_BODY_STATUSES: Final = frozenset({204, 304})
_TEXT: Final = "héllo wörld"
_BAD_JSON: Final = b"{not json" + b"x" * 10000
_JSON_CONTENT_TYPE: Final = b"application/json"
_OCTET_STREAM: Final = b"application/octet-stream"
_SHUTDOWN_GRACE: Final = 2.0
_LOGGER: Final = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True)
class RecordedRequest:
    """
    One HTTP request as the demo app received it.

    The request is recorded as soon as its headers arrive; ``body`` is filled in
    once the whole body has been read (it stays empty if the client went away
    before finishing the upload).

    Attributes:
        method: The request method, e.g. ``"GET"``.
        path: The (percent-decoded) request path.
        query: The raw query string, without the leading ``?``.
        headers: The request headers in arrival order, names lower-cased.
        body: The request body, once read.
    """

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """
        Return the value of a request header.

        Args:
            name: The header name (case-insensitive).

        Returns:
            The values of every header with that name joined with ``", "``, or
            ``None`` if the request did not carry it.
        """
        wanted = name.lower()
        values = [value for key, value in self.headers if key == wanted]
        return ", ".join(values) if values else None


@dataclasses.dataclass(slots=True)
class AuthState:
    """
    Server-side state of the token-refresh endpoints.

    Attributes:
        access_token: The access token ``/protected`` currently accepts.
        refresh_token: The refresh token ``/auth/refresh`` currently accepts.
        generation: Bumped every time the tokens are rotated.
        refresh_calls: How many times ``/auth/refresh`` was called.
        refresh_delay: Seconds ``/auth/refresh`` sleeps before answering.
        refresh_fails: When true, ``/auth/refresh`` always answers 400.
        used_refresh_tokens: Refresh tokens already exchanged (single use).
    """

    access_token: str = "token-1"  # noqa: S105 - a fake demo token, not a secret
    refresh_token: str = "refresh-1"  # noqa: S105 - a fake demo token, not a secret
    generation: int = 1
    refresh_calls: int = 0
    refresh_delay: float = 0.0
    refresh_fails: bool = False
    used_refresh_tokens: set[str] = dataclasses.field(default_factory=set)

    def rotate(self) -> None:
        """
        Start a new token generation and issue new access and refresh tokens.
        """
        self.generation += 1
        self.access_token = f"token-{self.generation}"
        self.refresh_token = f"refresh-{self.generation}"

    def expire(self) -> None:
        """
        Invalidate the current access token without handing the client anything.

        The server starts expecting an access token nobody holds; the refresh
        token stays valid, so the next successful ``/auth/refresh`` rotates to a
        new generation and reveals the new access token.
        """
        self.access_token = f"expired-{self.generation}"


@dataclasses.dataclass(slots=True)
class DemoServer:
    """
    A running demo server.

    Attributes:
        url: The base URL, e.g. ``"http://127.0.0.1:54321"`` (no trailing slash).
        app: The application being served, for inspecting its state.
    """

    url: str
    app: DemoApp


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _pattern_chunk(start: int, size: int) -> bytes:
    """
    Return ``bytes(i % 251 for i in range(start, start + size))`` quickly.
    """
    offset = start % _PATTERN_PERIOD
    repeats = (offset + size) // _PATTERN_PERIOD + 1
    return (_PATTERN * repeats)[offset : offset + size]


def _parse_number(raw: str | None, default: float) -> float | None:
    """
    Parse a finite, non-negative query parameter; ``None`` when it is invalid.
    """
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def _parse_count(raw: str | None, default: int) -> int | None:
    """
    Parse a non-negative integer query parameter; ``None`` when it is invalid.
    """
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


class _Exchange:
    """
    One request/response exchange: the recorded request plus a way to answer it.
    """

    __slots__ = ("args", "disconnected", "receive", "request", "send")

    def __init__(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        self.request = request
        self.receive = receive
        self.send = send
        self.disconnected = False
        self.args: dict[str, str] = dict(
            urllib.parse.parse_qsl(request.query, keep_blank_values=True)
        )

    @property
    def head(self) -> bool:
        """
        Whether the response must not carry a body (a HEAD request).
        """
        return self.request.method == "HEAD"

    async def sleep(self, seconds: float) -> bool:
        """
        Sleep, but stop early if the client disconnects; return whether it is still there.

        Only the sleep is interrupted, never a ``send``: cancelling a handler while
        hypercorn is inside ``send`` would disturb its keep-alive bookkeeping.
        """
        if not self.disconnected:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._watch_disconnect, nursery.cancel_scope)
                await trio.sleep(seconds)
                nursery.cancel_scope.cancel()
        return not self.disconnected

    async def _watch_disconnect(self, cancel_scope: trio.CancelScope) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.disconnected = True
        cancel_scope.cancel()

    async def start(self, status: int, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
        """
        Send the response status line and headers.
        """
        await self.send({"type": "http.response.start", "status": status, "headers": list(headers)})

    async def chunk(self, data: bytes, *, more: bool) -> None:
        """
        Send part of the response body (nothing but the end marker for HEAD).
        """
        if self.head:
            data = b""
            if more:
                return
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    async def reply(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: bytes | None = None,
        headers: Iterable[tuple[bytes, bytes]] = (),
    ) -> None:
        """
        Send a complete response with a ``content-length``.
        """
        all_headers: _Headers = []
        if content_type is not None:
            all_headers.append((b"content-type", content_type))
        all_headers.extend(headers)
        if status in _NO_BODY_STATUSES:
            body = b""
        else:
            all_headers.append((b"content-length", str(len(body)).encode("ascii")))
        await self.start(status, all_headers)
        await self.chunk(body, more=False)

    async def reply_json(
        self, status: int, value: Any, *, headers: Iterable[tuple[bytes, bytes]] = ()
    ) -> None:
        """
        Send a complete compact JSON response.
        """
        await self.reply(
            status, _json_bytes(value), content_type=_JSON_CONTENT_TYPE, headers=headers
        )


_Handler: TypeAlias = Callable[["DemoApp", _Exchange], Awaitable[None]]


class DemoApp:
    """
    A framework-free ASGI 3 application with endpoints for testing HTTP clients.

    Endpoints (any method unless stated; HEAD responses never carry a body):

    - ``/echo``, ``/echo/<anything>``: the request described as JSON.
    - ``/status/<code>``: that status with JSON ``{"status": code}``.
    - ``/json``, ``/text[?charset=...]``, ``/bad-json``, ``/empty`` (204), ``/gzip``.
    - ``/bytes/<n>``: ``n`` deterministic bytes, streamed in 64 KiB chunks.
    - ``/slow?delay=S``, ``/headers-slow?delay=S``: sleep, then answer.
    - ``/drip?chunks=N&interval=S&size=B``: a chunked body, one chunk every ``S``.
    - ``/encoded?size=N&codings=gzip,deflate&fill=zero``: a (stacked) content-encoded body,
      a decompression bomb with ``fill=zero`` and a large ``N``.
    - ``/redirect/<n>``, ``/redirect-to?url=...&status=...``: redirects.
    - ``/cookies/set?name=value...``: one ``set-cookie`` per parameter.
    - ``POST /auth/refresh``, ``/protected[/...]``, ``/protected-code``: a token
      flow driven by :attr:`auth`.

    Attributes:
        requests: Every HTTP request received, in arrival order.
        auth: The state of the token-refresh endpoints.
    """

    def __init__(self) -> None:
        """
        Create an application with no recorded requests and fresh auth state.
        """
        self.requests: list[RecordedRequest] = []
        self.auth = AuthState()

    def count(self, path: str) -> int:
        """
        Return how many recorded requests had exactly this path.

        Args:
            path: The request path to count, e.g. ``"/echo"``.

        Returns:
            The number of matching requests.
        """
        return sum(1 for request in self.requests if request.path == path)

    def reset(self) -> None:
        """
        Forget the recorded requests and restore the initial auth state.

        Both are reset in place, so references to :attr:`requests` or :attr:`auth`
        taken earlier stay live.
        """
        self.requests.clear()
        fresh = AuthState()
        for field in dataclasses.fields(AuthState):
            setattr(self.auth, field.name, getattr(fresh, field.name))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """
        Handle one ASGI connection scope.

        Args:
            scope: The ASGI connection scope.
            receive: The ASGI receive callable.
            send: The ASGI send callable.
        """
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = RecordedRequest(
            method=str(scope["method"]).upper(),
            path=str(scope["path"]),
            query=bytes(scope.get("query_string", b"")).decode("latin-1"),
            headers=tuple(
                (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
                for name, value in scope.get("headers", ())
            ),
        )
        self.requests.append(request)

        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                request.body = bytes(body)
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        request.body = bytes(body)

        await self._route(request)(self, _Exchange(request, receive, send))

    def _route(self, request: RecordedRequest) -> _Handler:
        path = request.path
        exact = self._EXACT_ROUTES.get(path)
        if exact is not None:
            return exact
        for prefix, handler in self._PREFIX_ROUTES:
            if path.startswith(prefix):
                return handler
        return DemoApp._not_found

    async def _not_found(self, ex: _Exchange) -> None:
        await ex.reply_json(404, {"error": "not found"})

    async def _bad_request(self, ex: _Exchange, message: str) -> None:
        await ex.reply_json(400, {"error": message})

    async def _echo(self, ex: _Exchange) -> None:
        request = ex.request
        headers: dict[str, str] = {}
        for name, value in request.headers:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        parsed: Any = None
        if "json" in headers.get("content-type", ""):
            with contextlib.suppress(ValueError):
                parsed = json.loads(request.body)
        await ex.reply_json(
            200,
            {
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "args": ex.args,
                "headers": headers,
                "body": request.body.decode("utf-8", errors="replace"),
                "json": parsed,
                "length": len(request.body),
            },
        )

    async def _status(self, ex: _Exchange) -> None:
        code = _parse_count(ex.request.path.removeprefix("/status/"), 0)
        if code is None or not 200 <= code <= 599:  # noqa: PLR2004 - the valid final-status range
            await self._bad_request(ex, "status must be an integer from 200 to 599")
            return
        await ex.reply_json(code, {"status": code})

    async def _json(self, ex: _Exchange) -> None:
        await ex.reply_json(200, {"hello": "world", "items": [1, 2, 3]})

    async def _text(self, ex: _Exchange) -> None:
        charset = ex.args.get("charset", "utf-8")
        if charset == "none":
            await ex.reply(200, _TEXT.encode(), content_type=b"text/plain")
            return
        try:
            codecs.lookup(charset)
            body = _TEXT.encode(charset)
        except (LookupError, UnicodeError):
            await self._bad_request(ex, f"cannot encode the text as {charset!r}")
            return
        content_type = f"text/plain; charset={charset}".encode("latin-1")
        await ex.reply(200, body, content_type=content_type)

    async def _bad_json(self, ex: _Exchange) -> None:
        await ex.reply(200, _BAD_JSON, content_type=_JSON_CONTENT_TYPE)

    async def _bytes(self, ex: _Exchange) -> None:
        size = _parse_count(ex.request.path.removeprefix("/bytes/"), 0)
        if size is None:
            await self._bad_request(ex, "size must be a non-negative integer")
            return
        await ex.start(
            200,
            [
                (b"content-type", _OCTET_STREAM),
                (b"content-length", str(size).encode("ascii")),
            ],
        )
        for start in range(0, size, _CHUNK_SIZE):
            await ex.chunk(_pattern_chunk(start, min(_CHUNK_SIZE, size - start)), more=True)
        await ex.chunk(b"", more=False)

    async def _slow(self, ex: _Exchange) -> None:
        delay = _parse_number(ex.args.get("delay"), 1.0)
        if delay is None:
            await self._bad_request(ex, "delay must be a non-negative number")
            return
        if await ex.sleep(delay):
            await ex.reply_json(200, {"slept": delay})

    async def _drip(self, ex: _Exchange) -> None:
        chunks = _parse_count(ex.args.get("chunks"), 10)
        interval = _parse_number(ex.args.get("interval"), 0.1)
        size = _parse_count(ex.args.get("size"), 1)
        if chunks is None or interval is None or size is None:
            await self._bad_request(ex, "chunks, interval and size must be non-negative")
            return
        await ex.start(200, [(b"content-type", _OCTET_STREAM)])
        if not ex.head:
            data = b"x" * size
            for _ in range(chunks):
                if not await ex.sleep(interval):
                    return
                await ex.chunk(data, more=True)
        await ex.chunk(b"", more=False)

    async def _redirect(self, ex: _Exchange) -> None:
        remaining = _parse_count(ex.request.path.removeprefix("/redirect/"), 0)
        if remaining is None:
            await self._bad_request(ex, "the redirect count must be a non-negative integer")
            return
        location = f"/redirect/{remaining - 1}" if remaining > 0 else "/json"
        await ex.reply(302, headers=[(b"location", location.encode("ascii"))])

    async def _redirect_to(self, ex: _Exchange) -> None:
        url = ex.args.get("url")
        status = _parse_count(ex.args.get("status"), 302)
        if url is None or status is None or not 300 <= status <= 399:  # noqa: PLR2004 - redirects
            await self._bad_request(ex, "url is required and status must be a 3xx code")
            return
        location = urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~")
        await ex.reply(status, headers=[(b"location", location.encode("ascii"))])

    async def _empty(self, ex: _Exchange) -> None:
        await ex.reply(204)

    async def _gzip(self, ex: _Exchange) -> None:
        body = gzip.compress(_json_bytes({"gzipped": True}), mtime=0)
        await ex.reply(
            200,
            body,
            content_type=_JSON_CONTENT_TYPE,
            headers=[(b"content-encoding", b"gzip")],
        )

    async def _cookies_set(self, ex: _Exchange) -> None:
        pairs = urllib.parse.parse_qsl(ex.request.query, keep_blank_values=True)
        cookies = [(b"set-cookie", f"{name}={value}; Path=/".encode()) for name, value in pairs]
        await ex.reply_json(200, {}, headers=cookies)

    async def _auth_refresh(self, ex: _Exchange) -> None:
        if ex.request.method != "POST":
            await ex.reply_json(405, {"error": "method not allowed"}, headers=[(b"allow", b"POST")])
            return
        auth = self.auth
        auth.refresh_calls += 1
        # Like a real token server, a refresh is committed even if the client leaves mid-way.
        await trio.sleep(auth.refresh_delay)
        token: object = None
        with contextlib.suppress(ValueError):
            payload = json.loads(ex.request.body)
            if isinstance(payload, dict):
                token = payload.get("refresh_token")
        if (
            auth.refresh_fails
            or not isinstance(token, str)
            or token in auth.used_refresh_tokens
            or token != auth.refresh_token
        ):
            await ex.reply_json(400, {"error": "invalid_grant"})
            return
        auth.used_refresh_tokens.add(token)
        auth.rotate()
        await ex.reply_json(
            200,
            {"token": auth.access_token, "refreshToken": auth.refresh_token, "expires_in": 3600},
        )

    def _authorized(self, ex: _Exchange) -> bool:
        return ex.request.header("authorization") == f"Bearer {self.auth.access_token}"

    async def _protected(self, ex: _Exchange) -> None:
        if not self._authorized(ex):
            await ex.reply_json(401, {"error": "token expired"})
            return
        await ex.reply_json(
            200, {"ok": True, "generation": self.auth.generation, "path": ex.request.path}
        )

    async def _protected_code(self, ex: _Exchange) -> None:
        if not self._authorized(ex):
            await ex.reply_json(200, {"code": 4001, "message": "token expired"})
            return
        await ex.reply_json(
            200, {"ok": True, "generation": self.auth.generation, "path": ex.request.path}
        )

    async def _encoded(self, ex: _Exchange) -> None:
        """
        ``/encoded?size=N&codings=gzip,deflate&fill=zero|pattern&cut=K``: an encoded body.

        ``N`` bytes (zeros, or the ``/bytes`` pattern) encoded with each coding in turn, as
        ``Content-Encoding`` lists them; ``raw-deflate`` is deflate without the zlib wrapper
        (labelled ``deflate``); any other coding is a label only. ``cut`` drops the last
        ``K`` encoded bytes (a truncated stream with a matching ``Content-Length``). Two
        hundred MiB of zeros gzip to about 200 KB: a decompression bomb.
        """
        size = _parse_count(ex.args.get("size"), 0)
        cut = _parse_count(ex.args.get("cut"), 0)
        fill = ex.args.get("fill", "pattern")
        codings = tuple(c.strip() for c in ex.args.get("codings", "gzip").split(",") if c.strip())
        if size is None or cut is None or fill not in {"zero", "pattern"}:
            await self._bad_request(ex, "size and cut must be >= 0; fill is zero or pattern")
            return
        body = encoded_body(codings, size, fill)
        body = body[: max(len(body) - cut, 0)]
        label = ", ".join("deflate" if c == "raw-deflate" else c for c in codings)
        await ex.start(
            200,
            [
                (b"content-type", _OCTET_STREAM),
                (b"content-encoding", label.encode("latin-1")),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        )
        for start in range(0, len(body), _CHUNK_SIZE):
            await ex.chunk(body[start : start + _CHUNK_SIZE], more=True)
        await ex.chunk(b"", more=False)

    _EXACT_ROUTES: ClassVar[dict[str, _Handler]] = {
        "/echo": _echo,
        "/json": _json,
        "/text": _text,
        "/bad-json": _bad_json,
        "/slow": _slow,
        "/headers-slow": _slow,
        "/drip": _drip,
        "/redirect-to": _redirect_to,
        "/empty": _empty,
        "/gzip": _gzip,
        "/cookies/set": _cookies_set,
        "/auth/refresh": _auth_refresh,
        "/protected": _protected,
        "/protected-code": _protected_code,
        "/encoded": _encoded,
    }
    _PREFIX_ROUTES: ClassVar[tuple[tuple[str, _Handler], ...]] = (
        ("/echo/", _echo),
        ("/status/", _status),
        ("/bytes/", _bytes),
        ("/redirect/", _redirect),
        ("/protected/", _protected),
    )


def _quiet_logger() -> logging.Logger:
    """
    Return the logger hypercorn reports errors to: warnings and above only.
    """
    if _LOGGER.level == logging.NOTSET:
        _LOGGER.setLevel(logging.WARNING)
    return _LOGGER


def _base_url(binds: Iterable[str], host: str) -> str:
    """
    Build the server's base URL from the addresses hypercorn reports as bound.
    """
    for bind in binds:
        parts = urllib.parse.urlsplit(bind)
        if parts.scheme == "http" and parts.port is not None:
            netloc = f"[{host}]" if ":" in host else host
            return f"http://{netloc}:{parts.port}"
    raise RuntimeError(f"hypercorn reported no plain-HTTP address: {list(binds)!r}")


@contextlib.asynccontextmanager
async def serve_demo_app(
    app: DemoApp | None = None, *, host: str = "127.0.0.1"
) -> AsyncIterator[DemoServer]:
    """
    Serve a :class:`DemoApp` with hypercorn on Trio for the duration of the block.

    The server binds an OS-chosen port on ``host``. On exit it shuts down
    gracefully (in-flight requests get about a second) and is cancelled outright
    if it has not stopped within two seconds.

    Args:
        app: The application to serve; a fresh :class:`DemoApp` if omitted.
        host: The address to bind.

    Yields:
        The running server: its base URL and the application.
    """
    from hypercorn.config import Config  # noqa: PLC0415 - hypercorn is an optional extra
    from hypercorn.trio import serve  # noqa: PLC0415 - hypercorn is an optional extra

    served = DemoApp() if app is None else app
    config = Config()
    config.bind = [f"[{host}]:0" if ":" in host else f"{host}:0"]
    config.accesslog = None
    config.errorlog = _quiet_logger()
    config.loglevel = "WARNING"
    config.graceful_timeout = 1.0
    config.keep_alive_timeout = 30.0
    shutdown = trio.Event()
    async with trio.open_nursery() as nursery:
        # hypercorn types ASGI apps with its own TypedDicts; this app takes plain mappings.
        asgi_app: Any = served
        binds: list[str] = await nursery.start(
            functools.partial(serve, asgi_app, config, shutdown_trigger=shutdown.wait)
        )
        body_error: BaseException | None = None
        try:
            yield DemoServer(url=_base_url(binds, host), app=served)
        except BaseException as exc:  # noqa: BLE001 - re-raised bare below, outside the nursery
            body_error = exc
        finally:
            shutdown.set()
            nursery.cancel_scope.deadline = min(
                nursery.cancel_scope.deadline, trio.current_time() + _SHUTDOWN_GRACE
            )
    # Re-raising outside the nursery keeps the caller's error bare, never an ExceptionGroup.
    if body_error is not None:
        raise body_error


_ENCODE_PIECE: Final = 1 << 20
_ENCODERS: Final = {"gzip": 31, "x-gzip": 31, "deflate": 15, "raw-deflate": -15}


def _compress(pieces: Iterable[bytes], wbits: int) -> bytes:
    """Compress ``pieces`` one at a time (level 9), so the input is never held whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = [compressor.compress(piece) for piece in pieces]
    out.append(compressor.flush())
    return b"".join(out)


@functools.lru_cache(maxsize=16)
def encoded_body(codings: tuple[str, ...], size: int, fill: str = "pattern") -> bytes:
    """
    ``size`` bytes of ``fill`` encoded with each of ``codings`` in turn (cached).

    ``gzip``/``x-gzip``, ``deflate`` (zlib-wrapped) and ``raw-deflate`` transform the body;
    any other coding leaves it as it is. The decoded body is made and compressed one MiB at
    a time, so a 200 MiB bomb never exists in memory uncompressed; a stack reuses the cached
    body of its inner codings.
    """
    if len(codings) > 1:
        pieces: Iterable[bytes] = (encoded_body(codings[:-1], size, fill),)
    else:
        starts = range(0, size, _ENCODE_PIECE)
        pieces = (
            bytes(min(_ENCODE_PIECE, size - start))
            if fill == "zero"
            else _pattern_chunk(start, min(_ENCODE_PIECE, size - start))
            for start in starts
        )
    wbits = _ENCODERS.get(codings[-1]) if codings else None
    return b"".join(pieces) if wbits is None else _compress(pieces, wbits)
