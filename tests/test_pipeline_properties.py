"""
Property tests of the whole pipeline: execution order and where every error goes.

A scenario is a list of request interceptors, a list of middleware, a transport behaviour and a
list of response interceptors, each handler sync or async, some ejected or skipped by
``run_when``, some raising. Every handler appends to a trace. A small reference model, written
from DESIGN §4 and the rule in ``trioaxios._interceptors`` (not from the code), predicts the
trace and the outcome; the real client must match it exactly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

import trioaxios
from trioaxios import AxiosError

BASE = "http://api.test"
EXAMPLES = settings(max_examples=200, deadline=None)

# -- scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReqSpec:
    sync: bool
    ejected: bool = False
    run_when: bool | None = None  # None: no predicate
    fulfilled: str | None = "pass"  # "pass" | "raise" | None
    rejected: str | None = None  # "recover" | "raise" | "rethrow" | None


@dataclass(frozen=True)
class RespSpec:
    sync: bool
    ejected: bool = False
    fulfilled: str | None = "pass"  # "pass" | "raise" | None
    rejected: str | None = None  # "recover" | "raise" | "rethrow" | None


@dataclass(frozen=True)
class MwSpec:
    sync: bool
    core: bool
    ejected: bool = False
    # sync: "pass" | "raise_before"; async also "raise_after" | "catch" | "recover" | "retry"
    behavior: str = "pass"


@dataclass(frozen=True)
class Scenario:
    request: list[ReqSpec] = field(default_factory=list)
    middleware: list[MwSpec] = field(default_factory=list)
    transport: str = "ok"  # "ok" | "status500" | "network"
    response: list[RespSpec] = field(default_factory=list)


handler_kind = st.sampled_from([None, "pass", "raise"])
rejection = st.sampled_from([None, "recover", "raise", "rethrow"])
req_specs = st.builds(
    ReqSpec,
    sync=st.booleans(),
    ejected=st.booleans(),
    run_when=st.sampled_from([None, True, False]),
    fulfilled=handler_kind,
    rejected=rejection,
)
resp_specs = st.builds(
    RespSpec, sync=st.booleans(), ejected=st.booleans(), fulfilled=handler_kind, rejected=rejection
)
mw_specs = st.one_of(
    st.builds(
        MwSpec,
        sync=st.just(True),
        core=st.booleans(),
        ejected=st.booleans(),
        behavior=st.sampled_from(["pass", "raise_before"]),
    ),
    st.builds(
        MwSpec,
        sync=st.just(False),
        core=st.booleans(),
        ejected=st.booleans(),
        behavior=st.sampled_from(
            ["pass", "raise_before", "raise_after", "catch", "recover", "retry"]
        ),
    ),
)
scenarios = st.builds(
    Scenario,
    request=st.lists(req_specs, max_size=5),
    middleware=st.lists(mw_specs, max_size=5),
    transport=st.sampled_from(["ok", "status500", "network"]),
    response=st.lists(resp_specs, max_size=5),
)

# -- running a scenario -------------------------------------------------------------------


class BoomError(Exception):
    """An error raised by a test handler, labelled with where it came from."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


@dataclass(frozen=True)
class Tagged:
    """A value returned by a response-side handler, labelled with who returned it."""

    label: str


def error_label(error: BaseException) -> str:
    if isinstance(error, BoomError):
        return error.label
    if isinstance(error, AxiosError) and error.code == trioaxios.ERR_NETWORK:
        return "network"
    if isinstance(error, AxiosError) and error.response is not None:
        return f"status{error.response.status}"
    return f"unexpected {error!r}"


def value_label(value: Any) -> str:
    if isinstance(value, Tagged):
        return value.label
    if isinstance(value, trioaxios.Response):
        return value.data["src"]
    return f"unexpected {value!r}"


def maybe_async(fn, *, sync: bool):
    if sync:
        return fn

    async def handler(*args):
        await trio.lowlevel.checkpoint()
        return fn(*args)

    return handler


