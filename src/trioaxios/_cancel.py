"""
``CancelToken`` and ``AbortController`` / ``AbortSignal``, bridged onto Trio cancel scopes.

Both are one-shot triggers with listeners. A request subscribes one listener that cancels the
request's own ``trio.CancelScope`` (with the reason, so it shows in tracebacks) and
unsubscribes when the request ends, so a reused token never accumulates listeners.

``AbortSignal.timeout(s)`` needs no background task: it carries a deadline that a request
scope (or ``cancel_scope()``) adopts, and ``aborted`` / ``reason`` compare it with
``trio.current_time()``. Because nothing runs in the background, the mere passing of time calls
no listener: anything that must react to a timeout signal adopts its ``deadline``.

``AbortSignal.any([...])`` is a view over its sources: it subscribes to them only while it has
listeners of its own, so a long-lived parent signal combined into one signal per request does
not accumulate listeners either. When several sources have aborted, the one that aborted first
(by Trio time; list order on a tie) gives the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, final

import trio

from ._errors import CanceledError

Listener = Callable[[CanceledError], object]

#: ``AbortSignal.reason`` of a signal from ``AbortSignal.timeout()`` once its time has passed.
SIGNAL_TIMEOUT_REASON: Final = "signal timed out"
#: ``AbortSignal.reason`` after ``abort()`` without a reason (the DOM's ``AbortError`` text).
SIGNAL_ABORT_REASON: Final = "signal is aborted without reason"


def _now() -> float:
    """Return Trio's current time, or ``-inf`` outside ``trio.run`` (before any request)."""
    try:
        return trio.current_time()
    except RuntimeError:
        return -math.inf


@final
@dataclass(frozen=True, slots=True)
class CancelStatistics:
    """
    What a token or signal holds now (Trio's ``statistics()`` convention).

    Attributes:
        listeners: Subscribed listeners (each running request holds exactly one).
        cancelled: Whether it has fired (for a timeout signal: whether its time has passed).
    """

    listeners: int
    cancelled: bool


