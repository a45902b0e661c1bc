"""
Bounded content decoding: ``Content-Encoding`` undone a little at a time, never all at once.

The adapter reads the raw body (``httpx2.Response.aiter_raw()``) and decodes it here, so a
small compressed body that expands enormously (a decompression bomb) is decoded in pieces of
at most ``DECODE_CHUNK`` bytes: whoever counts the pieces (``max_content_length``) can stop
at the limit without the rest ever being allocated.

Rules (CVE-2025-66471, CVE-2025-66418, CVE-2019-10742):

- ``gzip`` (several members allowed), ``x-gzip`` and ``deflate`` (zlib-wrapped, or raw as
  some servers send it) are decoded; ``identity`` and empty entries are skipped.
- More than ``MAX_ENCODINGS`` stacked codings, or any other coding (``br``, ``zstd``,
  ``compress``, an unknown token), is refused with ``ERR_BAD_RESPONSE``, whether or not a
  limit is set: we never hand over bytes that are still encoded as if they were decoded.
  ``decompress=False`` reads such a body raw.
- The refusal comes with the first body byte, so a bodiless response (``HEAD``, 204, 304)
  that carries the header is not an error.
- Compressed data that is corrupt, or that ends before its end marker (a truncated body),
  is ``ERR_BAD_RESPONSE``. Junk after a complete gzip member is ignored (urllib3 and curl do
  the same); bytes after the end of a deflate stream too.
"""

from __future__ import annotations

import itertools
import zlib
from typing import TYPE_CHECKING, Final, final

from .._errors import ERR_BAD_RESPONSE, AxiosError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

#: The most decoded bytes one step hands over.
DECODE_CHUNK: Final = 64 * 1024

#: The most content codings decoded one after another (urllib3 and httpx2 use 5 too).
MAX_ENCODINGS: Final = 5

#: What we can decode, which is therefore all we advertise in ``Accept-Encoding``.
ACCEPT_ENCODING: Final = "gzip, deflate"

_GZIP_WBITS: Final = zlib.MAX_WBITS | 16
_ZLIB_HEADER_BYTES: Final = 2
_ZLIB_METHOD_DEFLATE: Final = 8
_ZLIB_MAX_WINDOW: Final = 7
_ZLIB_CHECK: Final = 31
_LOW_NIBBLE: Final = 0x0F
_SKIPPED: Final = frozenset({"", "identity"})


def _error(message: str) -> AxiosError:
    return AxiosError(message, ERR_BAD_RESPONSE)


def _looks_like_zlib(head: bytes) -> bool:
    """Whether two bytes are a zlib header (RFC 1950), not the start of raw deflate data."""
    cmf, flg = head[0], head[1]
    return (
        cmf & _LOW_NIBBLE == _ZLIB_METHOD_DEFLATE
        and cmf >> 4 <= _ZLIB_MAX_WINDOW
        and ((cmf << 8) | flg) % _ZLIB_CHECK == 0
    )


