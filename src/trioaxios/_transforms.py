"""
Request-body encoding and response-body decoding, around the user's transform lists.

Request: ``transform_request`` functions run first, ``fn(data, headers)``, then the default
encoding: dict/list → JSON (``application/json`` unless the caller set a type), a mapping (or
pairs) with a form ``Content-Type`` → urlencoded or multipart (``_forms``), str → UTF-8, bytes
and async iterables of bytes as they are. Response: the body is decoded per ``response_type``
first (JSON when declared or, with ``forced_json_parsing``, when it parses; text; bytes), then
``transform_response`` functions run, ``fn(data, headers, status)``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ._errors import ERR_BAD_OPTION_VALUE, ERR_BAD_REQUEST, ERR_BAD_RESPONSE, AxiosError
from ._forms import encode_form, is_form
from ._interceptors import call_maybe_async

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._config import RequestConfig
    from ._headers import Headers
    from ._models import Response
    from ._types import Content

#: How much of an unparsable body an error message may quote.
EXCERPT_CHARS: Final = 80

_JSON_TYPES: Final = ("application/json", "+json")


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def encode_request_body(config: RequestConfig, headers: Headers) -> Content:
    """Run ``transform_request`` and encode ``config.data`` for the wire, setting the type."""
    data = config.data
    for fn in config.transform_request:
        data = await call_maybe_async(fn, data, headers)
    if data is None:
        return None
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, AsyncIterable):
        return data
    if is_form(headers):
        return await encode_form(data, headers)
    if isinstance(data, Mapping | list | tuple | int | float | bool):
        body = _json_encode(data)
        if "content-type" not in headers and not headers.is_suppressed("content-type"):
            headers["Content-Type"] = "application/json"
        return body
    msg = (
        f"option 'data' of type {type(data).__name__} cannot be sent; pass a dict or list "
        "(JSON), str, bytes, or an async iterable of bytes"
    )
    raise AxiosError(msg, ERR_BAD_OPTION_VALUE)


def _json_encode(data: Any) -> bytes:
    """Serialize ``data`` as compact UTF-8 JSON; an unserializable value is a bad option."""
    try:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        msg = f"option 'data' cannot be serialized as JSON: {exc}"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE) from exc
    except RecursionError:
        msg = "option 'data' cannot be serialized as JSON: it is nested too deeply"
        raise AxiosError(msg, ERR_BAD_OPTION_VALUE) from None
    return text.encode("utf-8")


def limit_request_body(content: Content, headers: Headers, config: RequestConfig) -> Content:
    """
    Enforce ``max_body_length`` on an encoded body: at once when its size is known.

    A bytes body, or a stream with a declared ``Content-Length``, that is too big raises
    before anything is sent; any other stream is counted as it is sent and stopped at the
    limit.

    Raises:
        AxiosError: ``ERR_BAD_REQUEST``, naming the limit.
    """
    limit = config.max_body_length
    if limit is None or content is None:
        return content
    declared = headers.get("content-length", "")
    if isinstance(content, bytes):
        size = len(content)
    else:
        size = int(declared) if declared.isdigit() else -1
    if size > limit:
        raise _body_too_large(f"{size} bytes", limit, config)
    if isinstance(content, bytes):
        return content
    return _counted_body(content, limit, config)


def _body_too_large(size: str, limit: int, config: RequestConfig) -> AxiosError:
    msg = f"Request body larger than maxBodyLength limit: {size} > max_body_length ({limit} bytes)"
    return AxiosError(msg, ERR_BAD_REQUEST, config)


async def _counted_body(
    source: AsyncIterable[bytes], limit: int, config: RequestConfig
) -> AsyncIterator[bytes]:
    """Pass ``source`` on, and raise before the chunk that would cross ``limit`` is sent."""
    iterator = aiter(source)
    sent = 0
    try:
        async for chunk in iterator:
            sent += len(chunk)
            if sent > limit:
                raise _body_too_large(f"more than {limit} bytes streamed", limit, config)
            yield chunk
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def _excerpt(body: bytes) -> str:
    text = body[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    return text[:EXCERPT_CHARS] + ("..." if len(body) > EXCERPT_CHARS else "")


def decode_body(response: Response, body: bytes) -> Any:
    """Decode ``body`` per the config's ``response_type`` (before ``transform_response``)."""
    config = response.config
    kind = config.response_type
    if kind == "bytes":
        return body
    if kind == "text":
        return body.decode(response.encoding, errors="replace")
    if not body or body.isspace():  # isspace stops at the first other byte: no copy
        return None if kind == "json" else ""
    encoding = response.encoding
    declared = _is_json_type(response.headers.get("content-type", ""))
    if not declared and not config.transitional.forced_json_parsing:
        return body.decode(encoding, errors="replace")
    try:
        return json.loads(body.decode(encoding))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        if declared or not config.transitional.silent_json_parsing:
            msg = f"response body (status {response.status}) is not valid JSON: {_excerpt(body)!r}"
            raise AxiosError(msg, ERR_BAD_RESPONSE, config, response.request, response) from exc
        return body.decode(encoding, errors="replace")


async def transform_response_data(response: Response, body: bytes) -> Any:
    """Decode ``body`` and run ``transform_response`` over it."""
    data = decode_body(response, body)
    for fn in response.config.transform_response:
        data = await call_maybe_async(fn, data, response.headers, response.status)
    return data
