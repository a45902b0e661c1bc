"""
Bad input (RELIABILITY T34): every bad option is a clear AxiosError, before anything is sent.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trioaxios
from _helpers import recording_client
from trioaxios import AxiosError
from trioaxios._config import _KEYS, CREATE_ONLY_KEYS

if TYPE_CHECKING:
    import httpx2

DEPTH = 10_000
HOSTILE_KEYS = ["__class__", "__dict__", "__proto__", "constructor", "__init__", "_explicit"]
BAD_OPTION_CODES = {trioaxios.ERR_BAD_OPTION, trioaxios.ERR_BAD_OPTION_VALUE}


def nested_list(depth: int = DEPTH) -> list:
    root: list = []
    node = root
    for _ in range(depth):
        child: list = []
        node.append(child)
        node = child
    return root


def nested_dict(depth: int = DEPTH) -> dict:
    root: dict = {}
    node = root
    for _ in range(depth):
        child: dict = {}
        node["a"] = child
        node = child
    return root


def bad_option(call) -> AxiosError:
    """Run ``call``; return the AxiosError it raised (any other exception fails the test)."""
    with pytest.raises(AxiosError) as info:
        call()
    error = info.value
    assert error.code in BAD_OPTION_CODES
    assert len(error.message) < 300
    return error


async def refused_at_send(seen, call) -> AxiosError:
    """Await ``call()``; return its AxiosError, checking that the transport saw nothing."""
    with pytest.raises(AxiosError) as info:
        await call()
    assert seen == []
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    return info.value


# -- data that cannot be serialized --------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [object(), {1, 2}, {"x": math.nan}, {"x": math.inf}, {"when": object()}],
    ids=["object", "set", "nan", "inf", "nested-object"],
)
async def test_unserializable_data_names_data_and_sends_nothing(data):
    """Data that cannot be encoded is ERR_BAD_OPTION_VALUE naming 'data'; nothing is sent."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        error = await refused_at_send(seen, lambda: api.post("/x", data))
    assert "'data'" in error.message


async def test_circular_data_is_a_bad_option():
    """A dict that contains itself is ERR_BAD_OPTION_VALUE, not a crash."""
    seen: list[httpx2.Request] = []
    data: dict = {}
    data["self"] = data
    async with recording_client(seen) as api:
        error = await refused_at_send(seen, lambda: api.post("/x", data))
    assert "'data'" in error.message


@pytest.mark.parametrize("make", [nested_list, nested_dict], ids=["list", "dict"])
async def test_deeply_nested_data_is_a_bad_option_not_a_recursion_error(make):
    """Data nested 10 000 levels deep is ERR_BAD_OPTION_VALUE, never RecursionError."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        error = await refused_at_send(seen, lambda: api.post("/x", make()))
    assert "nested too deeply" in error.message


# -- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b"])
async def test_header_value_with_cr_lf_or_nul_is_refused_at_call_time(value):
    """A header value with CR, LF or NUL is refused when the method is called; nothing is sent."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        error = bad_option(lambda: api.get("/x", headers={"X-Note": value}))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "X-Note" in error.message
    assert seen == []


@pytest.mark.parametrize("name", ["X-A\r\nX-B", "X A", "X:A", "", "X\x00"])
def test_bad_header_name_is_refused(name):
    """A header name with CR/LF, space, colon or NUL, or an empty name, is refused."""
    bad_option(lambda: trioaxios.create(headers={name: "v"}))


def test_non_latin1_header_value_is_refused_naming_the_header():
    """A header value outside latin-1 is ERR_BAD_OPTION_VALUE naming the header."""
    error = bad_option(lambda: trioaxios.create(headers={"X-Name": "caf\u00e9 \u2192 bar"}))
    assert "X-Name" in error.message


@pytest.mark.parametrize(
    "headers", [[["only-a-name"]], [("a", "b", "c")], ["ab"], nested_list(), False, 7, "X-A: 1"]
)
def test_headers_that_are_not_pairs_are_refused(headers):
    """A headers list whose items are not (name, value) pairs is a bad option, not a crash."""
    error = bad_option(lambda: trioaxios.create(headers=headers))
    assert "pairs" in error.message


async def test_interceptor_setting_a_bad_header_sends_nothing():
    """A request interceptor that sets a header with CR/LF fails the request; nothing is sent."""
    seen: list[httpx2.Request] = []

    def inject(config):
        config.headers["X-Trace"] = "1\r\nX-Admin: yes"
        return config

    async with recording_client(seen) as api:
        api.interceptors.request.use(inject)
        with pytest.raises(AxiosError) as info:
            await api.get("/x")
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert seen == []


