"""
Request configuration: the keys, their validation, library defaults, and axios's merge.

A ``RequestConfig`` has one attribute per config key (axios's names in snake_case). Every
assignment is validated; a key the caller set is remembered as *explicit*, which is what
``merge_config`` looks at (axios ``mergeConfig``): request over instance defaults over library
defaults, headers per key and case-insensitively, request-only keys (``url``, ``data``) never
inherited, inputs never mutated.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Final, final

from ._errors import ERR_BAD_OPTION, ERR_BAD_OPTION_VALUE, AxiosError
from ._headers import DefaultHeaders, Headers, flatten_headers, merge_headers
from ._redact import redact_url, register_sensitive_headers, register_sensitive_params

if TYPE_CHECKING:
    from ._cancel import AbortSignal, CancelToken
    from ._progress import ProgressEvent

    ValidateStatus = Callable[[int], bool]
    ProgressCallback = Callable[[ProgressEvent], object]

RESPONSE_TYPES: Final = ("json", "text", "bytes", "stream")

_PAIR: Final = 2

#: Keys accepted by ``create()`` only: they shape the connection pool, not one request.
CREATE_ONLY_KEYS: Final = ("transport", "max_connections", "max_keepalive_connections")

#: Keys that belong to one request and are never inherited from defaults (axios).
REQUEST_ONLY_KEYS: Final = frozenset({"url", "data"})

#: Keys whose request value is added to the instance's instead of replacing it: a request
#: may mark more names as secret, never unmark the instance's.
UNION_KEYS: Final = frozenset({"sensitive_headers", "sensitive_params"})

#: The empty name set every config without explicit keys or call headers shares.
_NO_NAMES: Final[frozenset[str]] = frozenset()


def _union(base: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*base, *extra)))


def default_validate_status(status: int) -> bool:
    """Accept 2xx statuses (axios's default ``validateStatus``)."""
    return 200 <= status < 300  # noqa: PLR2004 - the 2xx range


@final
@dataclass(frozen=True, slots=True)
class Transitional:
    """
    axios's ``transitional`` options.

    Attributes:
        silent_json_parsing: When a body that is not declared JSON fails to parse, keep the
            text instead of raising.
        forced_json_parsing: With ``response_type="json"``, try to parse bodies that are not
            declared JSON.
        clarify_timeout_error: Report timeouts as ``ETIMEDOUT`` instead of ``ECONNABORTED``.
    """

    silent_json_parsing: bool = True
    forced_json_parsing: bool = True
    clarify_timeout_error: bool = False


@final
@dataclass(frozen=True, slots=True)
class BasicAuth:
    """HTTP basic credentials (axios ``auth``); ``repr`` hides the password."""

    username: str
    password: str

    def __repr__(self) -> str:
        """Show the user name only."""
        return f"BasicAuth(username={self.username!r}, password='[REDACTED]')"


#: How much of a bad value an error message may quote.
_SHOWN_CHARS: Final = 40
_SHOWN_INT_BITS: Final = 64


def shown(value: object) -> str:
    """
    A bad value as an error message may show it: short scalars quoted, the rest by type.

    Never the whole value: it may be huge, nested thousands deep (``repr`` would raise
    ``RecursionError``), or a secret passed under the wrong key.
    """
    if isinstance(value, str):
        return repr(value[:_SHOWN_CHARS]) + ("..." if len(value) > _SHOWN_CHARS else "")
    if (
        value is None
        or isinstance(value, float)
        or (isinstance(value, int) and value.bit_length() <= _SHOWN_INT_BITS)
    ):
        return repr(value)
    return f"a {type(value).__name__}"


def _bad(key: str, expected: str, value: object) -> AxiosError:
    msg = f"option {key!r} must be {expected}, got {type(value).__name__}"
    return AxiosError(msg, ERR_BAD_OPTION_VALUE)


def _opt_str(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _bad(key, "a str or None", value)


def _str(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _bad(key, "a str", value)


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _bad(key, "True or False", value)


def _opt_callable(key: str, value: Any) -> Any:
    if value is None or callable(value):
        return value
    raise _bad(key, "a callable or None", value)


def _names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise _bad(key, "a list of names", value)
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            msg = f"option {key!r} must hold non-empty str names, got {shown(name)}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return names


def _sensitive_headers(key: str, value: Any) -> tuple[str, ...]:
    """
    ``sensitive_headers``: extra header names whose values are secrets.

    Their values are masked in every ``repr``, error, ``to_json()`` and log line (the names
    are registered process-wide), and they are instance credentials: never sent to another
    origin than ``base_url``'s, and stripped on a cross-origin redirect. A request's list is
    added to the instance's, never replaces it.
    """
    names = _names(key, value)
    register_sensitive_headers(names)
    return names


def _sensitive_params(key: str, value: Any) -> tuple[str, ...]:
    """
    ``sensitive_params``: extra query parameter names whose values are secrets.

    Masked like ``access_token`` or ``api_key`` in every string form (registered
    process-wide). A request's list is added to the instance's.
    """
    names = _names(key, value)
    register_sensitive_params(names)
    return names


def _xsrf_header(key: str, value: Any) -> str | None:
    """``xsrf_header_name``: the header is a secret (masked, stripped cross-origin)."""
    name = _opt_str(key, value)
    if name:
        register_sensitive_headers((name,))
    return name


#: The methods every request names, as given -> as stored: no character check for these.
_COMMON_METHODS: Final = {
    spelling: name
    for name in ("get", "post", "put", "patch", "delete", "head", "options")
    for spelling in (name, name.upper())
}


def _method(key: str, value: Any) -> str:
    if type(value) is str:
        known = _COMMON_METHODS.get(value)
        if known is not None:
            return known
    text = _str(key, value).lower()
    if (
        not text
        or not text.isascii()
        or not all(c.isalnum() or c in "!#$%&'*+-.^_`|~" for c in text)
    ):
        msg = f"option {key!r} must be an HTTP method such as 'get' or 'post', got {shown(value)}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return text


def _timeout(key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(key, "a number of seconds or None", value)
    if value != value or value < 0:  # NaN or negative  # noqa: PLR0124
        msg = f"option {key!r} must be a non-negative number of seconds (0 or None: no timeout)"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return None if value == 0 or value == float("inf") else float(value)


def _max_redirects(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"option {key!r} must be an int >= 0 (0 disables redirects), got {shown(value)}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return value


def _byte_limit(key: str, value: Any) -> int | None:
    if value is None or value == -1:  # axios uses -1 for "no limit"
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"option {key!r} must be a number of bytes >= 0, or None (or -1) for no limit"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return value


def _response_type(key: str, value: Any) -> str:
    if value in RESPONSE_TYPES:
        return str(value)
    expected = ", ".join(map(repr, RESPONSE_TYPES))
    msg = f"option {key!r} must be one of {expected}, got {shown(value)}"
    raise AxiosError(msg, ERR_BAD_OPTION_VALUE)


def _encoding(key: str, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return codecs.lookup(_str(key, value)).name
    except LookupError:
        msg = f"option {key!r} names an unknown encoding: {shown(value)}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE) from None


def _transitional(key: str, value: Any) -> Transitional:
    if isinstance(value, Transitional):
        return value
    if not isinstance(value, Mapping):
        raise _bad(key, "a mapping", value)
    names = [f.name for f in fields(Transitional)]
    for name, flag in value.items():
        if name not in names:
            raise _unknown_key(f"{key}.{name}", names, prefix=f"{key}.")
        _bool(f"{key}.{name}", flag)
    return Transitional(**value)


def _auth(key: str, value: Any) -> BasicAuth | None:
    if value is None or isinstance(value, BasicAuth):
        return value
    if isinstance(value, Mapping) and set(value) == {"username", "password"}:
        return BasicAuth(
            _str(f"{key}.username", value["username"]), _str(f"{key}.password", value["password"])
        )
    if isinstance(value, tuple) and len(value) == 2:  # noqa: PLR2004 - (user, password)
        return BasicAuth(_str(f"{key}[0]", value[0]), _str(f"{key}[1]", value[1]))
    msg = f"option {key!r} must be {{'username': ..., 'password': ...}} or (username, password)"
    raise AxiosError(msg, ERR_BAD_OPTION_VALUE)


def _transforms(key: str, value: Any) -> tuple[Callable[..., Any], ...]:
    items = (value,) if callable(value) else value
    if isinstance(items, Iterable) and not isinstance(items, str | bytes | Mapping):
        result = tuple(items)
        if all(callable(fn) for fn in result):
            return result
    raise _bad(key, "a callable or a list of callables", value)


def _params(key: str, value: Any) -> Any:
    if value is None or isinstance(value, str | Mapping):
        return value
    if isinstance(value, list | tuple) and all(
        isinstance(p, tuple) and len(p) == _PAIR for p in value
    ):
        return value
    raise _bad(key, "a mapping, a list of (name, value) pairs, a str or None", value)


def _copy_params(value: Any) -> Any:
    """
    Return a shallow copy of a params container, so a request cannot mutate its defaults.

    An interceptor may do ``config.params["page"] = 2``; without the copy that would write
    into ``client.defaults.params``.
    """
    return value.copy() if isinstance(value, dict | list) else value


def _headers(key: str, value: Any) -> Headers:
    if isinstance(value, Headers):
        return value.copy()
    if value is None:
        return Headers()
    if isinstance(value, Mapping | list | tuple):
        return Headers(value)
    raise _bad(key, "a mapping of header names to values", value)


def _cancel_token(key: str, value: Any) -> CancelToken | None:
    from ._cancel import CancelToken  # noqa: PLC0415 - L1 type checked lazily at L0

    if value is None or isinstance(value, CancelToken):
        return value
    raise _bad(key, "a trioaxios.CancelToken or None", value)


def _signal(key: str, value: Any) -> AbortSignal | None:
    from ._cancel import AbortSignal  # noqa: PLC0415 - L1 type checked lazily at L0

    if value is None or isinstance(value, AbortSignal):
        return value
    raise _bad(key, "a trioaxios.AbortSignal or None", value)


#: key -> (library default, validator). The order is the order of ``repr``.
_KEYS: Final[dict[str, tuple[Any, Callable[[str, Any], Any]]]] = {
    "url": (None, _opt_str),
    "method": ("get", _method),
    "base_url": (None, _opt_str),
    "prefix": (None, _opt_str),
    "suffix": (None, _opt_str),
    "allow_absolute_urls": (True, _bool),
    "headers": (None, _headers),
    "params": (None, _params),
    "params_serializer": (None, _opt_callable),
    "data": (None, lambda _key, value: value),
    "timeout": (None, _timeout),
    "timeout_error_message": (None, _opt_str),
    "transitional": (Transitional(), _transitional),
    "auth": (None, _auth),
    "response_type": ("json", _response_type),
    "response_encoding": (None, _encoding),
    "xsrf_cookie_name": ("XSRF-TOKEN", _opt_str),
    "xsrf_header_name": ("X-XSRF-TOKEN", _xsrf_header),
    "with_credentials": (False, _bool),
    "allow_cross_origin_credentials": (False, _bool),
    "sensitive_headers": ((), _sensitive_headers),
    "sensitive_params": ((), _sensitive_params),
    "before_redirect": (None, _opt_callable),
    "max_content_length": (None, _byte_limit),
    "max_body_length": (None, _byte_limit),
    "max_redirects": (21, _max_redirects),
    "validate_status": (default_validate_status, _opt_callable),
    "transform_request": ((), _transforms),
    "transform_response": ((), _transforms),
    "cancel_token": (None, _cancel_token),
    "signal": (None, _signal),
    "on_upload_progress": (None, _opt_callable),
    "on_download_progress": (None, _opt_callable),
    "decompress": (True, _bool),
}

CONFIG_KEYS: Final = tuple(_KEYS)


#: axios option names whose trioaxios name is not their snake_case spelling.
_AXIOS_NAMES: Final = {"adapter": "transport", "baseURL": "base_url"}

_CAMEL_HUMP: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _closest_key(name: str, valid: list[str]) -> str | None:
    """Return the valid key ``name`` most likely meant: axios's name, snake_case, or a typo."""
    for candidate in (_AXIOS_NAMES.get(name), _CAMEL_HUMP.sub("_", name).lower()):
        if candidate in valid:
            return candidate
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    return close[0] if close else None


def _unknown_key(key: object, valid: Iterable[str], prefix: str = "") -> AxiosError:
    text = str(key)[:80]
    close = _closest_key(text.removeprefix(prefix), list(valid))
    hint = f"; did you mean {prefix + close!r}?" if close else ""
    return AxiosError(f"unknown option {text!r}{hint}", ERR_BAD_OPTION)


def _validated(key: object, value: Any, extra_keys: Iterable[str] = ()) -> Any:
    """Return ``value`` checked (and normalized) for config key ``key``; raise if either is bad."""
    entry = _KEYS.get(key) if isinstance(key, str) else None
    if entry is None:
        if key in CREATE_ONLY_KEYS:
            msg = f"option {key!r} can only be given to trioaxios.create()"
            raise AxiosError(msg, ERR_BAD_OPTION)
        raise _unknown_key(key, [*_KEYS, *CREATE_ONLY_KEYS, *extra_keys])
    assert isinstance(key, str)  # noqa: S101 - narrowed by the lookup above
    return entry[1](key, value)


class RequestConfig:
    """
    The configuration of a request, with one attribute per axios config key.

    Interceptors and middleware receive it: ``config.url``, ``config.method``,
    ``config.headers`` (a mutable case-insensitive ``Headers``), ``config.params``,
    ``config.data``, ... Assigning validates the value. Keys declared by middleware (such as
    ``skip_auth_refresh``) live in ``config.extras``.

    Examples::

        RequestConfig(url="/users", method="post", data={"name": "Fred"})
        RequestConfig.from_mapping({"url": "/users"})

    Security keys (the rules are in ``trioaxios._security``):

    - ``allow_absolute_urls`` (default ``True``): with ``base_url`` set, ``False`` makes an
      absolute or protocol-relative request URL ``ERR_INVALID_URL`` before any I/O.
    - ``allow_cross_origin_credentials`` (default ``False``): ``True`` sends the instance's
      credentials (sensitive headers from defaults, interceptors or middleware, and
      ``auth``) even when the request URL's origin is not ``base_url``'s. Off, only the
      credentials the call itself passed go there. Redirects strip them either way.
    - ``sensitive_headers`` / ``sensitive_params`` (default ``()``): extra names whose
      values are secrets, added to the built-in lists (``Authorization``, ``Cookie``,
      ``access_token``, ``api_key``, ...): masked everywhere, and the headers are stripped
      on the way to another origin. A request adds to the instance's lists.
    - ``xsrf_cookie_name`` / ``xsrf_header_name`` (default ``"XSRF-TOKEN"`` /
      ``"X-XSRF-TOKEN"``; ``None`` turns XSRF off): the jar cookie is sent as the header to
      ``base_url``'s origin only, never cross-origin and never without ``base_url``.
    - ``with_credentials`` (default ``False``): ``True`` lets the client's cookie jar send
      cookies to origins other than ``base_url``'s (the jar's domain rules still apply). It
      never widens where the xsrf header goes.
    - ``before_redirect`` (default ``None``): ``hook(config, response)``, sync or async,
      called with the 3xx ``Response`` before a redirect is followed. Return ``False`` to
      stop there (the 3xx becomes the response, and ``validate_status`` applies); raise to
      fail the request with your exception; anything else follows.
    - ``max_redirects`` (default 21): hops followed; more is ``ERR_FR_TOO_MANY_REDIRECTS``;
      ``0`` returns the 3xx.
    """

    url: str | None
    method: str
    base_url: str | None
    prefix: str | None
    suffix: str | None
    allow_absolute_urls: bool
    headers: Headers
    params: Any
    params_serializer: Callable[[Any], str] | None
    data: Any
    timeout: float | None
    timeout_error_message: str | None
    transitional: Transitional
    auth: BasicAuth | None
    response_type: str
    response_encoding: str | None
    xsrf_cookie_name: str | None
    xsrf_header_name: str | None
    with_credentials: bool
    allow_cross_origin_credentials: bool
    sensitive_headers: tuple[str, ...]
    sensitive_params: tuple[str, ...]
    before_redirect: Callable[[RequestConfig, Any], Any] | None
    max_content_length: int | None
    max_body_length: int | None
    max_redirects: int
    validate_status: ValidateStatus | None
    transform_request: tuple[Callable[..., Any], ...]
    transform_response: tuple[Callable[..., Any], ...]
    cancel_token: CancelToken | None
    signal: AbortSignal | None
    on_upload_progress: ProgressCallback | None
    on_download_progress: ProgressCallback | None
    decompress: bool
    extras: dict[str, Any]
    _explicit: frozenset[str]  # replaced, never mutated: merged configs share one
    _call_headers: frozenset[str]
    _call_auth: bool

    def __init__(self, **config: Any) -> None:
        object.__setattr__(self, "_explicit", _NO_NAMES)
        object.__setattr__(self, "extras", {})
        object.__setattr__(self, "_call_headers", _NO_NAMES)
        object.__setattr__(self, "_call_auth", False)
        for key, (default, _) in _KEYS.items():
            object.__setattr__(self, key, default)
        object.__setattr__(self, "headers", Headers())
        for key, value in config.items():
            setattr(self, key, value)

    @classmethod
    def from_mapping(
        cls, config: Mapping[str, Any], extra_keys: Iterable[str] = ()
    ) -> RequestConfig:
        """
        Build a config from a mapping, accepting ``extra_keys`` (declared by middleware).

        Raises:
            AxiosError: ``ERR_BAD_OPTION`` for an unknown key (naming the closest valid one),
                ``ERR_BAD_OPTION_VALUE`` for a value of the wrong type.
        """
        if not isinstance(config, Mapping):
            msg = f"a request config must be a mapping, got {type(config).__name__}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        extras = frozenset(extra_keys)
        new = cls()
        for key, value in config.items():
            if key in extras:
                new.extras[key] = value
            else:
                new._set(key, value, extras)
        return new

    def _set(self, key: object, value: Any, extra_keys: Iterable[str] = ()) -> None:
        valid = _validated(key, value, extra_keys)
        assert isinstance(key, str)  # noqa: S101 - _validated accepts only known str keys
        object.__setattr__(self, key, valid)
        self._mark_explicit(key)

    def _mark_explicit(self, key: str) -> None:
        if key not in self._explicit:
            object.__setattr__(self, "_explicit", self._explicit | {key})

    def __setattr__(self, key: str, value: Any) -> None:
        """Validate and set a config key."""
        self._set(key, value)

    def __delattr__(self, key: str) -> None:
        """Reset a key to the library default."""
        if key not in _KEYS:
            raise _unknown_key(key, _KEYS)
        object.__setattr__(self, key, Headers() if key == "headers" else _KEYS[key][0])
        object.__setattr__(self, "_explicit", self._explicit - {key})

    def is_set(self, key: str) -> bool:
        """Return whether ``key`` was given explicitly (not left at the library default)."""
        return key in self._explicit

    def copy(self) -> RequestConfig:
        """Return an independent copy (headers and extras copied too)."""
        new = RequestConfig.__new__(type(self))
        for key in _KEYS:
            object.__setattr__(new, key, getattr(self, key))
        object.__setattr__(new, "headers", self.headers.copy())
        object.__setattr__(new, "params", _copy_params(self.params))
        object.__setattr__(new, "extras", dict(self.extras))
        object.__setattr__(new, "_explicit", self._explicit)
        object.__setattr__(new, "_call_headers", self._call_headers)
        object.__setattr__(new, "_call_auth", self._call_auth)
        return new

    def to_dict(self) -> dict[str, Any]:
        """Return the explicitly set keys as a dict (headers as a plain dict, extras merged)."""
        out: dict[str, Any] = {}
        for key in _KEYS:
            if key in self._explicit:
                value = getattr(self, key)
                out[key] = dict(value) if isinstance(value, Headers) else value
        out.update(self.extras)
        return out

    def __repr__(self) -> str:
        """Show method and a redacted URL only: configs carry secrets."""
        url = redact_url(self.url) if self.url else None
        return f"RequestConfig(method={self.method!r}, url={url!r})"


@final
class Defaults(RequestConfig):
    """
    ``client.defaults``: instance defaults, mutable after creation, axios style.

    ``defaults.timeout = 3``; ``defaults.headers["X-Token"] = t`` (every method);
    ``defaults.headers.common[...]``; ``defaults.headers.post[...]`` (POST only).
    """

    headers: DefaultHeaders

    def __init__(self, **config: Any) -> None:
        super().__init__()
        object.__setattr__(self, "headers", DefaultHeaders())
        for key, value in config.items():
            setattr(self, key, value)

    def _set(self, key: object, value: Any, extra_keys: Iterable[str] = ()) -> None:
        self.__dict__.pop("_inheritable", None)
        if key == "headers":
            headers = DefaultHeaders()
            if value is not None:
                headers.update_from(
                    _headers("headers", value) if isinstance(value, list | tuple) else value
                )
            object.__setattr__(self, "headers", headers)
            self._mark_explicit("headers")
            return
        super()._set(key, value, extra_keys)

    def __delattr__(self, key: str) -> None:
        """Reset a key to the library default."""
        self.__dict__.pop("_inheritable", None)
        super().__delattr__(key)

    def inheritable(self) -> dict[str, Any]:
        """
        What a request inherits: every key's value, request-only keys at library defaults.

        Cached until a key is set or deleted; ``headers`` and ``params`` are in it by
        reference (the merge flattens and copies them per request).
        """
        cached: dict[str, Any] | None = self.__dict__.get("_inheritable")
        if cached is None:
            cached = _inheritable(self)
            self.__dict__["_inheritable"] = cached
        return cached

    def copy(self) -> Defaults:
        """Return an independent copy, header sections included."""
        new = super().copy()
        assert isinstance(new, Defaults)  # noqa: S101 - copy() keeps the type
        object.__setattr__(new, "headers", self.headers.copy())
        return new


def merge_config(base: RequestConfig, override: RequestConfig) -> RequestConfig:
    """
    Return ``override`` merged over ``base`` (axios ``mergeConfig``); neither is mutated.

    Explicit keys of ``override`` win; ``headers`` merge per key, case-insensitively, keeping
    ``DefaultHeaders`` sections; every other key is replaced whole; ``url`` and ``data`` come
    from ``override`` only.
    """
    merged = base.copy()
    for key in REQUEST_ONLY_KEYS:
        if key in merged._explicit:  # noqa: SLF001 - same class
            delattr(merged, key)
    for key in override._explicit:  # noqa: SLF001 - same class
        value = getattr(override, key)
        if key == "headers":
            value = merge_headers(merged.headers, value)
        elif key in UNION_KEYS:
            value = _union(getattr(merged, key), value)
        object.__setattr__(merged, key, value)
        merged._mark_explicit(key)  # noqa: SLF001 - same class
    merged.extras.update(override.extras)
    if type(merged) is not RequestConfig and type(override) is RequestConfig:
        plain = RequestConfig.__new__(RequestConfig)
        for key in _KEYS:
            object.__setattr__(plain, key, getattr(merged, key))
        object.__setattr__(plain, "extras", merged.extras)
        object.__setattr__(plain, "_explicit", merged._explicit)  # noqa: SLF001 - same class
        object.__setattr__(plain, "_call_headers", _NO_NAMES)
        object.__setattr__(plain, "_call_auth", False)
        return plain
    return merged


def merge_request(defaults: RequestConfig, request: RequestConfig) -> RequestConfig:
    """
    Return the config one request runs with: ``request`` over ``defaults``, headers flattened.

    Equal to ``merge_config(defaults, request)`` followed by ``flatten_headers`` for the
    request's method, without copying the defaults' header sections: this runs once per
    request.

    Also records which credentials the call passed itself (``call_credentials``).
    """
    given = {key: getattr(request, key) for key in request._explicit}  # noqa: SLF001 - same module
    return _merged(defaults, given, request.extras)


def merge_options(
    defaults: RequestConfig, options: Mapping[str, Any], extra_keys: frozenset[str] = _NO_NAMES
) -> RequestConfig:
    """
    ``merge_request(defaults, RequestConfig.from_mapping(options, extra_keys))``, faster.

    Each option is validated once, straight into the merged config: no intermediate config
    with every key at its default is built.

    Raises:
        AxiosError: as ``RequestConfig.from_mapping`` does.
    """
    given: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in options.items():
        if key in extra_keys:
            extras[key] = value
        else:
            given[key] = _validated(key, value, extra_keys)
    return _merged(defaults, given, extras)


def _merged(
    defaults: RequestConfig, given: dict[str, Any], extras: dict[str, Any]
) -> RequestConfig:
    """The merge of ``merge_request``: ``given`` holds the request's explicit, valid values."""
    merged = RequestConfig.__new__(RequestConfig)
    values = merged.__dict__
    values.update(
        defaults.inheritable() if isinstance(defaults, Defaults) else _inheritable(defaults)
    )
    if values["params"] is not None:
        values["params"] = _copy_params(values["params"])
    for key, value in given.items():
        values[key] = _union(values[key], value) if key in UNION_KEYS else value
    headers = flatten_headers(defaults.headers, values["method"])
    own_headers: Headers | None = given.get("headers")
    if own_headers is not None:
        headers.update_from(own_headers)
    values["headers"] = headers
    values["extras"] = {**defaults.extras, **extras}
    values["_explicit"] = _explicit_after_merge(defaults._explicit, tuple(given))  # noqa: SLF001 - same module
    values["_call_headers"] = (
        frozenset(name.lower() for name in own_headers) if own_headers is not None else _NO_NAMES
    )
    values["_call_auth"] = "auth" in given
    return merged


#: (defaults' explicit keys, request's keys) -> the merged config's explicit keys. Requests
#: repeat a handful of key sets, so the merged configs share a few frozensets instead of
#: each holding a set of its own while in flight.
_EXPLICIT_AFTER_MERGE: dict[tuple[frozenset[str], tuple[str, ...]], frozenset[str]] = {}
_EXPLICIT_AFTER_MERGE_SIZE: Final = 256


def _explicit_after_merge(inherited: frozenset[str], given: tuple[str, ...]) -> frozenset[str]:
    """The explicit keys of a request with keys ``given`` merged over ``inherited`` ones."""
    cache_key = (inherited, given)
    found = _EXPLICIT_AFTER_MERGE.get(cache_key)
    if found is None:
        if len(_EXPLICIT_AFTER_MERGE) >= _EXPLICIT_AFTER_MERGE_SIZE:
            _EXPLICIT_AFTER_MERGE.clear()
        found = (inherited - REQUEST_ONLY_KEYS) | frozenset(given)
        _EXPLICIT_AFTER_MERGE[cache_key] = found
    return found


def _inheritable(config: RequestConfig) -> dict[str, Any]:
    """Every key's value in ``config``, request-only keys (``url``, ``data``) at defaults."""
    return {
        key: default if key in REQUEST_ONLY_KEYS else getattr(config, key)
        for key, (default, _) in _KEYS.items()
    }


def call_credentials(config: RequestConfig) -> tuple[frozenset[str], bool]:
    """
    Return the header names (lower-case) and whether ``auth`` the call passed itself.

    Those are the caller's explicit choice for this one request, so confinement keeps them
    even on the way to another origin. Headers from defaults, interceptors and middleware
    are the instance's. A config built any other way (an interceptor returning a new one)
    claims none: its credentials are all the instance's.
    """
    return (
        getattr(config, "_call_headers", _NO_NAMES),
        getattr(config, "_call_auth", False),
    )
