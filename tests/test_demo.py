"""
The README's main command: the demo runs end to end and shows every feature it claims.
"""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_prints_the_summary():
    """`python -m trioaxios demo` exits 0 and its summary names each feature's outcome."""
    result = subprocess.run(
        [sys.executable, "-m", "trioaxios", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "summary",
        "10 x 200",
        "ERR_BAD_REQUEST (status 404)",
        "ERR_BAD_RESPONSE",
        "ERR_CANCELED after",
        "ECONNABORTED: timeout of 0.5s exceeded",
        "request interceptor -> middleware in -> middleware out -> response interceptor",
        "100 x 200 after 1 refresh",
        "multipart/form-data",
        "bomb: ERR_BAD_RESPONSE",
        "absolute URL: ERR_INVALID_URL",
        "token leaked: False",
    ):
        assert expected in out, f"{expected!r} missing from the demo output:\n{out}"
    assert "Traceback" not in result.stderr


def test_unknown_command_prints_usage_and_fails():
    """An unknown command prints the usage to stderr and exits 2."""
    result = subprocess.run(
        [sys.executable, "-m", "trioaxios", "frobnicate"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "usage: trioaxios demo" in result.stderr
