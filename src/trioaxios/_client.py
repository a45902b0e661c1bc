"""
``Client`` (an axios instance) and ``PendingRequest`` (an awaitable, streamable request).

A client holds instance defaults, interceptors, middleware, a pool and a nursery, and is an
async context manager with explicit states.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, final

import trio

from ._config import (
    CREATE_ONLY_KEYS,
    Defaults,
    RequestConfig,
    merge_config,
    merge_options,
    shown,
)
from ._dispatch import missing_response_error, send_request, settle
from ._errors import ERR_BAD_OPTION, ERR_BAD_OPTION_VALUE, AxiosError
from ._forms import form_options
from ._interceptors import Interceptors, run_chain
from ._models import CLOSE_TIMEOUT, Response
from ._pipeline import Context, Middleware, run_onion
from ._timeouts import RequestScope
from ._transports import Httpx2Transport

if TYPE_CHECKING:
    from types import TracebackType

    from ._transports._httpx2 import PoolStatistics

_LIBRARY_HEADERS: Final = (
    ("Accept", "application/json, text/plain, */*"),
    ("User-Agent", "trioaxios"),
)


class ClientState(enum.Enum):
    """Where a ``Client`` is in its life: it is opened once and closed once."""

    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


@final
@dataclass(frozen=True, slots=True)
class ClientStatistics:
    """A snapshot of a client (Trio's ``statistics()`` convention)."""

    state: ClientState
    background_tasks: int
    pool: PoolStatistics | None


def _named(options: dict[Any, Any]) -> dict[str, Any]:
    """Return ``options`` if every key is a str, else raise (``Defaults(**options)`` needs it)."""
    for key in options:
        if not isinstance(key, str):
            msg = f"option names must be str, got a key of type {type(key).__name__}"
            raise AxiosError(msg, ERR_BAD_OPTION)
    return options


def _create_only(options: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {key: options.pop(key) for key in CREATE_ONLY_KEYS if key in options}
    for key in ("max_connections", "max_keepalive_connections"):
        value = found.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            msg = f"option {key!r} must be an int >= 1 or None, got {shown(value)}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return found


def _unwrap_group(group: BaseExceptionGroup[BaseException]) -> BaseException:
    while isinstance(group, BaseExceptionGroup) and len(group.exceptions) == 1:
        group = group.exceptions[0]  # type: ignore[assignment]
    return group


@final
class Client:
    """
    An axios instance for Trio; use it as an async context manager.

    It holds defaults, interceptors, middleware, a connection pool and a nursery for
    background work (token refresh).

    Examples::

        async with trioaxios.create(base_url="http://127.0.0.1:8000", timeout=5) as api:
            r = await api.get("/users", params={"id": 1})
            async with api.get("/big") as r:
                async for chunk in r.aiter_bytes(): ...

    Args:
        config: Instance defaults as a mapping; keyword arguments are merged over it. Besides
            the request keys, ``transport``, ``max_connections`` and
            ``max_keepalive_connections`` configure the pool.
    """

    __slots__ = (
        "_create_options",
        "_extra_keys",
        "_middleware",
        "_nursery",
        "_nursery_cm",
        "_onion",
        "_state",
        "_transport",
        "defaults",
        "interceptors",
    )

    def __init__(self, config: Mapping[str, Any] | None = None, **options: Any) -> None:
        merged = {**(config or {}), **options}
        self._create_options = _create_only(merged)
        if self._create_options.get("transport") is not None:
            Httpx2Transport(self._create_options["transport"])  # validate now, not at open
        self.defaults = Defaults(**_named(merged))
        common = self.defaults.headers.common
        for name, value in _LIBRARY_HEADERS:
            if name not in common and not common.is_suppressed(name):
                common[name] = value
        self.interceptors = Interceptors()
        self._middleware: list[tuple[Middleware, bool]] = []
        self._onion: tuple[Middleware, ...] = ()
        self._extra_keys: frozenset[str] = frozenset()
        self._state = ClientState.UNOPENED
        self._transport: Httpx2Transport | None = None
        self._nursery: trio.Nursery | None = None
        self._nursery_cm: Any = None

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Client:
        """Open the pool and the client's nursery."""
        if self._state is ClientState.OPENED:
            raise RuntimeError("this Client is already open; enter `async with` only once")
        if self._state is ClientState.CLOSED:
            raise RuntimeError(
                "this Client is closed and cannot be reopened; create a new one "
                "with trioaxios.create() or client.create()"
            )
        options = self._create_options
        self._transport = Httpx2Transport(
            options.get("transport"),
            max_connections=options.get("max_connections", 100),
            max_keepalive_connections=options.get("max_keepalive_connections", 20),
        )
        self._nursery_cm = trio.open_nursery()
        self._nursery = await self._nursery_cm.__aenter__()
        self._state = ClientState.OPENED
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Cancel background work, then close the pool (shielded, bounded)."""
        if self._state is not ClientState.OPENED:
            return
        self._state = ClientState.CLOSED
        assert self._nursery is not None  # noqa: S101 - set by __aenter__
        assert self._transport is not None  # noqa: S101 - set by __aenter__
        self._nursery.cancel_scope.cancel()
        try:
            await self._nursery_cm.__aexit__(None, None, None)
        except BaseExceptionGroup as group:
            raise _unwrap_group(group) from None
        finally:
            with trio.move_on_after(CLOSE_TIMEOUT, shield=True):
                await self._transport.aclose()

    @property
    def state(self) -> ClientState:
        """``UNOPENED``, ``OPENED`` or ``CLOSED``."""
        return self._state

    def _check_open(self) -> Httpx2Transport:
        if self._state is ClientState.OPENED:
            assert self._transport is not None  # noqa: S101 - set by __aenter__
            return self._transport
        if self._state is ClientState.UNOPENED:
            raise RuntimeError(
                "this Client is not open: send requests inside "
                "`async with trioaxios.create(...) as client:`"
            )
        raise RuntimeError(
            "this Client is closed (its `async with` block ended); "
            "create a new client to send more requests"
        )

    def start_soon(
        self, async_fn: Callable[..., Awaitable[object]], *args: object, name: str | None = None
    ) -> None:
        """
        Run ``async_fn(*args)`` in the client's nursery; it is cancelled when the client closes.

        Used by middleware for background work (the single-flight token refresh).
        """
        self._check_open()
        assert self._nursery is not None  # noqa: S101 - open
        self._nursery.start_soon(async_fn, *args, name=name)

    def statistics(self) -> ClientStatistics:
        """Return the state, the number of background tasks and the pool's connections."""
        tasks = len(self._nursery.child_tasks) if self._nursery is not None else 0
        pool = self._transport.pool_statistics() if self._transport is not None else None
        return ClientStatistics(self._state, tasks, pool)

    def create(self, config: Mapping[str, Any] | None = None, **options: Any) -> Client:
        """
        Return a new, unopened client whose defaults are these merged with ``options``.

        Interceptors and middleware are not shared: the new client starts with none.
        """
        child = Client(self._create_options)
        merged = merge_config(self.defaults, Defaults(**_named({**(config or {}), **options})))
        assert isinstance(merged, Defaults)  # noqa: S101 - defaults merged over defaults
        child.defaults = merged
        return child

    # -- middleware -----------------------------------------------------------------------

    def use(self, middleware: Middleware, *, core: bool = False) -> Middleware:
        """
        Add onion middleware ``async def mw(ctx, next)`` (or a plain function); return it.

        Instance middleware runs in the order added; ``core=True`` middleware runs innermost,
        next to the transport. A middleware may declare ``config_keys`` (extra request keys
        it understands).
        """
        if not callable(middleware):
            msg = f"middleware must be callable as mw(ctx, next), got {type(middleware).__name__}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        self._middleware.append((middleware, core))
        self._rebuild_onion()
        return middleware

    def eject(self, middleware: Middleware) -> None:
        """
        Remove middleware added with ``use``.

        Raises:
            ValueError: It was not in use.
        """
        for index, (mw, _) in enumerate(self._middleware):
            if mw is middleware:
                del self._middleware[index]
                self._rebuild_onion()
                return
        msg = "eject(): that middleware is not in use on this client"
        raise ValueError(msg)

    def _rebuild_onion(self) -> None:
        self._onion = tuple(
            [mw for mw, core in self._middleware if not core]
            + [mw for mw, core in self._middleware if core]
        )
        keys: set[str] = set()
        for mw, _ in self._middleware:
            keys.update(getattr(mw, "config_keys", ()))
        self._extra_keys = frozenset(keys)

    # -- requests -------------------------------------------------------------------------

    def _build_config(
        self, config: Mapping[str, Any] | RequestConfig | None, options: dict[str, Any]
    ) -> RequestConfig:
        if config is None:
            return merge_options(self.defaults, options, self._extra_keys)
        if isinstance(config, RequestConfig):
            mapping = config.to_dict()
        elif isinstance(config, Mapping):
            mapping = dict(config)
        else:
            msg = f"a request config must be a mapping, got {type(config).__name__}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        mapping.update(options)
        return merge_options(self.defaults, mapping, self._extra_keys)

    def request(
        self, config: Mapping[str, Any] | RequestConfig | None = None, /, **options: Any
    ) -> PendingRequest:
        """
        Prepare a request from a mapping and/or keywords; await it or ``async with`` it.

        Raises:
            AxiosError: ``ERR_BAD_OPTION`` / ``ERR_BAD_OPTION_VALUE`` for bad config, at once.
        """
        return PendingRequest(self, self._build_config(config, options))

    def get(
        self, url: str, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """GET ``url``."""
        return self.request(config, **options, url=url, method="get")

    def delete(
        self, url: str, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """DELETE ``url``."""
        return self.request(config, **options, url=url, method="delete")

    def head(
        self, url: str, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """HEAD ``url``."""
        return self.request(config, **options, url=url, method="head")

    def options(
        self, url: str, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """OPTIONS ``url``."""
        return self.request(config, **options, url=url, method="options")

    def post(
        self, url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """POST ``data`` to ``url`` (dict/list → JSON)."""
        return self.request(config, **options, url=url, method="post", data=data)

    def put(
        self, url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """PUT ``data`` to ``url``."""
        return self.request(config, **options, url=url, method="put", data=data)

    def patch(
        self, url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """PATCH ``data`` to ``url``."""
        return self.request(config, **options, url=url, method="patch", data=data)

    def post_form(
        self, url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """
        POST ``data`` as ``multipart/form-data`` (axios ``postForm``).

        ``data`` is a mapping of fields and files (``Path``, file objects, bytes,
        ``(filename, content, content_type)`` tuples); files are streamed. A form
        ``Content-Type`` set by the caller is kept: urlencoded stays urlencoded.
        """
        form = form_options(config, options)
        return self.request(config, **form, url=url, method="post", data=data)

    def put_form(
        self, url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """PUT ``data`` as ``multipart/form-data`` (axios ``putForm``); see ``post_form``."""
        form = form_options(config, options)
        return self.request(config, **form, url=url, method="put", data=data)

    def patch_form(
        self, url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
    ) -> PendingRequest:
        """PATCH ``data`` as ``multipart/form-data`` (axios ``patchForm``); see ``post_form``."""
        form = form_options(config, options)
        return self.request(config, **form, url=url, method="patch", data=data)

    # -- execution ------------------------------------------------------------------------

    async def _run(self, config: RequestConfig) -> Response:
        if config.response_type == "stream":
            msg = (
                "response_type='stream' keeps the body open: use `async with "
                "client.get(...) as response:` and read it inside the block"
            )
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE, config)
        await trio.lowlevel.checkpoint_if_cancelled()
        scope = RequestScope(config, timeout_may_change=bool(self.interceptors.request))
        interceptors = self.interceptors
        try:
            with scope:
                if interceptors.request or interceptors.response:
                    response: Response = await self._send(config, scope, stream=False)
                else:  # the common case, one frame less while the request is in flight
                    response = await self._dispatch(config, scope, stream=False)
        finally:
            await _finish_checkpoint(scope)
        return response

    async def _send(
        self,
        config: RequestConfig,
        scope: RequestScope,
        *,
        stream: bool,
        sent: list[Response] | None = None,
    ) -> Any:
        self._check_open()
        interceptors = self.interceptors
        if not interceptors.request and not interceptors.response:
            response = await self._dispatch(config, scope, stream=stream)
            if sent is not None:
                sent.append(response)
            return response

        async def dispatch(final_config: RequestConfig) -> Response:
            response = await self._dispatch(final_config, scope, stream=stream)
            if sent is not None:
                sent.append(response)
            return response

        return await run_chain(interceptors, config, dispatch, extra_keys=self._extra_keys)

    async def _dispatch(
        self, config: RequestConfig, scope: RequestScope, *, stream: bool
    ) -> Response:
        transport = self._check_open()
        scope.arm_timeout(config.timeout)
        ctx = Context(config, self, transport)
        try:
            if self._onion:
                await run_onion(self._onion, ctx, _Terminal(scope, transport, stream=stream))
            else:  # no middleware: `_Terminal` inline, two frames less in flight
                ctx.attempts += 1
                if await send_request(ctx, transport, stream=stream):
                    scope.yielded = True
            return settle(_response_of(ctx))
        except BaseException:
            if ctx.res is not None:
                await ctx.res.aclose()
            raise


@final
class _Terminal:
    """The onion's innermost step for one request: send through the transport."""

    __slots__ = ("_scope", "_stream", "_transport")

    def __init__(self, scope: RequestScope, transport: Httpx2Transport, *, stream: bool) -> None:
        self._scope = scope
        self._transport = transport
        self._stream = stream

    async def __call__(self, ctx: Context) -> None:
        """Send ``ctx.req``; note when the send went over the network (a schedule point)."""
        if await send_request(ctx, self._transport, stream=self._stream):
            self._scope.yielded = True


async def _finish_checkpoint(scope: RequestScope) -> None:
    """
    Make the call a full checkpoint: Trio's rule for every async call, whatever happened.

    The call began with ``checkpoint_if_cancelled()`` (the cancellation half); the schedule
    half is free when the request went over the network (socket I/O yields), so only a call
    that never did (a short-circuit, a mock transport, an early error) pays for it here.
    """
    if not scope.yielded:
        await trio.lowlevel.cancel_shielded_checkpoint()


def _response_of(ctx: Context) -> Response:
    if ctx.res is None:
        raise missing_response_error(ctx.req)
    return ctx.res


@final
class PendingRequest:
    """
    A prepared request: await it, or use it with ``async with`` to stream.

    ``await`` gives a ``Response`` with the body read and decoded; ``async with`` gives a
    streaming ``Response`` whose body is closed when the block ends.

    Either use runs the request once; a second use raises ``RuntimeError``.
    """

    __slots__ = ("_client", "_response", "_scope", "_used", "config")

    def __init__(self, client: Client, config: RequestConfig) -> None:
        self._client = client
        self.config = config
        self._used = False
        self._scope: RequestScope | None = None
        self._response: Response | None = None

    def _claim(self) -> None:
        if self._used:
            raise RuntimeError(
                "this request was already sent; call the method again to send another"
            )
        self._used = True

    def __await__(self) -> Any:
        """Send, read and decode the body; return the ``Response``."""
        self._claim()
        return self._client._run(self.config).__await__()  # noqa: SLF001 - the client's own helper

    async def __aenter__(self) -> Response:
        """Send and return the ``Response`` (body unread), or what the interceptors made of it."""
        self._claim()
        await trio.lowlevel.checkpoint_if_cancelled()
        client = self._client
        scope = RequestScope(self.config, timeout_may_change=bool(client.interceptors.request))
        try:
            scope.__enter__()
        except BaseException:
            await _finish_checkpoint(scope)
            raise
        sent: list[Response] = []
        try:
            result: Response = await self._client._send(self.config, scope, stream=True, sent=sent)  # noqa: SLF001 - the client's own helper
        except BaseException as exc:
            try:
                for response in sent:  # a response interceptor failed after dispatch
                    await response.aclose()
            finally:
                try:
                    scope.__exit__(type(exc), exc, exc.__traceback__)
                finally:
                    await _finish_checkpoint(scope)
            raise
        self._scope, self._response = scope, (sent[0] if sent else None)
        await _finish_checkpoint(scope)
        return result

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the body (shielded, bounded) and translate a cancellation we own."""
        assert self._scope is not None  # noqa: S101 - set by __aenter__
        try:
            if self._response is not None:  # None: an on_rejected recovered before dispatch
                await self._response.aclose()
        finally:
            self._scope.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        """Show the method and the (redacted) config URL."""
        return f"<PendingRequest {self.config!r}>"


def create(config: Mapping[str, Any] | None = None, **options: Any) -> Client:
    """
    Create a ``Client`` (an axios instance); use it with ``async with``.

    Raises:
        AxiosError: ``ERR_BAD_OPTION`` for an unknown key (naming the closest valid one),
            ``ERR_BAD_OPTION_VALUE`` for a bad value.
    """
    return Client(config, **options)