def request_interceptor(index: int, spec: ReqSpec, trace: list[tuple[Any, ...]]):
    label = f"req{index}"

    def fulfilled(config):
        trace.append((label, "fulfilled"))
        if spec.fulfilled == "raise":
            raise BoomError(f"{label}.fulfilled")
        config.headers["X-Chain"] = config.headers.get("X-Chain", "") + f"{label},"
        return config

    def rejected(error):
        trace.append((label, "rejected", error_label(error)))
        if spec.rejected == "rethrow":
            raise error
        if spec.rejected == "raise":
            raise BoomError(f"{label}.rejected")
        return {"url": f"{BASE}/x", "headers": {"X-Chain": f"{label}!,"}}

    def run_when(config):
        trace.append((label, "when"))
        return spec.run_when

    return (
        maybe_async(fulfilled, sync=spec.sync) if spec.fulfilled else None,
        maybe_async(rejected, sync=spec.sync) if spec.rejected else None,
        run_when if spec.run_when is not None else None,
    )


def response_interceptor(index: int, spec: RespSpec, trace: list[tuple[Any, ...]]):
    label = f"resp{index}"

    def fulfilled(value):
        trace.append((label, "fulfilled", value_label(value)))
        if spec.fulfilled == "raise":
            raise BoomError(f"{label}.fulfilled")
        return Tagged(f"{label}.fulfilled")

    def rejected(error):
        trace.append((label, "rejected", error_label(error)))
        if spec.rejected == "rethrow":
            raise error
        if spec.rejected == "raise":
            raise BoomError(f"{label}.rejected")
        return Tagged(f"{label}.rejected")

    return (
        maybe_async(fulfilled, sync=spec.sync) if spec.fulfilled else None,
        maybe_async(rejected, sync=spec.sync) if spec.rejected else None,
    )


def middleware(index: int, spec: MwSpec, trace: list[tuple[Any, ...]]):
    label = f"mw{index}"
    behavior = spec.behavior

    def sync_mw(ctx, next_):
        trace.append((label, "in"))
        if behavior == "raise_before":
            raise BoomError(f"{label}.before")
        return next_()

    async def async_mw(ctx, next_):
        trace.append((label, "in"))
        await trio.lowlevel.checkpoint()
        if behavior == "raise_before":
            raise BoomError(f"{label}.before")
        if behavior in ("catch", "recover"):
            try:
                await next_()
            except Exception as error:
                trace.append((label, "caught", error_label(error)))
                if behavior == "catch":
                    raise
                await ctx.respond(json={"src": f"{label}.respond"})
        else:
            await next_()
            if behavior == "retry":
                await next_(retry=True)
        trace.append((label, "out", value_label(ctx.res), ctx.res.status))
        if behavior == "raise_after":
            raise BoomError(f"{label}.after")

    return sync_mw if spec.sync else async_mw


async def run_scenario(scenario: Scenario) -> tuple[list[tuple[Any, ...]], tuple[str, str]]:
    trace: list[tuple[Any, ...]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        trace.append(("transport", request.headers.get("x-chain", "")))
        if scenario.transport == "network":
            raise httpx2.ConnectError("down")
        status = 500 if scenario.transport == "status500" else 200
        return httpx2.Response(status, json={"src": "transport"})

    api = trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(handler))
    ejected: list[int] = []
    for index, spec in enumerate(scenario.request):
        handler_id = api.interceptors.request.use(*request_interceptor(index, spec, trace))
        if spec.ejected:
            ejected.append(handler_id)
    for handler_id in ejected:
        api.interceptors.request.eject(handler_id)
    for index, spec in enumerate(scenario.response):
        handler_id = api.interceptors.response.use(*response_interceptor(index, spec, trace))
        if spec.ejected:
            api.interceptors.response.eject(handler_id)
    to_eject = []
    for index, spec in enumerate(scenario.middleware):
        mw = api.use(middleware(index, spec, trace), core=spec.core)
        if spec.ejected:
            to_eject.append(mw)
    for mw in to_eject:
        api.eject(mw)
    async with api:
        try:
            value = await api.get("/x")
        except Exception as error:
            return trace, ("error", error_label(error))
    return trace, ("value", value_label(value))


def run(scenario: Scenario) -> tuple[list[tuple[Any, ...]], tuple[str, str]]:
    return trio.run(run_scenario, scenario)


# -- the reference model ------------------------------------------------------------------


