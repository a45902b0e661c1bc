"""
``CancelToken`` and ``AbortController`` / ``AbortSignal``, bridged onto Trio cancel scopes.

Both are one-shot triggers with listeners. A request subscribes one listener that cancels the
request's own ``trio.CancelScope`` (with the reason, so it shows in tracebacks) and
unsubscribes when the request ends, so a reused token never accumulates listeners.
``AbortSignal.timeout(s)`` needs no background task: it carries a deadline that the request
scope adopts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, final

import trio

from ._errors import CanceledError

Listener = Callable[[CanceledError], object]


@final
@dataclass(frozen=True, slots=True)
class CancelStatistics:
    """What a token or signal holds now (Trio's ``statistics()`` convention)."""

    listeners: int
    cancelled: bool


class _Trigger:
    """Fires once with a ``CanceledError``; listeners run synchronously, in order."""

    __slots__ = ("_error", "_listeners")

    def __init__(self) -> None:
        self._error: CanceledError | None = None
        self._listeners: dict[Listener, None] = {}

    def _fire(self, error: CanceledError) -> None:
        if self._error is not None:
            return  # cancelling twice keeps the first reason
        self._error = error
        listeners, self._listeners = self._listeners, {}
        failures: list[Exception] = []
        for listener in listeners:
            try:
                listener(error)
            except Exception as exc:  # noqa: BLE001 - every listener runs; the first failure is re-raised
                failures.append(exc)
        if failures:
            raise failures[0]

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(error)`` on cancellation; at once if already cancelled."""
        if self._error is not None:
            listener(self._error)
        else:
            self._listeners[listener] = None

    def unsubscribe(self, listener: Listener) -> None:
        """Forget ``listener``; unknown listeners are ignored."""
        self._listeners.pop(listener, None)

    @property
    def deadline(self) -> float:
        """The Trio time at which this fires by itself (``inf``: never)."""
        return math.inf

    def _current_error(self) -> CanceledError | None:
        return self._error

    def statistics(self) -> CancelStatistics:
        """Return how many listeners are subscribed and whether it fired."""
        return CancelStatistics(len(self._listeners), self._current_error() is not None)

    @contextmanager
    def cancel_scope(self) -> Iterator[trio.CancelScope]:
        """
        Open a ``trio.CancelScope`` that this token/signal cancels; for any Trio code.

        Use it as ``with token.cancel_scope() as scope: ...``; afterwards
        ``scope.cancelled_caught`` tells whether it fired.
        """
        with trio.CancelScope(deadline=self.deadline) as scope:

            def cancel(error: CanceledError) -> None:
                scope.cancel(reason=f"trioaxios: {error.message}")

            self.subscribe(cancel)
            try:
                yield scope
            finally:
                self.unsubscribe(cancel)


@final
class CancelToken(_Trigger):
    """
    axios's cancel token.

    Examples::

        source = CancelToken.source(); source.cancel("user left")
        token = CancelToken(lambda cancel: on_quit(cancel))   # the executor form

    Args:
        executor: Called at once with a ``cancel(message=None)`` function.
    """

    __slots__ = ()

    def __init__(self, executor: Callable[[Callable[..., None]], object]) -> None:
        if not callable(executor):
            msg = "CancelToken(executor): executor must be a function that receives cancel()"
            raise TypeError(msg)
        super().__init__()
        executor(self._cancel)

    def _cancel(self, message: str | None = None) -> None:
        self._fire(CanceledError(message))

    @classmethod
    def source(cls) -> CancelTokenSource:
        """Return a ``CancelTokenSource``: a token and the function that cancels it."""
        cancel: Callable[..., None] | None = None

        def executor(c: Callable[..., None]) -> None:
            nonlocal cancel
            cancel = c

        token = cls(executor)
        assert cancel is not None  # noqa: S101 - the executor ran synchronously
        return CancelTokenSource(token, cancel)

    @property
    def reason(self) -> CanceledError | None:
        """The ``CanceledError`` given when cancelled, else ``None``."""
        return self._error

    @property
    def requested(self) -> bool:
        """Whether cancellation was requested."""
        return self._error is not None

    def throw_if_requested(self) -> None:
        """Raise the ``CanceledError`` if cancellation was requested."""
        if self._error is not None:
            raise self._error

    def __repr__(self) -> str:
        """Show whether it fired."""
        return f"<CancelToken {'cancelled' if self._error else 'active'}>"


@final
@dataclass(frozen=True, slots=True)
class CancelTokenSource:
    """A token and its ``cancel(message=None)`` function (axios ``CancelToken.source()``)."""

    token: CancelToken
    cancel: Callable[..., None]


@final
class AbortSignal(_Trigger):
    """
    The DOM's abort signal, as axios accepts it (``signal=``).

    Get one from ``AbortController().signal``, ``AbortSignal.timeout(seconds)`` or
    ``AbortSignal.any([...])``.
    """

    __slots__ = ("__weakref__", "_deadline", "_reason")

    def __init__(self, *, _deadline: float = math.inf) -> None:
        super().__init__()
        self._deadline = _deadline
        self._reason: Any = None

    def _abort(self, reason: Any = None) -> None:
        if self._error is not None:
            return
        if reason is None:
            reason = "signal is aborted without reason"
        self._reason = reason
        self._fire(CanceledError(reason if isinstance(reason, str) else "canceled", reason=reason))

    def _timed_out(self) -> bool:
        return self._deadline != math.inf and trio.current_time() >= self._deadline

    def _current_error(self) -> CanceledError | None:
        if self._error is None and self._timed_out():
            return CanceledError("signal timed out", reason="signal timed out")
        return self._error

    @property
    def deadline(self) -> float:
        """The Trio time at which this signal aborts by itself (``inf``: never)."""
        return self._deadline

    @property
    def aborted(self) -> bool:
        """Whether the signal has aborted (explicitly, or its timeout passed)."""
        return self._current_error() is not None

    @property
    def reason(self) -> Any:
        """What ``abort()`` was given (a default text if nothing), or ``None``."""
        if self._error is None and self._timed_out():
            return "signal timed out"
        return self._reason

    def throw_if_aborted(self) -> None:
        """Raise ``CanceledError`` if the signal has aborted."""
        error = self._current_error()
        if error is not None:
            raise error

    @staticmethod
    def abort(reason: Any = None) -> AbortSignal:
        """Return a signal that is already aborted."""
        signal = AbortSignal()
        signal._abort(reason)
        return signal

    @staticmethod
    def timeout(seconds: float) -> AbortSignal:
        """
        Return a signal that aborts ``seconds`` from now (Trio time; call inside ``trio.run``).

        No task runs in the background: a request given this signal adopts its deadline.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            msg = f"AbortSignal.timeout(seconds): seconds must be a number >= 0, got {seconds!r}"
            raise ValueError(msg)
        return AbortSignal(_deadline=trio.current_time() + seconds)

    @staticmethod
    def any(signals: Iterable[AbortSignal]) -> AbortSignal:
        """Return a signal that aborts when any of ``signals`` does, with its reason."""
        children = list(signals)
        if not all(isinstance(s, AbortSignal) for s in children):
            msg = "AbortSignal.any(signals): every item must be an AbortSignal"
            raise TypeError(msg)
        combined = AbortSignal(_deadline=min((s.deadline for s in children), default=math.inf))
        for child in children:
            if child._error is not None:  # noqa: SLF001 - same class
                combined._abort(child._reason)  # noqa: SLF001 - same class
                return combined

        def forward(_error: CanceledError) -> None:
            for child in children:
                child.unsubscribe(forward)
            fired = next(c for c in children if c._error is not None)  # noqa: SLF001 - same class
            combined._abort(fired._reason)  # noqa: SLF001 - same class

        for child in children:
            child.subscribe(forward)
        return combined

    def __repr__(self) -> str:
        """Show whether it aborted."""
        return f"<AbortSignal {'aborted' if self.aborted else 'active'}>"


@final
class AbortController:
    """Owns an ``AbortSignal``; ``abort(reason)`` fires it (the DOM's ``AbortController``)."""

    __slots__ = ("signal",)

    def __init__(self) -> None:
        self.signal = AbortSignal()

    def abort(self, reason: Any = None) -> None:
        """Abort the signal; later calls keep the first reason."""
        self.signal._abort(reason)  # noqa: SLF001 - the controller owns its signal
