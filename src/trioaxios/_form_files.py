"""
The files in a multipart body: where their bytes come from, and the body that streams them.

A *source* knows a file's size (when it can) and opens a *reader* each time the body is sent,
so a retry sends the file again from its start: a path is reopened, a file object rewound.
Disk reads run in a worker thread (``trio.to_thread``), ``CHUNK_SIZE`` bytes at a time; a file
is never read whole.

``MultipartStream`` is the body handed to the engine. It is a class, not an async generator:
a request cancelled mid-upload abandons its body inside the engine, and an abandoned async
generator is left to Trio's finalizer (with a ``ResourceWarning``). The stream closes the file
it opened when it ends, in ``aclose()``, or at the latest when it is collected.
"""

from __future__ import annotations

import inspect
import io
import os
import stat
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from pathlib import PurePath
from typing import Any, Final, final

import trio

from ._errors import ERR_BAD_OPTION_VALUE, AxiosError

#: Files are read and sent this many bytes at a time.
CHUNK_SIZE: Final = 64 * 1024


def _bad(message: str) -> AxiosError:
    return AxiosError(message, ERR_BAD_OPTION_VALUE)


def _as_bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, bytearray | memoryview):
        return bytes(chunk)
    msg = f"a multipart file must give bytes, got {type(chunk).__name__} (open it in 'rb' mode)"
    raise _bad(msg)


def _open_binary(path: str) -> io.BufferedReader:
    return open(path, "rb")  # noqa: PTH123 - closed by the reader that owns it


@final
class _Reader:
    """Reads one file for one sending of the body; ``read()`` gives ``b""`` at the end."""

    __slots__ = ("_close", "_read")

    def __init__(
        self, read: Callable[[], Awaitable[bytes]], close: Callable[[], object] | None = None
    ) -> None:
        self._read = read
        self._close = close

    async def read(self) -> bytes:
        """Return the next chunk, or ``b""`` at the end."""
        return await self._read()

    def close(self) -> None:
        """Close the file if this reader opened it (a caller's file object stays open)."""
        close, self._close = self._close, None
        if close is not None:
            close()


@final
class PathSource:
    """A file on disk, opened when the body is sent."""

    __slots__ = ("_path",)

    def __init__(self, path: os.PathLike[str]) -> None:
        self._path = os.fspath(path)

    async def size(self) -> int | None:
        """The file's size, or ``None`` when it is not a regular file (a FIFO)."""
        info = await trio.to_thread.run_sync(os.stat, self._path)
        return info.st_size if stat.S_ISREG(info.st_mode) else None

    async def open(self) -> _Reader:
        """Open the file in a worker thread; the reader closes it."""
        file = await trio.to_thread.run_sync(_open_binary, self._path)

        async def read() -> bytes:
            return await trio.to_thread.run_sync(file.read, CHUNK_SIZE)

        return _Reader(read, file.close)


@final
class FileObjectSource:
    """A binary file object, read from its start (in a worker thread when it is a real file)."""

    __slots__ = ("_file", "_threaded")

    def __init__(self, file: Any) -> None:
        self._file = file
        try:
            file.fileno()
            self._threaded = True
        except (AttributeError, OSError, ValueError):  # io.BytesIO and friends
            self._threaded = False

    def _seekable(self) -> bool:
        seekable = getattr(self._file, "seekable", None)
        return bool(seekable()) if seekable is not None else False

    async def size(self) -> int | None:
        """The size from the start, or ``None`` when the file cannot seek (a pipe)."""
        if not self._seekable():
            return None
        end: int = self._file.seek(0, io.SEEK_END)
        self._file.seek(0)
        return end

    async def open(self) -> _Reader:
        """Rewind the file; it stays open (the caller owns it)."""
        file = self._file
        if self._seekable():
            file.seek(0)

        async def read() -> bytes:
            if self._threaded:
                return _as_bytes(await trio.to_thread.run_sync(file.read, CHUNK_SIZE))
            await trio.lowlevel.checkpoint()
            return _as_bytes(file.read(CHUNK_SIZE))

        return _Reader(read)


