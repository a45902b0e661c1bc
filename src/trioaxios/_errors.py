"""
Errors raised by trioaxios, with axios's error codes.

The tree::

    Exception
     └── AxiosError                 every failure of a request; ``.code`` is axios's string
          └── CanceledError         code ERR_CANCELED: a CancelToken or AbortSignal fired

``AxiosError.code`` is one of the module constants below (the same strings as axios). The
``.config``, ``.request`` and ``.response`` attributes carry context; the message never does,
so no secret from a header, URL or body can end up in ``str(error)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ._config import RequestConfig
    from ._models import Request, Response

ERR_BAD_OPTION_VALUE: Final = "ERR_BAD_OPTION_VALUE"
ERR_BAD_OPTION: Final = "ERR_BAD_OPTION"
ECONNABORTED: Final = "ECONNABORTED"
ETIMEDOUT: Final = "ETIMEDOUT"
ERR_NETWORK: Final = "ERR_NETWORK"
ERR_FR_TOO_MANY_REDIRECTS: Final = "ERR_FR_TOO_MANY_REDIRECTS"
ERR_DEPRECATED: Final = "ERR_DEPRECATED"
ERR_BAD_RESPONSE: Final = "ERR_BAD_RESPONSE"
ERR_BAD_REQUEST: Final = "ERR_BAD_REQUEST"
ERR_CANCELED: Final = "ERR_CANCELED"
ERR_NOT_SUPPORT: Final = "ERR_NOT_SUPPORT"
ERR_INVALID_URL: Final = "ERR_INVALID_URL"

ERROR_CODES: Final = frozenset(
    {
        ERR_BAD_OPTION_VALUE,
        ERR_BAD_OPTION,
        ECONNABORTED,
        ETIMEDOUT,
        ERR_NETWORK,
        ERR_FR_TOO_MANY_REDIRECTS,
        ERR_DEPRECATED,
        ERR_BAD_RESPONSE,
        ERR_BAD_REQUEST,
        ERR_CANCELED,
        ERR_NOT_SUPPORT,
        ERR_INVALID_URL,
    }
)


class AxiosError(Exception):
    """
    A request failed; ``.code`` says how, in axios's words.

    Whose fault it is depends on the code: ``ERR_BAD_OPTION*`` and ``ERR_INVALID_URL`` are the
    caller's, ``ERR_BAD_REQUEST`` / ``ERR_BAD_RESPONSE`` report the server's status (4xx / 5xx,
    ``.response`` set), ``ERR_NETWORK`` / ``ECONNABORTED`` / ``ETIMEDOUT`` are the network's.

    Args:
        message: What happened and, where the caller can fix it, what to do.
        code: One of axios's error codes (``trioaxios.ERR_*``), or ``None``.
        config: The request config in force when the error happened.
        request: The request that was (or was about to be) sent.
        response: The response, when the server answered.
    """

    message: str
    code: str | None
    config: RequestConfig | None
    request: Request | None
    response: Response | None

    def __init__(
        self,
        message: str,
        code: str | None = None,
        config: RequestConfig | None = None,
        request: Request | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.config = config
        self.request = request
        self.response = response

    @property
    def status(self) -> int | None:
        """The response's HTTP status, or ``None`` when no response arrived."""
        return None if self.response is None else self.response.status

    @property
    def is_axios_error(self) -> bool:
        """Always ``True``: axios's marker attribute, for duck-typed checks."""
        return True

    def to_json(self) -> dict[str, Any]:
        """
        Return a JSON-ready summary, like axios's ``toJSON()``.

        Only safe fields are included: method and a redacted URL, never headers or bodies.
        """
        from ._redact import redact_url  # noqa: PLC0415 - L0 helper, imported lazily to keep this module light

        method = url = None
        if self.request is not None:
            method, url = self.request.method, self.request.url
        elif self.config is not None:
            method, url = self.config.method, self.config.url
        return {
            "name": type(self).__name__,
            "message": self.message,
            "code": self.code,
            "status": self.status,
            "method": method.upper() if isinstance(method, str) else None,
            "url": redact_url(url) if isinstance(url, str) else None,
        }

    def __repr__(self) -> str:
        """Show the class, code and message (never the config, which may hold secrets)."""
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"

    def __str__(self) -> str:
        """Return the message, as axios prints it."""
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle without the config, request and response (they hold live objects)."""
        return (type(self), (self.message, self.code))


class CanceledError(AxiosError):
    """
    The request was cancelled by its ``CancelToken`` or ``AbortSignal`` (code ``ERR_CANCELED``).

    Nobody's fault: the caller asked for it. ``.reason`` is the value given to ``cancel()`` /
    ``abort()`` (the message when that was a string).

    Args:
        message: The cancellation message; axios's default is ``"canceled"``.
        config: The request config, when a request was running.
        request: The request, when one was built.
        reason: What was passed to ``cancel()``/``abort()``; defaults to the message.
    """

    reason: object

    def __init__(
        self,
        message: str | None = None,
        config: RequestConfig | None = None,
        request: Request | None = None,
        *,
        reason: object = None,
    ) -> None:
        text = "canceled" if message is None else message
        super().__init__(text, ERR_CANCELED, config, request)
        self.reason = text if reason is None else reason

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the message only."""
        return (type(self), (self.message,))


def is_cancel(value: object) -> bool:
    """Return whether ``value`` is a cancellation (axios ``isCancel``)."""
    return isinstance(value, CanceledError)


def is_axios_error(value: object) -> bool:
    """Return whether ``value`` is an error raised by trioaxios (axios ``isAxiosError``)."""
    return isinstance(value, AxiosError)
