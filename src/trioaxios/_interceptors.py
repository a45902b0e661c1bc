"""
Interceptor managers and the promise-style chain that runs them around dispatch.

The chain for one request is built when the request starts, from a snapshot of both
managers (adding or ejecting interceptors later affects later requests only)::

    request interceptors, last added first (those whose run_when(config) is false left out)
    -> dispatch (the middleware onion, the transport, validate_status)
    -> response interceptors, first added first

The error rule, the same at every step (a promise chain's ``then(on_fulfilled, on_rejected)``):

* The chain holds either a value or an error; it starts with the request's config as value.
* A step whose chain holds a value calls its ``on_fulfilled`` with it; a step whose chain
  holds an error calls its ``on_rejected`` with that error. A missing handler (``None``) passes
  the value or error on unchanged. Dispatch is a step with no ``on_rejected``: an error from a
  request interceptor skips it (nothing is sent) and reaches the response interceptors.
* What a handler returns becomes the value (it *recovers* the chain when it was
  ``on_rejected``); an ``Exception`` it raises becomes the error. Either way the next step
  gets it.
* Hence an error raised by a step is only ever seen by the ``on_rejected`` of the steps *after*
  it, never by its own: the ``on_rejected`` of the request interceptor that runs first (the one
  added last) is never called, as in axios's asynchronous mode. (axios's synchronous mode
  instead hands an ``on_fulfilled`` error to the same interceptor's ``on_rejected``;
  axios#7044. We have one rule.)
* When the last step is done, a value is returned and an error is raised.
* Request-side handlers must produce a config: a ``RequestConfig`` (the one they received,
  mutated, or a new one) or a mapping of config keys (a new config, built like a request's;
  keys declared by the client's middleware are accepted). Any other result, ``None``
  included, is an ``AxiosError`` (``ERR_BAD_OPTION_VALUE``) naming the handler, and it travels
  the chain like any other error. A new config replaces the request's config whole, as in
  axios: start from ``config.copy()`` or ``{**config.to_dict(), ...}`` to keep the defaults.
* ``run_when(config)`` is called for every request interceptor, in chain order, with the
  request's config before the first interceptor runs (axios's ``runWhen``). An exception from
  ``run_when`` is a bug in the predicate: it is raised at once and no interceptor runs.
* Only ``Exception`` travels the chain. ``BaseException`` (``trio.Cancelled``,
  ``KeyboardInterrupt``) propagates at once and no further handler runs. A request's own
  ``cancel_token``/``signal``/``timeout`` cancels the request's whole scope, interceptors
  included; it becomes ``CanceledError`` or the timeout ``AxiosError`` when that scope exits,
  after the chain, so no ``on_rejected`` sees it.

Every handler runs at most once per request: a middleware that sends again with
``next(retry=True)`` re-runs the onion and the transport, not the interceptors.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, final

from ._config import RequestConfig
from ._errors import ERR_BAD_OPTION_VALUE, AxiosError

T = TypeVar("T")

#: ``on_fulfilled(value)``: returns the next value (request side: a config or a mapping).
OnFulfilled = Callable[[T], Any]
#: ``on_rejected(error)``: returns a value to recover, or raises.
OnRejected = Callable[[Exception], Any]
RunWhen = Callable[[RequestConfig], bool]


async def call_maybe_async(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn``; await the result when it is awaitable (sync and async handlers alike)."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def handler_name(fn: object) -> str:
    """Return a readable name for an interceptor or middleware, for error messages."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if isinstance(name, str):
        return name
    return f"{type(fn).__qualname__} instance"


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

    Handlers may be ``async def`` or plain functions. ``run_when`` applies to request
    interceptors only (as in axios).

    Examples::

        iid = api.interceptors.request.use(add_token)
        api.interceptors.request.use(log, run_when=lambda config: config.method == "post")
        api.interceptors.response.use(lambda response: response.data, on_error)
        api.interceptors.request.eject(iid)
        api.interceptors.response.clear()
    """

    __slots__ = ("_handlers", "_kind", "_next_id")

    def __init__(self, kind: Literal["request", "response"] = "request") -> None:
        self._kind = kind
        self._handlers: dict[int, Interceptor[T]] = {}
        self._next_id = 0

    def use(
        self,
        on_fulfilled: OnFulfilled[T] | None = None,
        on_rejected: OnRejected | None = None,
        run_when: RunWhen | None = None,
    ) -> int:
        """
        Add an interceptor and return its id (for ``eject``); ids are never reused.

        Args:
            on_fulfilled: Called with the value (a config, or a response); returns the next.
            on_rejected: Called with an error from an earlier step; returns a value to
                recover, or raises.
            run_when: ``run_when(config) -> bool``; a false result leaves this request
                interceptor out of the request's chain.

        Raises:
            AxiosError: ``ERR_BAD_OPTION_VALUE`` when a handler is not callable, or when
                ``run_when`` is given to the response manager.
        """
        for name, fn in (
            ("on_fulfilled", on_fulfilled),
            ("on_rejected", on_rejected),
            ("run_when", run_when),
        ):
            if fn is not None and not callable(fn):
                msg = f"interceptor {name} must be callable or None, got {type(fn).__name__}"
                raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        if run_when is not None and self._kind == "response":
            msg = "run_when applies to request interceptors only; test in the handler instead"
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

    def __repr__(self) -> str:
        """Show the kind and the count."""
        return f"<InterceptorManager {self._kind} handlers={len(self._handlers)}>"


@final
class Interceptors:
    """``client.interceptors``: a ``request`` and a ``response`` manager."""

    __slots__ = ("request", "response")

    def __init__(self) -> None:
        self.request: InterceptorManager[RequestConfig] = InterceptorManager("request")
        self.response: InterceptorManager[Any] = InterceptorManager("response")


def _as_config(value: Any, fn: object, extra_keys: Iterable[str]) -> RequestConfig:
    """Check what a request-side handler returned; build a config from a mapping."""
    if isinstance(value, RequestConfig):
        return value
    if isinstance(value, Mapping):
        return RequestConfig.from_mapping(value, extra_keys)
    got = "None" if value is None else type(value).__name__
    msg = (
        f"request interceptor {handler_name(fn)} returned {got}; "
        "return the config (mutated or new) or a mapping of config keys"
    )
    raise AxiosError(msg, ERR_BAD_OPTION_VALUE)


async def run_chain(
    interceptors: Interceptors,
    config: RequestConfig,
    dispatch: Callable[[RequestConfig], Awaitable[Any]],
    *,
    extra_keys: Iterable[str] = (),
) -> Any:
    """
    Run request interceptors, ``dispatch`` and response interceptors as one promise chain.

    ``extra_keys`` are the config keys declared by the client's middleware, accepted in a
    mapping returned by a request interceptor. See the module docstring for the rule.
    """
    request_steps = [
        step
        for step in reversed(interceptors.request.handlers())
        if step.run_when is None or step.run_when(config)
    ]
    response_steps = interceptors.response.handlers()
    value: Any = config
    error: Exception | None = None
    for step in request_steps:
        handler = step.on_fulfilled if error is None else step.on_rejected
        if handler is None:
            continue
        try:
            result = await call_maybe_async(handler, config if error is None else error)
            config, error = _as_config(result, handler, extra_keys), None
        except Exception as exc:  # noqa: BLE001 - the chain carries it to the next on_rejected
            error = exc
    if error is None:
        try:
            value = await dispatch(config)
        except Exception as exc:  # noqa: BLE001 - goes to the response interceptors' on_rejected
            error = exc
    for step in response_steps:
        handler = step.on_fulfilled if error is None else step.on_rejected
        if handler is None:
            continue
        try:
            value, error = await call_maybe_async(handler, value if error is None else error), None
        except Exception as exc:  # noqa: BLE001 - the chain carries it to the next on_rejected
            error = exc
    if error is not None:
        raise error
    return value
