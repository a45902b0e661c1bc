"""
Case-insensitive header mappings, with axios's per-method sections for instance defaults.

``Headers`` is what requests, interceptors and responses see. ``DefaultHeaders`` is the shape
of ``client.defaults.headers``: its own keys apply to every method, ``.common`` too (with lower
precedence), and ``.get`` / ``.post`` / ... to one method. ``flatten_headers`` turns it into a
plain ``Headers`` for one request, the way axios does before the interceptors run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Final, final

from ._errors import ERR_BAD_OPTION_VALUE, AxiosError
from ._redact import redact_header_value

METHODS: Final = ("get", "post", "put", "patch", "delete", "head", "options", "query")

HeadersInput = Mapping[str, "str | int | float | None"] | Iterable[tuple[str, "str | None"]]


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        msg = f"header names must be non-empty strings, got {type(name).__name__}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    if any(c in name for c in "\r\n:\0 \t"):
        msg = f"header name {name[:40]!r} contains a character not allowed in header names"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return name


def _check_value(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        msg = f"header {name!r} must be a str (or a number), got {type(value).__name__}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    text = str(value).strip(" \t")
    if "\r" in text or "\n" in text or "\0" in text:
        msg = f"header {name!r} contains CR, LF or NUL; remove them (header injection)"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        msg = f"header {name!r} has characters outside latin-1; percent- or base64-encode it"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE) from None
    return text


def _checked_pairs(pairs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
    """Yield ``(name, value)`` from ``pairs``; anything that is not a pair is a bad option."""
    expected = "headers must be a mapping or a list of (name, value) pairs"
    if not isinstance(pairs, Iterable) or isinstance(pairs, str | bytes):
        msg = f"{expected}, got {type(pairs).__name__}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:  # noqa: PLR2004 - a pair
            msg = f"{expected}, got an item of type {type(pair).__name__}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        yield pair[0], pair[1]


#: The suppressions of a ``Headers`` that has none (shared; suppressions are replaced, never
#: mutated in place).
_NONE_SUPPRESSED: Final[frozenset[str]] = frozenset()


class Headers(MutableMapping[str, str]):
    """
    A mutable, case-insensitive mapping of header names to values.

    Setting a header to ``None`` removes it *and* suppresses any default for it (axios's
    ``false``/``null``): ``headers["Content-Type"] = None`` stops the automatic JSON content
    type. Names keep the case they were last set with. Values are validated: CR/LF and
    non-latin-1 characters raise ``AxiosError`` (``ERR_BAD_OPTION_VALUE``).

    Examples::

        Headers({"Accept": "application/json"})
        Headers([("X-A", "1"), ("X-B", "2")])
    """

    __slots__ = ("_items", "_suppressed")

    def __init__(self, headers: HeadersInput | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        # Most headers never suppress anything: share one empty set until one does.
        self._suppressed: set[str] | frozenset[str] = _NONE_SUPPRESSED
        if headers is not None:
            self.update_from(headers)

    @classmethod
    def from_wire(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        """
        Headers as received (a response's): already valid, so not checked again.

        A repeated name keeps its last value, as ``Headers(pairs)`` would.
        """
        new = cls()
        new._items = {name.lower(): (name, value) for name, value in pairs}
        return new

    def update_from(self, headers: HeadersInput) -> None:
        """Set every header of ``headers`` (a mapping or pairs), ``None`` values suppressing."""
        if isinstance(headers, Headers):
            suppressed, items = headers._suppressed, headers._items  # noqa: SLF001 - same class
            if suppressed:
                for key in suppressed:
                    self._items.pop(key, None)
                self._suppressed = self._suppressed | suppressed
            for lower, pair in items.items():
                self._items[lower] = pair
                if lower in self._suppressed:
                    self._suppressed = self._suppressed - {lower}
            return
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in _checked_pairs(pairs):
            self[name] = value

    def __getitem__(self, name: str) -> str:
        """Return the value of ``name``, whatever its case."""
        return self._items[name.lower()][1]

    def __setitem__(self, name: str, value: str | float | None) -> None:
        """Set ``name`` (validated); ``None`` removes and suppresses it."""
        lower = _check_name(name).lower()
        if value is None:
            self._items.pop(lower, None)
            self._suppressed = self._suppressed | {lower}
            return
        self._items[lower] = (name, _check_value(name, value))
        if lower in self._suppressed:
            self._suppressed = self._suppressed - {lower}

    def __delitem__(self, name: str) -> None:
        """Remove ``name`` (a default may still apply; set ``None`` to suppress it)."""
        del self._items[name.lower()]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the names, in the case they were set with."""
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        """Return the number of headers."""
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        """Return whether ``name`` is set, whatever its case."""
        return isinstance(name, str) and name.lower() in self._items

    def is_suppressed(self, name: str) -> bool:
        """Return whether ``name`` was set to ``None`` (no default may fill it in)."""
        return name.lower() in self._suppressed

    def copy(self) -> Headers:
        """Return an independent copy, suppressions included."""
        new = Headers()
        new._items = dict(self._items)
        new._suppressed = self._suppressed  # never mutated in place: shared until changed
        return new

    def raw_items(self) -> list[tuple[str, str]]:
        """Return the ``(name, value)`` pairs to send, in insertion order."""
        return list(self._items.values())

    def __eq__(self, other: object) -> bool:
        """Compare case-insensitively with another mapping."""
        if isinstance(other, Headers):
            return {k: v for k, (_, v) in self._items.items()} == {
                k: v for k, (_, v) in other._items.items()
            }
        if isinstance(other, Mapping):
            return self == Headers(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable mapping

    def _shown(self) -> dict[str, str]:
        return {name: redact_header_value(name, value) for name, value in self._items.values()}

    def __repr__(self) -> str:
        """Show the headers with secret values masked."""
        return f"{type(self).__name__}({self._shown()!r})"


@final
class DefaultHeaders(Headers):
    """
    ``client.defaults.headers``: headers for every request, plus axios's sections.

    ``headers[name]`` applies to all methods; ``headers.common[name]`` too, but a top-level
    key or a method section wins over it; ``headers.post[name]`` applies to POST only.
    """

    __slots__ = ("sections",)

    def __init__(self, headers: HeadersInput | None = None) -> None:
        super().__init__()
        self.sections: dict[str, Headers] = {name: Headers() for name in ("common", *METHODS)}
        if headers is not None:
            self.update_from(headers)

    def update_from(self, headers: HeadersInput) -> None:
        """Set headers; a key named ``common`` or a method name fills that section."""
        if isinstance(headers, DefaultHeaders):
            super().update_from(headers)
            for name, section in headers.sections.items():
                self.sections[name].update_from(section)
            return
        if isinstance(headers, Headers):
            super().update_from(headers)
            return
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in _checked_pairs(pairs):
            target = self.sections.get(name.lower()) if isinstance(name, str) else None
            if target is not None and isinstance(value, Mapping):
                target.update_from(value)
            else:
                self[name] = value

    def copy(self) -> DefaultHeaders:
        """Return an independent copy, sections included."""
        new = DefaultHeaders()
        new.update_from(self)
        return new

    def __getattr__(self, name: str) -> Headers:
        """Return a section: ``common`` or a lower-case method name."""
        try:
            return self.sections[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        """Show the headers and non-empty sections, secrets masked."""
        parts = [repr(self._shown())]
        parts += [f"{k}={v!r}" for k, v in self.sections.items() if len(v)]
        return f"DefaultHeaders({', '.join(parts)})"


def merge_headers(base: Headers, override: Headers) -> Headers:
    """
    Return ``base`` updated with ``override`` (per key, case-insensitively); inputs untouched.

    When either side is a ``DefaultHeaders``, so is the result: per-method sections are
    merged, never dropped.
    """
    merged = DefaultHeaders(base) if isinstance(override, DefaultHeaders) else base.copy()
    merged.update_from(override)
    return merged


def flatten_headers(headers: Headers, method: str) -> Headers:
    """
    Return the plain headers for one request of ``method``.

    Precedence, lowest first: ``common``, the method's section, then the top-level keys (which
    include the request's own headers), exactly as axios flattens them.
    """
    flat = Headers()
    if isinstance(headers, DefaultHeaders):
        flat.update_from(headers.sections["common"])
        section = headers.sections.get(method)
        if section is not None:
            flat.update_from(section)
    flat.update_from(headers)  # a plain Headers takes only the top-level keys of DefaultHeaders
    return flat
