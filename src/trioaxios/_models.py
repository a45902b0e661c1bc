"""
``Request`` (what was sent) and ``Response`` (what came back, body read or streaming).
"""

from __future__ import annotations

import codecs
import math
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

import trio

from ._errors import ERR_BAD_RESPONSE, AxiosError
from ._headers import Headers
from ._progress import ProgressTracker
from ._redact import redact_url

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from ._config import RequestConfig
    from ._types import TransportResponse

T = TypeVar("T")

#: Cleanup that must finish under cancellation gets this long, shielded.
CLOSE_TIMEOUT: Final = 1.0


#: Statuses whose responses never carry a body, whatever their headers say.
_BODILESS_STATUSES: Final = frozenset({204, 304})


def is_coded(content_encoding: str) -> bool:
    """Whether a ``Content-Encoding`` value names any coding other than ``identity``."""
    return any(part.strip().lower() not in {"", "identity"} for part in content_encoding.split(","))


def _is_unfinished(iterator: object) -> bool:
    return getattr(iterator, "ag_frame", None) is not None


def _is_running(iterator: object) -> bool:
    return bool(getattr(iterator, "ag_running", False))


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
        "_exhausted",
        "_iterators",
        "_raw",
        "_started",
        "_url",
        "config",
        "data",
        "headers",
        "request",
        "status",
        "status_text",
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
        self.headers = Headers.from_wire(raw.headers)
        self._url: str | None = None
        self.config = config
        self.request = request
        self.data: Any = None
        self._body: bytes | None = None
        self._closed = False
        self._started = False
        self._exhausted = False
        self._iterators: list[AsyncGenerator[Any]] = []

    @property
    def url(self) -> str:
        """The final URL, after any redirects."""
        if self._url is None:
            self._url = self._raw.url
        return self._url

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

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """
        Iterate over the body (decompressed unless ``decompress=False``) as it arrives.

        Raises:
            AxiosError: ``ERR_BAD_RESPONSE`` before handing over more than
                ``max_content_length`` bytes (counted after decoding), or when the body cannot
                be decoded; ``ERR_NETWORK`` when the connection breaks mid-body.
        """
        return self._track(self._iter_bytes())

    def aiter_text(self) -> AsyncIterator[str]:
        """Iterate over the body decoded with ``response_encoding`` or the declared charset."""
        return self._track(self._iter_text())

    def aiter_lines(self) -> AsyncIterator[str]:
        """Iterate over the body's lines, without line endings."""
        return self._track(self._iter_lines())

    def _track(self, iterator: AsyncGenerator[T]) -> AsyncGenerator[T]:
        """
        Keep ``iterator`` so ``aclose()`` can close it.

        A caller may ``break`` out of ``async for chunk in response.aiter_bytes()``; the
        response then closes the abandoned generator when its block ends, instead of leaving
        it to the garbage collector (which Trio reports with a ``ResourceWarning``).
        """
        self._iterators = [it for it in self._iterators if _is_unfinished(it)]
        self._iterators.append(iterator)
        return iterator

    def _begin_body(self) -> None:
        """Mark the streamed body as being read; raise if it cannot be read (again)."""
        if self._closed:
            raise RuntimeError(
                "the response body is closed: read it inside `async with client.get(...) as "
                "response:`, or await the request to have it read for you"
            )
        if self._started:
            raise RuntimeError(
                "the response body is already being iterated; a streamed body can be read "
                "once: keep using the first iterator, or call aread() before iterating"
            )
        self._started = True

    def _download_tracker(self) -> ProgressTracker | None:
        callback = self.config.on_download_progress
        if callback is None:
            return None
        length = self.headers.get("content-length")
        total = int(length) if length and length.isdigit() else None
        return ProgressTracker(callback, total, upload=False)

    async def _iter_bytes(self) -> AsyncGenerator[bytes]:
        if self._body is not None:
            if self._body:
                yield self._body
            return
        self._begin_body()
        tracker = self._download_tracker()
        limit = self.config.max_content_length
        budget = math.inf if limit is None else limit
        raw = self._raw.aiter_bytes(decompress=self.config.decompress)
        try:
            if self._declared_length() > budget:
                raise self._too_large(budget)
            received = 0
            async for chunk in raw:
                received += len(chunk)
                if received > budget:  # max_content_length counts what the caller receives
                    raise self._too_large(budget)
                if tracker is not None:
                    await tracker.advance(len(chunk))
                yield chunk
            self._exhausted = True
            if tracker is not None:
                await tracker.finish()
        except AxiosError as exc:
            exc.config = exc.config or self.config
            exc.request = exc.request or self.request
            exc.response = exc.response or self
            raise
        finally:
            # Leaving early (break, an error) closes the engine's generator now instead of
            # leaving it to the garbage collector; a generator that ran out is already closed.
            close = getattr(raw, "aclose", None)
            if close is not None and not self._exhausted:
                with trio.move_on_after(CLOSE_TIMEOUT, shield=True):
                    await close()
            await self.aclose()

    def _declared_length(self) -> int:
        """
        The body length the headers promise, as ``aiter_bytes`` will count it; else -1.

        Only an unencoded body (or ``decompress=False``) has its length known in advance;
        a HEAD response, 204 and 304 declare the length of a body they do not carry.
        """
        length = self.headers.get("content-length", "")
        if (
            not length.isdigit()
            or self.request.method == "HEAD"
            or self.status in _BODILESS_STATUSES
            or (self.config.decompress and is_coded(self.headers.get("content-encoding", "")))
        ):
            return -1
        return int(length)

    def _too_large(self, limit: float) -> AxiosError:
        """The error for a body bigger than ``max_content_length`` (axios's message first)."""
        msg = (
            f"maxContentLength size of {limit} exceeded: the response body is larger than "
            f"max_content_length ({limit} bytes{', decoded' if self.config.decompress else ''})"
        )
        return AxiosError(msg, ERR_BAD_RESPONSE, self.config, self.request, self)

    async def _iter_text(self) -> AsyncGenerator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        async for chunk in self.aiter_bytes():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    async def _iter_lines(self) -> AsyncGenerator[str]:
        pending = ""
        async for text in self.aiter_text():
            lines = (pending + text).splitlines(keepends=True)
            pending = ""
            # Hold back an unfinished last line, and a lone "\r" that may be half of "\r\n".
            if lines and (lines[-1] == lines[-1].splitlines()[0] or lines[-1].endswith("\r")):
                pending = lines.pop()
            for line in lines:
                yield line.splitlines()[0]
        if pending:
            yield pending.splitlines()[0]

    async def aread(self) -> bytes:
        """Read the rest of the body and return it all; later calls return the same bytes."""
        if self._body is None:
            body = await self._read_plain() if self._plain_read_allowed() else None
            if body is None:
                body = b"".join([chunk async for chunk in self._iter_bytes()])
            self._body = body
        return self._body

    def _plain_read_allowed(self) -> bool:
        """Whether the engine may read the body in one go: nothing to count, bound or track."""
        config = self.config
        return (
            not self._started
            and not self._closed
            and config.max_content_length is None
            and config.on_download_progress is None
        )

    async def _read_plain(self) -> bytes | None:
        """The fast path of ``aread``: the whole uncoded body in one engine read, or ``None``."""
        try:
            body = await self._raw.aread_plain()
        except AxiosError as exc:
            exc.config = exc.config or self.config
            exc.request = exc.request or self.request
            exc.response = exc.response or self
            await self.aclose()
            raise
        except BaseException:
            await self.aclose()
            raise
        if body is not None:
            self._started = self._exhausted = True
            await self.aclose()
        return body

    async def aclose(self) -> None:
        """
        Release the body stream; a half-read connection is closed, not pooled.

        Runs shielded for at most ``CLOSE_TIMEOUT`` seconds, so it finishes under cancellation.
        """
        # A running iterator is the one whose end is closing us: it finishes by itself.
        idle = [it for it in self._iterators if _is_unfinished(it) and not _is_running(it)]
        self._iterators = [it for it in self._iterators if _is_running(it)]
        if self._closed and not idle:
            return
        release = not self._closed
        self._closed = True
        if release and self._exhausted and not idle:
            # Read to the end: the connection goes back to the pool with nothing left to
            # wait for, so the shielded, bounded scope is not needed.
            await self._raw.aclose()
            return
        with trio.move_on_after(CLOSE_TIMEOUT, shield=True):
            for iterator in reversed(idle):
                await iterator.aclose()
            if release:
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
