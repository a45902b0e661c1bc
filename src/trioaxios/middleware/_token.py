"""
``Token``: an access token, its refresh token and when it expires (on the Trio clock).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import final

import trio

from .._errors import ERR_BAD_OPTION_VALUE, AxiosError

_REDACTED = "'[REDACTED]'"


def _seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        msg = f"Token: `{name}` must be a number of seconds or None, got {value!r}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
    return float(value)


def _now() -> float | None:
    """The Trio clock, or ``None`` outside ``trio.run``."""
    try:
        return trio.current_time()
    except RuntimeError:
        return None


@final
@dataclass(frozen=True, slots=True)
class Token:
    """
    An access token as ``AuthRefresh`` holds it; ``repr`` hides both secrets.

    ``expires_in`` (seconds from now) is turned into ``expires_at``, a time on the Trio clock
    (``trio.current_time()``), when the token is created inside ``trio.run``; a token created
    outside Trio gets its ``expires_at`` when ``AuthRefresh`` first uses it. An explicit
    ``expires_at`` wins over ``expires_in``. With neither, the token is only refreshed when a
    response says it expired.

    Examples::

        Token("eyJ...", refresh_token="r-1", expires_in=3600)
        Token("eyJ...", expires_at=trio.current_time() + 60)

    Args:
        access_token: The token sent with every request.
        refresh_token: For your ``refresh`` function; ``AuthRefresh`` never sends it itself.
        expires_in: Lifetime in seconds, counted from creation.
        expires_at: Expiry time on the Trio clock.

    .. versionadded:: 0.1
    """

    access_token: str
    refresh_token: str | None = None
    expires_in: float | None = None
    expires_at: float | None = None

    def __post_init__(self) -> None:
        """Validate, and fix ``expires_at`` from ``expires_in`` when inside Trio."""
        if not isinstance(self.access_token, str):
            msg = f"Token: `access_token` must be a str, got {type(self.access_token).__name__}"
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        if self.refresh_token is not None and not isinstance(self.refresh_token, str):
            msg = (
                "Token: `refresh_token` must be a str or None, "
                f"got {type(self.refresh_token).__name__}"
            )
            raise AxiosError(msg, ERR_BAD_OPTION_VALUE)
        object.__setattr__(self, "expires_in", _seconds("expires_in", self.expires_in))
        object.__setattr__(self, "expires_at", _seconds("expires_at", self.expires_at))
        if self.expires_at is None and self.expires_in is not None:
            now = _now()
            if now is not None:
                object.__setattr__(self, "expires_at", now + self.expires_in)

    def __repr__(self) -> str:
        """Show the expiry, never the tokens."""
        refresh = None if self.refresh_token is None else _REDACTED
        return (
            f"Token(access_token={_REDACTED}, refresh_token={refresh}, "
            f"expires_in={self.expires_in!r}, expires_at={self.expires_at!r})"
        )


def anchored(token: Token, now: float) -> Token:
    """Return ``token`` with ``expires_at`` fixed at ``now + expires_in`` if it has none yet."""
    if token.expires_at is not None or token.expires_in is None:
        return token
    return replace(token, expires_at=now + token.expires_in)
