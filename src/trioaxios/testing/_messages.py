"""
The data of the test kit: what a route receives (``MockRequest``) and answers (``MockResponse``).
"""

from __future__ import annotations

import json as json_module
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, final

import httpx2

from .._headers import Headers

_MIN_STATUS: Final = 100
_MAX_STATUS: Final = 599
_BODILESS_STATUSES: Final = frozenset({204, 304})


@final
class _Missing:
    """
    The type of ``MISSING``: "no JSON body given".

    ``None`` cannot mean that, because ``None`` is a JSON value (``null``).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        """Show the sentinel's name."""
        return "MISSING"


MISSING: Final = _Missing()
"""The default of ``json=``: no JSON body (``json=None`` sends ``null``)."""


class UnmatchedRequestError(AssertionError):
    """
    A request reached a ``MockRouter`` and no route matched it: the test's fault.

    It is an ``AssertionError`` rather than an ``AxiosError``, so code under test that handles
    ``AxiosError`` cannot swallow it. The message names the request and lists every route.
    """


class NetworkError(Exception):
    """
    Raise it from a route handler to make the request fail as if the network did.

    The client then raises ``AxiosError`` with code ``ERR_NETWORK``, as for a refused
    connection. ``network_error=True`` on a route does the same without a handler.
    """


@final
@dataclass(frozen=True, slots=True, eq=False)
class MockRequest:
    """
    One request as a ``MockRouter`` received it; route handlers get it, routes record it.

    Attributes:
        method: The upper-case method, ``"GET"``.
        url: The full URL, query string included.
        path: The percent-decoded path, ``"/users/1"``.
        query: The raw query string, without ``?``.
        params: The query parameters; a repeated name keeps its last value (see ``query``).
        path_params: What the route's ``{name}`` placeholders or named regex groups matched.
        headers: The request headers (case-insensitive).
        content: The request body, read in full.
        time: When it arrived, on the Trio clock (``trio.current_time()``).
    """

    method: str
    url: str
    path: str
    query: str
    params: dict[str, str]
    path_params: dict[str, str]
    headers: Headers
    content: bytes
    time: float

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """
        Return the body parsed as JSON.

        Raises:
            ValueError: The body is not valid JSON.
        """
        return json_module.loads(self.content)

    def __repr__(self) -> str:
        """Show the method, the path and the arrival time."""
        return f"<MockRequest {self.method} {self.path} at t={self.time:g}>"


@final
@dataclass(frozen=True, slots=True, eq=False)
class MockResponse:
    """
    What a route answers: a status, headers and at most one of ``json``, ``text``, ``content``.

    ``json`` is encoded compactly with ``Content-Type: application/json``; ``text`` is sent
    as UTF-8 with ``Content-Type: text/plain; charset=utf-8``; ``content`` is sent as is.
    A ``Content-Type`` in ``headers`` wins over those defaults.

    Examples::

        MockResponse(201, json={"id": 7})
        MockResponse(503, text="try later", headers={"Retry-After": "1"})

    Raises:
        ValueError: ``status`` is not in 100..599, or more than one body was given.
    """

    status: int = 200
    json: Any = MISSING
    text: str | None = None
    content: bytes | None = None
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None

    def __post_init__(self) -> None:
        """Check the status and that at most one body was given."""
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            msg = f"MockResponse: `status` must be an int, got {type(self.status).__name__}"
            raise TypeError(msg)
        if not _MIN_STATUS <= self.status <= _MAX_STATUS:
            msg = f"MockResponse: `status` must be in 100..599, got {self.status}"
            raise ValueError(msg)
        bodies = [self.json is not MISSING, self.text is not None, self.content is not None]
        if sum(bodies) > 1:
            msg = "MockResponse: give at most one of `json`, `text` and `content`"
            raise ValueError(msg)

    def _body(self) -> tuple[bytes, str | None]:
        """Return the body bytes and the default content type."""
        if self.json is not MISSING:
            body = json_module.dumps(self.json, separators=(",", ":"), ensure_ascii=False)
            return body.encode(), "application/json"
        if self.text is not None:
            return self.text.encode(), "text/plain; charset=utf-8"
        return (self.content or b""), None

    def _to_engine(self, method: str) -> httpx2.Response:
        """
        Build the engine's response (the only place a ``MockResponse`` meets httpx2).

        As from a real server, a ``HEAD`` response carries the headers of the body but not
        the body, and a 204 or 304 carries neither.
        """
        body, content_type = self._body()
        headers = Headers(self.headers)
        if content_type is not None and "content-type" not in headers:
            headers["Content-Type"] = content_type
        if self.status in _BODILESS_STATUSES:
            body = b""
        elif "content-length" not in headers:
            headers["Content-Length"] = str(len(body))
        if method == "HEAD":
            body = b""
        # A stream, not content=: the body then travels unread, as from a real server.
        return httpx2.Response(
            self.status, headers=headers.raw_items(), stream=httpx2.ByteStream(body)
        )


Handler = Callable[[MockRequest], "MockResponse | Awaitable[MockResponse]"]
"""A route handler: ``handler(request) -> MockResponse``, a plain or an ``async`` function."""
