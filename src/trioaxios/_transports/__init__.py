"""
Transport adapters (axios's "adapter" idea): the only place that knows the HTTP engine.
"""

from __future__ import annotations

from ._httpx2 import Httpx2Transport, pool_statistics
from ._multipart import boundary_from_content_type, field_part_headers, file_part_headers

__all__ = [
    "Httpx2Transport",
    "boundary_from_content_type",
    "field_part_headers",
    "file_part_headers",
    "pool_statistics",
]
