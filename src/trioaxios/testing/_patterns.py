"""
Route patterns: exact paths, ``{name}`` placeholders, absolute URLs, regexes, and ``base_url``.
"""

from __future__ import annotations

import re
from typing import Final, final

import httpx2

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: (scheme, host, port): what an absolute pattern pins down.
Origin = tuple[str, str, int]


def origin_of(url: httpx2.URL) -> Origin:
    port = url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme, 0)
    return url.scheme, url.host, port


def _compile_path(template: str) -> re.Pattern[str]:
    """Turn ``/users/{user_id}`` into a regex with a named group per placeholder."""
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        position = match.end()
    parts.append(re.escape(template[position:]))
    try:
        return re.compile("".join(parts))
    except re.error as exc:
        msg = f"route pattern {template!r} is invalid: {exc}"
        raise ValueError(msg) from None


_ABSOLUTE: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def split_absolute(url: str) -> tuple[Origin, str]:
    """Split an absolute URL (``{name}`` placeholders allowed in its path) into origin, path."""
    if _ABSOLUTE.match(url) is None:
        msg = f"{url!r} is not an absolute URL; write it as http(s)://host/path"
        raise ValueError(msg)
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    try:
        parsed = httpx2.URL(f"{scheme}://{netloc}/")
    except (httpx2.InvalidURL, TypeError, ValueError) as exc:
        msg = f"{url!r} is not a valid URL: {exc}"
        raise ValueError(msg) from None
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.host:
        msg = f"{url!r} must be an http(s) URL with a host"
        raise ValueError(msg)
    return origin_of(parsed), (slash + path if slash else "/")


def _join(base_url: str, pattern: str) -> str:
    """Join like the client does: one slash between ``base_url`` and a relative pattern."""
    if not pattern:
        return base_url
    return base_url.rstrip("/") + "/" + pattern.lstrip("/")


@final
class Matcher:
    """Where a route applies: an optional origin, a path prefix and a regex for the rest."""

    __slots__ = ("origin", "path", "prefix")

    def __init__(self, pattern: str | re.Pattern[str], base_url: str | None) -> None:
        self.origin: Origin | None = None
        self.prefix = ""
        if isinstance(pattern, re.Pattern):
            self.path: re.Pattern[str] = pattern
            if base_url is not None:
                self.origin, base_path = split_absolute(base_url)
                self.prefix = base_path.rstrip("/")
            return
        if not isinstance(pattern, str):
            msg = f"a route pattern must be a str or a compiled regex, got {type(pattern).__name__}"
            raise TypeError(msg)
        absolute = _ABSOLUTE.match(pattern) is not None
        if not absolute and base_url is not None:
            pattern, absolute = _join(base_url, pattern), True
        if "?" in pattern or "#" in pattern:
            msg = f"route pattern {pattern!r} has a query or fragment; match query with params="
            raise ValueError(msg)
        if absolute:
            self.origin, template = split_absolute(pattern)
        elif pattern.startswith("/"):
            template = pattern
        else:
            msg = (
                f"route pattern {pattern!r} must start with '/' or be an absolute URL "
                "(or give the router a base_url)"
            )
            raise ValueError(msg)
        self.path = _compile_path(template)

    def match(self, origin: Origin, path: str) -> dict[str, str] | None:
        """Return the named groups if ``origin`` and ``path`` match, else ``None``."""
        if self.origin is not None and self.origin != origin:
            return None
        if not path.startswith(self.prefix):
            return None
        found = self.path.fullmatch(path[len(self.prefix) :])
        if found is None:
            return None
        return {name: value for name, value in found.groupdict().items() if value is not None}
