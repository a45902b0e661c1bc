"""Config keys: validation at call time, axios's merge rules, and a property test of the merge."""

from __future__ import annotations

import copy
import math
import types

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trioaxios
from trioaxios import Defaults, RequestConfig, merge_config
from trioaxios._config import CONFIG_KEYS, RESPONSE_TYPES, merge_request
from trioaxios._headers import flatten_headers

# -- helpers ------------------------------------------------------------------------------


def recording_client(seen: list[httpx2.Request], **config):
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={})

    return trioaxios.create(
        base_url="http://api.test", transport=httpx2.MockTransport(handler), **config
    )


def bad_option(call) -> trioaxios.AxiosError:
    with pytest.raises(trioaxios.AxiosError) as info:
        call()
    return info.value


# -- unknown keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        ("tiemout", "timeout"),
        ("baseURL", "base_url"),
        ("base_ur", "base_url"),
        ("responseType", "response_type"),
        ("validateStatus", "validate_status"),
        ("headrs", "headers"),
        ("adapter", "transport"),
    ],
)
def test_unknown_key_names_the_closest_valid_key(key, closest):
    """An unknown option is ERR_BAD_OPTION and the message names the key the caller meant."""
    error = bad_option(lambda: RequestConfig.from_mapping({key: 1}))
    assert error.code == trioaxios.ERR_BAD_OPTION
    assert f"'{key}'" in error.message
    assert f"did you mean '{closest}'?" in error.message


def test_unknown_key_with_nothing_close_gives_no_hint():
    """A key unlike any valid one is still ERR_BAD_OPTION, without a misleading suggestion."""
    error = bad_option(lambda: RequestConfig.from_mapping({"zzzzzz": 1}))
    assert error.code == trioaxios.ERR_BAD_OPTION
    assert "did you mean" not in error.message


def test_unknown_key_at_create_names_the_closest_key():
    """create() rejects a misspelled key the same way a request does."""
    error = bad_option(lambda: trioaxios.create(tiemout=3))
    assert error.code == trioaxios.ERR_BAD_OPTION
    assert "did you mean 'timeout'?" in error.message


def test_unknown_transitional_sub_key_names_the_closest_sub_key():
    """An unknown `transitional` flag is ERR_BAD_OPTION naming the full dotted key."""
    error = bad_option(lambda: RequestConfig(transitional={"clarify_timeout": True}))
    assert error.code == trioaxios.ERR_BAD_OPTION
    assert "did you mean 'transitional.clarify_timeout_error'?" in error.message


def test_assigning_an_unknown_attribute_is_rejected():
    """Setting an unknown attribute on a config (an interceptor typo) is ERR_BAD_OPTION."""
    config = RequestConfig()
    with pytest.raises(trioaxios.AxiosError) as info:
        config.tiemout = 3  # type: ignore[attr-defined]
    assert info.value.code == trioaxios.ERR_BAD_OPTION
    assert "'timeout'" in info.value.message


# -- bad values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timeout", -1),
        ("timeout", math.nan),
        ("timeout", "1"),
        ("timeout", True),
        ("response_type", "xml"),
        ("method", "G ET"),
        ("method", ""),
        ("max_redirects", -1),
        ("max_redirects", 1.5),
        ("validate_status", 200),
        ("auth", ("user",)),
        ("auth", {"user": "u", "pass": "p"}),
        ("auth", "user:pw"),
        ("response_encoding", "no-such-codec"),
        ("params", 3),
        ("transform_request", 3),
        ("transform_response", [len, 3]),
        ("decompress", 1),
        ("url", 3),
        ("headers", 3),
        ("on_download_progress", "print"),
        ("transitional", {"clarify_timeout_error": "yes"}),
    ],
)
def test_bad_value_is_err_bad_option_value_naming_the_key(key, value):
    """A value of the wrong type or range is ERR_BAD_OPTION_VALUE and the message names the key."""
    error = bad_option(lambda: RequestConfig.from_mapping({key: value}))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert key in error.message


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\0b", "caf\u00e9\u20ac"])
def test_bad_header_value_is_err_bad_option_value_naming_the_header(value):
    """Header values with CR/LF/NUL or outside latin-1 are refused, naming the header."""
    error = bad_option(lambda: RequestConfig(headers={"X-Thing": value}))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "X-Thing" in error.message


