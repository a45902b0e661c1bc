"""
Interceptor managers and the promise-style chain that runs them around dispatch.

Order is axios's: request interceptors last-added-first, then dispatch, then response
interceptors first-added-first. Error rule (one rule, a promise chain's): a step either holds a
value or an error; ``on_fulfilled`` runs on a value, ``on_rejected`` on an error raised by an
*earlier* step (never by its own ``on_fulfilled``); a value returned by ``on_rejected``
recovers the chain, an error raised continues down. An error from the request interceptors
skips dispatch and goes to the response interceptors' ``on_rejected``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, final

from ._config import RequestConfig
from ._errors import ERR_BAD_OPTION_VALUE, AxiosError

T = TypeVar("T")

OnFulfilled = Callable[[T], "T | Awaitable[T]"]
OnRejected = Callable[[BaseException], Any]
RunWhen = Callable[[RequestConfig], bool]


async def call_maybe_async(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn``; await the result when it is awaitable (sync and async handlers alike)."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def handler_name(fn: object) -> str:
    """Return a readable name for an interceptor or middleware, for error messages."""
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))


@final
@dataclass(frozen=True, slots=True)
class Interceptor(Generic[T]):
    """One registered interceptor: its two handlers and its ``run_when`` predicate."""

    on_fulfilled: OnFulfilled[T] | None
    on_rejected: OnRejected | None
    run_when: RunWhen | None


@final
class InterceptorManager(Generic[T]):
    """
    ``client.interceptors.request`` / ``.response``: ``use``, ``eject``, ``clear``.

    Handlers may be ``async def`` or plain functions.
    """

    __slots__ = ("_handlers", "_next_id")

    def __init__(self) -> None:
        self._handlers: dict[int, Interceptor[T]] = {}
        self._next_id = 0

    def use(
        self,
        on_fulfilled: OnFulfilled[T] | None = None,
        on_rejected: OnRejected | None = None,
        *,
        run_when: RunWhen | None = None,
    ) -> int:
        """
        Add an interceptor and return its id (for ``eject``).

        Raises:
            AxiosError: ``ERR_BAD_OPTION_VALUE`` when a handler is not callable.
        """
        for name, fn in (
            ("on_fulfilled", on_fulfilled),
            ("on_rejected", on_rejected),
            ("run_when", run_when),
        ):
            if fn is not None and not callable(fn):
                msg = f"interceptor {name} must be callable or None, got {type(fn).__name__}"
                raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        handler_id = self._next_id
        self._next_id += 1
        self._handlers[handler_id] = Interceptor(on_fulfilled, on_rejected, run_when)
        return handler_id

    def eject(self, handler_id: int) -> None:
        """Remove the interceptor ``use`` returned ``handler_id`` for; unknown ids are ignored."""
        self._handlers.pop(handler_id, None)

    def clear(self) -> None:
        """Remove every interceptor."""
        self._handlers.clear()

    def handlers(self) -> list[Interceptor[T]]:
        """Return the interceptors in the order they were added."""
        return list(self._handlers.values())

    def __len__(self) -> int:
        """Return how many interceptors are registered."""
        return len(self._handlers)


@final
class Interceptors:
    """``client.interceptors``: a ``request`` and a ``response`` manager."""

    __slots__ = ("request", "response")

    def __init__(self) -> None:
        self.request: InterceptorManager[RequestConfig] = InterceptorManager()
        self.response: InterceptorManager[Any] = InterceptorManager()


def _check_config(value: Any, fn: object) -> RequestConfig:
    if isinstance(value, RequestConfig):
        return value
    if value is None:
        msg = (
            f"request interceptor {handler_name(fn)} returned None; "
            "return the config (mutated or new)"
        )
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    if isinstance(value, Mapping):
        return RequestConfig.from_mapping(value)
    msg = (
        f"request interceptor {handler_name(fn)} returned {type(value).__name__}; "
        "return a RequestConfig or a mapping of config keys"
    )
    raise AxiosError(msg, ERR_BAD_OPTION_VALUE)


def _keep(value: Any, _fn: object) -> Any:
    return value


async def _run_step(
    step: Interceptor[Any],
    value: Any,
    error: Exception | None,
    check: Callable[[Any, object], Any],
) -> tuple[Any, Exception | None]:
    """Run one step of the chain; return the new ``(value, error)`` state."""
    handler = step.on_fulfilled if error is None else step.on_rejected
    if handler is None:
        return value, error
    try:
        result = await call_maybe_async(handler, value if error is None else error)
        return check(result, handler), None
    except Exception as exc:  # noqa: BLE001 - the chain carries it to the next on_rejected
        return value, exc


async def run_chain(
    interceptors: Interceptors,
    config: RequestConfig,
    dispatch: Callable[[RequestConfig], Awaitable[Any]],
) -> Any:
    """Run request interceptors, ``dispatch`` and response interceptors as one promise chain."""
    value: Any = config
    error: Exception | None = None
    for step in reversed(interceptors.request.handlers()):
        if step.run_when is None or step.run_when(config):
            value, error = await _run_step(step, value, error, _check_config)
    if error is None:
        try:
            value = await dispatch(value)
        except Exception as exc:  # noqa: BLE001 - goes to the response interceptors' on_rejected
            error = exc
    for step in interceptors.response.handlers():
        value, error = await _run_step(step, value, error, _keep)
    if error is not None:
        raise error
    return value
