"""
The refresh protocol as a Hypothesis state machine (RELIABILITY T12).

Hypothesis drives a `RuleBasedStateMachine` whose rules only *record* a program: start a
request (with a latency and maybe a timeout), expire the server's token, start or end an
outage (every token rejected: a persistent 401), make the next refresh fail or hang, cancel a
request (by its token or an outer scope), advance the clock, close the client. `teardown`
then runs the whole program in one `trio.run` on a manual `MockClock`: each step is followed
by `wait_all_tasks_blocked()` (the step has settled; virtual time only moves when a step says
so), and the invariants are checked after every step and at the end. Recording first and
running once keeps Trio out of Hypothesis's synchronous step loop, and a failing program
shrinks like any other Hypothesis example.

The central invariant: the server counts refresh calls, and the `should_refresh` predicate
records every expired (token, failed-refreshes-so-far) pair that a request with a retry left
reported while the client was open; the two must match. A duplicate refresh (two flights for
one expiry, a refresh for a token already replaced, a refresh retried for a request whose
refresh already failed) makes the count too high; a lost one makes it too low.
"""

# The tokens in this file are fake test data, not secrets.
# ruff: noqa: S105, S106

from __future__ import annotations

import json
from collections import Counter

import httpx2
import trio
import trio.testing
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, precondition, rule

import trioaxios
from trioaxios import AuthRefresh, AxiosError, CanceledError, ClientState, Token

BASE = "http://api.test"
MAX_RETRIES = 1
REFRESH_DELAY = 0.05
REFRESH_TIMEOUT = 2.0


class Model:
    """The token server, plus what the invariants need to know about every exchange."""

    def __init__(self):
        self.generation = 1
        self.valid = "expired-1"  # the client starts with an expired token
        self.refresh_token = "rt-1"
        self.next_refresh = "ok"
        self.revoked = False
        self.outage = False
        self.refresh_calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.presented: list[str] = []
        self.sends: Counter[str] = Counter()
        self.stale_sends: list[tuple[str, str]] = []
        self.observed: set[tuple[str, int]] = set()
        self.auth: AuthRefresh | None = None
        self.client: trioaxios.Client | None = None

    async def handle(self, request):
        if request.url.path == "/refresh":
            return await self._refresh(request)
        rid = request.headers["x-id"]
        self.sends[rid] += 1
        token = request.headers.get("authorization")
        installed = f"Bearer {self.auth.token.access_token}"
        if token != installed:
            self.stale_sends.append((token, installed))
        failures = self.auth.statistics().refreshes_failed
        await trio.sleep(float(request.headers["x-latency"]))
        # Checked on answering: the token may expire meanwhile. An outage rejects them all.
        if token == f"Bearer {self.valid}" and not self.outage:
            return httpx2.Response(200, json={"token": token})
        headers = {
            "x-attempt": str(self.sends[rid]),
            "x-token": token or "",
            "x-failures": str(failures),
        }
        return httpx2.Response(401, headers=headers, json={"error": "expired"})

    async def _refresh(self, request):
        self.refresh_calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            mode, self.next_refresh = self.next_refresh, "ok"
            presented = json.loads(request.content)["refresh_token"]
            self.presented.append(presented)
            if mode == "hang":
                await trio.sleep_forever()
            await trio.sleep(REFRESH_DELAY)
            if mode == "fail":
                return httpx2.Response(400, json={"error": "invalid_grant"})
            if presented != self.refresh_token:
                self.revoked = True
                return httpx2.Response(400, json={"error": "reused refresh token"})
            self.generation += 1
            self.valid = f"tok-{self.generation}"
            self.refresh_token = f"rt-{self.generation}"
            return httpx2.Response(
                200, json={"token": self.valid, "refreshToken": self.refresh_token}
            )
        finally:
            self.in_flight -= 1

    def should_refresh(self, response):
        """The predicate AuthRefresh calls: record the expired generation it observed."""
        if response.status != 401:
            return False
        eligible = int(response.headers["x-attempt"]) <= MAX_RETRIES
        if eligible and self.client.state is ClientState.OPENED:
            key = (response.headers["x-token"], int(response.headers["x-failures"]))
            self.observed.add(key)
        return True


