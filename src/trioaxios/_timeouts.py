"""
The request scope: one ``trio.CancelScope`` per request.

It is cancelled by the request's token, signal or timeout, and translated into the right
error only when *it* caught the cancellation.

Cancellation from an enclosing scope (``move_on_after``, a cancelled nursery) is never
converted: Trio does not let an inner scope catch what an outer cancelled scope owns, and we
only translate when our scope reports ``cancelled_caught``.
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

    Enter it (it raises at once if the token/signal already fired), call ``arm_timeout``
    when the request is about to be dispatched, and exit it: if the scope caught the
    cancellation, ``__exit__`` raises ``CanceledError`` or the timeout ``AxiosError``.
    """

    __slots__ = ("_config", "_scope", "_signal", "_timeout_at", "_token")

    def __init__(self, config: RequestConfig) -> None:
        self._config = config
        self._token: CancelToken | None = config.cancel_token
        self._signal: AbortSignal | None = config.signal
        self._scope = trio.CancelScope()
        self._timeout_at = math.inf

    def _cancel(self, error: CanceledError) -> None:
        self._scope.cancel(reason=f"trioaxios: {error.message}")

    def __enter__(self) -> RequestScope:
        """Open the scope; raise ``CanceledError`` if cancellation was already requested."""
        error = self.cancellation()
        if error is not None:
            raise error
        self._scope.__enter__()
        if self._token is not None:
            self._token.subscribe(self._cancel)
        if self._signal is not None:
            self._signal.subscribe(self._cancel)
            self._scope.deadline = self._signal.deadline
        return self

    def arm_timeout(self, timeout: float | None) -> None:
        """Start the request's timeout now (``None``: no timeout)."""
        if timeout is not None:
            self._timeout_at = trio.current_time() + timeout
            self._scope.deadline = min(self._scope.deadline, self._timeout_at)

    def cancellation(self) -> CanceledError | None:
        """Return the ``CanceledError`` this request should raise, if its token/signal fired."""
        for source in (self._token, self._signal):
            if source is not None:
                fired = source._current_error()  # noqa: SLF001 - L1/L2 bridge, same package
                if fired is not None:
                    return CanceledError(fired.message, self._config, reason=fired.reason)
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the scope; translate a cancellation it caught into our error."""
        if self._token is not None:
            self._token.unsubscribe(self._cancel)
        if self._signal is not None:
            self._signal.unsubscribe(self._cancel)
        # CancelScope.__exit__ returns True whenever no exception remains; what matters is
        # whether *this* scope caught a cancellation.
        self._scope.__exit__(exc_type, exc, tb)
        if self._scope.cancelled_caught:
            error = self.cancellation()
            if error is not None:
                raise error from None
            raise timeout_error(self._config) from None
