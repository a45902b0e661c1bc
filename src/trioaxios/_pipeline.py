"""
The middleware onion (koa ``compose``, umi-request style).

``async def mw(ctx, next)``: code before ``await next()`` runs on the way in, code after it on
the way out, with ``ctx.res`` set. The order for one request is fixed when it is dispatched::

    instance middleware, in the order added -> built-in features (installed by the client from
    its config) -> core middleware, in the order added -> transport -> back out, in reverse

Rules:

* ``next()`` runs the rest of the onion and the transport once. A second plain ``next()`` in
  the same middleware raises ``RuntimeError`` (umi-request's guard against double calls).
  ``next(retry=True)`` says "send again": it closes the previous ``ctx.res`` (its body stream,
  if it was streaming), then runs the inner onion and the transport again, which set a new
  ``ctx.res``. Interceptors are not re-run. ``ctx.attempts`` counts transport calls.
* A middleware may short-circuit: set ``ctx.res`` without calling ``next()`` (a cached
  ``Response``), or build one with ``await ctx.respond(...)``. Inner middleware and the
  transport then do not run. A middleware that returns without calling ``next()`` or setting
  ``ctx.res`` makes the request fail with ``ERR_BAD_OPTION_VALUE``.
* Middleware sees every status: ``validate_status`` is applied after the onion, so a 404 is a
  ``ctx.res`` on the way out, and becomes an error only after the outermost middleware
  returns.
* An exception raised anywhere (before or after ``next()``, or by the transport) propagates
  out through the outer middleware, which may catch it around their ``await next()``. When it
  leaves the onion, the client closes ``ctx.res`` and the error reaches the response
  interceptors' ``on_rejected``. ``trio.Cancelled`` travels the same way: catch
  ``Exception``, never ``BaseException``, around ``next()``.
* A plain function may be middleware too. It cannot await, so it runs on the way in only and
  must ``return next()`` (the onion awaits what it returns) or short-circuit. Calling
  ``next()`` without awaiting or returning it raises ``RuntimeError`` saying so, and so does
  calling ``next()`` after the middleware returned (from a task it started, say).
"""

from __future__ import annotations

import http
import inspect
import json as json_module
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, final

from ._dispatch import build_full_url
from ._errors import ERR_BAD_OPTION_VALUE, AxiosError
from ._headers import Headers
from ._interceptors import handler_name
from ._models import Request, Response
from ._transforms import transform_response_data

if TYPE_CHECKING:
    from ._config import RequestConfig
    from ._headers import HeadersInput
    from ._types import Transport


class Next(Protocol):
    """The ``next`` a middleware receives."""

    def __call__(self, *, retry: bool = False) -> Awaitable[None]:
        """Run the rest of the onion; ``retry=True`` to run it again."""


Middleware = Callable[["Context", Next], "Awaitable[None] | None"]

_MIN_STATUS: Final = 100
_MAX_STATUS: Final = 599


