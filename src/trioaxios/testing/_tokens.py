"""
``TokenServer``: a token-protected API with a rotating refresh endpoint, on a ``MockRouter``.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any, final

import trio

from ._messages import MockRequest, MockResponse
from ._router import MethodShortcuts, MockRouter, Route, plural

if TYPE_CHECKING:
    import re


def _presented_refresh_token(request: MockRequest) -> str | None:
    """The ``refresh_token`` of a JSON or form-encoded body, if any."""
    content_type = request.headers.get("content-type", "").lower()
    if "json" in content_type:
        try:
            body = request.json()
        except ValueError:
            return None
        value = body.get("refresh_token") if isinstance(body, dict) else None
        return value if isinstance(value, str) else None
    form = dict(urllib.parse.parse_qsl(request.text, keep_blank_values=True))
    return form.get("refresh_token")


@final
class TokenServer(MethodShortcuts):
    """
    A token-protected API on a ``MockRouter``: a refresh route plus routes that need a token.

    ``POST refresh_path`` (default ``/auth/refresh``) takes the current refresh token (a JSON
    or form body field ``refresh_token``) and answers ``{"access_token", "refresh_token",
    "token_type", "expires_in"}`` (``expires_in`` only when set), rotating both tokens:
    ``access-2``/``refresh-2``, ``access-3``/``refresh-3``, ... A spent or wrong refresh token
    gets ``400 {"error": "invalid_grant"}``, as a rotating OAuth server answers.

    Routes added with ``route()`` / ``get()`` / ... answer ``expired_response`` (default
    ``401 {"error": "token expired"}``) unless the request carries the current access token
    in ``header`` (``"Authorization: Bearer <token>"`` by default) and it has not expired.
    ``expire()`` makes the server stop accepting the current token, as if it had expired;
    with ``expires_in`` set, each token issued by a refresh also expires that many seconds
    later on the Trio clock (the initial token expires only through ``expire()``).

    Examples::

        router = MockRouter(base_url="http://api.test")
        tokens = TokenServer(router)
        tokens.get("/me", json={"name": "Fred"})
        tokens.expire()
        ...  # requests through a client with AuthRefresh
        tokens.assert_refreshed_once()

    Args:
        router: The router to add the routes to.
        refresh_path: The refresh route's pattern.
        access_token: The access token the server accepts at first.
        refresh_token: The refresh token the server accepts at first.
        header: The request header that carries the access token.
        scheme: Put before the token in ``header``; ``None`` or ``""`` for a bare token.
        expires_in: Lifetime in seconds of each token issued by a refresh, or ``None``.
        refresh_delay: Seconds (``trio.sleep``) the refresh route takes to answer.
        expired_response: What a protected route answers without a valid token.
        require_refresh_token: When false, the refresh route does not check the refresh
            token (any body is accepted).

    Attributes:
        access_token: The current access token (the one to send).
        refresh_token: The current refresh token (the one the refresh route accepts).
        generation: 1 at first, bumped by each successful refresh.
        fail_refresh: Set it to make the refresh route answer ``400 invalid_grant``.
        refresh_delay: As given; may be changed between requests.
        refresh_route: The refresh ``Route`` (its ``calls`` are the refresh requests).
        refreshed_at: The Trio times at which refreshes issued new tokens.
        rejected: The requests a protected route refused, in arrival order.
    """

    __slots__ = (
        "_accepted",
        "_expired_response",
        "_expires_at",
        "_router",
        "_scheme",
        "access_token",
        "expires_in",
        "fail_refresh",
        "generation",
        "header",
        "refresh_delay",
        "refresh_path",
        "refresh_route",
        "refresh_token",
        "refreshed_at",
        "rejected",
        "require_refresh_token",
    )

    def __init__(
        self,
        router: MockRouter,
        *,
        refresh_path: str = "/auth/refresh",
        access_token: str = "access-1",  # noqa: S107 - a fake test token
        refresh_token: str = "refresh-1",  # noqa: S107 - a fake test token
        header: str = "Authorization",
        scheme: str | None = "Bearer",
        expires_in: float | None = None,
        refresh_delay: float = 0.0,
        expired_response: MockResponse | None = None,
        require_refresh_token: bool = True,
    ) -> None:
        """Add the refresh route to ``router``."""
        if expires_in is not None and (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, int | float)
            or not expires_in > 0
        ):
            msg = f"TokenServer: `expires_in` must be seconds > 0 or None, got {expires_in!r}"
            raise ValueError(msg)
        self._router = router
        self.refresh_path = refresh_path
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.header = header
        self._scheme = scheme or ""
        self.expires_in = expires_in
        self.refresh_delay = refresh_delay
        self._expired_response = expired_response or MockResponse(
            401, json={"error": "token expired"}
        )
        self.require_refresh_token = require_refresh_token
        self.generation = 1
        self.fail_refresh = False
        self._accepted = True
        self._expires_at: float | None = None
        self.refreshed_at: list[float] = []
        self.rejected: list[MockRequest] = []
        self.refresh_route = router.post(refresh_path, handler=self._refresh)

    @property
    def refresh_calls(self) -> int:
        """How many requests reached the refresh route (failed ones included)."""
        return self.refresh_route.call_count

    @property
    def expired(self) -> bool:
        """Whether the server refuses the current access token now."""
        if not self._accepted:
            return True
        return self._expires_at is not None and trio.current_time() >= self._expires_at

    def expire(self) -> None:
        """Stop accepting the current access token until the next successful refresh."""
        self._accepted = False

    def route(self, method: str, pattern: str | re.Pattern[str], **answer: Any) -> Route:
        """
        Add a protected route to the router and return it; the keywords are ``MockRouter.route``'s.

        The route answers ``expired_response`` to requests without the current token (after
        its ``delay``, like any answer) and records them in ``rejected`` as well as in its
        ``calls``.
        """
        route = self._router.route(method, pattern, **answer)
        route._guard = self._check  # noqa: SLF001 - same package
        return route

    def assert_refreshed(self, times: int) -> None:
        """
        Check that the refresh route was called exactly ``times`` times.

        Raises:
            AssertionError: It was called a different number of times; the message says
                when each call arrived.
        """
        calls = self.refresh_route.calls
        if len(calls) != times:
            when = ", ".join(f"t={call.time:g}" for call in calls) or "none"
            msg = (
                f"expected {plural(times, 'refresh')} (POST {self.refresh_path}), "
                f"got {len(calls)}: {when}"
            )
            raise AssertionError(msg)

    def assert_refreshed_once(self) -> None:
        """
        Check that exactly one refresh happened: the single-flight promise.

        Raises:
            AssertionError: None, or more than one, reached the refresh route.
        """
        self.assert_refreshed(1)

    def _check(self, request: MockRequest) -> MockResponse | None:
        """The guard of protected routes: ``None`` lets the request through."""
        expected = f"{self._scheme} {self.access_token}" if self._scheme else self.access_token
        if request.headers.get(self.header) == expected and not self.expired:
            return None
        self.rejected.append(request)
        return self._expired_response

    async def _refresh(self, request: MockRequest) -> MockResponse:
        """The refresh route: check the refresh token after the delay, then rotate."""
        if self.refresh_delay:
            await trio.sleep(self.refresh_delay)
        presented = _presented_refresh_token(request)
        if self.fail_refresh or (self.require_refresh_token and presented != self.refresh_token):
            return MockResponse(400, json={"error": "invalid_grant"})
        self.generation += 1
        self.access_token = f"access-{self.generation}"
        self.refresh_token = f"refresh-{self.generation}"
        self._accepted = True
        now = trio.current_time()
        self._expires_at = None if self.expires_in is None else now + self.expires_in
        self.refreshed_at.append(now)
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
        }
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return MockResponse(200, json=body)

    def __repr__(self) -> str:
        """Show the generation and the refresh count, never a token."""
        return (
            f"<TokenServer generation={self.generation} refresh_calls={self.refresh_calls} "
            f"rejected={len(self.rejected)}>"
        )
