"""
Module-level helpers: one-off requests on their own short-lived client, ``all`` and ``spread``.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeVar, final

import trio

from ._client import Client
from ._config import CREATE_ONLY_KEYS
from ._forms import form_options

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping
    from types import TracebackType

    from ._models import Response

T = TypeVar("T")


@final
class OneShotRequest:
    """
    A request on its own short-lived client (``trioaxios.get(url)``).

    Await it, or ``async with`` it to stream; the client is closed when the request is done.
    """

    __slots__ = ("_client_options", "_request_options", "_stack")

    def __init__(self, options: dict[str, Any]) -> None:
        self._client_options: dict[str, Any] = {
            k: options.pop(k) for k in CREATE_ONLY_KEYS if k in options
        }
        self._request_options = options
        Client(self._client_options).request(dict(options))  # validate now, like a client would
        self._stack: AsyncExitStack | None = None

    async def _run(self) -> Response:
        async with Client(self._client_options) as client:
            response: Response = await client.request(self._request_options)
            return response

    def __await__(self) -> Any:
        """Send on a fresh client, read the body, close the client, return the ``Response``."""
        return self._run().__await__()

    async def __aenter__(self) -> Response:
        """Open a client and return the streaming ``Response``."""
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(Client(self._client_options))
            response = await stack.enter_async_context(client.request(self._request_options))
            self._stack = stack.pop_all()
        return response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the body, then the client."""
        assert self._stack is not None  # noqa: S101 - set by __aenter__
        await self._stack.__aexit__(exc_type, exc, tb)


def request(config: Mapping[str, Any] | None = None, /, **options: Any) -> OneShotRequest:
    """Send one request on a short-lived client of its own."""
    return OneShotRequest({**(config or {}), **options})


def get(url: str, config: Mapping[str, Any] | None = None, /, **options: Any) -> OneShotRequest:
    """GET ``url`` on a short-lived client."""
    return request(config, **options, url=url, method="get")


def delete(url: str, config: Mapping[str, Any] | None = None, /, **options: Any) -> OneShotRequest:
    """DELETE ``url`` on a short-lived client."""
    return request(config, **options, url=url, method="delete")


def head(url: str, config: Mapping[str, Any] | None = None, /, **options: Any) -> OneShotRequest:
    """HEAD ``url`` on a short-lived client."""
    return request(config, **options, url=url, method="head")


def options(url: str, config: Mapping[str, Any] | None = None, /, **opts: Any) -> OneShotRequest:
    """OPTIONS ``url`` on a short-lived client."""
    return request(config, **opts, url=url, method="options")


def post(
    url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
) -> OneShotRequest:
    """POST ``data`` to ``url`` on a short-lived client."""
    return request(config, **options, url=url, method="post", data=data)


def put(
    url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
) -> OneShotRequest:
    """PUT ``data`` to ``url`` on a short-lived client."""
    return request(config, **options, url=url, method="put", data=data)


def patch(
    url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
) -> OneShotRequest:
    """PATCH ``data`` to ``url`` on a short-lived client."""
    return request(config, **options, url=url, method="patch", data=data)


def post_form(
    url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
) -> OneShotRequest:
    """POST ``data`` as ``multipart/form-data`` on a short-lived client (axios ``postForm``)."""
    return request(config, **form_options(config, options), url=url, method="post", data=data)


def put_form(
    url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
) -> OneShotRequest:
    """PUT ``data`` as ``multipart/form-data`` on a short-lived client (axios ``putForm``)."""
    return request(config, **form_options(config, options), url=url, method="put", data=data)


def patch_form(
    url: str, data: Any = None, config: Mapping[str, Any] | None = None, /, **options: Any
) -> OneShotRequest:
    """PATCH ``data`` as ``multipart/form-data`` on a short-lived client (axios ``patchForm``)."""
    return request(config, **form_options(config, options), url=url, method="patch", data=data)


async def all(requests: Iterable[Awaitable[T]]) -> list[T]:  # noqa: A001 - axios's name
    """
    Run ``requests`` concurrently; return their results in input order.

    The first failure cancels the others and is raised as itself (never an
    ``ExceptionGroup``); failures that happen while the others are being cancelled are
    dropped.
    """
    items = list(requests)
    results: list[Any] = [None] * len(items)
    failures: list[Exception] = []

    async with trio.open_nursery() as nursery:

        async def run(index: int, awaitable: Awaitable[T]) -> None:
            try:
                results[index] = await awaitable
            except Exception as exc:  # noqa: BLE001 - the first failure is re-raised below
                failures.append(exc)
                nursery.cancel_scope.cancel()

        for index, awaitable in enumerate(items):
            nursery.start_soon(run, index, awaitable)
    if failures:
        raise failures[0]
    return results


def spread(fn: Callable[..., T]) -> Callable[[Iterable[Any]], T]:
    """Return ``lambda args: fn(*args)`` (axios ``spread``, for parity)."""

    def call(args: Iterable[Any]) -> T:
        return fn(*args)

    return call