class _Trigger:
    """Fires once with a ``CanceledError``; listeners run synchronously, in order."""

    __slots__ = ("_error", "_listeners")

    def __init__(self) -> None:
        self._error: CanceledError | None = None
        self._listeners: dict[Listener, None] = {}

    def _fire(self, error: CanceledError) -> None:
        """Record ``error`` and call every listener once; the first failure is re-raised."""
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
        """
        Call ``listener(error)`` on cancellation; at once if it already happened.

        Subscribing the same listener twice keeps one subscription.
        """
        error = self._current_error()
        if error is not None:
            listener(error)
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
        """Return the ``CanceledError`` if this has fired, else ``None``."""
        return self._error

    def statistics(self) -> CancelStatistics:
        """Return how many listeners are subscribed and whether it fired."""
        return CancelStatistics(len(self._listeners), self._current_error() is not None)

    @contextmanager
    def cancel_scope(self) -> Iterator[trio.CancelScope]:
        """
        Open a ``trio.CancelScope`` that this token/signal cancels; for any Trio code.

        Use it as ``with token.cancel_scope() as scope: ...`` in the task that runs the code;
        afterwards ``scope.cancelled_caught`` tells whether it fired. A token that already
        fired cancels the scope at once (the block stops at its first checkpoint); a timeout
        signal's deadline becomes the scope's deadline. The scope's listener is removed when
        the block ends.
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
        await api.get("/slow", cancel_token=source.token)
        with source.token.cancel_scope(): ...                  # any Trio code

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

    def _cancel(self, message: object = None) -> None:
        if self._error is not None:
            return
        if message is None or isinstance(message, str):
            self._fire(CanceledError(message))
        else:
            self._fire(CanceledError(str(message), reason=message))

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
        """The ``CanceledError`` made by the first ``cancel()``, else ``None``."""
        return self._error

    @property
    def requested(self) -> bool:
        """Whether cancellation was requested."""
        return self._error is not None

    def throw_if_requested(self) -> None:
        """
        Raise ``reason`` (the same ``CanceledError`` object) if cancellation was requested.

        Raises:
            CanceledError: ``cancel()`` was called.
        """
        if self._error is not None:
            # The same object is raised every time; drop the previous traceback so repeated
            # calls do not chain frames onto it.
            raise self._error.with_traceback(None)

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

    Get one from ``AbortController().signal``, ``AbortSignal.timeout(seconds)``,
    ``AbortSignal.any([...])`` or ``AbortSignal.abort(reason)``.
    """

    __slots__ = ("__weakref__", "_deadline", "_fired_at", "_reason", "_sources")

    def __init__(
        self, *, _deadline: float = math.inf, _sources: tuple[AbortSignal, ...] = ()
    ) -> None:
        super().__init__()
        self._deadline = _deadline
        self._sources = _sources
        self._reason: Any = None
        self._fired_at = math.inf

    # -- firing ---------------------------------------------------------------------------

    def _abort(self, reason: Any = None) -> None:
        if self._error is not None:
            return
        if reason is None:
            reason = SIGNAL_ABORT_REASON
        self._record(_now(), reason)

    def _record(self, when: float, reason: Any) -> None:
        """Latch ``reason`` (the first one wins) and notify the listeners."""
        if self._error is not None:
            return
        self._fired_at, self._reason = when, reason
        self._unlink_sources()
        self._fire(_error_for(reason))

    def _state(self) -> tuple[float, Any] | None:
        """
        Return ``(when, reason)`` if this signal has aborted, else ``None``.

        Explicit aborts are dated by Trio time; a timeout by its deadline; a combined signal
        takes its earliest source (``min`` keeps list order on a tie).
        """
        if self._error is not None:
            return self._fired_at, self._reason
        candidates: list[tuple[float, Any]] = []
        if self._deadline != math.inf and _now() >= self._deadline:
            candidates.append((self._deadline, SIGNAL_TIMEOUT_REASON))
        for source in self._sources:
            state = source._state()  # noqa: SLF001 - same class
            if state is not None:
                candidates.append(state)
        return min(candidates, key=lambda c: c[0]) if candidates else None

    def _current_error(self) -> CanceledError | None:
        if self._error is not None:
            return self._error
        state = self._state()
        return None if state is None else _error_for(state[1])

    # -- combined signals: linked to their sources only while listened to -----------------

    def _forward(self, _error: CanceledError) -> None:
        state = self._state()
        if state is not None:  # always: a source just fired
            self._record(*state)

    def _unlink_sources(self) -> None:
        for source in self._sources:
            source.unsubscribe(self._forward)

    def subscribe(self, listener: Listener) -> None:
        """
        Call ``listener(error)`` when the signal aborts; at once if it already has.

        A timeout signal's listeners are not called by the passing of time (no task runs in
        the background); requests and ``cancel_scope()`` adopt its ``deadline`` instead.
        """
        first = not self._listeners
        super().subscribe(listener)
        if first and self._listeners:
            for source in self._sources:
                source.subscribe(self._forward)

    def unsubscribe(self, listener: Listener) -> None:
        """Forget ``listener``; unknown listeners are ignored."""
        super().unsubscribe(listener)
        if not self._listeners:
            self._unlink_sources()

    # -- the DOM surface ------------------------------------------------------------------

    @property
    def deadline(self) -> float:
        """The Trio time at which this signal (or a source) aborts by itself (``inf``: never)."""
        return min([self._deadline, *(s.deadline for s in self._sources)])

    @property
    def aborted(self) -> bool:
        """Whether the signal has aborted (explicitly, or its timeout passed)."""
        return self._state() is not None

    @property
    def reason(self) -> Any:
        """
        Why it aborted, or ``None``.

        That is what ``abort()`` was given, ``"signal is aborted without reason"`` if it was
        given nothing, or ``"signal timed out"`` for a timeout signal whose time has passed.
        """
        state = self._state()
        return None if state is None else state[1]

    def throw_if_aborted(self) -> None:
        """
        Raise ``CanceledError`` (``.reason`` is the signal's reason) if the signal aborted.

        Raises:
            CanceledError: The signal has aborted.
        """
        error = self._current_error()
        if error is not None:
            raise error.with_traceback(None)

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

        Raises:
            ValueError: ``seconds`` is not a number >= 0.
        """
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or math.isnan(seconds)
            or seconds < 0
        ):
            msg = f"AbortSignal.timeout(seconds): seconds must be a number >= 0, got {seconds!r}"
            raise ValueError(msg)
        return AbortSignal(_deadline=trio.current_time() + seconds)

    @staticmethod
    def any(signals: Iterable[AbortSignal]) -> AbortSignal:
        """
        Return a signal that aborts when any of ``signals`` does, with that signal's reason.

        Raises:
            TypeError: An item is not an ``AbortSignal``.
        """
        sources = tuple(signals)
        if not all(isinstance(s, AbortSignal) for s in sources):
            msg = "AbortSignal.any(signals): every item must be an AbortSignal"
            raise TypeError(msg)
        combined = AbortSignal(_sources=sources)
        state = combined._state()
        if state is not None:  # a source had already aborted: latch its reason now
            combined._record(*state)
        return combined

    def __repr__(self) -> str:
        """Show whether it aborted."""
        return f"<AbortSignal {'aborted' if self.aborted else 'active'}>"


def _error_for(reason: Any) -> CanceledError:
    return CanceledError(reason if isinstance(reason, str) else "canceled", reason=reason)


@final
class AbortController:
    """Owns an ``AbortSignal``; ``abort(reason)`` fires it (the DOM's ``AbortController``)."""

    __slots__ = ("signal",)

    def __init__(self) -> None:
        self.signal = AbortSignal()

    def abort(self, reason: Any = None) -> None:
        """Abort the signal; later calls keep the first reason."""
        self.signal._abort(reason)  # noqa: SLF001 - the controller owns its signal
