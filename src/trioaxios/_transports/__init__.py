"""
Transport adapters (axios's "adapter" idea): the only place that knows the HTTP engine.
"""

from __future__ import annotations

from ._httpx2 import Httpx2Transport, pool_statistics

__all__ = ["Httpx2Transport", "pool_statistics"]