def test_good_values_are_normalised():
    """Valid values are accepted and normalised: method lower-case, 0 timeout means none."""
    config = RequestConfig(
        method="POST", timeout=0, auth=("u", "p"), response_encoding="LATIN-1", max_redirects=0
    )
    assert config.method == "post"
    assert config.timeout is None
    assert config.auth == trioaxios.BasicAuth("u", "p")
    assert config.response_encoding == "iso8859-1"
    assert config.max_redirects == 0


@pytest.mark.parametrize("key", ["transport", "max_connections", "max_keepalive_connections"])
def test_create_only_key_on_a_request_says_to_use_create(key):
    """Pool-shaping keys are refused per request with a message pointing at create()."""
    error = bad_option(lambda: RequestConfig.from_mapping({key: 1}))
    assert error.code == trioaxios.ERR_BAD_OPTION
    assert "create()" in error.message


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3"])
def test_bad_pool_size_at_create_is_err_bad_option_value(value):
    """create(max_connections=...) must be a positive int or None."""
    error = bad_option(lambda: trioaxios.create(max_connections=value))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "max_connections" in error.message


def test_transport_that_is_not_an_httpx2_transport_is_refused_at_create():
    """A transport of the wrong type fails at create(), not at the first request."""
    error = bad_option(lambda: trioaxios.create(transport=object()))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "transport" in error.message


def _hook(config, response):
    return True


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("with_credentials", True),
        ("allow_absolute_urls", False),
        ("allow_cross_origin_credentials", True),
        ("xsrf_cookie_name", "MY-XSRF"),
        ("xsrf_header_name", "X-MY-XSRF"),
        ("xsrf_cookie_name", None),
        ("sensitive_headers", ("X-Tenant-Key",)),
        ("sensitive_params", ("otp",)),
        ("before_redirect", _hook),
    ],
)
def test_security_keys_accept_their_values(key, value):
    """The URL, credential, XSRF and redirect keys accept values of their documented types."""
    assert getattr(RequestConfig.from_mapping({key: value}), key) == value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("with_credentials", "yes"),
        ("allow_absolute_urls", 0),
        ("allow_cross_origin_credentials", None),
        ("xsrf_header_name", 5),
        ("sensitive_headers", "X-Key"),
        ("sensitive_headers", ["X-Ok", ""]),
        ("sensitive_params", [1]),
        ("before_redirect", "follow"),
    ],
)
def test_security_keys_reject_wrong_types_naming_the_key(key, value):
    """A wrong type for a security key is ERR_BAD_OPTION_VALUE and names the key."""
    error = bad_option(lambda: RequestConfig.from_mapping({key: value}))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert key in error.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("with_credentials", False),
        ("max_content_length", None),
        ("allow_absolute_urls", True),
        ("allow_cross_origin_credentials", False),
        ("xsrf_cookie_name", "XSRF-TOKEN"),
        ("xsrf_header_name", "X-XSRF-TOKEN"),
        ("sensitive_headers", ()),
        ("max_redirects", 21),
    ],
)
def test_security_keys_default_to_axios_values(key, value):
    """A fresh config carries axios's defaults for the hardening keys."""
    assert getattr(RequestConfig(), key) == value


def test_security_keys_at_create_become_instance_defaults():
    """create(with_credentials=True, allow_absolute_urls=False) sets the instance defaults."""
    api = trioaxios.create(with_credentials=True, allow_absolute_urls=False)
    assert api.defaults.with_credentials is True
    assert api.defaults.allow_absolute_urls is False


