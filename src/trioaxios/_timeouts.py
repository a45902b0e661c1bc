"""
The request scope: one ``trio.CancelScope`` per request.

It is cancelled by the request's token, signal or timeout, and translated into the right
error only when *it* caught the cancellation.

Cancellation from an enclosing scope (``move_on_after``, a cancelled nursery) is never
converted: Trio does not let an inner scope catch what an outer cancelled scope owns, and we
only translate when our scope reports ``cancelled_caught``. An enclosing deadline that is
shorter than ``timeout`` simply wins: the caller's scope catches its own ``trio.Cancelled``.

When several of our sources fire, the first one wins: a token or signal that fires after the
scope's deadline passed does not turn a timeout into a cancellation, and vice versa.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, final

import trio

from ._errors import ECONNABORTED, ETIMEDOUT, AxiosError, CanceledError

if TYPE_CHECKING:
    from types import TracebackType

    from ._cancel import AbortSignal, CancelToken
    from ._config import RequestConfig


def timeout_error(config: RequestConfig) -> AxiosError:
    """Return the timeout error axios would raise for ``config``."""
    code = ETIMEDOUT if config.transitional.clarify_timeout_error else ECONNABORTED
    message = config.timeout_error_message
    if message is None:
        message = f"timeout of {config.timeout or 0:g}s exceeded"
    return AxiosError(message, code, config)


@final
class RequestScope:
    """
    Bridges a request's ``cancel_token``, ``signal`` and ``timeout`` onto one cancel scope.

    Enter it (it raises at once if the token/signal already fired, before any I/O), call
    ``arm_timeout`` when the request is about to be dispatched, and exit it: if the scope
    caught the cancellation, ``__exit__`` raises ``CanceledError`` or the timeout
    ``AxiosError``. It must be entered and exited in the same task (it is a cancel scope).
    """

    __slots__ = (
        "_config",
        "_first",
        "_needed",
        "_scope",
        "_signal",
        "_timeout_at",
        "_token",
        "yielded",
    )

    def __init__(self, config: RequestConfig, *, timeout_may_change: bool = True) -> None:
        """
        Prepare the scope of a request with ``config``.

        ``timeout_may_change=False`` promises that ``arm_timeout`` will get
        ``config.timeout`` (no request interceptor can change it): a request with no token,
        no signal and no timeout then opens no ``trio.CancelScope`` at all, as nothing
        could cancel it.
        """
        self._config = config
        self._token: CancelToken | None = config.cancel_token
        self._signal: AbortSignal | None = config.signal
        #: The open cancel scope: made on entry only when something can cancel the request
        #: (``_needed``), ``None`` again once it is closed.
        self._scope: trio.CancelScope | None = None
        self._timeout_at = math.inf
        self._first: CanceledError | None = None
        self._needed = (
            timeout_may_change
            or bool(config.timeout)
            or self._token is not None
            or self._signal is not None
        )
        #: Set once the request reached a schedule point for sure (network I/O).
        self.yielded = False

    def _cancel(self, error: CanceledError) -> None:
        # The listener of both the token and the signal, subscribed while the scope is open.
        # ``cancel_called`` is already true when the deadline (timeout or timeout signal)
        # passed first: then that one wins.
        scope = self._scope
        assert scope is not None  # noqa: S101 - subscribed only once the scope exists
        if self._first is None and not scope.cancel_called:
            self._first = error
        scope.cancel(reason=f"trioaxios: {error.message}")

    def __enter__(self) -> RequestScope:
        """Open the scope; raise ``CanceledError`` if cancellation was already requested."""
        error = self.cancellation()
        if error is not None:
            raise error
        if not self._needed:
            return self
        scope = self._scope = trio.CancelScope()
        scope.__enter__()
        if self._signal is not None:
            scope.deadline = self._signal.deadline
            self._signal.subscribe(self._cancel)
        if self._token is not None:
            self._token.subscribe(self._cancel)
        return self

    def arm_timeout(self, timeout: float | None) -> None:
        """Start the request's timeout now (``None`` or ``0``: no timeout)."""
        if timeout:
            scope = self._scope
            if scope is None:
                msg = "RequestScope: a timeout was armed on a scope opened without one"
                raise RuntimeError(msg)
            self._timeout_at = trio.current_time() + timeout
            scope.deadline = min(scope.deadline, self._timeout_at)

    def cancellation(self) -> CanceledError | None:
        """Return the ``CanceledError`` this request should raise, if its token/signal fired."""
        for source in (self._token, self._signal):
            if source is not None:
                fired = source._current_error()  # noqa: SLF001 - L1/L2 bridge, same package
                if fired is not None:
                    return self._for_request(fired)
        return None

    def _for_request(self, fired: CanceledError) -> CanceledError:
        """A fresh ``CanceledError`` for this request (config attached), same reason."""
        return CanceledError(fired.message, self._config, reason=fired.reason)

    def _caught_error(self) -> AxiosError:
        """The error for a cancellation this scope caught: whichever source fired first."""
        if self._first is not None:
            return self._for_request(self._first)
        signal = self._signal
        if signal is not None and signal.deadline <= self._timeout_at:
            fired = signal._current_error()  # noqa: SLF001 - L1/L2 bridge, same package
            if fired is not None:
                return self._for_request(fired)
        if self._timeout_at <= trio.current_time():
            return timeout_error(self._config)
        # Not reachable through the public API (only our listeners and deadlines cancel
        # the scope); stay correct anyway.
        return self.cancellation() or timeout_error(self._config)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the scope; translate a cancellation it caught into our error."""
        scope = self._scope
        if scope is None:
            return
        if self._token is not None:
            self._token.unsubscribe(self._cancel)
        if self._signal is not None:
            self._signal.unsubscribe(self._cancel)
        self._scope = None
        # CancelScope.__exit__ returns True whenever no exception remains; what matters is
        # whether *this* scope caught a cancellation.
        scope.__exit__(exc_type, exc, tb)
        if scope.cancelled_caught:
            raise self._caught_error() from None
