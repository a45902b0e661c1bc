"""
Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

``encode_request_body`` hands ``data`` here when the request's ``Content-Type`` is one of
those two types (axios ``toFormData`` / ``postForm``, umi-request ``requestType: 'form'``).
``data`` is a mapping, or a list of ``(name, value)`` pairs. Values:

- ``str``, ``int``, ``float`` and ``bool`` (sent as ``true`` / ``false``) are field text;
  ``None`` leaves the field out.
- A ``list`` repeats the name once per item (``tags=a&tags=b``). A nested mapping, or a list
  item that is a mapping or a list, gets bracketed names as in axios
  (``user[name]=Fred``, ``items[0][id]=1``).
- Multipart only, the parts that carry bytes:

  - ``bytes``: a part with ``Content-Type: application/octet-stream`` and no file name.
  - A ``pathlib.Path`` or ``trio.Path``: the file, opened when the body is sent (a retry
    sends it again); file name from the path, type guessed from it.
  - A binary file object (``open(path, "rb")``, ``io.BytesIO``) or an async one
    (``await trio.open_file(path, "rb")``): read from the start; the name from ``.name``
    (``"upload"`` when it has none), the type guessed from it.
  - A tuple ``(filename, content)``, ``(filename, content, content_type)`` or
    ``(filename, content, content_type, headers)``; ``content`` is any of the above, a
    ``str`` (UTF-8), or an async iterable of bytes. A tuple is always a file part: use a
    list to repeat a name.

The multipart boundary is the one in the ``Content-Type`` when the caller gave one; otherwise
a random boundary is generated and added to the header. Files are streamed in chunks and never
read whole (``_form_files``; disk reads run in a worker thread, so the event loop keeps
running); ``Content-Length`` is set when every size is known, otherwise the body is sent
chunked (an async iterable, a pipe). Part headers are rendered by httpx2's encoder
(``_transports._multipart``), which escapes names and file names by the HTML5 rules.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from ._errors import ERR_BAD_OPTION_VALUE, AxiosError
from ._form_files import (
    AsyncFileSource,
    FileObjectSource,
    MultipartStream,
    PathSource,
    Source,
    file_name,
    source_for,
)
from ._headers import Headers
from ._transports import boundary_from_content_type, field_part_headers, file_part_headers

if TYPE_CHECKING:
    from ._types import Content

URLENCODED: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"

_OCTET_STREAM: Final = "application/octet-stream"
_PAIR: Final = 2
_FILE_TUPLE_SIZES: Final = (2, 3, 4)


def form_type(content_type: str) -> str | None:
    """Return ``URLENCODED`` or ``MULTIPART`` when ``content_type`` is one, else ``None``."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media if media in (URLENCODED, MULTIPART) else None


def is_form(headers: Headers) -> bool:
    """Return whether the request's ``Content-Type`` asks for a form body."""
    return form_type(headers.get("content-type", "")) is not None


async def encode_form(data: Any, headers: Headers) -> Content:
    """
    Encode ``data`` as the form type ``headers`` names; multipart adds its boundary.

    Raises:
        AxiosError: ``ERR_BAD_OPTION_VALUE`` for data that is not a mapping or pairs, a value
            that cannot be a form field, or a file that cannot be read.
    """
    if form_type(headers.get("content-type", "")) == MULTIPART:
        return await encode_multipart(data, headers)
    return encode_urlencoded(data)