def test_defaults_refuse_a_bad_header_and_stay_unchanged():
    """Setting a CR/LF header on client.defaults is refused and changes nothing."""
    api = trioaxios.create(headers={"X-Keep": "1"})
    before = dict(api.defaults.headers)
    bad_option(lambda: api.defaults.headers.__setitem__("X-Keep", "2\r\nX-Evil: 1"))
    assert dict(api.defaults.headers) == before


# -- timeouts, interceptors, middleware, response_type, limits --------------------------------


@pytest.mark.parametrize("value", [-1, -0.001, math.nan, "5", True, [1]])
async def test_bad_timeout_names_timeout_and_sends_nothing(value):
    """A negative, NaN or non-numeric timeout is ERR_BAD_OPTION_VALUE naming 'timeout'."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        error = bad_option(lambda: api.get("/x", timeout=value))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "'timeout'" in error.message
    assert seen == []


def test_negative_default_timeout_is_refused():
    """api.defaults.timeout = -1 is refused and leaves the old value."""
    api = trioaxios.create(timeout=5)
    bad_option(lambda: setattr(api.defaults, "timeout", -1))
    assert api.defaults.timeout == 5


@pytest.mark.parametrize(
    "register",
    [
        lambda api: api.interceptors.request.use(42),
        lambda api: api.interceptors.request.use(lambda c: c, 42),
        lambda api: api.interceptors.request.use(lambda c: c, run_when="yes"),
        lambda api: api.interceptors.response.use("not a function"),
        lambda api: api.interceptors.response.use(None, {"on": "rejected"}),
    ],
    ids=["request", "request-on-rejected", "run-when", "response", "response-on-rejected"],
)
def test_non_callable_interceptor_is_refused(register):
    """A non-callable interceptor handler is ERR_BAD_OPTION_VALUE saying what must be callable."""
    api = trioaxios.create()
    error = bad_option(lambda: register(api))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "callable" in error.message
    assert not api.interceptors.request
    assert not api.interceptors.response


def test_non_callable_middleware_is_refused():
    """client.use(non-callable) is ERR_BAD_OPTION_VALUE."""
    error = bad_option(lambda: trioaxios.create().use(42))
    assert "middleware" in error.message


@pytest.mark.parametrize("value", ["blob", "JSON", "arraybuffer", None, 1])
async def test_unknown_response_type_names_the_key(value):
    """An unknown response_type is ERR_BAD_OPTION_VALUE naming 'response_type'; nothing is sent."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        error = bad_option(lambda: api.get("/x", response_type=value))
    assert "'response_type'" in error.message
    assert seen == []


@pytest.mark.parametrize("key", ["max_content_length", "max_body_length"])
@pytest.mark.parametrize("value", [-5, True, "10", 1.5])
def test_bad_size_limit_names_the_key(key, value):
    """A size limit that is not a byte count (or None/-1) is ERR_BAD_OPTION_VALUE naming it."""
    error = bad_option(lambda: trioaxios.create(**{key: value}))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert repr(key) in error.message


@pytest.mark.parametrize("key", ["max_content_length", "max_body_length"])
@pytest.mark.parametrize(("value", "stored"), [(0, 0), (1024, 1024), (-1, None), (None, None)])
def test_size_limit_values_are_accepted(key, value, stored):
    """A byte count, or None/-1 for no limit, is accepted."""
    assert getattr(trioaxios.create(**{key: value}).defaults, key) == stored


@pytest.mark.parametrize(
    "params",
    [{"a": {"b": 1}}, {"a": [[1]]}, {"a": object()}, {"a": nested_list()}, {"a": nested_dict()}],
    ids=["dict", "nested-list", "object", "deep-list", "deep-dict"],
)
async def test_params_values_that_are_not_scalars_are_refused(params):
    """A params value that is not a scalar (or list of scalars) is a bad option naming params."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        error = await refused_at_send(seen, lambda: api.get("/x", params=params))
    assert "'params'" in error.message


# -- T34: create(**json.loads(untrusted)) --------------------------------------------------


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_key_from_json_is_an_unknown_option(key):
    """create(**json.loads(...)) with a dunder or prototype key is ERR_BAD_OPTION, nothing set."""
    untrusted = json.dumps({key: {"polluted": True}, "timeout": 1})
    error = bad_option(lambda: trioaxios.create(**json.loads(untrusted)))
    assert error.code == trioaxios.ERR_BAD_OPTION


@pytest.mark.parametrize("key", HOSTILE_KEYS)
async def test_hostile_request_key_leaves_the_defaults_unchanged(key):
    """A request with a hostile key fails; the defaults keep their identity, type and values."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen, timeout=3, headers={"X-App": "1"}) as api:
        defaults = api.defaults
        before = defaults.to_dict()
        bad_option(lambda: api.request(json.loads(json.dumps({"url": "/x", key: {"a": 1}}))))
        assert api.defaults is defaults
        assert type(api.defaults) is type(trioaxios.create().defaults)
        assert api.defaults.to_dict() == before
        assert not hasattr(api.defaults, "polluted")
        assert not hasattr(api.defaults, "a")
    assert seen == []