def model(scenario: Scenario) -> tuple[list[tuple[Any, ...]], tuple[str, str]]:
    """Predict the trace and the outcome from the rule, step by step."""
    trace: list[tuple[Any, ...]] = []
    # Request interceptors: last added first; run_when asked for each before any runs.
    chain = []
    for index, spec in reversed(list(enumerate(scenario.request))):
        if spec.ejected:
            continue
        if spec.run_when is not None:
            trace.append((f"req{index}", "when"))
            if not spec.run_when:
                continue
        chain.append((index, spec))
    kind, label = "value", ""  # on the request side the value's label is the X-Chain header
    for index, spec in chain:
        name = f"req{index}"
        if kind == "value" and spec.fulfilled:
            trace.append((name, "fulfilled"))
            if spec.fulfilled == "raise":
                kind, label = "error", f"{name}.fulfilled"
            else:
                label += f"{name},"
        elif kind == "error" and spec.rejected:
            trace.append((name, "rejected", label))
            if spec.rejected == "raise":
                kind, label = "error", f"{name}.rejected"
            elif spec.rejected == "recover":
                kind, label = "value", f"{name}!,"
    if kind == "value":
        kind, label = dispatch_model(scenario, trace, label)
    for index, spec in enumerate(scenario.response):
        name = f"resp{index}"
        if spec.ejected:
            continue
        if kind == "value" and spec.fulfilled:
            trace.append((name, "fulfilled", label))
            if spec.fulfilled == "raise":
                kind, label = "error", f"{name}.fulfilled"
            else:
                label = f"{name}.fulfilled"
        elif kind == "error" and spec.rejected:
            trace.append((name, "rejected", label))
            if spec.rejected == "raise":
                kind, label = "error", f"{name}.rejected"
            elif spec.rejected == "recover":
                kind, label = "value", f"{name}.rejected"
    return trace, (kind, label)


def dispatch_model(scenario: Scenario, trace: list[tuple[Any, ...]], chain: str) -> tuple[str, str]:
    """The onion: instance middleware in order, then core, the transport, back out; then status."""
    active = [(i, m) for i, m in enumerate(scenario.middleware) if not m.ejected]
    onion = [(i, m) for i, m in active if not m.core] + [(i, m) for i, m in active if m.core]

    def transport() -> tuple[str, str, int]:
        trace.append(("transport", chain))
        if scenario.transport == "network":
            return "error", "network", 0
        return "res", "transport", 500 if scenario.transport == "status500" else 200

    def layer(depth: int) -> tuple[str, str, int]:
        if depth == len(onion):
            return transport()
        index, spec = onion[depth]
        name = f"mw{index}"
        trace.append((name, "in"))
        if spec.behavior == "raise_before":
            return "error", f"{name}.before", 0
        result = layer(depth + 1)
        if spec.sync:
            return result  # a plain function only returns next(): no way out
        if spec.behavior == "retry" and result[0] == "res":
            result = layer(depth + 1)
        if result[0] == "error" and spec.behavior in ("catch", "recover"):
            trace.append((name, "caught", result[1]))
            if spec.behavior == "recover":
                result = ("res", f"{name}.respond", 200)
        if result[0] == "error":
            return result
        trace.append((name, "out", result[1], result[2]))
        if spec.behavior == "raise_after":
            return "error", f"{name}.after", 0
        return result

    kind, label, status = layer(0)
    if kind == "error":
        return kind, label
    if status >= 300:  # validate_status, after the onion
        return "error", f"status{status}"
    return "value", label


# -- properties ---------------------------------------------------------------------------


@EXAMPLES
@given(scenarios)
def test_trace_and_outcome_match_the_model(scenario):
    """For any scenario, every handler runs exactly when and as often as the rule says."""
    trace, outcome = run(scenario)
    expected_trace, expected_outcome = model(scenario)
    assert trace == expected_trace
    assert outcome == expected_outcome
    interceptor_calls = Counter(
        step[0] for step in trace if step[0].startswith("re") and step[1] != "when"
    )
    assert all(count == 1 for count in interceptor_calls.values())


ok_req = st.builds(
    ReqSpec,
    sync=st.booleans(),
    ejected=st.booleans(),
    run_when=st.sampled_from([None, True, False]),
)
ok_resp = st.builds(RespSpec, sync=st.booleans(), ejected=st.booleans())
ok_mw = st.builds(MwSpec, sync=st.booleans(), core=st.booleans(), ejected=st.booleans())


