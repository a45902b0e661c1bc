"""
``MockRouter`` and its ``Route``: a fake server in memory, behind ``httpx2.MockTransport``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol, final

import httpx2
import trio

from .._client import Client, create
from .._headers import Headers
from ._messages import (
    MISSING,
    Handler,
    MockRequest,
    MockResponse,
    NetworkError,
    UnmatchedRequestError,
)
from ._patterns import Matcher, Origin, origin_of, split_absolute

_ANY_METHOD: Final = "*"

#: Decides, before the route's own answer, whether to answer something else (token checks).
Guard = Callable[[MockRequest], "MockResponse | None"]


@final
class Route:
    """
    One route of a ``MockRouter``: a method, a URL pattern and what to answer.

    Made by ``MockRouter.route()`` and its shortcuts (``router.get(...)``), or by
    ``TokenServer.route()``. Every request it answered is in ``calls``, in arrival order.

    Attributes:
        method: The upper-case method it matches, or ``"*"`` for any.
        pattern: The pattern as given (a str, or a compiled regex).
        calls: The requests it answered, in order.
    """

    __slots__ = (
        "_guard",
        "_handler",
        "_matcher",
        "_network_error",
        "_params",
        "_response",
        "calls",
        "delay",
        "method",
        "pattern",
    )

    def __init__(
        self,
        method: str,
        pattern: str | re.Pattern[str],
        *,
        base_url: str | None = None,
        params: Mapping[str, str] | None = None,
        response: MockResponse | None = None,
        handler: Handler | None = None,
        delay: float = 0.0,
        network_error: bool = False,
    ) -> None:
        """Build a route; ``MockRouter.route()`` documents the arguments."""
        if not isinstance(method, str) or not method:
            msg = f"a route method must be a non-empty str such as 'GET', got {method!r}"
            raise TypeError(msg)
        if handler is not None and not callable(handler):
            msg = f"a route handler must be callable, got {type(handler).__name__}"
            raise TypeError(msg)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not delay >= 0:
            msg = f"a route delay must be a number of seconds >= 0, got {delay!r}"
            raise ValueError(msg)
        self.method = method.upper()
        self.pattern = pattern
        self._matcher = Matcher(pattern, base_url)
        self._params = dict(params or {})
        self._response = response or MockResponse()
        self._handler = handler
        self._network_error = network_error
        self._guard: Guard | None = None
        self.delay = float(delay)
        self.calls: list[MockRequest] = []

    @property
    def called(self) -> bool:
        """Whether the route answered at least one request."""
        return bool(self.calls)

    @property
    def call_count(self) -> int:
        """How many requests the route answered."""
        return len(self.calls)

    def _match(
        self, method: str, origin: Origin, path: str, query: list[tuple[str, str]]
    ) -> dict[str, str] | None:
        """Return the path parameters if this route takes the request, else ``None``."""
        if self.method not in (_ANY_METHOD, method):
            return None
        for name, value in self._params.items():
            if (name, str(value)) not in query:
                return None
        return self._matcher.match(origin, path)

    async def _respond(self, request: MockRequest) -> MockResponse:
        """Record ``request`` and produce the answer (guard, delay, then handler or response)."""
        self.calls.append(request)
        guarded = self._guard(request) if self._guard is not None else None
        if self.delay:
            await trio.sleep(self.delay)
        if guarded is not None:
            return guarded
        if self._network_error:
            msg = f"mock network error on {self.method} {request.path}"
            raise NetworkError(msg)
        if self._handler is None:
            return self._response
        result = self._handler(request)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, MockResponse):
            msg = (
                f"route handler for {self.describe()} returned {type(result).__name__}; "
                "return a trioaxios.testing.MockResponse"
            )
            raise TypeError(msg)
        return result

    def describe(self) -> str:
        """Return ``"GET /users/{user_id}"``: the method and the pattern, for messages."""
        pattern = self.pattern.pattern if isinstance(self.pattern, re.Pattern) else self.pattern
        shown = f"{self.method} {pattern}"
        if self._params:
            shown += " " + urllib.parse.urlencode(self._params)
        return shown

    def __repr__(self) -> str:
        """Show the route and how often it was called."""
        return f"<Route {self.describe()} calls={len(self.calls)}>"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class _RouteFactory(Protocol):
    @property
    def route(self) -> Callable[..., Route]: ...


class MethodShortcuts:
    """``get`` / ``post`` / ... as ``self.route("GET", pattern, **answer)``, for route owners."""

    __slots__ = ()

    def get(self: _RouteFactory, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """Add a ``GET`` route; the keywords are ``route()``'s."""
        return self.route("GET", pattern, **answer)

    def post(self: _RouteFactory, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """Add a ``POST`` route; the keywords are ``route()``'s."""
        return self.route("POST", pattern, **answer)

    def put(self: _RouteFactory, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """Add a ``PUT`` route; the keywords are ``route()``'s."""
        return self.route("PUT", pattern, **answer)

    def patch(self: _RouteFactory, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """Add a ``PATCH`` route; the keywords are ``route()``'s."""
        return self.route("PATCH", pattern, **answer)

    def delete(self: _RouteFactory, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """Add a ``DELETE`` route; the keywords are ``route()``'s."""
        return self.route("DELETE", pattern, **answer)

    def head(self: _RouteFactory, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """Add a ``HEAD`` route; the keywords are ``route()``'s."""
        return self.route("HEAD", pattern, **answer)

    def options(self: _RouteFactory, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """Add an ``OPTIONS`` route; the keywords are ``route()``'s."""
        return self.route("OPTIONS", pattern, **answer)


@final
class MockRouter(MethodShortcuts):
    """
    A fake server for a client: routes requests by method and URL pattern, records them.

    Use it as the client's transport, ``trioaxios.create(transport=router.transport)``, or
    get a client with ``router.client(**config)``. Routes are tried in the order they were
    added; the first that matches answers. A request no route matches raises
    ``UnmatchedRequestError`` (listing every route) out of the client call.

    Patterns:

    * ``"/users/42"``: that exact path.
    * ``"/users/{user_id}"``: each ``{name}`` matches one path segment; the values are in
      ``request.path_params``.
    * ``"http://api.test/users"``: that scheme, host and port too.
    * ``re.compile("/items/(?P<item_id>[0-9]+)")``: a regex matched (``fullmatch``) against the
      path; named groups go to ``path_params``.

    With a ``base_url``, str patterns that are not absolute URLs are joined to it (as the
    client joins ``base_url`` and ``url``), so they match its scheme, host and path prefix;
    a regex then matches what follows that prefix, on that host. Without a ``base_url``,
    relative patterns and regexes match the path on any host. The query string is never part of a
    pattern: require query parameters with ``params={"page": "2"}``.

    Examples::

        router = MockRouter(base_url="http://api.test")
        router.get("/users/{user_id}", json={"id": 1})
        router.post("/users", status=201, handler=lambda req: MockResponse(201, json=req.json()))
        router.get("/down", network_error=True)

    Args:
        base_url: Joined to relative patterns, and the default ``base_url`` of
            ``router.client()``.

    Attributes:
        base_url: As given.
        calls: Every request a route answered, in arrival order.
        unmatched: Every request no route matched, in arrival order.
    """

    __slots__ = ("_routes", "_transport", "base_url", "calls", "unmatched")

    def __init__(self, base_url: str | None = None) -> None:
        """Create a router with no routes."""
        if base_url is not None:
            split_absolute(base_url)  # a bad base_url fails here, not at the first route
        self.base_url = base_url
        self._routes: list[Route] = []
        self.calls: list[MockRequest] = []
        self.unmatched: list[MockRequest] = []
        self._transport = httpx2.MockTransport(self._handle)

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes, in the order they are tried."""
        return tuple(self._routes)

    @property
    def transport(self) -> object:
        """
        The transport to give ``trioaxios.create(transport=...)``; treat it as opaque.

        Any number of clients may share it.
        """
        return self._transport

    def client(self, config: Mapping[str, Any] | None = None, **options: Any) -> Client:
        """
        Return a new, unopened ``Client`` whose requests go to this router.

        ``config`` and ``options`` are the usual ``trioaxios.create()`` options; the router's
        ``base_url`` is the default ``base_url``.

        Raises:
            TypeError: ``transport`` was given (the router is the transport).
        """
        merged = {**(config or {}), **options}
        if "transport" in merged:
            msg = "router.client(): the router is the transport; do not pass transport="
            raise TypeError(msg)
        if self.base_url is not None:
            merged.setdefault("base_url", self.base_url)
        return create(merged, transport=self._transport)

    def route(
        self,
        method: str,
        pattern: str | re.Pattern[str],
        *,
        params: Mapping[str, str] | None = None,
        status: int = 200,
        json: Any = MISSING,
        text: str | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        handler: Handler | None = None,
        delay: float = 0.0,
        network_error: bool = False,
    ) -> Route:
        """
        Add a route and return it.

        Args:
            method: ``"GET"``, ``"post"``, ... or ``"*"`` for any method.
            pattern: An exact path, a path with ``{name}`` placeholders, an absolute URL, or
                a compiled regex (see the class docstring).
            params: Query parameters the request must carry, with these values.
            status: The status of the fixed answer.
            json: A JSON body for the fixed answer (``None`` sends ``null``).
            text: A text body for the fixed answer.
            content: A bytes body for the fixed answer.
            headers: Response headers of the fixed answer.
            handler: ``handler(request) -> MockResponse``, plain or ``async``, called for
                each request instead of the fixed answer.
            delay: Seconds (``trio.sleep``) before answering: with ``autojump_clock`` it
                takes no real time, so it drives timeouts exactly.
            network_error: Fail every request as a network error (``ERR_NETWORK``).

        Raises:
            ValueError: A bad pattern, a negative delay, or both a handler and a fixed body.
        """
        has_body = json is not MISSING or text is not None or content is not None
        if handler is not None and (has_body or headers is not None or status != 200):  # noqa: PLR2004 - the default status
            msg = "give a route either a handler or a fixed answer (status/json/text/...), not both"
            raise ValueError(msg)
        response = MockResponse(status, json=json, text=text, content=content, headers=headers)
        route = Route(
            method,
            pattern,
            base_url=self.base_url,
            params=params,
            response=response,
            handler=handler,
            delay=delay,
            network_error=network_error,
        )
        self._routes.append(route)
        return route

    def assert_all_called(self) -> None:
        """
        Check that every route answered at least one request.

        Raises:
            AssertionError: Some routes were never called; the message lists them.
        """
        idle = [route for route in self._routes if not route.calls]
        if idle:
            lines = "\n".join(f"  {route.describe()}" for route in idle)
            msg = f"{plural(len(idle), 'route')} never called:\n{lines}"
            raise AssertionError(msg)

    def _describe_routes(self) -> str:
        if not self._routes:
            return "  (no routes)"
        return "\n".join(
            f"  {route.describe()}  ({plural(route.call_count, 'call')})" for route in self._routes
        )

    async def _handle(self, engine_request: httpx2.Request) -> httpx2.Response:
        """The ``MockTransport`` handler: find the route, record, answer."""
        await engine_request.aread()
        url = engine_request.url
        query = url.query.decode("ascii", errors="replace")
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        request = MockRequest(
            method=engine_request.method.upper(),
            url=str(url),
            path=url.path,
            query=query,
            params=dict(pairs),
            path_params={},
            headers=Headers(engine_request.headers.multi_items()),
            content=engine_request.content,
            time=trio.current_time(),
        )
        origin = origin_of(url)
        for route in self._routes:
            path_params = route._match(request.method, origin, request.path, pairs)  # noqa: SLF001 - same module
            if path_params is None:
                continue
            request = dataclasses.replace(request, path_params=path_params)
            self.calls.append(request)
            try:
                response = await route._respond(request)  # noqa: SLF001 - same module
            except NetworkError as exc:
                raise httpx2.ConnectError(str(exc), request=engine_request) from exc
            return response._to_engine(request.method)  # noqa: SLF001 - same module
        self.unmatched.append(request)
        msg = (
            f"no route matches {request.method} {request.url}\n"
            f"routes (tried in this order):\n{self._describe_routes()}"
        )
        raise UnmatchedRequestError(msg)

    def __repr__(self) -> str:
        """Show the base URL and the number of routes and calls."""
        return (
            f"<MockRouter base_url={self.base_url!r} routes={len(self._routes)} "
            f"calls={len(self.calls)} unmatched={len(self.unmatched)}>"
        )
