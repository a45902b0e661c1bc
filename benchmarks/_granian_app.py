"""
The RSGI app granian serves when nginx is not installed: the endpoints listed in ``_servers``.

``_servers.serve()`` runs it with ``granian --interface rsgi --working-dir benchmarks
_granian_app:app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from _servers import (
    EXPIRED_BODY,
    FRESH_AUTHORIZATION,
    JSON_BODY,
    PROTECTED_BODY,
    REFRESH_BODY,
    payload,
)

if TYPE_CHECKING:
    from granian.rsgi import HTTPProtocol, Scope

JSON = [("content-type", "application/json")]
BINARY = [("content-type", "application/octet-stream")]
PAYLOAD = payload()


async def app(scope: Scope, protocol: HTTPProtocol) -> None:
    """Answer one HTTP request."""
    path, method = scope.path, scope.method
    if path == "/json":
        protocol.response_bytes(200, JSON, JSON_BODY)
    elif path == "/bytes":
        protocol.response_bytes(200, BINARY, PAYLOAD)
    elif path == "/protected":
        if scope.headers.get("authorization") == FRESH_AUTHORIZATION:
            protocol.response_bytes(200, JSON, PROTECTED_BODY)
        else:
            protocol.response_bytes(401, JSON, EXPIRED_BODY)
    elif path == "/auth/refresh":
        if method != "POST":
            protocol.response_empty(405, [])
            return
        await protocol()  # read the request body
        protocol.response_bytes(200, JSON, REFRESH_BODY)
    else:
        protocol.response_empty(404, [])
