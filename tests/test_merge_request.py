"""
The per-request merge fast path equals the general mergeConfig followed by flattening.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trioaxios import AxiosError, Defaults, RequestConfig, merge_config
from trioaxios._config import CONFIG_KEYS, merge_options, merge_request
from trioaxios._headers import flatten_headers

NAMES = st.sampled_from(["X-A", "x-a", "X-B", "Accept", "content-type", "X-Token"])
VALUES = st.one_of(st.none(), st.sampled_from(["1", "two", "three 3"]))
HEADERS = st.dictionaries(NAMES, VALUES, max_size=4)
METHODS = st.sampled_from(["get", "post", "put", "delete"])
SECTIONS = st.dictionaries(st.sampled_from(["common", "get", "post"]), HEADERS, max_size=3)


@st.composite
def defaults_configs(draw):
    options = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "timeout": st.sampled_from([1, 2.5, None]),
                "base_url": st.sampled_from(["http://a.test", "http://b.test/v1/"]),
                "method": METHODS,
                "url": st.just("/ignored-default-url"),
                "data": st.just({"ignored": True}),
                "response_type": st.sampled_from(["json", "text"]),
            },
        )
    )
    defaults = Defaults(**options)
    defaults.headers.update_from(draw(HEADERS))
    for section, headers in draw(SECTIONS).items():
        defaults.headers.sections[section].update_from(headers)
    return defaults


REQUEST_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "timeout": st.sampled_from([3, None]),
        "method": METHODS,
        "url": st.just("/users"),
        "data": st.just([1, 2]),
        "headers": HEADERS,
        "max_redirects": st.integers(0, 5),
        "sensitive_headers": st.just(["X-Secret"]),
        "skip_auth_refresh": st.booleans(),
    },
)


@st.composite
def request_configs(draw):
    options = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "timeout": st.sampled_from([3, None]),
                "method": METHODS,
                "url": st.just("/users"),
                "data": st.just([1, 2]),
                "headers": HEADERS,
                "max_redirects": st.integers(0, 5),
            },
        )
    )
    return RequestConfig(**options)


@given(defaults_configs(), request_configs())
def test_merge_request_equals_merge_config_then_flatten(defaults, request):
    """Every key, the flattened headers, suppressions and explicit keys agree."""
    slow = merge_config(defaults, request)
    fast = merge_request(defaults, request)
    slow_headers = flatten_headers(slow.headers, slow.method)
    assert fast.to_dict().keys() == slow.to_dict().keys()
    for key in ("timeout", "base_url", "method", "url", "data", "response_type", "max_redirects"):
        assert getattr(fast, key) == getattr(slow, key), key
    assert fast.headers == slow_headers
    for name in ("X-A", "X-B", "Accept", "Content-Type", "X-Token"):
        assert fast.headers.is_suppressed(name) == slow_headers.is_suppressed(name), name


def _error_of(build):
    try:
        build()
    except AxiosError as exc:
        return exc.code, exc.message
    return None


@given(defaults_configs(), REQUEST_OPTIONS)
def test_merge_options_equals_from_mapping_then_merge_request(defaults, options):
    """The one-pass merge of keyword options gives exactly the two-step result."""
    extra = frozenset({"skip_auth_refresh"})
    fast = merge_options(defaults, options, extra)
    slow = merge_request(defaults, RequestConfig.from_mapping(options, extra))
    assert fast.to_dict().keys() == slow.to_dict().keys()
    for key in CONFIG_KEYS:
        assert getattr(fast, key) == getattr(slow, key), key
    assert fast.extras == slow.extras
    for name in ("X-A", "X-B", "Accept", "Content-Type", "X-Token"):
        assert fast.headers.is_suppressed(name) == slow.headers.is_suppressed(name), name


@given(
    defaults_configs(),
    st.dictionaries(
        st.sampled_from(["timeout", "tiemout", "max_connections", "skip_auth_refresh", 3]),
        st.sampled_from([1, "x", None, -1]),
        min_size=1,
        max_size=2,
    ),
)
def test_merge_options_rejects_what_from_mapping_rejects(defaults, options):
    """Bad keys and values raise the same error, with the same message, both ways."""
    extra = frozenset({"skip_auth_refresh"})
    fast = _error_of(lambda: merge_options(defaults, options, extra))
    slow = _error_of(lambda: merge_request(defaults, RequestConfig.from_mapping(options, extra)))
    assert fast == slow


def test_defaults_changed_after_requests_reach_the_next_request():
    """The per-request snapshot of the defaults never serves a stale value."""
    defaults = Defaults(timeout=1, params={"a": "1"})
    assert merge_options(defaults, {"url": "/x"}).timeout == 1
    defaults.timeout = 5
    assert merge_options(defaults, {"url": "/x"}).timeout == 5
    del defaults.timeout
    assert merge_options(defaults, {"url": "/x"}).timeout is None
    defaults.params["b"] = "2"
    merged = merge_options(defaults, {"url": "/x"})
    assert merged.params == {"a": "1", "b": "2"}
    merged.params["c"] = "3"  # a request's params are its own copy
    assert defaults.params == {"a": "1", "b": "2"}
    defaults.headers = {"X-A": "1"}
    defaults.base_url = "http://a.test"
    merged = merge_options(defaults, {"url": "/x"})
    assert (merged.base_url, merged.headers["x-a"]) == ("http://a.test", "1")
