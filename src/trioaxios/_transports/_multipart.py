"""
Multipart part headers and boundaries, rendered by httpx2's encoder (the HTML5 form rules).

``_forms`` builds and streams the body itself (files are read asynchronously, which httpx2's
``MultipartStream`` does not do); what it takes from httpx2 is the part of the encoding that
is easy to get wrong: escaping names and file names in ``Content-Disposition`` (quotes,
backslashes and control characters), guessing a file's type from its name, validating extra
part headers, and finding the boundary in a ``Content-Type``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from httpx2._multipart import DataField, FileField, get_multipart_boundary_from_content_type

from .._errors import ERR_BAD_OPTION_VALUE, AxiosError

if TYPE_CHECKING:
    from collections.abc import Mapping


def field_part_headers(name: str) -> bytes:
    """
    Return the headers of a plain form field, blank line included.

    Example: ``Content-Disposition: form-data; name="title"``, then an empty line.
    """
    return DataField(name, "").render_headers()


def file_part_headers(
    name: str,
    filename: str | None,
    content_type: str | None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """
    Return the headers of a file part, blank line included.

    ``filename`` goes into ``Content-Disposition`` when given; ``content_type`` defaults to
    a guess from the file name (``application/octet-stream`` when nothing matches), and a
    part without a file name and without a type gets no ``Content-Type``. ``headers`` adds
    part headers (a ``Content-Type`` among them wins over ``content_type``).

    Raises:
        AxiosError: ``ERR_BAD_OPTION_VALUE`` for an invalid part header name or a value with
            control characters.
    """
    spec = (filename, b"", content_type, dict(headers or {}))
    try:
        return FileField(name, spec).render_headers()
    except ValueError as exc:
        msg = f"multipart field {name[:40]!r}: {exc}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE) from None


def boundary_from_content_type(content_type: str) -> str | None:
    """Return the ``boundary=`` parameter of a ``multipart/form-data`` type, if it has one."""
    media, sep, params = content_type.strip().partition(";")
    normalised = media.strip().lower() + sep + params
    raw = get_multipart_boundary_from_content_type(normalised.encode("latin-1"))
    return None if raw is None else raw.decode("latin-1")
