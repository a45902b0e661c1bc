"""
Dependency floor (RELIABILITY T39): no installed engine dependency has a known hole.

- h11 >= 0.16.0 (CVE-2025-43859: lenient chunked-encoding parsing, request smuggling);
- httpcore2 (httpx2's engine), or else httpcore >= 1.0.9 (the release that pins that h11);
- brotli >= 1.2.0 when brotli is installed (GHSA-2qfp-q593-8484: unbounded decompression).
  trioaxios never decodes brotli itself, but httpx2 imports it when present.
"""

from __future__ import annotations

import importlib.metadata

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

FLOORS = {"h11": "0.16.0", "httpcore": "1.0.9", "brotli": "1.2.0"}


def installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def violations(versions: dict[str, str | None]) -> list[str]:
    """What breaks the floor, given the installed version of each package (None: absent)."""
    found = []
    h11 = versions.get("h11")
    if h11 is None or Version(h11) < Version(FLOORS["h11"]):
        found.append(f"h11 {h11} < {FLOORS['h11']}")
    if versions.get("httpcore2") is None:
        httpcore = versions.get("httpcore")
        if httpcore is None or Version(httpcore) < Version(FLOORS["httpcore"]):
            found.append(f"neither httpcore2 nor httpcore >= {FLOORS['httpcore']} ({httpcore})")
    brotli = versions.get("brotli")
    if brotli is not None and Version(brotli) < Version(FLOORS["brotli"]):
        found.append(f"brotli {brotli} < {FLOORS['brotli']}")
    return found


def test_installed_dependencies_meet_the_floor():
    """h11, the engine's HTTP core and (if present) brotli are at or above their floors."""
    versions = {name: installed(name) for name in ("h11", "httpcore2", "httpcore", "brotli")}
    assert violations(versions) == []


def test_trioaxios_requires_the_h11_floor_at_install_time():
    """The package metadata itself requires h11 >= 0.16.0, so pip cannot install a lower one."""
    requirements = [Requirement(text) for text in importlib.metadata.requires("trioaxios") or []]
    h11 = [r for r in requirements if r.name == "h11" and not r.marker]
    assert h11
    assert not any(r.specifier.contains("0.15.0") for r in h11)
    assert all(r.specifier.contains(FLOORS["h11"]) for r in h11)


@pytest.mark.parametrize(
    ("versions", "problem"),
    [
        ({"h11": "0.14.0", "httpcore2": "2.16.2"}, "h11 0.14.0"),
        ({"h11": None, "httpcore2": "2.16.2"}, "h11 None"),
        ({"h11": "0.16.0", "httpcore": "1.0.8"}, "neither httpcore2 nor httpcore"),
        ({"h11": "0.16.0"}, "neither httpcore2 nor httpcore"),
        ({"h11": "0.16.0", "httpcore2": "2.16.2", "brotli": "1.1.0"}, "brotli 1.1.0"),
    ],
)
def test_the_floor_check_catches_each_hole(versions, problem):
    """The check reports an old h11, a missing or old httpcore and an old brotli."""
    assert any(problem in found for found in violations(versions))


@pytest.mark.parametrize(
    "versions",
    [
        {"h11": "0.16.0", "httpcore2": "2.16.2"},
        {"h11": "0.16.0", "httpcore": "1.0.9"},
        {"h11": "1.0.0", "httpcore2": "2.16.2", "brotli": "1.2.0"},
    ],
)
def test_the_floor_check_accepts_safe_sets(versions):
    """Safe combinations pass the check (brotli absent is fine)."""
    assert violations(versions) == []
