"""
What ``trioaxios METHOD URL`` prints and writes: the body, ``-v`` headers, progress bars, ``-o``.

rich is optional (the ``cli`` extra): without it, JSON is indented without colour and there
are no progress bars.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from typing import TYPE_CHECKING, Any, Final

import trio

from ._redact import redact_header_value, redact_url

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from ._models import Request, Response
    from ._progress import ProgressEvent


def has_rich() -> bool:
    """Return whether rich (the ``cli`` extra) can be imported."""
    try:
        import rich  # noqa: F401, PLC0415 - optional: the cli extra
    except ImportError:
        return False
    return True


class Output:
    """What the command prints to stdout and stderr: rich on a terminal when installed."""

    __slots__ = ("_rich", "_tty", "verbose")

    def __init__(self, *, verbose: bool, rich: bool) -> None:
        self.verbose = verbose
        self._rich = rich
        self._tty = sys.stdout.isatty()

    def exchange(self, request: Request | None, response: Response | None) -> None:
        """With ``-v``: the request and response lines and headers, masked, on stderr."""
        if not self.verbose:
            return
        lines: list[str] = []
        if request is not None:
            lines.append(f"> {request.method} {redact_url(request.url)}")
            lines.extend(header_lines("> ", request.headers.raw_items()))
            lines.append(">")
        if response is not None:
            lines.append(f"< {response.status} {response.status_text}")
            lines.extend(header_lines("< ", response.headers.raw_items()))
            lines.append("<")
        sys.stderr.write("".join(line + "\n" for line in lines))
        sys.stderr.flush()

    def head(self, response: Response) -> None:
        """A HEAD response: the status line and headers on stdout (secrets masked)."""
        lines = [f"{response.status} {response.status_text}"]
        lines.extend(header_lines("", response.headers.raw_items()))
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()

    async def body(self, response: Response) -> None:
        """The body on stdout: its exact bytes when piped, readable on a terminal."""
        if not self._tty:
            out = sys.stdout.buffer
            async for chunk in response.aiter_bytes():
                out.write(chunk)
            out.flush()
            return
        content_type = response.headers.get("content-type", "").lower()
        if not _is_textual(content_type):
            _binary_note(response.headers.get("content-length") or "unknown")
            return
        data = await response.aread()
        try:
            text = data.decode(response.encoding)
        except (UnicodeDecodeError, LookupError):
            text = "\0"
        if "\0" in text:
            _binary_note(str(len(data)))
            return
        if text and ("json" in content_type or text.lstrip()[:1] in ("{", "[")):
            try:
                value = json.loads(text)
            except ValueError:
                pass
            else:
                self._json(value)
                return
        if text:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()

    def _json(self, value: Any) -> None:
        if self._rich:
            from rich.console import Console  # noqa: PLC0415 - optional: the cli extra

            Console().print_json(data=value)
            return
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()


_TEXTUAL: Final = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded", "yaml")


def _is_textual(content_type: str) -> bool:
    """Whether a body of this type is worth reading to show it (no type: have a look)."""
    return not content_type or any(marker in content_type for marker in _TEXTUAL)


def _binary_note(size: str) -> None:
    sys.stderr.write(
        f"trioaxios: note: a binary body ({size} bytes) is not shown on a terminal; "
        "use -o FILE or a pipe\n"
    )


def header_lines(prefix: str, items: Iterable[tuple[str, str]]) -> list[str]:
    """Format headers one per line, sensitive values masked."""
    return [f"{prefix}{name}: {redact_header_value(name, value)}" for name, value in items]


class Bars:
    """Upload and download progress bars on stderr (rich), fed by the progress events."""

    __slots__ = ("_progress", "_started", "_tasks", "downloading")

    def __init__(self) -> None:
        from rich.console import Console  # noqa: PLC0415 - optional: the cli extra
        from rich.progress import (  # noqa: PLC0415 - optional: the cli extra
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._tasks: dict[str, Any] = {}
        self._started = False
        self.downloading = False

    def callback(
        self, label: str, *, download: bool, total: int | None = None
    ) -> Callable[[ProgressEvent], None]:
        """
        Return an ``on_*_progress`` callback that moves the bar called ``label``.

        ``total`` is the size to show when the events do not know it.
        """

        def update(event: ProgressEvent) -> None:
            if download and not self.downloading:
                return  # an error body printed to stdout, not a download
            if not self._started:
                self._progress.start()
                self._started = True
            size = event.total if event.total is not None else total
            task = self._tasks.get(label)
            if task is None:
                task = self._tasks[label] = self._progress.add_task(label, total=size)
            self._progress.update(task, completed=event.loaded, total=size, refresh=True)

        return update

    def close(self) -> None:
        """Draw the final state and stop (before any error line is printed)."""
        if self._started:
            self._started = False
            self._progress.stop()


class OutputError(Exception):
    """The ``-o`` file could not be written."""


async def _remove(path: trio.Path) -> None:
    with trio.move_on_after(1.0, shield=True), contextlib.suppress(OSError):
        await path.unlink(missing_ok=True)


async def download(response: Response, target: Path, bars: Bars | None) -> None:
    """Stream the body into a temporary file next to ``target``; rename it when complete."""
    temp = trio.Path(target.with_name(f".{target.name}.{secrets.token_hex(4)}.part"))
    try:
        file = await trio.open_file(temp, "xb")
    except OSError as exc:
        raise OutputError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from exc
    try:
        async with file:
            if bars is not None:
                bars.downloading = True
            async for chunk in response.aiter_bytes():
                try:
                    await file.write(chunk)
                except OSError as exc:
                    msg = f"cannot write {str(target)!r}: {exc.strerror or exc}"
                    raise OutputError(msg) from exc
        await temp.replace(target)
    except BaseException:
        await _remove(temp)
        raise
