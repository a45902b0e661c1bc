"""
Feature middleware: install with ``client.use(...)``.

``AuthRefresh`` refreshes an expired access token once for every request that needs it
(single flight); ``Token`` is what it holds.
"""

from __future__ import annotations

from ._auth_refresh import AuthRefresh as AuthRefresh
from ._auth_refresh import AuthRefreshStatistics as AuthRefreshStatistics
from ._token import Token as Token

__all__ = ["AuthRefresh", "AuthRefreshStatistics", "Token"]