@final
class AsyncFileSource:
    """An async file (``await trio.open_file(path, "rb")``), read from its start."""

    __slots__ = ("_file",)

    def __init__(self, file: Any) -> None:
        self._file = file

    async def size(self) -> int | None:
        """The size of the file behind it, when it is a regular file."""
        try:
            info = os.fstat(self._file.fileno())
        except (AttributeError, OSError, ValueError):
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) else None

    async def open(self) -> _Reader:
        """Rewind the file when it can seek; it stays open (the caller owns it)."""
        file = self._file
        if getattr(file, "seek", None) is not None:
            await file.seek(0)

        async def read() -> bytes:
            return _as_bytes(await file.read(CHUNK_SIZE))

        return _Reader(read)


@final
class IterableSource:
    """An async iterable of bytes: its size is unknown, and it can be sent once."""

    __slots__ = ("_iterable",)

    def __init__(self, iterable: AsyncIterable[Any]) -> None:
        self._iterable = iterable

    async def size(self) -> int | None:
        """Always ``None``: the body is sent chunked."""
        return None

    async def open(self) -> _Reader:
        """Start iterating."""
        iterator = aiter(self._iterable)

        async def read() -> bytes:
            async for chunk in iterator:
                if chunk:
                    return _as_bytes(chunk)
            return b""

        return _Reader(read)


Source = PathSource | FileObjectSource | AsyncFileSource | IterableSource


def file_name(file: Any) -> str:
    """The file name for a file object: its ``.name``, or ``"upload"`` (httpx's default)."""
    name = getattr(file, "name", None)
    return PurePath(name).name if isinstance(name, str) and name else "upload"


def source_for(name: str, content: Any) -> bytes | Source:
    """
    The body of a file part: bytes in memory, or a source to stream.

    Raises:
        AxiosError: ``ERR_BAD_OPTION_VALUE`` for a text-mode file or an unsupported type.
    """
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content)
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, os.PathLike):
        return PathSource(content)
    if isinstance(content, io.TextIOBase):
        msg = f"multipart field {name[:40]!r}: open the file in binary mode ('rb'), not text"
        raise _bad(msg)
    read = getattr(content, "read", None)
    if inspect.iscoroutinefunction(read):
        return AsyncFileSource(content)
    if callable(read):
        return FileObjectSource(content)
    if isinstance(content, AsyncIterable):
        return IterableSource(content)
    msg = (
        f"multipart field {name[:40]!r}: a {type(content).__name__} cannot be sent; give "
        "str, bytes, a Path, a binary file, an async file or an async iterable of bytes"
    )
    raise _bad(msg)


@final
class MultipartStream:
    """
    The multipart body as an async iterator: small pieces joined, file chunks as they are read.

    Iterating it again is not supported; ``encode_multipart`` builds a new one per sending.
    """

    __slots__ = ("_pending", "_pieces", "_reader")

    def __init__(self, pieces: Iterable[bytes | Source]) -> None:
        self._pieces = iter(pieces)
        self._pending = bytearray()
        self._reader: _Reader | None = None

    def __aiter__(self) -> MultipartStream:
        """Return the stream itself."""
        return self

    async def __anext__(self) -> bytes:
        """Return the next chunk of the body."""
        while True:
            if self._reader is None:
                piece = next(self._pieces, None)
                if piece is None:
                    if self._pending:
                        return self._flush()
                    raise StopAsyncIteration
                if isinstance(piece, bytes):
                    self._pending += piece
                    if len(self._pending) >= CHUNK_SIZE:
                        return self._flush()
                    continue
                self._reader = await piece.open()
                if self._pending:
                    return self._flush()
            chunk = await self._reader.read()
            if chunk:
                return chunk
            self._close_reader()

    def _flush(self) -> bytes:
        data = bytes(self._pending)
        self._pending.clear()
        return data

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    async def aclose(self) -> None:
        """Close the file being read, if this stream opened it; a checkpoint after that."""
        self._close_reader()
        await trio.lowlevel.checkpoint()

    def __del__(self) -> None:
        """Close the file being read when an abandoned stream is collected."""
        if getattr(self, "_reader", None) is not None:
            self._close_reader()