class ProgramRun:
    """One recorded program, run in one trio.run on a manual MockClock."""

    def __init__(self, ops):
        self.ops = ops
        self.model = Model()
        self.clock = trio.testing.MockClock()
        self.outcomes: dict[int, str] = {}
        self.handles: dict[int, tuple[trioaxios.CancelTokenSource, trio.CancelScope]] = {}

    def run(self):
        trio.run(self.main, clock=self.clock)

    def check(self):
        """The invariants that hold after every step."""
        model = self.model
        assert model.max_in_flight <= 1
        assert max(model.sends.values(), default=0) <= MAX_RETRIES + 1
        assert not model.stale_sends  # nothing sent with a token older than the installed one
        assert not model.revoked  # no spent refresh token was presented again

    async def settle(self):
        await trio.testing.wait_all_tasks_blocked()

    async def quiesce(self):
        """Let virtual time run until every request has ended (or give up)."""
        for _ in range(100):
            if len(self.outcomes) == len(self.handles):
                return
            self.clock.jump(0.5)
            await self.settle()

    async def refresh(self, client):
        token = self.model.auth.token
        r = await client.post("/refresh", {"refresh_token": token.refresh_token})
        return Token(r.data["token"], refresh_token=r.data["refreshToken"])

    async def run_request(self, client, rid, latency, request_timeout):
        source, scope = self.handles[rid]
        outcome = None
        try:
            with scope:
                await client.get(
                    "/api",
                    headers={"x-id": str(rid), "x-latency": str(latency)},
                    cancel_token=source.token,
                    timeout=request_timeout,
                )
                outcome = "ok"
            if scope.cancelled_caught:
                outcome = "outer-cancelled"
        except CanceledError:
            outcome = "canceled"
        except AxiosError as exc:
            outcome = str(exc.code)
        except RuntimeError:
            outcome = "client-closed"
        assert rid not in self.outcomes, f"request {rid} ended twice"
        self.outcomes[rid] = outcome

    def step(self, op, args, client, tasks):
        """Apply one recorded operation (the caller then lets it settle)."""
        if op == "start":
            rid, latency, request_timeout = args
            self.handles[rid] = (trioaxios.CancelToken.source(), trio.CancelScope())
            tasks.start_soon(self.run_request, client, rid, latency, request_timeout)
        elif op == "expire":
            self.model.valid = f"expired-{self.model.generation}"
        elif op == "outage":
            self.model.outage = not self.model.outage
        elif op == "next_refresh":
            self.model.next_refresh = args[0]
        elif op == "cancel":
            rid, how = args
            source, scope = self.handles[rid]
            if how == "token":
                source.cancel("cancelled by the program")
            else:
                scope.cancel()
        elif op == "advance":
            self.clock.jump(args[0])

    async def main(self):
        model = self.model
        async with trio.open_nursery() as tasks:
            client = trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(model.handle))
            model.client = client
            async with client:
                model.auth = AuthRefresh(
                    self.refresh,
                    Token("tok-1", refresh_token="rt-1"),
                    should_refresh=model.should_refresh,
                    max_retries=MAX_RETRIES,
                    refresh_timeout=REFRESH_TIMEOUT,
                )
                client.use(model.auth)
                for op, *args in self.ops:
                    if op == "close":
                        break
                    self.step(op, args, client, tasks)
                    await self.settle()
                    self.check()
                else:
                    await self.quiesce()
                    assert len(self.outcomes) == len(self.handles), "a request never ended"
                    assert model.auth.statistics().waiters == 0
            await self.quiesce()
            assert client.statistics().background_tasks == 0
        self.check()
        assert len(self.outcomes) == len(self.handles), "a request never ended"
        # Each refresh answers exactly one expired (token, failures-so-far) observation.
        assert model.refresh_calls == len(model.observed)


class RefreshProtocol(RuleBasedStateMachine):
    """Programs of requests, expiries, failing or hanging refreshes, cancels and time."""

    requests = Bundle("requests")

    def __init__(self):
        super().__init__()
        self.ops: list[tuple[object, ...]] = []
        self.started = 0
        self.closed = False

    @initialize(mode=st.sampled_from(["ok", "fail", "hang"]))
    def first_refresh(self, mode):
        self.ops.append(("next_refresh", mode))

    @precondition(lambda self: not self.closed)
    @rule(
        target=requests,
        latency=st.sampled_from([0.0, 0.01, 0.05, 0.2, 0.2]),
        timeout=st.sampled_from([None, None, 0.3, 1.0]),
    )
    def start_request(self, latency, timeout):
        rid = self.started
        self.started += 1
        self.ops.append(("start", rid, latency, timeout))
        return rid

    @precondition(lambda self: not self.closed)
    @rule()
    def expire_token(self):
        self.ops.append(("expire",))

    @precondition(lambda self: not self.closed)
    @rule()
    def toggle_outage(self):
        self.ops.append(("outage",))

    @precondition(lambda self: not self.closed)
    @rule(mode=st.sampled_from(["fail", "hang"]))
    def break_next_refresh(self, mode):
        self.ops.append(("next_refresh", mode))

    @rule(rid=requests, how=st.sampled_from(["token", "outer"]))
    def cancel_request(self, rid, how):
        self.ops.append(("cancel", rid, how))

    @rule(seconds=st.sampled_from([0.001, 0.01, 0.05, 0.3, 3.0]))
    def advance_clock(self, seconds):
        self.ops.append(("advance", seconds))

    @precondition(lambda self: not self.closed and len(self.ops) >= 12)
    @rule()
    def close_client(self):
        self.closed = True
        self.ops.append(("close",))

    def teardown(self):
        ProgramRun(self.ops).run()


RefreshProtocol.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRefreshProtocol = RefreshProtocol.TestCase
