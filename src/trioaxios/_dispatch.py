"""
The innermost step of the onion: build the wire request, send it, read and decode the body.

Also the two checks that surround the onion: the full URL (axios ``buildFullPath`` with
umi-request's ``prefix``/``suffix``) and ``validate_status`` (axios ``settle``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ._errors import ERR_BAD_OPTION_VALUE, ERR_BAD_REQUEST, ERR_BAD_RESPONSE, AxiosError
from ._models import Request, Response
from ._progress import ProgressTracker
from ._security import apply_credentials, confine, resolve_url, send_policy
from ._transforms import encode_request_body, limit_request_body, transform_response_data
from ._types import Content, PreparedRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Callable

    from ._config import RequestConfig
    from ._headers import Headers
    from ._pipeline import Context
    from ._types import Transport

_FIRST_CLIENT_ERROR: Final = 400
_FIRST_SERVER_ERROR: Final = 500


def build_full_url(config: RequestConfig) -> str:
    """
    Combine ``base_url``, ``prefix``, ``url`` and ``suffix`` the way axios/umi-request do.

    Hardened by ``_security.resolve_url`` (schemes, ``allow_absolute_urls``, ``..``).
    """
    return resolve_url(config)[0]


def _with_upload_progress(content: Content, config: RequestConfig, headers: Headers) -> Content:
    callback = config.on_upload_progress
    if callback is None or content is None:
        return content
    declared = headers.get("content-length", "")
    if isinstance(content, bytes):
        total: int | None = len(content)
    else:
        total = int(declared) if declared.isdigit() else None
    tracker = ProgressTracker(callback, total, upload=True)
    source: AsyncIterable[bytes] = _chunks(content) if isinstance(content, bytes) else content

    async def counted() -> AsyncIterator[bytes]:
        async for chunk in source:
            await tracker.advance(len(chunk))
            yield chunk
        await tracker.finish()

    return counted()


async def _chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def prepare(
    config: RequestConfig,
    transport: Transport,
    on_wire: Callable[[], object] | None = None,
) -> tuple[PreparedRequest, Request]:
    """
    Build the wire request for ``config`` (URL with params, headers, encoded body).

    The URL is resolved and confined, and credentials dropped where they must not go,
    before anything is encoded (``_security``).
    """
    url, under_base = resolve_url(config)
    target = transport.build_url(url, config.params, config.params_serializer)
    destination = confine(
        config, target.text, under_base, lambda base: transport.build_url(base, None, None).text
    )
    headers = config.headers.copy()
    apply_credentials(config, headers, destination)
    content = limit_request_body(await encode_request_body(config, headers), headers, config)
    if isinstance(content, bytes) and config.on_upload_progress is not None:
        # Progress wraps the body in a stream; keep the length so it is not sent chunked.
        headers["Content-Length"] = str(len(content))
    content = _with_upload_progress(content, config, headers)
    method = config.method.upper()
    request = Request(method, target.text, headers)
    policy = send_policy(config, request, destination)
    prepared = PreparedRequest(
        method, target, headers.raw_items(), content, config.max_redirects, policy, on_wire
    )
    return prepared, request


async def send_request(ctx: Context, transport: Transport, *, stream: bool) -> bool:
    """
    The onion's terminal: send ``ctx.req``; set ``ctx.res`` (body read unless ``stream``).

    Returns whether the request went over a network pool (so the call reached a Trio
    schedule point: socket I/O).
    """
    config = ctx.req
    try:
        prepared, request = await prepare(config, transport, ctx.on_wire)
    except AxiosError as exc:
        exc.config = exc.config or config
        raise
    try:
        raw = await transport.send(prepared)
    except AxiosError as exc:
        exc.config, exc.request = config, request
        raise
    response = Response(raw, config, request)
    if stream:
        ctx.res = response
        return transport.is_network_pool
    try:
        body = await response.aread()
    except AxiosError as exc:
        exc.config, exc.request, exc.response = config, request, response
        raise
    finally:
        await response.aclose()
    response.data = await transform_response_data(response, body)
    ctx.res = response
    return transport.is_network_pool


def settle(response: Response) -> Response:
    """Apply ``validate_status``: return the response, or raise the status error."""
    validate = response.config.validate_status
    if validate is None or validate(response.status):
        return response
    status = response.status
    code = (
        ERR_BAD_REQUEST if _FIRST_CLIENT_ERROR <= status < _FIRST_SERVER_ERROR else ERR_BAD_RESPONSE
    )
    msg = f"Request failed with status code {response.status}"
    raise AxiosError(msg, code, response.config, response.request, response)


def missing_response_error(config: RequestConfig) -> AxiosError:
    """The error for a middleware chain that ended without a response."""
    msg = (
        "the middleware chain returned without a response: a middleware must call "
        "`await next()` or set `ctx.res`"
    )
    return AxiosError(msg, ERR_BAD_OPTION_VALUE, config)
