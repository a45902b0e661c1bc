"""
Upload and download progress events, throttled like axios (three a second plus the last).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, final

import trio

if TYPE_CHECKING:
    from collections.abc import Callable

#: axios emits at most three progress events a second.
EVENTS_PER_SECOND: Final = 3


@final
@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """
    One progress report, with axios's fields.

    Attributes:
        loaded: Bytes transferred so far.
        total: Expected bytes (Content-Length or known body size), or ``None``.
        progress: ``loaded / total`` in [0, 1], or ``None`` when the total is unknown.
        bytes: Bytes transferred since the previous event.
        rate: Bytes per second since the previous event, or ``None`` for the first.
        estimated: Seconds left at that rate, or ``None``.
        upload: ``True`` for upload events.
        download: ``True`` for download events.
    """

    loaded: int
    total: int | None
    progress: float | None
    bytes: int
    rate: float | None
    estimated: float | None
    upload: bool
    download: bool


class ProgressTracker:
    """Counts bytes and calls ``callback`` at most three times a second, plus a final call."""

    __slots__ = ("_callback", "_last_loaded", "_last_time", "_loaded", "_total", "_upload")

    def __init__(
        self, callback: Callable[[ProgressEvent], object], total: int | None, *, upload: bool
    ) -> None:
        self._callback = callback
        self._total = total
        self._upload = upload
        self._loaded = 0
        self._last_loaded = 0
        self._last_time: float | None = None

    async def advance(self, count: int) -> None:
        """Record ``count`` more bytes; report if a third of a second has passed."""
        self._loaded += count
        now = trio.current_time()
        if self._last_time is None or now - self._last_time >= 1 / EVENTS_PER_SECOND:
            await self._emit(now)

    async def finish(self) -> None:
        """Report the final state, unless that exact state was the last one reported."""
        if self._last_time is None or self._loaded != self._last_loaded:
            await self._emit(trio.current_time())

    async def _emit(self, now: float) -> None:
        delta = self._loaded - self._last_loaded
        rate = None
        if self._last_time is not None and now > self._last_time:
            rate = delta / (now - self._last_time)
        total = self._total
        left = None if total is None else max(total - self._loaded, 0)
        event = ProgressEvent(
            loaded=self._loaded,
            total=total,
            progress=None if not total else min(self._loaded / total, 1.0),
            bytes=delta,
            rate=rate,
            estimated=None if left is None or not rate else left / rate,
            upload=self._upload,
            download=not self._upload,
        )
        self._last_time, self._last_loaded = now, self._loaded
        result = self._callback(event)
        if inspect.isawaitable(result):
            await result