def form_options(config: Mapping[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
    """
    Return ``options`` with ``Content-Type: multipart/form-data`` (axios ``postForm``).

    A form type the caller set in the request's headers (``config`` or ``options``) is kept,
    so ``post_form(url, data, headers={"Content-Type": URLENCODED})`` sends urlencoded.
    """
    source = options["headers"] if "headers" in options else (config or {}).get("headers")
    headers = Headers() if source is None else Headers(source)
    if form_type(headers.get("content-type", "")) is None:
        headers["Content-Type"] = MULTIPART
    return {**options, "headers": headers}


# -- flattening ---------------------------------------------------------------------------


def _bad(message: str) -> AxiosError:
    return AxiosError(message, ERR_BAD_OPTION_VALUE)


def _name(name: object) -> str:
    if isinstance(name, str):
        return name
    if isinstance(name, int) and not isinstance(name, bool):
        return str(name)
    msg = f"form field names must be str, got {type(name).__name__}"
    raise _bad(msg)


def form_items(data: Any, *, multipart: bool) -> list[tuple[str, Any]]:
    """
    Flatten ``data`` into ``(name, value)`` fields, in order, ``None`` values dropped.

    Nested mappings get bracketed names; lists repeat the name (in multipart, a tuple is a
    file part, not a list).
    """
    if isinstance(data, Mapping):
        pairs: Any = data.items()
    elif isinstance(data, list | tuple) and all(
        isinstance(pair, tuple) and len(pair) == _PAIR for pair in data
    ):
        pairs = data
    else:
        kind = MULTIPART if multipart else URLENCODED
        msg = (
            f"with Content-Type {kind}, option 'data' must be a mapping or a list of "
            f"(name, value) pairs, got {type(data).__name__}"
        )
        raise _bad(msg)
    items: list[tuple[str, Any]] = []
    for name, value in pairs:
        _flatten(_name(name), value, items, multipart=multipart)
    return items


def _flatten(key: str, value: Any, items: list[tuple[str, Any]], *, multipart: bool) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for sub, item in value.items():
            _flatten(f"{key}[{_name(sub)}]", item, items, multipart=multipart)
    elif isinstance(value, list) or (isinstance(value, tuple) and not multipart):
        for index, item in enumerate(value):
            nested = isinstance(item, Mapping | list)
            _flatten(f"{key}[{index}]" if nested else key, item, items, multipart=multipart)
    else:
        items.append((key, value))


def _field_text(value: Any) -> str | None:
    """The text of a plain field value, or ``None`` when it is not one."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


# -- urlencoded ---------------------------------------------------------------------------


def encode_urlencoded(data: Any) -> bytes:
    """Encode ``data`` as ``application/x-www-form-urlencoded`` (``a=1+2&b=x&b=y``)."""
    pairs: list[tuple[str, str | bytes]] = []
    for name, value in form_items(data, multipart=False):
        text = _field_text(value)
        if text is not None:
            pairs.append((name, text))
        elif isinstance(value, bytes | bytearray | memoryview):
            pairs.append((name, bytes(value)))
        else:
            msg = (
                f"form field {name[:40]!r}: a {type(value).__name__} cannot be sent "
                f"{URLENCODED}; files need {MULTIPART} (post_form)"
            )
            raise _bad(msg)
    return urlencode(pairs).encode("ascii")


# -- multipart ----------------------------------------------------------------------------


def _part(name: str, value: Any) -> tuple[bytes, bytes | Source]:
    """Return one part's headers and body."""
    text = _field_text(value)
    if text is not None:
        return field_part_headers(name), text.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return file_part_headers(name, None, _OCTET_STREAM), bytes(value)
    if isinstance(value, tuple):
        if len(value) not in _FILE_TUPLE_SIZES:
            msg = (
                f"multipart field {name[:40]!r}: a file tuple is (filename, content), "
                "(filename, content, content_type) or (filename, content, content_type, "
                f"headers); got {len(value)} items"
            )
            raise _bad(msg)
        filename, content, content_type, headers = (*value, None, None)[:4]
        if not (filename is None or isinstance(filename, str)) or not (
            content_type is None or isinstance(content_type, str)
        ):
            msg = f"multipart field {name[:40]!r}: the file name and content type must be str"
            raise _bad(msg)
        return file_part_headers(name, filename, content_type, headers), source_for(name, content)
    if isinstance(value, os.PathLike):
        filename = PurePath(os.fspath(value)).name
        return file_part_headers(name, filename, None), PathSource(value)
    body = source_for(name, value)
    filename = file_name(value) if isinstance(body, FileObjectSource | AsyncFileSource) else None
    content_type = None if filename else _OCTET_STREAM
    return file_part_headers(name, filename, content_type), body


async def _size(name: str, source: Source) -> int | None:
    try:
        return await source.size()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        msg = f"multipart field {name[:40]!r}: cannot read the file: {reason}"
        raise _bad(msg) from exc


async def encode_multipart(data: Any, headers: Headers) -> Content:
    """
    Encode ``data`` as ``multipart/form-data``; set the boundary and, when known, the length.

    Returns bytes when every part is in memory, else an async iterator that streams the files.
    """
    boundary = boundary_from_content_type(headers.get("content-type", ""))
    if boundary is None:
        boundary = secrets.token_hex(16)
        headers["Content-Type"] = f"{MULTIPART}; boundary={boundary}"
    pieces, length = await _pieces(data, boundary)
    if all(isinstance(piece, bytes) for piece in pieces):
        return b"".join(piece for piece in pieces if isinstance(piece, bytes))
    if length is not None:
        headers["Content-Length"] = str(length)
    return MultipartStream(pieces)


async def multipart_length(data: Any, boundary: str) -> int | None:
    """Return the size ``encode_multipart`` gives ``data`` with ``boundary``, if known."""
    return (await _pieces(data, boundary))[1]


async def _pieces(data: Any, boundary: str) -> tuple[list[bytes | Source], int | None]:
    """The body as bytes and sources to stream, and its total size when every size is known."""
    delimiter = b"--" + boundary.encode("latin-1")
    pieces: list[bytes | Source] = []
    length: int | None = 0
    for name, value in form_items(data, multipart=True):
        head, body = _part(name, value)
        opening = delimiter + b"\r\n" + head
        size = len(body) if isinstance(body, bytes) else await _size(name, body)
        if length is not None and size is not None:
            length += len(opening) + size + len(b"\r\n")
        else:
            length = None
        pieces.extend((opening, body, b"\r\n"))
    closing = delimiter + b"--\r\n"
    pieces.append(closing)
    return pieces, None if length is None else length + len(closing)
