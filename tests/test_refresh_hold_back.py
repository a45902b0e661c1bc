"""
Holding back (RELIABILITY T1/T3 at scale): when a refresh starts, every request that has not
reached the wire yet is pulled back and sent once, after the refresh, with the new token.

Real loopback server and the real pool (which reports the wire): the server's own log says
which token each request carried.
"""

from __future__ import annotations

from collections import Counter

import trio
from hypothesis import given, settings
from hypothesis import strategies as st

import trioaxios
from _helpers import storm
from trioaxios import AuthRefresh, Token
from trioaxios._demo_server import serve_demo_app

NEW = "Bearer token-2"


async def expired_storm(n: int, pool: int):
    """``n`` concurrent GET /protected with an expired token on a ``pool``-connection client."""
    async with serve_demo_app() as server:
        app = server.app
        app.auth.expire()
        auth: AuthRefresh

        async def refresh(client):
            r = await client.post("/auth/refresh", {"refresh_token": auth.token.refresh_token})
            return Token(r.data["token"], refresh_token=r.data["refreshToken"])

        initial = Token("token-1", refresh_token="refresh-1")  # noqa: S106 - the demo's
        auth = AuthRefresh(refresh, initial)
        with trio.fail_after(60):
            async with trioaxios.create(
                base_url=server.url, max_connections=pool, max_keepalive_connections=pool
            ) as client:
                client.use(auth)
                results = await storm(client, n, "/protected")
        sent = [
            (r.header("x-id"), r.header("authorization"))
            for r in app.requests
            if r.path == "/protected"
        ]
        return results, sent, auth.statistics(), app.auth.refresh_calls


def check(n: int, pool: int, outcome) -> int:
    """The invariants of holding back; return how many requests carried the old token."""
    results, sent, stats, refreshes = outcome
    assert refreshes == 1
    assert all(r.status == 200 and r.data["generation"] == 2 for r in results)
    per_token = Counter(sent)
    assert max(per_token.values()) == 1  # no request reached the server twice with one token
    new = {x for x, token in sent if token == NEW}
    old = {x for x, token in sent if token != NEW}
    assert new == {str(i) for i in range(n)}  # every request went out once with the new token
    # Each request either went out with the old token (and was retried) or was held back.
    assert len(old) + stats.held_back == n
    assert len(old) <= 3 * pool
    return len(old)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 60), pool=st.integers(1, 8))
def test_requests_not_on_the_wire_are_held_back_and_sent_once(n, pool):
    """Whatever the storm and pool size, the invariants of holding back hold."""
    check(n, pool, trio.run(expired_storm, n, pool))


async def test_a_storm_of_1000_sends_few_stale_requests():
    """1000 at once on the default pool: at most ~1 stale request per connection is sent."""
    old = check(1000, 100, await expired_storm(1000, 100))
    assert old <= 300