def test_request_sensitive_headers_add_to_the_instances():
    """A request's sensitive_headers extend the instance's list instead of replacing it."""
    defaults = Defaults(sensitive_headers=["X-Unit-Merge-A"])
    request = RequestConfig(sensitive_headers=["X-Unit-Merge-B", "X-Unit-Merge-A"])
    assert merge_request(defaults, request).sensitive_headers == (
        "X-Unit-Merge-A",
        "X-Unit-Merge-B",
    )
    assert merge_config(defaults, request).sensitive_headers == ("X-Unit-Merge-A", "X-Unit-Merge-B")


@pytest.mark.parametrize(
    "options",
    [
        {"tiemout": 1},
        {"timeout": -1},
        {"headers": {"X": "a\r\nb"}},
        {"max_connections": 2},
        {"with_credentials": "yes"},
    ],
)
async def test_bad_config_raises_when_the_method_is_called_before_anything_is_sent(options):
    """Config errors raise from api.get() itself, before awaiting, and nothing reaches the wire."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        with pytest.raises(trioaxios.AxiosError):
            api.get("/x", **options)
    assert seen == []


async def test_bad_method_via_request_raises_before_anything_is_sent():
    """request(method=...) with a space in the method fails at call time."""
    seen: list[httpx2.Request] = []
    async with recording_client(seen) as api:
        error = bad_option(lambda: api.request(url="/x", method="G ET"))
    assert error.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert seen == []


def test_oneshot_request_validates_at_call_time():
    """trioaxios.get(url, bad=...) raises at once, without opening a client."""
    error = bad_option(lambda: trioaxios.get("http://127.0.0.1:1/", tiemout=1))
    assert error.code == trioaxios.ERR_BAD_OPTION


def test_config_repr_hides_credentials():
    """A config's repr shows method and a redacted URL, never auth or header secrets."""
    config = RequestConfig(
        url="http://u:hunter2@h.test/x?access_token=tok123",
        auth=("u", "pw-secret"),
        headers={"Authorization": "Bearer sekrit"},
    )
    text = repr(config)
    for secret in ("hunter2", "tok123", "pw-secret", "sekrit"):
        assert secret not in text
    assert "pw-secret" not in repr(config.auth)


def test_is_set_tracks_explicit_keys_and_delattr_resets():
    """is_set() is True only for keys given explicitly; del resets to the library default."""
    config = RequestConfig(timeout=5)
    assert config.is_set("timeout")
    assert not config.is_set("method")
    del config.timeout
    assert not config.is_set("timeout")
    assert config.timeout is None


def test_to_dict_round_trips_through_from_mapping():
    """to_dict() gives the explicit keys, and from_mapping() rebuilds an equal config."""
    config = RequestConfig(url="/x", method="put", headers={"X-A": "1"}, params={"q": 1})
    again = RequestConfig.from_mapping(config.to_dict())
    assert again.to_dict() == config.to_dict()
    assert again.headers == {"x-a": "1"}


# -- merge: examples ----------------------------------------------------------------------


def test_merge_request_keys_win_and_url_data_are_not_inherited():
    """Explicit request keys win; url and data never come from the defaults."""
    base = Defaults(timeout=5, method="post", url="/base", data={"a": 1}, max_redirects=3)
    merged = merge_config(base, RequestConfig(timeout=1))
    assert merged.timeout == 1
    assert merged.method == "post"
    assert merged.max_redirects == 3
    assert merged.url is None
    assert merged.data is None
    assert not merged.is_set("url")


def test_merge_headers_per_key_case_insensitively():
    """Headers merge key by key; a request's `x-app` replaces a default's `X-App`."""
    base = Defaults(headers={"X-App": "a", "X-Keep": "k"})
    merged = merge_config(base, RequestConfig(headers={"x-app": "b"}))
    flat = flatten_headers(merged.headers, merged.method)
    assert dict(flat.raw_items()) == {"x-app": "b", "X-Keep": "k"}


