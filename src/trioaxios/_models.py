"""
``Request`` (what was sent) and ``Response`` (what came back, body read or streaming).
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING, Any, Final, final

import trio

from ._headers import Headers
from ._progress import ProgressTracker
from ._redact import redact_url

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._config import RequestConfig
    from ._types import TransportResponse

#: Cleanup that must finish under cancellation gets this long, shielded.
CLOSE_TIMEOUT: Final = 1.0


@final
class Request:
    """
    The request as it went to the transport (axios's ``response.request``).

    Attributes:
        method: Upper-case HTTP method.
        url: The absolute URL, with the query string.
        headers: The headers sent (secrets are masked in ``repr``).
    """

    __slots__ = ("headers", "method", "url")

    def __init__(self, method: str, url: str, headers: Headers) -> None:
        self.method = method
        self.url = url
        self.headers = headers

    def __repr__(self) -> str:
        """Show the method and redacted URL."""
        return f"<Request {self.method} {redact_url(self.url)}>"


@final
class Response:
    """
    An HTTP response, axios-shaped.

    Attributes: ``status``, ``status_text``, ``headers``, ``data``, ``config``, ``request``.
    Awaiting a request reads the whole body into ``data``. Inside
    ``async with client.get(url) as response:`` the body is not read yet: iterate it with
    ``aiter_bytes()`` / ``aiter_text()`` / ``aiter_lines()`` or read it with ``aread()``; it is
    closed when the block ends.
    """

    __slots__ = (
        "_body",
        "_closed",
        "_raw",
        "config",
        "data",
        "headers",
        "request",
        "status",
        "status_text",
        "url",
    )

    def __init__(
        self,
        raw: TransportResponse,
        config: RequestConfig,
        request: Request,
    ) -> None:
        self._raw = raw
        self.status: int = raw.status
        self.status_text: str = raw.reason_phrase
        self.headers = Headers(raw.headers)
        self.url: str = raw.url
        self.config = config
        self.request = request
        self.data: Any = None
        self._body: bytes | None = None
        self._closed = False

    @property
    def is_closed(self) -> bool:
        """Whether the body stream is closed (read to the end, or released)."""
        return self._closed

    @property
    def content(self) -> bytes:
        """
        The raw body bytes, once read.

        Raises:
            RuntimeError: The body has not been read (streaming response).
        """
        if self._body is None:
            raise RuntimeError("the body has not been read; call `await response.aread()`")
        return self._body

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Iterate over the body (decompressed unless ``decompress=False``) as it arrives."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        if self._closed:
            raise RuntimeError(
                "the response body is closed: read it inside `async with client.get(...) as "
                "response:`, or await the request to have it read for you"
            )
        callback = self.config.on_download_progress
        tracker = None
        if callback is not None:
            length = self.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            tracker = ProgressTracker(callback, total, upload=False)
        try:
            async for chunk in self._raw.aiter_bytes(decompress=self.config.decompress):
                if tracker is not None:
                    await tracker.advance(len(chunk))
                yield chunk
            if tracker is not None:
                await tracker.finish()
        finally:
            await self.aclose()

    async def aiter_text(self) -> AsyncIterator[str]:
        """Iterate over the body decoded with ``response_encoding`` or the declared charset."""
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        async for chunk in self.aiter_bytes():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    async def aiter_lines(self) -> AsyncIterator[str]:
        """Iterate over the body's lines, without line endings."""
        pending = ""
        async for text in self.aiter_text():
            pending += text
            *lines, pending = pending.splitlines(keepends=True) or [""]
            for line in lines:
                yield line.rstrip("\r\n")
            if pending.endswith(("\r", "\n")):
                yield pending.rstrip("\r\n")
                pending = ""
        if pending:
            yield pending

    async def aread(self) -> bytes:
        """Read the rest of the body and return it all; later calls return the same bytes."""
        if self._body is None:
            chunks = [chunk async for chunk in self.aiter_bytes()]
            self._body = b"".join(chunks)
        return self._body

    async def aclose(self) -> None:
        """
        Release the body stream; a half-read connection is closed, not pooled.

        Runs shielded for at most ``CLOSE_TIMEOUT`` seconds, so it finishes under cancellation.
        """
        if self._closed:
            return
        self._closed = True
        with trio.move_on_after(CLOSE_TIMEOUT, shield=True):
            await self._raw.aclose()

    @property
    def encoding(self) -> str:
        """The text encoding: ``response_encoding``, else the charset, else UTF-8."""
        if self.config.response_encoding:
            return self.config.response_encoding
        content_type = self.headers.get("content-type", "")
        for part in content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                try:
                    return codecs.lookup(value.strip("\"'")).name
                except LookupError:
                    break
        return "utf-8"

    def __repr__(self) -> str:
        """Show the status and the request line (URL redacted)."""
        return f"<Response [{self.status} {self.status_text}] {self.request!r}>"
