"""
Test helpers for code that uses trioaxios: a mock router and a token server.

Nothing here touches the network or sleeps for real: routes answer in memory, and every
delay is a ``trio.sleep``, so tests run instantly under ``trio.testing.MockClock`` (pytest-trio's
``autojump_clock`` fixture) and can assert exact virtual times.

Examples::

    from trioaxios.testing import MockRouter

    router = MockRouter(base_url="http://api.test")
    users = router.get("/users/{user_id}", json={"id": 1, "name": "Fred"})
    async with router.client() as api:
        response = await api.get("/users/1")
    assert users.calls[0].path_params == {"user_id": "1"}
    router.assert_all_called()

This module is not imported by ``import trioaxios``; import ``trioaxios.testing``.

.. versionadded:: 0.1
"""

from __future__ import annotations

from ._messages import MISSING as MISSING
from ._messages import MockRequest as MockRequest
from ._messages import MockResponse as MockResponse
from ._messages import NetworkError as NetworkError
from ._messages import UnmatchedRequestError as UnmatchedRequestError
from ._router import MockRouter as MockRouter
from ._router import Route as Route
from ._tokens import TokenServer as TokenServer

__all__ = [
    "MISSING",
    "MockRequest",
    "MockResponse",
    "MockRouter",
    "NetworkError",
    "Route",
    "TokenServer",
    "UnmatchedRequestError",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("trioaxios.testing."):
        _obj.__module__ = "trioaxios.testing"
del _name, _obj