@EXAMPLES
@given(st.lists(ok_req, max_size=6), st.lists(ok_mw, max_size=6), st.lists(ok_resp, max_size=6))
def test_order_without_errors_is_the_specified_order(request_specs, mw_specs, response_specs):
    """Interceptors reversed, instance then core middleware in and out, responses in order."""
    scenario = Scenario(request_specs, mw_specs, "ok", response_specs)
    trace, outcome = run(scenario)

    whens = [
        (f"req{i}", "when")
        for i, s in reversed(list(enumerate(request_specs)))
        if not s.ejected and s.run_when is not None
    ]
    requests = [
        f"req{i}"
        for i, s in reversed(list(enumerate(request_specs)))
        if not s.ejected and s.run_when is not False
    ]
    live = [(f"mw{i}", m) for i, m in enumerate(mw_specs) if not m.ejected]
    onion = [x for x in live if not x[1].core] + [x for x in live if x[1].core]
    responses = [f"resp{i}" for i, s in enumerate(response_specs) if not s.ejected]
    chain = "".join(f"{name}," for name in requests)
    last_response = "transport"
    expected = [
        *whens,
        *[(name, "fulfilled") for name in requests],
        *[(name, "in") for name, _ in onion],
        ("transport", chain),
        *[(name, "out", "transport", 200) for name, m in reversed(onion) if not m.sync],
    ]
    for name in responses:
        expected.append((name, "fulfilled", last_response))
        last_response = f"{name}.fulfilled"
    assert trace == expected
    assert outcome == ("value", last_response)


raisers = st.sampled_from(["request", "mw.before", "mw.after", "network", "status", "response"])


@EXAMPLES
@given(
    st.lists(st.builds(ReqSpec, sync=st.booleans()), min_size=1, max_size=4),
    st.lists(st.builds(MwSpec, sync=st.just(False), core=st.booleans()), min_size=1, max_size=4),
    st.lists(st.builds(RespSpec, sync=st.booleans()), min_size=1, max_size=4),
    raisers,
    st.data(),
)
def test_one_raising_handler_reaches_exactly_the_handlers_after_it(
    request_specs, mw_specs, response_specs, raiser, data
):
    """One handler raises: exactly the on_rejected (and catching middleware) after it see it."""
    # Every interceptor's on_rejected and every middleware records the error and re-raises it.
    request_specs = [replace(s, rejected="rethrow") for s in request_specs]
    response_specs = [replace(s, rejected="rethrow") for s in response_specs]
    mw_specs = [replace(m, behavior="catch") for m in mw_specs]
    onion = [i for i, m in enumerate(mw_specs) if not m.core]
    onion += [i for i, m in enumerate(mw_specs) if m.core]
    all_responses = [f"resp{j}" for j in range(len(response_specs))]
    transport = "ok"
    if raiser == "request":
        k = data.draw(st.integers(0, len(request_specs) - 1), label="raising request interceptor")
        request_specs[k] = replace(request_specs[k], fulfilled="raise")
        label = f"req{k}.fulfilled"
        seen = [f"req{j}" for j in range(k - 1, -1, -1)] + all_responses
    elif raiser.startswith("mw"):
        k = data.draw(st.integers(0, len(mw_specs) - 1), label="raising middleware")
        when = raiser.removeprefix("mw.")
        mw_specs[k] = replace(mw_specs[k], behavior=f"raise_{when}")
        label = f"mw{k}.{when}"
        outer = onion[: onion.index(k)]
        seen = [f"mw{j}" for j in reversed(outer)] + all_responses
    elif raiser == "network":
        transport, label = "network", "network"
        seen = [f"mw{j}" for j in reversed(onion)] + all_responses
    elif raiser == "status":
        transport, label = "status500", "status500"
        seen = all_responses  # validate_status runs after the onion
    else:
        k = data.draw(st.integers(0, len(response_specs) - 1), label="raising response interceptor")
        response_specs[k] = replace(response_specs[k], fulfilled="raise")
        label = f"resp{k}.fulfilled"
        seen = all_responses[k + 1 :]
    scenario = Scenario(request_specs, mw_specs, transport, response_specs)

    trace, outcome = run(scenario)

    assert outcome == ("error", label)
    handled = [step for step in trace if step[1] in ("rejected", "caught")]
    assert [step[0] for step in handled] == seen
    assert all(step[2] == label for step in handled)
    assert len(trace) == len(set(trace))  # nothing ran twice
    assert (trace, outcome) == model(scenario)