def test_library_defaults_are_unchanged_by_hostile_input():
    """Hostile create() calls do not change what a fresh client starts with."""
    fresh = trioaxios.create().defaults.to_dict()
    for key in HOSTILE_KEYS:
        bad_option(lambda key=key: trioaxios.create(**{key: {"timeout": 99}}))
    assert trioaxios.create().defaults.to_dict() == fresh


@pytest.mark.parametrize(
    "untrusted",
    [
        '{"headers": {"__proto__": {"Authorization": "x"}}}',
        '{"headers": {"constructor": {"prototype": {"x": "y"}}}}',
        '{"headers": {"common": {"X-A": "a\\r\\nX-Injected: 1"}}}',
        '{"headers": {"post": {"X-A": "a\\nb"}}}',
        '{"headers": {"X-A": "a\\r\\nX-Injected: 1"}}',
        '{"transitional": {"__proto__": true}}',
        '{"auth": {"username": "u", "password": "p", "__proto__": "x"}}',
    ],
)
def test_hostile_nested_values_from_json_are_refused(untrusted):
    """Prototype keys and CR/LF inside nested sections from JSON are bad options."""
    bad_option(lambda: trioaxios.create(**json.loads(untrusted)))


def test_non_str_option_names_are_refused():
    """A config mapping with non-str keys is ERR_BAD_OPTION, at create and per request."""
    bad_option(lambda: trioaxios.create({1: 2}))
    api = trioaxios.create()
    bad_option(lambda: api.create({("a",): 2}))
    bad_option(lambda: api.request({None: "x"}))
    bad_option(lambda: trioaxios.create({"headers": {1: "x"}}))


#: Keys whose values are only looked at when the request is sent (tested above).
CHECKED_AT_SEND = {"data", "params"}


#: Name lists: any iterable of names works, so a (nested) mapping gives its keys as names.
NAME_LISTS = {"sensitive_headers", "sensitive_params"}
NESTED_CASES = [
    (key, make)
    for key in sorted({*_KEYS, *CREATE_ONLY_KEYS} - CHECKED_AT_SEND)
    for make in (nested_list, nested_dict)
    if not (key in NAME_LISTS and make is nested_dict)
]


@pytest.mark.parametrize(("key", "make"), NESTED_CASES)
def test_deeply_nested_option_values_are_bad_options(key, make):
    """10 000 levels of nesting in any option is a short bad option, never RecursionError."""
    bad_option(lambda: trioaxios.create(**{key: make()}))


@pytest.mark.parametrize("key", ["response_type", "response_encoding", "max_redirects", "method"])
def test_bad_option_messages_never_quote_a_huge_value(key):
    """A 100 000-character bad value is quoted short, if at all."""
    error = bad_option(lambda: trioaxios.create(**{key: "\u00e9" * 100_000}))
    assert len(error.message) < 300


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
REAL_KEYS = ["headers", "timeout", "params", "auth", "transitional", "max_redirects", "base_url"]
LIMIT_KEYS = ["max_content_length", "max_body_length", "response_type", "decompress"]
OPTION_NAMES = st.sampled_from([*HOSTILE_KEYS, *REAL_KEYS, *LIMIT_KEYS]) | st.text(max_size=12)


def create_or_error(options):
    try:
        return trioaxios.create(**options)
    except AxiosError as error:
        return error


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(OPTION_NAMES, JSON_VALUES, max_size=4))
def test_any_json_config_gives_a_client_or_a_bad_option(untrusted):
    """create(**json_config) either works or raises a short ERR_BAD_OPTION(_VALUE), nothing else."""
    result = create_or_error(untrusted)
    if isinstance(result, AxiosError):
        assert result.code in BAD_OPTION_CODES
        assert len(result.message) < 300
    else:
        assert type(result.defaults).__name__ == "Defaults"