def test_merge_keeps_per_method_sections_when_defaults_are_the_override():
    """Merging Defaults over a plain config keeps the per-method sections (none are dropped)."""
    inst = Defaults(headers={"post": {"X-Post": "1"}, "common": {"X-C": "c"}})
    merged = merge_config(RequestConfig(headers={"X-A": "a"}), inst)
    assert flatten_headers(merged.headers, "post") == {"X-Post": "1", "X-C": "c", "X-A": "a"}
    assert flatten_headers(merged.headers, "get") == {"X-C": "c", "X-A": "a"}


def test_merge_over_defaults_copies_params_so_requests_cannot_mutate_them():
    """The merged config's params is a copy: mutating it leaves the defaults' params alone."""
    base = Defaults(params={"page": 1})
    merged = merge_config(base, RequestConfig(url="/x"))
    merged.params["page"] = 2
    assert base.params == {"page": 1}


def test_merge_copies_a_params_pair_list_and_keeps_read_only_mappings():
    """A list of pairs is copied too; a read-only mapping is shared as-is (it cannot change)."""
    base = Defaults(params=[("a", "1")])
    merged = merge_config(base, RequestConfig(url="/x"))
    merged.params.append(("b", "2"))
    assert base.params == [("a", "1")]
    frozen = types.MappingProxyType({"a": 1})
    assert merge_config(Defaults(params=frozen), RequestConfig()).params is frozen


# -- merge: property test -----------------------------------------------------------------

HEADER_NAMES = ["X-A", "x-a", "X-a", "X-B", "x-b", "Content-Type", "content-type", "ACCEPT"]
SUPPRESSED = object()

header_pairs = st.lists(
    st.tuples(
        st.sampled_from(HEADER_NAMES),
        st.one_of(st.none(), st.text(alphabet="abc123", min_size=1, max_size=3)),
    ),
    max_size=5,
)

config_keys = {
    "timeout": st.one_of(st.none(), st.floats(0.001, 100, allow_nan=False)),
    "method": st.sampled_from(["get", "post", "PUT", "delete"]),
    "base_url": st.one_of(st.none(), st.sampled_from(["http://a.test", "http://b.test/v1"])),
    "response_type": st.sampled_from(RESPONSE_TYPES),
    "max_redirects": st.integers(0, 30),
    "params": st.one_of(
        st.none(), st.dictionaries(st.sampled_from("abc"), st.integers(0, 9), max_size=3)
    ),
    "url": st.sampled_from(["/a", "/b", "http://c.test/c"]),
    "data": st.one_of(st.none(), st.text(max_size=3), st.lists(st.integers(), max_size=2)),
    "headers": header_pairs,
}

configs = st.fixed_dictionaries({}, optional=config_keys)

LIBRARY_DEFAULTS = RequestConfig()


def snapshot(config: RequestConfig) -> object:
    values = {key: copy.deepcopy(getattr(config, key)) for key in CONFIG_KEYS if key != "headers"}
    explicit = sorted(key for key in CONFIG_KEYS if config.is_set(key))
    suppressed = sorted(n.lower() for n in HEADER_NAMES if config.headers.is_suppressed(n))
    return values, explicit, config.headers.raw_items(), suppressed, repr(config.headers)


def header_model(*levels: list[tuple[str, str | None]]) -> dict[str, object]:
    model: dict[str, object] = {}
    for pairs in levels:
        for name, value in pairs:
            model[name.lower()] = SUPPRESSED if value is None else value
    return model


def headers_state(config: RequestConfig) -> tuple[dict[str, tuple[str, str]], set[str]]:
    items = {name.lower(): (name, value) for name, value in config.headers.raw_items()}
    suppressed = {n.lower() for n in HEADER_NAMES if config.headers.is_suppressed(n)}
    return items, suppressed


