"""Shared fixtures for the trioaxios test suite."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from trioaxios._demo_server import serve_demo_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from trioaxios._demo_server import DemoServer


@pytest.fixture
async def server() -> AsyncIterator[DemoServer]:
    """A fresh embedded demo server on an OS-chosen loopback port."""
    async with serve_demo_app() as srv:
        yield srv
