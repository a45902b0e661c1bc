"""
``AuthRefresh``: single-flight token refresh as ordinary onion middleware (DESIGN §5).

One request through it::

    made by the refresh itself, or skip_auth_refresh=True -> sent as is: no waiting, no retry
    a refresh in flight, no token yet, or within `leeway` of expiry -> wait for that refresh
        (starting it if none runs), then go on
    apply the current token; remember its generation and how many refreshes had finished
    send; if a refresh started before the request reached the wire, it was held back
        (nothing was sent): wait for that refresh, apply the new token, send (no retry spent)
    while should_refresh(response) and retries are left:
        the token was replaced since this request was sent -> retry at once with the new one
        a refresh is in flight                              -> wait for it, then retry
        a refresh of this very token failed since it was sent -> raise that failure
        otherwise                                           -> start the refresh, wait, retry

The refresh runs as a task in the client's nursery, never in a request's task, so cancelling
any request (including the one that started it) leaves it and the other waiters alone. Every
waiter waits on the flight's ``trio.Event`` inside its own request scope: its cancel token,
signal and timeout apply while it waits. Reading the state and starting a flight happen with
no checkpoint in between, so two requests can never both start one: that is the whole lock.
Requests the refresh makes carry a context variable and pass through untouched.

Holding back: in a storm, most requests are still queued for a pooled connection, with the
stale token on them, when the first 401 comes back. Sending each only to collect its own 401
would double the work and queue the refresh behind them all. So, on a network pool (which
reports when a request's first bytes are about to be written, ``Context.on_wire``), every
request waits in a cancel scope of its own until it reaches the wire; starting a reactive
refresh cancels the scopes of those that have not. Nothing of theirs reached the server:
Trio's socket writes check for cancellation before they write, so a request whose
``on_wire`` did not run has sent no byte. They wait for the refresh like any other waiter and
go out once, with the new token.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, final

import trio

from .._errors import (
    ECONNABORTED,
    ERR_BAD_OPTION_VALUE,
    ERR_BAD_REQUEST,
    AxiosError,
    CanceledError,
)
from .._interceptors import call_maybe_async
from ._token import Token, anchored

if TYPE_CHECKING:
    from .._config import RequestConfig
    from .._models import Response
    from .._pipeline import Context, Next

#: The request key that opts one request out of refresh handling.
SKIP_KEY: Final = "skip_auth_refresh"

_UNAUTHORIZED: Final = 401

#: Set (to the ``AuthRefresh``) in the refresh task, so its own requests are not intercepted.
_REFRESHING: ContextVar[AuthRefresh | None] = ContextVar("trioaxios_refreshing", default=None)

RefreshFunction = Callable[[Any], "Awaitable[Token | str] | Token | str"]
ApplyFunction = Callable[["RequestConfig", Token], object]
ShouldRefresh = Callable[["Response"], "bool | Awaitable[bool]"]


def _default_should_refresh(response: Response) -> bool:
    return response.status == _UNAUTHORIZED


def _bad(name: str, expected: str, value: object) -> AxiosError:
    msg = f"AuthRefresh: `{name}` must be {expected}, got {value!r}"
    return AxiosError(msg, ERR_BAD_OPTION_VALUE)


def _optional_callable(name: str, value: Any) -> Any:
    if value is not None and not callable(value):
        raise _bad(name, "callable or None", value)
    return value


def _seconds(name: str, value: Any, *, allow_none: bool, allow_zero: bool) -> float:
    if value is None and allow_none:
        return math.inf
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not value >= 0  # also refuses NaN
        or (value == 0 and not allow_zero)
    ):
        expected = "a number of seconds " + (">= 0" if allow_zero else "> 0")
        raise _bad(name, expected + (" or None" if allow_none else ""), value)
    return float(value)


def _as_token(value: object) -> Token:
    if isinstance(value, Token):
        return value
    if isinstance(value, str):
        return Token(value)
    msg = f"the refresh function must return a trioaxios.Token or a str, got {type(value).__name__}"
    raise AxiosError(msg, ERR_BAD_OPTION_VALUE)


@final
@dataclass(frozen=True, slots=True)
class AuthRefreshStatistics:
    """
    A snapshot of an ``AuthRefresh`` (Trio's ``statistics()`` convention).

    Attributes:
        generation: Bumped each time a token is installed (by a refresh or ``set_token``).
        refreshes_done: Refreshes that returned a token.
        refreshes_failed: Refreshes that raised or timed out.
        waiters: Requests blocked on the refresh in flight right now.
        refreshing: Whether a refresh is in flight.
        held_back: Requests pulled back before reaching the wire because a refresh started
            (each was then sent once, with the new token).
    """

    generation: int
    refreshes_done: int
    refreshes_failed: int
    waiters: int
    refreshing: bool
    held_back: int = 0


@final
class _Flight:
    """One refresh in flight: its waiters wait on ``done``; ``error`` is set if it failed."""

    __slots__ = ("done", "error", "waiters")

    def __init__(self) -> None:
        self.done = trio.Event()
        self.error: BaseException | None = None
        self.waiters = 0


@final
class _Sent:
    """What a request was last sent with: the token generation and the refresh epoch."""

    __slots__ = ("epoch", "generation")

    def __init__(self, generation: int, epoch: int) -> None:
        self.generation = generation
        self.epoch = epoch


def _refresh_failed_error(cause: BaseException, ctx: Context) -> AxiosError:
    """The error one waiter raises (``from cause``) when the refresh it waited for failed."""
    response = ctx.res
    request = None if response is None else response.request
    if isinstance(cause, CanceledError):
        return CanceledError(cause.message, ctx.req, request, reason=cause.reason)
    if isinstance(cause, AxiosError):
        code, detail = cause.code, cause.message
    else:
        code, detail = ERR_BAD_REQUEST, type(cause).__name__
    msg = f"the access token could not be refreshed: {detail}"
    return AxiosError(msg, code, ctx.req, request, response)


@final
class AuthRefresh:
    """
    Single-flight token refresh, installed with ``client.use(auth)``.

    It applies the current token to every request. When a response says the token expired
    (``should_refresh``), exactly one refresh runs, as a task in the client's nursery; every
    request that needs the new token waits for it inside its own cancel scope and is then
    retried, at most ``max_retries`` times. A request sent with a token that has since been
    replaced is retried with the current one without a new refresh (token generations).
    With an expiry known (``Token.expires_in``/``expires_at``), a request made within
    ``leeway`` seconds of it refreshes first, through the same single flight. With no token
    at all, the first request refreshes first.

    Examples::

        async def refresh(client):
            r = await client.post("/auth/refresh", {"refresh_token": auth.token.refresh_token})
            return trioaxios.Token(r.data["token"], refresh_token=r.data["refreshToken"],
                                   expires_in=r.data.get("expires_in"))

        auth = trioaxios.AuthRefresh(refresh, token="initial-token")
        api.use(auth)
        await api.get("/login", skip_auth_refresh=True)   # never waits, never refreshes

    Requests made by ``refresh`` (and by ``on_token``/``on_refresh_failed``, which run in the
    refresh task) are not intercepted: no token is applied, no refresh is awaited, and they
    never follow redirects. A request with ``skip_auth_refresh=True`` gets the current token
    (if any) but never waits for, nor triggers, a refresh.

    When the refresh fails (raises, returns something that is not a ``Token`` or ``str``, or
    runs past ``refresh_timeout``), every waiting request raises an ``AxiosError`` whose
    ``__cause__`` is that one failure: its ``code`` is the failure's own when it is an
    ``AxiosError`` (``ECONNABORTED`` for the refresh timeout), else ``ERR_BAD_REQUEST``. A
    request that was sent before the failure and comes back expired afterwards raises the
    same failure instead of starting another refresh; requests made later refresh again.
    A refresh is never cancelled because its waiters went away (a rotating refresh token
    that the server already spent would be lost); only ``refresh_timeout`` and the client's
    exit stop it. At the client's exit its waiters raise ``CanceledError``.

    Args:
        refresh: ``async def refresh(client) -> Token | str``: gets a new token; it receives
            the client and may send requests through it.
        token: The initial token (a ``Token`` or the access token as a ``str``), or ``None``.
        header: The header that carries the token.
        scheme: Put before the token (``"Bearer t"``); ``None`` or ``""`` sends it bare.
        apply: ``apply(config, token)``, a plain function that puts the token on a request
            instead of ``header``/``scheme``.
        should_refresh: ``should_refresh(response) -> bool``: whether the response says the
            token expired; default ``response.status == 401``. For an expired-token code in
            a 200 body, test ``response.data`` (streamed responses have no ``data``).
        leeway: Refresh this many seconds before a known expiry (at most half the token's
            lifetime, so a short-lived token is not refreshed on every request).
        max_retries: How many times one request is sent again after a refresh or a token
            change; 0 disables the reactive refresh.
        on_refresh_failed: Called with the failure once per failed refresh.
        on_token: Called with the new ``Token`` after each successful refresh, once the
            waiters have been released.
        refresh_timeout: Seconds one refresh may take (``None``: no limit).

    Both callbacks may be plain or ``async`` functions; an exception they raise propagates
    through the client's nursery (as any crashed background task does in Trio).

    .. versionadded:: 0.1
    """

    config_keys: ClassVar[frozenset[str]] = frozenset({SKIP_KEY})

    __slots__ = (
        "_apply",
        "_epoch",
        "_flight",
        "_generation",
        "_header",
        "_held_back",
        "_last_failure",
        "_leeway",
        "_max_retries",
        "_on_refresh_failed",
        "_on_token",
        "_refresh",
        "_refresh_at",
        "_refresh_timeout",
        "_refreshes_done",
        "_refreshes_failed",
        "_scheme",
        "_should_refresh",
        "_token",
        "_unsent",
    )

    def __init__(
        self,
        refresh: RefreshFunction,
        token: Token | str | None = None,
        *,
        header: str = "Authorization",
        scheme: str | None = "Bearer",
        apply: ApplyFunction | None = None,
        should_refresh: ShouldRefresh | None = None,
        leeway: float = 60.0,
        max_retries: int = 1,
        on_refresh_failed: Callable[[BaseException], object] | None = None,
        on_token: Callable[[Token], object] | None = None,
        refresh_timeout: float | None = 30.0,
    ) -> None:
        if not callable(refresh):
            raise _bad("refresh", "an async function refresh(client) -> Token | str", refresh)
        if not isinstance(header, str) or not header:
            raise _bad("header", "a non-empty str", header)
        if scheme is not None and not isinstance(scheme, str):
            raise _bad("scheme", "a str or None", scheme)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise _bad("max_retries", "an int >= 0", max_retries)
        self._refresh = refresh
        self._header = header
        self._scheme = scheme or ""
        self._apply: ApplyFunction | None = _optional_callable("apply", apply)
        self._should_refresh: ShouldRefresh = (
            _optional_callable("should_refresh", should_refresh) or _default_should_refresh
        )
        self._leeway = _seconds("leeway", leeway, allow_none=False, allow_zero=True)
        self._max_retries = max_retries
        self._on_refresh_failed = _optional_callable("on_refresh_failed", on_refresh_failed)
        self._on_token = _optional_callable("on_token", on_token)
        self._refresh_timeout = _seconds(
            "refresh_timeout", refresh_timeout, allow_none=True, allow_zero=False
        )
        self._token: Token | None = None
        self._refresh_at: float | None = None
        self._generation = 0
        self._epoch = 0
        self._last_failure: BaseException | None = None
        self._flight: _Flight | None = None
        self._refreshes_done = 0
        self._refreshes_failed = 0
        #: One cancel scope per request attempt not yet on the wire (see the module doc).
        self._unsent: set[trio.CancelScope] = set()
        self._held_back = 0
        if token is not None:
            self.set_token(token)

    # -- state --------------------------------------------------------------------------

    @property
    def token(self) -> Token | None:
        """The current token (``None`` before the first one)."""
        return self._token

    def set_token(self, token: Token | str | None) -> None:
        """
        Install ``token`` (after a login, say) as a new generation; ``None`` forgets it.

        Requests already sent with the previous token are retried with this one if they come
        back expired. With ``None``, the next request refreshes first.
        """
        if token is not None and not isinstance(token, Token | str):
            raise _bad("token", "a trioaxios.Token, a str or None", token)
        self._token = Token(token) if isinstance(token, str) else token
        self._generation += 1
        self._refresh_at = None
        try:
            now = trio.current_time()
        except RuntimeError:
            return  # outside trio.run: anchored on first use
        self._anchor(now)

    def _anchor(self, now: float) -> float:
        """Fix the expiry on the Trio clock and compute when to refresh; return that time."""
        if self._refresh_at is None:
            token = self._token
            refresh_at = math.inf
            if token is not None:
                token = self._token = anchored(token, now)
                if token.expires_at is not None:
                    lifetime = max(token.expires_at - now, 0.0)
                    refresh_at = token.expires_at - min(self._leeway, lifetime / 2)
            self._refresh_at = refresh_at
        return self._refresh_at

    def _due(self) -> bool:
        """Whether the next request must wait for a new token: none yet, or near expiry."""
        if self._token is None:
            return True
        now = trio.current_time()
        return now >= self._anchor(now)

    def statistics(self) -> AuthRefreshStatistics:
        """Return the generation, the refresh counts, the waiters and whether one runs."""
        flight = self._flight
        return AuthRefreshStatistics(
            generation=self._generation,
            refreshes_done=self._refreshes_done,
            refreshes_failed=self._refreshes_failed,
            waiters=0 if flight is None else flight.waiters,
            refreshing=flight is not None,
            held_back=self._held_back,
        )

    def __repr__(self) -> str:
        """Show the state, never the token."""
        stats = self.statistics()
        return (
            f"<AuthRefresh generation={stats.generation} refreshing={stats.refreshing} "
            f"waiters={stats.waiters}>"
        )

    # -- the middleware -----------------------------------------------------------------

    async def __call__(self, ctx: Context, call_next: Next) -> None:
        """Apply the token, send, and refresh (single flight) and retry when it expired."""
        if _REFRESHING.get() is self:
            ctx.req.max_redirects = 0  # a refresh never follows redirects (RELIABILITY T32)
            await call_next()
            return
        if ctx.req.extras.get(SKIP_KEY):
            self._apply_token(ctx)
            await call_next()
            return
        await self._before_send(ctx)
        sent = self._apply_token(ctx)
        retry = False
        while not await self._send_unless_held_back(ctx, call_next, retry=retry):
            self._held_back += 1
            retry = True
            flight = self._flight
            if flight is not None:
                await self._wait(flight, ctx)
            sent = self._apply_token(ctx)
        retries = 0
        while (
            ctx.res is not None
            and await call_maybe_async(self._should_refresh, ctx.res)
            and retries < self._max_retries
        ):
            retries += 1
            flight = self._flight_for_expired(sent, ctx)
            # Release the expired response's connection before waiting: with a small pool
            # and streamed responses, the refresh would otherwise wait for it (T11).
            await ctx.res.aclose()
            if flight is not None:
                await self._wait(flight, ctx)
            sent = self._apply_token(ctx)
            await call_next(retry=True)

    async def _before_send(self, ctx: Context) -> None:
        """Wait for a refresh in flight, or run one first if the token is missing or due."""
        flight = self._flight
        if flight is None and self._due():
            flight = self._start(ctx.client)
        if flight is not None:
            await self._wait(flight, ctx)

    async def _send_unless_held_back(self, ctx: Context, call_next: Next, *, retry: bool) -> bool:
        """
        Send once; return ``False`` if a refresh pulled the request back before the wire.

        Only on a transport that reports the wire (``ctx.reports_wire``); elsewhere a request
        in flight is never pulled back.
        """
        if not ctx.reports_wire:
            await call_next(retry=retry)
            return True
        hold = trio.CancelScope()
        unsent = self._unsent
        unsent.add(hold)
        ctx.on_wire = lambda: unsent.discard(hold)
        try:
            with hold:
                await call_next(retry=retry)
        finally:
            unsent.discard(hold)
            ctx.on_wire = None
        return not hold.cancelled_caught

    def _hold_back_unsent(self) -> None:
        """Cancel every attempt not yet on the wire: its stale token would only earn a 401."""
        for hold in self._unsent:
            hold.cancel(reason="trioaxios: a token refresh started; sent after it, once")
        self._unsent.clear()

    def _apply_token(self, ctx: Context) -> _Sent:
        """Put the current token on the request; return what it is being sent with."""
        token = self._token
        if token is not None:
            if self._apply is not None:
                self._apply(ctx.req, token)
            elif self._scheme:
                ctx.req.headers[self._header] = f"{self._scheme} {token.access_token}"
            else:
                ctx.req.headers[self._header] = token.access_token
        return _Sent(self._generation, self._epoch)

    def _flight_for_expired(self, sent: _Sent, ctx: Context) -> _Flight | None:
        """
        Decide, without a checkpoint, what an expired response needs.

        Returns ``None`` to retry at once (a newer token exists), or the flight to wait for
        (joined or started). Raises the failure of a refresh of this very token that
        finished after the request was sent.
        """
        if self._generation != sent.generation:
            return None
        if self._flight is not None:
            return self._flight
        if self._epoch != sent.epoch:
            cause = self._last_failure
            assert cause is not None  # noqa: S101 - the epoch moved, the generation did not
            raise _refresh_failed_error(cause, ctx) from cause
        flight = self._start(ctx.client)
        self._hold_back_unsent()
        return flight

    def _start(self, client: Any) -> _Flight:
        flight = _Flight()
        self._flight = flight
        try:
            client.start_soon(self._fly, client, flight, name="trioaxios token refresh")
        except BaseException:
            self._flight = None
            raise
        return flight

    async def _wait(self, flight: _Flight, ctx: Context) -> None:
        """Wait for ``flight`` in the request's own scope; raise its failure, if any."""
        flight.waiters += 1
        try:
            await flight.done.wait()
        finally:
            flight.waiters -= 1
        if flight.error is not None:
            raise _refresh_failed_error(flight.error, ctx) from flight.error

    # -- the refresh task ---------------------------------------------------------------

    async def _fly(self, client: Any, flight: _Flight) -> None:
        """Run one refresh in the client's nursery, install its result, release the waiters."""
        _REFRESHING.set(self)
        try:
            token, failure = await self._call_refresh(client)
        except BaseException:
            # The client is closing (its nursery was cancelled), or KeyboardInterrupt:
            # release the waiters with a cancellation, then let it propagate.
            self._land(
                flight,
                CanceledError("the token refresh was interrupted: the client is closing"),
            )
            raise
        self._epoch += 1
        if failure is None:
            assert token is not None  # noqa: S101 - no failure means a token
            self._refreshes_done += 1
            self.set_token(token)
        else:
            self._refreshes_failed += 1
            self._last_failure = failure
        self._land(flight, failure)
        if failure is None:
            if self._on_token is not None:
                await call_maybe_async(self._on_token, self._token)
        elif self._on_refresh_failed is not None:
            await call_maybe_async(self._on_refresh_failed, failure)

    def _land(self, flight: _Flight, failure: BaseException | None) -> None:
        self._flight = None
        flight.error = failure
        flight.done.set()

    async def _call_refresh(self, client: Any) -> tuple[Token | None, BaseException | None]:
        """Call ``refresh`` under ``refresh_timeout``; return the token or the failure."""
        result: object = None
        try:
            with trio.move_on_after(self._refresh_timeout) as scope:
                result = await call_maybe_async(self._refresh, client)
            if not scope.cancelled_caught:
                return _as_token(result), None
        except Exception as exc:  # noqa: BLE001 - any failure of the user's refresh fans out
            return None, exc
        msg = f"the token refresh timed out after {self._refresh_timeout:g}s"
        return None, AxiosError(msg, ECONNABORTED)
