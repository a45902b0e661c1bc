"""Headers: case-insensitive mapping, None suppression, validation, sections, flattening."""

from __future__ import annotations

import pytest

import trioaxios
from trioaxios import DefaultHeaders, Headers, RequestConfig, merge_config
from trioaxios._headers import flatten_headers, merge_headers


def test_lookup_is_case_insensitive_and_keeps_the_last_spelling():
    """Any case finds a header; the name keeps the case it was last set with."""
    headers = Headers({"X-App": "1"})
    headers["x-app"] = "2"
    assert headers["X-APP"] == "2"
    assert "x-App" in headers
    assert list(headers) == ["x-app"]
    assert len(headers) == 1


def test_none_removes_and_suppresses():
    """Setting None removes the header and marks it suppressed; setting it again unsuppresses."""
    headers = Headers({"Content-Type": "text/plain"})
    headers["content-type"] = None
    assert "Content-Type" not in headers
    assert headers.is_suppressed("CONTENT-TYPE")
    headers["Content-Type"] = "a/b"
    assert not headers.is_suppressed("content-type")


def test_delete_removes_without_suppressing():
    """`del headers[name]` removes it but lets a default fill it in again."""
    headers = Headers({"X-A": "1"})
    del headers["x-a"]
    assert "X-A" not in headers
    assert not headers.is_suppressed("X-A")


def test_numbers_are_stringified_and_pairs_are_accepted():
    """Numeric values become strings; a list of pairs works as input."""
    headers = Headers([("X-Int", 3), ("X-Float", 1.5)])  # type: ignore[list-item]
    assert headers.raw_items() == [("X-Int", "3"), ("X-Float", "1.5")]


@pytest.mark.parametrize("name", ["", "X Y", "X:Y", "X\r\nY"])
def test_bad_header_names_are_refused(name):
    """Empty names and names with spaces, colons or CR/LF are ERR_BAD_OPTION_VALUE."""
    with pytest.raises(trioaxios.AxiosError) as info:
        Headers({name: "v"})
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE


@pytest.mark.parametrize("value", [True, b"bytes", ["a"]])
def test_header_values_of_the_wrong_type_are_refused(value):
    """Booleans, bytes and lists are not header values."""
    with pytest.raises(trioaxios.AxiosError) as info:
        Headers({"X-A": value})
    assert info.value.code == trioaxios.ERR_BAD_OPTION_VALUE
    assert "X-A" in info.value.message


def test_latin1_values_are_allowed():
    """Values inside latin-1 (e.g. an e with acute accent) are valid."""
    assert Headers({"X-Name": "caf\u00e9"})["x-name"] == "caf\u00e9"


def test_equality_ignores_case_and_order():
    """Headers compare case-insensitively with other Headers and plain mappings."""
    assert Headers({"A": "1", "B": "2"}) == Headers({"b": "2", "a": "1"})
    assert Headers({"A": "1"}) == {"a": "1"}
    assert Headers({"A": "1"}) != {"a": "2"}


def test_copy_is_independent_and_keeps_suppressions():
    """A copy carries suppressions, and changing it leaves the original alone."""
    headers = Headers({"X-A": "1", "X-B": None})
    clone = headers.copy()
    clone["X-A"] = "2"
    assert headers["X-A"] == "1"
    assert clone.is_suppressed("x-b")


def test_repr_masks_secret_headers():
    """repr shows ordinary values but masks Authorization, Cookie and friends."""
    headers = Headers(
        {"Authorization": "Bearer s3cret", "Cookie": "sid=abc", "X-API-Key": "k3y", "X-A": "ok"}
    )
    text = repr(headers)
    for secret in ("s3cret", "sid=abc", "k3y"):
        assert secret not in text
    assert "'X-A': 'ok'" in text


def test_default_headers_repr_shows_sections_and_masks_secrets():
    """DefaultHeaders' repr lists top-level keys and non-empty sections, secrets masked."""
    headers = DefaultHeaders({"Authorization": "Bearer s3cret", "post": {"X-P": "1"}})
    text = repr(headers)
    assert text.startswith("DefaultHeaders({")
    assert "post=Headers({'X-P': '1'})" in text
    assert "s3cret" not in text


def test_default_headers_mapping_fills_sections():
    """A `common` or method-named key holding a mapping fills that section."""
    headers = DefaultHeaders({"X-Top": "t", "common": {"X-C": "c"}, "post": {"X-P": "p"}})
    assert dict(headers) == {"X-Top": "t"}
    assert headers.common["x-c"] == "c"
    assert headers.post["x-p"] == "p"
    with pytest.raises(AttributeError):
        _ = headers.nonsense


def test_flatten_precedence_top_level_over_method_over_common():
    """Flattening for a method: common < the method's section < top-level keys."""
    headers = DefaultHeaders()
    headers.common["X-V"] = "common"
    headers.common["X-Common-Only"] = "c"
    headers.post["X-V"] = "post"
    assert flatten_headers(headers, "post")["x-v"] == "post"
    assert flatten_headers(headers, "get")["x-v"] == "common"
    headers["X-V"] = "top"
    assert flatten_headers(headers, "post")["x-v"] == "top"
    assert flatten_headers(headers, "get")["X-Common-Only"] == "c"


def test_flatten_keeps_a_top_level_suppression_over_sections():
    """A top-level None suppresses what common or a method section would provide."""
    headers = DefaultHeaders({"common": {"Accept": "x/y"}})
    headers["accept"] = None
    flat = flatten_headers(headers, "get")
    assert "Accept" not in flat
    assert flat.is_suppressed("accept")


def test_merge_headers_leaves_inputs_untouched():
    """merge_headers returns a new mapping; both inputs are unchanged."""
    base, override = Headers({"A": "1"}), Headers({"a": "2", "B": None})
    merged = merge_headers(base, override)
    assert merged == {"a": "2"}
    assert base == {"A": "1"}
    assert override == {"a": "2"}


def test_header_order_may_differ_between_merge_groupings():
    """
    The one way merge associativity does not hold: the order of distinct header names.

    a sets X-A, b suppresses it, c sets it again: one grouping places X-A last, the other at
    a's position. The name -> value map is the same, which is all HTTP looks at.
    """
    a = RequestConfig(headers={"X-A": "1", "X-B": "2"})
    b = RequestConfig(headers={"X-A": None})
    c = RequestConfig(headers={"X-A": "3"})
    left = merge_config(merge_config(a, b), c).headers
    right = merge_config(a, merge_config(b, c)).headers
    assert left == right == {"x-a": "3", "x-b": "2"}
    assert left.raw_items() == [("X-B", "2"), ("X-A", "3")]
    assert right.raw_items() == [("X-A", "3"), ("X-B", "2")]