@settings(max_examples=150, deadline=None)
@given(base=configs, override=configs)
def test_merge_property_request_wins_headers_per_key_inputs_untouched(base, override):
    """For random configs, explicit override keys win, headers merge per key, nothing mutates."""
    a, b = RequestConfig(**base), RequestConfig(**override)
    before = (snapshot(a), snapshot(b))

    merged = merge_config(a, b)

    assert (snapshot(a), snapshot(b)) == before
    for key in CONFIG_KEYS:
        if key == "headers":
            continue
        if key in override:
            expected = getattr(b, key)
        elif key in base and key not in {"url", "data"}:
            expected = getattr(a, key)
        else:
            expected = getattr(LIBRARY_DEFAULTS, key)
        assert getattr(merged, key) == expected, key
        assert merged.is_set(key) == (
            key in override or (key in base and key not in {"url", "data"})
        )
    model = header_model(base.get("headers", []), override.get("headers", []))
    for lower, value in model.items():
        if value is SUPPRESSED:
            assert lower not in merged.headers
            assert merged.headers.is_suppressed(lower)
        else:
            assert merged.headers[lower] == value
            assert not merged.headers.is_suppressed(lower)
    assert len(merged.headers) == sum(1 for v in model.values() if v is not SUPPRESSED)


@settings(max_examples=150, deadline=None)
@given(first=configs, second=configs, third=configs)
def test_merge_property_is_associative(first, second, third):
    """
    merge(merge(a, b), c) equals merge(a, merge(b, c)) on every key and on the headers.

    Exception, documented: the *order* of header names may differ between the groupings (a
    name suppressed by b and set again by c sits at a's position on one side and at the end
    on the other). HTTP gives no meaning to the order of distinct header names, so headers
    are compared as a name -> (spelling, value) map plus the suppressed set.
    """
    a, b, c = RequestConfig(**first), RequestConfig(**second), RequestConfig(**third)
    before = (snapshot(a), snapshot(b), snapshot(c))

    left = merge_config(merge_config(a, b), c)
    right = merge_config(a, merge_config(b, c))

    assert (snapshot(a), snapshot(b), snapshot(c)) == before
    for key in CONFIG_KEYS:
        if key != "headers":
            assert getattr(left, key) == getattr(right, key), key
        assert left.is_set(key) == right.is_set(key), key
    assert headers_state(left) == headers_state(right)


default_sections = st.fixed_dictionaries(
    {},
    optional={
        "common": st.dictionaries(st.sampled_from(HEADER_NAMES), st.sampled_from(["c1", "c2"])),
        "post": st.dictionaries(st.sampled_from(HEADER_NAMES), st.sampled_from(["p1", "p2"])),
        "X-Top": st.sampled_from(["t1", "t2"]),
    },
)


@settings(max_examples=100, deadline=None)
@given(
    instance=configs,
    sections=default_sections,
    request=configs,
    method=st.sampled_from(["get", "post"]),
)
def test_merge_property_library_instance_request_levels_associate(
    instance, sections, request, method
):
    """Library defaults, instance Defaults (with per-method sections) and a request associate."""
    library = Defaults()
    inst = Defaults(**{**instance, "headers": {**dict(instance.get("headers", [])), **sections}})
    req = RequestConfig(**{**request, "method": method})
    before = (snapshot(inst), repr(inst.headers), snapshot(req))

    left = merge_config(merge_config(library, inst), req)
    right = merge_config(library, merge_config(inst, req))

    assert (snapshot(inst), repr(inst.headers), snapshot(req)) == before
    for key in CONFIG_KEYS:
        if key != "headers":
            assert getattr(left, key) == getattr(right, key), key
    flat = flatten_headers(left.headers, method)
    assert flat == flatten_headers(right.headers, method)
    for lower, value in header_model(request.get("headers", [])).items():
        if value is SUPPRESSED:
            assert lower not in flat
        else:
            assert flat[lower] == value