@final
class _NoJson:
    """Sentinel for ``respond(json=...)`` not given: ``None`` is a JSON value (``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no json>"


_NO_JSON: Final = _NoJson()


@final
class _MemoryResponse:
    """A ``TransportResponse`` whose body is already in memory (for ``Context.respond``)."""

    __slots__ = ("_body", "headers", "reason_phrase", "status", "url")

    def __init__(self, status: int, headers: list[tuple[str, str]], url: str, body: bytes) -> None:
        self.status = status
        try:
            self.reason_phrase = http.HTTPStatus(status).phrase
        except ValueError:
            self.reason_phrase = ""
        self.headers = headers
        self.url = url
        self._body = body

    async def aiter_bytes(self, *, decompress: bool) -> AsyncIterator[bytes]:  # noqa: ARG002 - never compressed
        if self._body:
            yield self._body

    async def aread_plain(self) -> bytes:
        """The body (never coded)."""
        return self._body

    async def aclose(self) -> None:
        """Nothing to release."""


@final
class Context:
    """
    What a middleware sees for one request.

    Attributes:
        req: This request's config (``RequestConfig``); a middleware may change it before
            ``next()``.
        res: The ``Response``, once ``next()`` returned (or a short-circuit set it).
        client: The ``Client`` sending the request.
        attempts: How many times the transport was called for this request.
        on_wire: ``None``, or a function called with no arguments when the next attempt's
            first bytes are about to be written to a connection (only when
            ``reports_wire``). Until then, cancelling the attempt sends nothing.

    Set any other attribute to carry per-request data between middleware.
    """

    req: RequestConfig
    res: Response | None
    client: Any
    attempts: int
    on_wire: Callable[[], object] | None

    def __init__(self, req: RequestConfig, client: Any, transport: Transport | None = None) -> None:
        self.req = req
        self.res = None
        self.client = client
        self.attempts = 0
        self.on_wire = None
        self._transport = transport

    @property
    def reports_wire(self) -> bool:
        """Whether ``on_wire`` is called for this request (it goes through a network pool)."""
        return bool(getattr(self._transport, "is_network_pool", False))

    async def respond(
        self,
        status: int = 200,
        *,
        headers: HeadersInput | None = None,
        content: bytes | str | None = None,
        json: Any = _NO_JSON,
    ) -> Response:
        """
        Short-circuit: build ``ctx.res`` for ``ctx.req`` without calling the transport.

        The body is ``content`` (bytes, or str sent as UTF-8 text) or ``json`` (encoded, with
        ``Content-Type: application/json``), given like ``httpx2.Response``'s. It is decoded
        exactly as a body from the transport (``response_type``, ``transform_response``), and
        ``validate_status`` and the response interceptors apply as usual. A previous
        ``ctx.res`` is closed and replaced. The body is in memory, so in a streaming request
        (``async with``) ``data`` is decoded too and ``aiter_bytes()`` yields the whole body.
        Returns the new response.

        Examples::

            async def offline(ctx, next):
                if ctx.req.url == "/ping":
                    await ctx.respond(json={"pong": True})
                else:
                    await next()

        Raises:
            AxiosError: ``ERR_BAD_OPTION_VALUE`` for a status outside 100..599 or for both
                ``content`` and ``json``.
        """
        if isinstance(status, bool) or not isinstance(status, int):
            msg = f"respond(): status must be an int, got {type(status).__name__}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE, self.req)
        if not _MIN_STATUS <= status <= _MAX_STATUS:
            msg = f"respond(): status must be in 100..599, got {status}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE, self.req)
        response_headers = Headers(headers)
        body = b""
        if json is not _NO_JSON:
            if content is not None:
                msg = "respond(): give content or json, not both"
                raise AxiosError(msg, ERR_BAD_OPTION_VALUE, self.req)
            body = json_module.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            response_headers.setdefault("Content-Type", "application/json")
        elif isinstance(content, str):
            body = content.encode()
            response_headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        elif content is not None:
            body = bytes(content)
        response_headers.setdefault("Content-Length", str(len(body)))
        config = self.req
        url = build_full_url(config)
        if self._transport is not None:
            url = self._transport.build_url(url, config.params, config.params_serializer).text
        raw = _MemoryResponse(status, response_headers.raw_items(), url, body)
        response = Response(raw, config, Request(config.method.upper(), url, config.headers.copy()))
        response.data = await transform_response_data(response, await response.aread())
        if self.res is not None:
            await self.res.aclose()
        self.res = response
        return response

    def __repr__(self) -> str:
        """Show the request and the response, if any."""
        return f"<Context req={self.req!r} res={self.res!r}>"


@final
class _Next:
    """
    The ``next`` handed to the middleware at one index of the onion.

    It remembers its calls, to refuse a second plain call and a call after the middleware
    returned, and to find a call that was never awaited.
    """

    __slots__ = ("_calls", "_index", "_onion", "returned")

    def __init__(self, onion: _Onion, index: int) -> None:
        self._onion = onion
        self._index = index
        self._calls: list[Coroutine[Any, Any, None]] = []
        self.returned = False

    def __call__(self, *, retry: bool = False) -> Awaitable[None]:
        """Run the layers inside this middleware (again, with ``retry=True``)."""
        if self.returned:
            msg = (
                f"middleware {self._name()} called next() after it returned; "
                "await next() inside the middleware"
            )
            raise RuntimeError(msg)
        if self._calls and not retry:
            msg = (
                f"middleware {self._name()} called next() twice; to send the request again, "
                "call next(retry=True)"
            )
            raise RuntimeError(msg)
        inner = self._index + 1
        call = self._onion.send_again(inner) if self._calls else self._onion.run(inner)
        self._calls.append(call)
        return call

    def _name(self) -> str:
        return handler_name(self._onion.middleware[self._index])

    def close_forgotten(self) -> bool:
        """Mark the middleware returned; close calls never awaited and say if there were any."""
        self.returned = True
        forgotten = False
        for call in self._calls:
            if inspect.getcoroutinestate(call) == inspect.CORO_CREATED:
                call.close()
                forgotten = True
        return forgotten

    def forgotten_error(self) -> RuntimeError:
        """The error for a ``next()`` that was called but neither awaited nor returned."""
        return RuntimeError(
            f"middleware {self._name()} called next() without awaiting it; write "
            "`await next()` (a plain function must `return next()`)"
        )


@final
class _Onion:
    """One request's run through the middleware and the terminal."""

    __slots__ = ("ctx", "middleware", "terminal")

    def __init__(
        self,
        middleware: Sequence[Middleware],
        ctx: Context,
        terminal: Callable[[Context], Awaitable[None]],
    ) -> None:
        self.middleware = middleware
        self.ctx = ctx
        self.terminal = terminal

    async def run(self, index: int) -> None:
        """Run the middleware at ``index`` (or the terminal, past the last one)."""
        if index == len(self.middleware):
            self.ctx.attempts += 1
            await self.terminal(self.ctx)
            return
        next_ = _Next(self, index)
        try:
            result = self.middleware[index](self.ctx, next_)
            if inspect.isawaitable(result):
                await result
        finally:
            forgotten = next_.close_forgotten()
        if forgotten:
            raise next_.forgotten_error()

    async def send_again(self, index: int) -> None:
        """Close the previous response, then run from ``index`` again (``next(retry=True)``)."""
        ctx = self.ctx
        if ctx.res is not None:
            previous, ctx.res = ctx.res, None
            await previous.aclose()
        await self.run(index)


async def run_onion(
    middleware: Sequence[Middleware],
    ctx: Context,
    terminal: Callable[[Context], Awaitable[None]],
) -> None:
    """Run ``middleware`` (outermost first) around ``terminal`` (the transport step)."""
    if not middleware:  # the common case: no onion to build
        ctx.attempts += 1
        await terminal(ctx)
        return
    await _Onion(middleware, ctx, terminal).run(0)