@final
class _ZlibStep:
    """
    One ``gzip`` or ``deflate`` layer, decoded in pieces of at most ``DECODE_CHUNK`` bytes.

    ``decode`` yields lazily: the next piece is produced only when the consumer asks for
    it, so a consumer that stops early never makes the decompressor allocate the rest.
    """

    __slots__ = ("_coding", "_head", "_members", "_obj", "_seen", "_swallow", "_yielded")

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._seen = False
        self._head = b""  # deflate only: bytes kept until the header can be recognised
        self._members = 0  # gzip members decoded to their end
        self._yielded = False  # whether the current member produced output yet
        self._swallow = False  # trailing garbage after a complete member: ignore the rest
        self._obj: zlib._Decompress | None = (
            None if coding == "deflate" else zlib.decompressobj(_GZIP_WBITS)
        )

    def decode(self, data: bytes) -> Iterator[bytes]:
        """Yield the decoded pieces of ``data``."""
        if not data or self._swallow:
            return
        self._seen = True
        if self._obj is None:  # deflate: zlib-wrapped (RFC 1950) or raw (RFC 1951)?
            data = self._head + data
            if len(data) < _ZLIB_HEADER_BYTES:
                self._head = data
                return
            self._head = b""
            wbits = zlib.MAX_WBITS if _looks_like_zlib(data) else -zlib.MAX_WBITS
            self._obj = zlib.decompressobj(wbits)
        yield from self._drain(self._obj, data)

    def _drain(self, obj: zlib._Decompress, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                piece = obj.decompress(data, DECODE_CHUNK)
            except zlib.error as exc:
                if self._members and not self._yielded:
                    self._swallow = True  # garbage after a whole member, as urllib3 allows
                    return
                msg = f"the response body is not valid {self._coding} data ({exc})"
                raise _error(msg) from exc
            if piece:
                self._yielded = True
                yield piece
            if obj.eof:
                rest = obj.unused_data
                if not rest or self._coding == "deflate":
                    return  # bytes after a deflate stream are ignored, as zlib does
                # Another gzip member follows (RFC 1952 allows several).
                self._members += 1
                self._yielded = False
                obj = self._obj = zlib.decompressobj(_GZIP_WBITS)
                data = rest
                continue
            data = obj.unconsumed_tail
            # A full piece may leave output pending inside zlib: ask again until it is short.
            if not data and len(piece) < DECODE_CHUNK:
                return

    def finish(self) -> Iterator[bytes]:
        """
        Check that the compressed data was complete; yields nothing.

        After a complete gzip member, a few bytes that never produced output are trailing
        garbage, not a truncated member.
        """
        trailing = self._members > 0 and not self._yielded
        complete = self._obj is not None and self._obj.eof
        if self._seen and not (complete or trailing or self._swallow):
            msg = (
                f"the response body ended before the end of its {self._coding} data "
                "(truncated or corrupt)"
            )
            raise _error(msg)
        yield from ()


_STEPS: Final[dict[str, str]] = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


def _codings(values: Iterable[str]) -> list[str]:
    """The codings of ``Content-Encoding`` header values, in the order they were applied."""
    split = (part.strip().lower() for value in values for part in value.split(","))
    return [coding for coding in split if coding not in _SKIPPED]


def _refusal(codings: list[str]) -> str | None:
    if len(codings) > MAX_ENCODINGS:
        return (
            f"the response body has {len(codings)} content encodings; at most "
            f"{MAX_ENCODINGS} are decoded (decompression bomb defence)"
        )
    for coding in codings:
        if coding not in _STEPS:
            return (
                f"the response body has Content-Encoding {coding[:40]!r}, which trioaxios "
                f"cannot decode (it decodes {ACCEPT_ENCODING}); pass decompress=False to read "
                "the raw bytes"
            )
    return None


@final
class BodyDecoder:
    """
    Undo a response's ``Content-Encoding`` (every layer, last applied first), in pieces.

    ``decode(raw)`` and, at the end of the body, ``finish()`` yield decoded pieces of at most
    ``DECODE_CHUNK`` bytes each.
    """

    __slots__ = ("_refusal", "_steps")

    def __init__(self, codings: list[str]) -> None:
        self._refusal = _refusal(codings)
        steps = [] if self._refusal else [_ZlibStep(_STEPS[c]) for c in reversed(codings)]
        self._steps: list[_ZlibStep] = steps

    def decode(self, data: bytes) -> Iterator[bytes]:
        """Yield the decoded pieces of a raw body chunk."""
        if data and self._refusal is not None:
            raise _error(self._refusal)
        stream: Iterator[bytes] = iter((data,))
        for step in self._steps:
            stream = _pipe(step.decode, stream)
        yield from stream

    def finish(self) -> Iterator[bytes]:
        """Yield what is left once the raw body has ended; raise if it was truncated."""
        stream: Iterator[bytes] = iter(())
        for step in self._steps:
            stream = itertools.chain(_pipe(step.decode, stream), step.finish())
        yield from stream


def _pipe(decode: Callable[[bytes], Iterator[bytes]], upstream: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in upstream:
        yield from decode(chunk)


def body_decoder(content_encodings: Iterable[str]) -> BodyDecoder | None:
    """
    A decoder for the ``Content-Encoding`` header values given, or ``None`` for identity.

    The values are the header's, as received (repeated headers and comma lists both work).
    """
    codings = _codings(content_encodings)
    return BodyDecoder(codings) if codings else None
