"""
Protocols between the client and its transport adapter (axios's "adapter" idea).

Nothing here imports httpx2: the adapter in ``_transports/`` implements these protocols, so
the rest of trioaxios never sees an engine type.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._security import SendPolicy

#: What a request body may be once transformed: nothing, bytes, or a stream of bytes.
Content = bytes | AsyncIterable[bytes] | None


@dataclass(frozen=True, slots=True)
class TargetURL:
    """
    An absolute URL as the transport built it.

    ``text`` is what users see (``response.request.url``); ``engine`` is the engine's parsed
    form, handed back to ``send`` so the URL is parsed once per request.
    """

    text: str
    engine: object


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """
    A request ready for the wire: absolute URL with query, final headers and body.

    ``policy`` is what the transport enforces at every hop (cookies, xsrf, redirects);
    ``None`` means the defaults of ``SendPolicy()`` (no home origin).
    """

    method: str
    url: TargetURL
    headers: list[tuple[str, str]]
    content: Content
    max_redirects: int
    policy: SendPolicy | None = None
    #: Called once, just before the request's first bytes are written to a connection
    #: (network pool only): until then, cancelling the request sends nothing at all.
    on_wire: Callable[[], object] | None = None


class TransportResponse(Protocol):
    """The engine's response, as the client needs it: status line, headers, a body stream."""

    @property
    def status(self) -> int:
        """The HTTP status code."""

    @property
    def reason_phrase(self) -> str:
        """The status text (``"OK"``), or the standard phrase when the server sent none."""

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The response headers, in order, repeated names kept."""

    @property
    def url(self) -> str:
        """The final URL, after any redirects."""

    def aiter_bytes(self, *, decompress: bool) -> AsyncIterator[bytes]:
        """Iterate over the body, decoded per Content-Encoding unless ``decompress`` is false."""

    async def aread_plain(self) -> bytes | None:
        """
        Read the whole body at once if it has no content coding; else ``None``, unread.

        The fast path for awaited requests with no size limit and no progress callback.
        """

    async def aclose(self) -> None:
        """Close the body; an unread connection is discarded, never pooled."""


class Transport(Protocol):
    """Sends prepared requests; owns the connection pool."""

    #: Whether requests go over sockets through the transport's own pool. Then every
    #: ``send`` reaches a Trio schedule point (a request that was sent needs no checkpoint
    #: of its own), and ``PreparedRequest.on_wire`` is called.
    is_network_pool: bool

    def build_url(
        self, url: str, params: Any, serializer: Callable[[Any], str] | None
    ) -> TargetURL:
        """Return ``url`` with ``params`` merged into its query; reject bad or non-HTTP URLs."""

    async def send(self, request: PreparedRequest) -> TransportResponse:
        """Send ``request``, following up to ``max_redirects`` redirects; return unread."""

    async def aclose(self) -> None:
        """Close the pool and every connection."""
