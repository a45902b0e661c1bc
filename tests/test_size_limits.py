"""
Size limits (RELIABILITY T36): max_content_length on decoded bytes, bombs, max_body_length.
"""

from __future__ import annotations

import gzip
import itertools
import tracemalloc
import zlib

import httpx2
import pytest
import trio

import trioaxios
from _helpers import ENGINE_ABANDONED_GENERATOR
from trioaxios import AxiosError
from trioaxios._demo_server import _pattern_chunk, encoded_body
from trioaxios._transports._decoders import DECODE_CHUNK, MAX_ENCODINGS, body_decoder

MIB = 1 << 20
LIMIT = 10 * MIB
BOMB = 200 * MIB  # decoded size; about 200 KB gzipped
BASE = "http://api.test"


def mock_client(handler, **config) -> trioaxios.Client:
    return trioaxios.create(base_url=BASE, transport=httpx2.MockTransport(handler), **config)


def pattern(size: int) -> bytes:
    return _pattern_chunk(0, size)


def serve(body: bytes, headers=None, *, status: int = 200, pulls: list[int] | None = None):
    """A mock handler that streams ``body`` in 16 KiB chunks, recording each chunk pulled."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        async def stream():
            for start in range(0, len(body), 16384):
                if pulls is not None:
                    pulls.append(start)
                yield body[start : start + 16384]

        return httpx2.Response(status, headers=headers or {}, content=stream())

    return handler


async def failure(request) -> AxiosError:
    with trio.fail_after(30), pytest.raises(AxiosError) as info:
        await request
    return info.value


async def drain(response, reader: str = "aiter_bytes", received: list[int] | None = None) -> None:
    """Read a streamed body to the end with ``reader``, noting each piece's size."""
    if reader == "aread":
        await response.aread()
        return
    async for piece in getattr(response, reader)():
        if received is not None:
            received.append(len(piece))


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# httpx2 2.16.2 leaves httpcore2's PoolByteStream generator to the garbage collector when a
# response stream is closed early (a limit error is an early close); Trio reports it. The
# connection is released all the same (asserted below). encode/httpx#3686; see test_client.


@pytest.fixture
async def live(server):
    async with trioaxios.create(base_url=server.url) as client:
        yield client


# -- max_content_length: counting ----------------------------------------------------------


async def test_body_exactly_at_the_limit_passes():
    """A body of exactly max_content_length bytes is accepted."""
    async with mock_client(serve(pattern(5000)), max_content_length=5000) as api:
        response = await api.get("/x", response_type="bytes")
    assert response.data == pattern(5000)


async def test_one_byte_over_the_limit_fails():
    """One byte more than max_content_length is ERR_BAD_RESPONSE."""
    async with mock_client(serve(pattern(5001)), max_content_length=5000) as api:
        error = await failure(api.get("/x"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE


async def test_limit_error_names_the_limit_and_carries_the_response():
    """The error quotes axios's 'maxContentLength size of N exceeded' and has .response."""
    async with mock_client(serve(pattern(70000)), max_content_length=1000) as api:
        error = await failure(api.get("/x"))
    assert "maxContentLength size of 1000 exceeded" in error.message
    assert "max_content_length" in error.message
    assert error.response is not None
    assert error.response.status == 200
    assert error.config is not None
    assert error.config.max_content_length == 1000


async def test_no_limit_reads_everything():
    """max_content_length=-1 (axios's 'no limit') reads a body of any size."""
    async with mock_client(serve(pattern(300000)), max_content_length=-1) as api:
        response = await api.get("/x", response_type="bytes")
    assert len(response.data) == 300000


async def test_declared_length_over_the_limit_fails_before_reading_the_body():
    """A Content-Length above the limit fails before a single body chunk is pulled."""
    pulls: list[int] = []
    body = pattern(100000)
    headers = {"Content-Length": str(len(body))}
    async with mock_client(serve(body, headers, pulls=pulls), max_content_length=1000) as api:
        error = await failure(api.get("/x"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert pulls == []


async def test_declared_length_of_a_head_response_is_not_a_body():
    """A HEAD response declaring a large Content-Length is not an error."""

    def handler(request):
        return httpx2.Response(200, headers={"Content-Length": "999999"})

    async with mock_client(handler, max_content_length=10) as api:
        response = await api.head("/x")
    assert response.status == 200


async def test_reading_stops_soon_after_the_limit():
    """Without a declared length, the body is read only until the limit is crossed."""
    pulls: list[int] = []
    async with mock_client(serve(pattern(1000000), pulls=pulls), max_content_length=40000) as api:
        await failure(api.get("/x"))
    assert len(pulls) <= 4  # 16 KiB chunks: the third crosses 40 000 bytes


async def test_decompress_false_counts_raw_bytes():
    """With decompress=False a small compressed body of a huge payload passes, raw."""
    bomb = encoded_body(("gzip",), BOMB, "zero")
    headers = {"Content-Encoding": "gzip"}
    async with mock_client(serve(bomb, headers), max_content_length=1 * MIB) as api:
        response = await api.get("/x", decompress=False, response_type="bytes")
    assert response.data == bomb


async def test_decompress_false_still_limits_raw_bytes():
    """With decompress=False a raw body over the limit still fails."""
    body = gzipped(pattern(200000))
    headers = {"Content-Encoding": "gzip"}
    async with mock_client(serve(body, headers), max_content_length=100) as api:
        error = await failure(api.get("/x", decompress=False))
    assert error.code == trioaxios.ERR_BAD_RESPONSE


async def test_decoded_bytes_are_counted_not_compressed_bytes():
    """A 2 KB gzip body that decodes to 300 KB fails a 100 KB limit."""
    body = gzipped(bytes(300000))
    assert len(body) < 2000
    headers = {"Content-Encoding": "gzip"}
    async with mock_client(serve(body, headers), max_content_length=100000) as api:
        error = await failure(api.get("/x"))
    assert "maxContentLength size of 100000 exceeded" in error.message


# -- max_content_length: streaming ---------------------------------------------------------


async def test_streaming_iteration_stops_at_the_limit():
    """aiter_bytes raises at the limit and never hands over more than the limit."""
    received: list[int] = []
    limited = mock_client(serve(pattern(500000)), max_content_length=100000)
    async with limited as api, api.get("/x") as response:
        with pytest.raises(AxiosError) as info:
            await drain(response, received=received)
    assert sum(received) <= 100000
    assert info.value.code == trioaxios.ERR_BAD_RESPONSE
    assert info.value.response is response
    assert response.is_closed


@pytest.mark.parametrize("reader", ["aiter_text", "aiter_lines", "aread"])
async def test_every_streaming_reader_enforces_the_limit(reader):
    """aiter_text, aiter_lines and aread enforce max_content_length too."""
    limited = mock_client(serve(b"line\n" * 50000), max_content_length=1000)
    async with limited as api, api.get("/x") as response:
        with pytest.raises(AxiosError) as info:
            await drain(response, reader)
    assert "maxContentLength size of 1000 exceeded" in info.value.message


async def test_stream_response_type_enforces_the_limit():
    """response_type='stream' iteration enforces the limit like any streamed response."""
    limited = mock_client(serve(pattern(50000)), max_content_length=1000)
    async with limited as api, api.get("/x", response_type="stream") as response:
        with pytest.raises(AxiosError) as info:
            await drain(response)
    assert info.value.code == trioaxios.ERR_BAD_RESPONSE


# -- content codings -----------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate", "raw-deflate"])
async def test_each_supported_coding_is_decoded(coding):
    """gzip, x-gzip, zlib-wrapped deflate and raw deflate are all decoded."""
    body = encoded_body((coding,), 100000)
    label = "deflate" if coding == "raw-deflate" else coding
    async with mock_client(serve(body, {"Content-Encoding": label})) as api:
        response = await api.get("/x", response_type="bytes")
    assert response.data == pattern(100000)


async def test_five_stacked_codings_are_decoded():
    """Five stacked codings (the most allowed) decode, in the right order."""
    codings = ("gzip", "deflate", "gzip", "raw-deflate", "gzip")
    body = encoded_body(codings, 50000)
    header = "gzip, deflate, gzip, deflate, gzip"
    async with mock_client(serve(body, {"Content-Encoding": header})) as api:
        response = await api.get("/x", response_type="bytes")
    assert response.data == pattern(50000)


async def test_six_stacked_codings_are_refused_even_without_a_limit():
    """Six stacked codings are ERR_BAD_RESPONSE, limit or not (CVE-2025-66418)."""
    body = encoded_body(("gzip",) * 6, 1000)
    async with mock_client(serve(body, {"Content-Encoding": ", ".join(["gzip"] * 6)})) as api:
        error = await failure(api.get("/x"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert "6 content encodings" in error.message


async def test_repeated_content_encoding_headers_count_as_a_stack():
    """Codings split over repeated Content-Encoding headers are counted together."""
    body = encoded_body(("gzip",) * 6, 1000)
    headers = [("Content-Encoding", "gzip, gzip, gzip"), ("Content-Encoding", "gzip, gzip, gzip")]
    async with mock_client(serve(body, headers)) as api:
        error = await failure(api.get("/x"))
    assert "6 content encodings" in error.message


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "x-unknown"])
async def test_a_coding_we_cannot_decode_fails_closed(coding):
    """A coding we cannot decode is ERR_BAD_RESPONSE naming it, never raw bytes as data."""
    async with mock_client(serve(b"\x1b\x00encoded", {"Content-Encoding": coding})) as api:
        error = await failure(api.get("/x"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert repr(coding) in error.message
    assert "decompress=False" in error.message


async def test_a_coding_we_cannot_decode_is_readable_raw():
    """decompress=False reads a body in a coding we cannot decode as it came."""
    async with mock_client(serve(b"\x1b\x00encoded", {"Content-Encoding": "br"})) as api:
        response = await api.get("/x", decompress=False, response_type="bytes")
    assert response.data == b"\x1b\x00encoded"


@pytest.mark.parametrize("encoding", ["br", "gzip, gzip, gzip, gzip, gzip, gzip"])
async def test_a_bodiless_response_with_a_refused_coding_is_not_an_error(encoding):
    """A 204 carrying a coding we refuse has no body to refuse: no error."""
    async with mock_client(serve(b"", {"Content-Encoding": encoding}, status=204)) as api:
        response = await api.get("/x")
    assert response.status == 204


async def test_identity_codings_are_skipped():
    """'identity' entries are not codings: the body passes as it is."""
    body = gzipped(b"hello")
    headers = {"Content-Encoding": "identity, gzip, identity"}
    async with mock_client(serve(body, headers)) as api:
        response = await api.get("/x", response_type="text")
    assert response.data == "hello"


async def test_concatenated_gzip_members_are_all_decoded():
    """A gzip body of several members (RFC 1952) decodes to all of them."""
    body = gzipped(b"first ") + gzipped(b"second")
    async with mock_client(serve(body, {"Content-Encoding": "gzip"})) as api:
        response = await api.get("/x", response_type="text")
    assert response.data == "first second"


@pytest.mark.parametrize("garbage", [b"\n", b"\x00" * 64, b"not gzip at all, just junk"])
async def test_trailing_garbage_after_a_gzip_member_is_ignored(garbage):
    """Junk after a complete gzip member is ignored, as urllib3 and curl do."""
    body = gzipped(b"payload") + garbage
    async with mock_client(serve(body, {"Content-Encoding": "gzip"})) as api:
        response = await api.get("/x", response_type="text")
    assert response.data == "payload"


async def test_truncated_second_gzip_member_is_an_error():
    """A second gzip member cut after it started producing data is ERR_BAD_RESPONSE."""
    body = gzipped(b"first ") + gzipped(pattern(100000))[:-20]
    async with mock_client(serve(body, {"Content-Encoding": "gzip"})) as api:
        error = await failure(api.get("/x"))
    assert "ended before the end of its gzip data" in error.message


async def test_truncated_gzip_data_is_an_error():
    """Gzip data that stops before its end (a cut body) is ERR_BAD_RESPONSE, not short data."""
    body = gzipped(pattern(100000))[:-20]
    async with mock_client(serve(body, {"Content-Encoding": "gzip"})) as api:
        error = await failure(api.get("/x"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert "ended before the end of its gzip data" in error.message


async def test_corrupt_gzip_data_is_an_error():
    """Bytes that are not gzip under Content-Encoding: gzip are ERR_BAD_RESPONSE."""
    async with mock_client(serve(b"this is not gzip", {"Content-Encoding": "gzip"})) as api:
        error = await failure(api.get("/x"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert "not valid gzip data" in error.message


async def test_deflate_split_inside_its_header_is_decoded():
    """A deflate body whose first chunk is a single byte is still recognised and decoded."""
    body = zlib.compress(b"split header")

    def handler(request):
        async def stream():
            yield body[:1]
            yield body[1:]

        return httpx2.Response(200, headers={"Content-Encoding": "deflate"}, content=stream())

    async with mock_client(handler) as api:
        response = await api.get("/x", response_type="text")
    assert response.data == "split header"


def test_decoder_hands_over_a_bomb_in_bounded_pieces():
    """The bounded decoder turns a 200 MiB bomb into pieces of at most 64 KiB, lazily."""
    decoder = body_decoder(["gzip"])
    assert decoder is not None
    pieces = list(itertools.islice(decoder.decode(encoded_body(("gzip",), BOMB, "zero")), 50))
    assert len(pieces) == 50
    assert max(map(len, pieces)) <= DECODE_CHUNK


def test_decoder_ignores_empty_input():
    """Empty raw chunks decode to nothing, whatever the coding."""
    decoder = body_decoder(["deflate"])
    assert decoder is not None
    assert list(decoder.decode(b"")) == []
    assert list(decoder.finish()) == []


def test_identity_only_needs_no_decoder():
    """A Content-Encoding of only identity entries needs no decoder at all."""
    assert body_decoder(["identity", " , identity"]) is None
    assert body_decoder([]) is None


def test_deflate_that_stops_inside_its_header_is_truncated():
    """A deflate body of a single byte is reported as truncated."""
    decoder = body_decoder(["deflate"])
    assert decoder is not None
    assert list(decoder.decode(b"x")) == []
    with pytest.raises(AxiosError, match="ended before the end of its deflate data"):
        list(decoder.finish())


def test_bytes_after_a_deflate_stream_are_ignored():
    """Bytes after the end of a deflate stream are ignored, as zlib does."""
    decoder = body_decoder(["deflate"])
    assert decoder is not None
    pieces = [*decoder.decode(zlib.compress(b"payload") + b"trailing"), *decoder.finish()]
    assert b"".join(pieces) == b"payload"


def test_decoder_stack_limit_is_five():
    """The documented stack limit is five codings."""
    assert MAX_ENCODINGS == 5


# -- the real server: bombs and memory -----------------------------------------------------


def bomb_path(codings, size=BOMB, fill="zero") -> str:
    return f"/encoded?codings={','.join(codings)}&size={size}&fill={fill}"


@ENGINE_ABANDONED_GENERATOR
@pytest.mark.parametrize(
    "codings",
    [("gzip",), ("deflate",), ("raw-deflate",), ("gzip",) * 5],
    ids=["gzip", "deflate", "raw-deflate", "gzip-x5"],
)
async def test_bomb_is_stopped_at_the_limit(live, codings):
    """A 200 MiB bomb (gzip, deflate, raw deflate, 5 stacked gzip) fails at a 10 MiB limit."""
    error = await failure(live.get(bomb_path(codings), max_content_length=LIMIT))
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert f"maxContentLength size of {LIMIT} exceeded" in error.message


@ENGINE_ABANDONED_GENERATOR
async def test_six_stacked_gzip_bomb_is_refused(live):
    """A bomb of 6 stacked gzip layers is refused for its stack, before any decoding."""
    error = await failure(live.get(bomb_path(("gzip",) * 6), max_content_length=LIMIT))
    assert "6 content encodings" in error.message


@ENGINE_ABANDONED_GENERATOR
async def test_bomb_peak_memory_stays_under_three_times_the_limit(live):
    """Traced peak memory while a 200 MiB gzip bomb is refused at 10 MiB is < 3x the limit."""
    encoded_body(("gzip",), BOMB, "zero")  # the server's cached body, made before tracing
    tracemalloc.start()
    try:
        error = await failure(live.get(bomb_path(("gzip",)), max_content_length=LIMIT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == trioaxios.ERR_BAD_RESPONSE
    assert peak < 3 * LIMIT, f"peak {peak / MIB:.1f} MiB"


@ENGINE_ABANDONED_GENERATOR
async def test_streamed_bomb_peak_memory_stays_small(live):
    """Streaming a bomb with a limit raises at the limit with a traced peak < 1x the limit."""
    encoded_body(("gzip",), BOMB, "zero")
    received: list[int] = []
    tracemalloc.start()
    try:
        with trio.fail_after(30):
            async with live.get(bomb_path(("gzip",)), max_content_length=LIMIT) as response:
                with pytest.raises(AxiosError) as info:
                    await drain(response, received=received)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == trioaxios.ERR_BAD_RESPONSE
    assert sum(received) <= LIMIT
    assert peak < LIMIT, f"peak {peak / MIB:.1f} MiB"


async def test_honest_gzip_body_just_under_the_limit_passes(live):
    """An honest 9 MiB gzip body passes a 10 MiB limit, byte for byte."""
    size = 9 * MIB
    with trio.fail_after(30):
        response = await live.get(
            f"/encoded?codings=gzip&size={size}", max_content_length=LIMIT, response_type="bytes"
        )
    assert response.data == pattern(size)


async def test_honest_plain_body_just_under_the_limit_passes(live):
    """An honest 9 MiB unencoded body passes a 10 MiB limit."""
    with trio.fail_after(30):
        response = await live.get(f"/bytes/{9 * MIB}", max_content_length=LIMIT)
    assert len(response.data) == 9 * MIB


async def test_plain_body_over_the_limit_fails_on_its_declared_length(live):
    """An unencoded 11 MiB body fails a 10 MiB limit."""
    error = await failure(live.get(f"/bytes/{11 * MIB}", max_content_length=LIMIT))
    assert error.code == trioaxios.ERR_BAD_RESPONSE


@ENGINE_ABANDONED_GENERATOR
async def test_connection_is_not_pooled_after_a_limit_error(live):
    """After a limit error the half-read connection is dropped and the next request works."""
    await failure(live.get(bomb_path(("gzip",)), max_content_length=LIMIT))
    pool = live.statistics().pool
    assert pool.active == 0
    assert pool.idle == 0
    with trio.fail_after(10):
        response = await live.get("/json")
    assert response.data["hello"] == "world"


async def test_we_only_ask_for_codings_we_can_decode(live, server):
    """Accept-Encoding offers exactly gzip and deflate, whatever httpx2 could decode."""
    with trio.fail_after(10):
        await live.get("/echo")
    assert server.app.requests[-1].header("accept-encoding") == "gzip, deflate"


async def test_truncated_encoded_body_from_the_server_is_an_error(live):
    """A server whose gzip body is cut short (matching Content-Length) gives ERR_BAD_RESPONSE."""
    error = await failure(live.get("/encoded?codings=gzip&size=100000&cut=10"))
    assert error.code == trioaxios.ERR_BAD_RESPONSE


# -- max_body_length -----------------------------------------------------------------------


async def test_bytes_body_over_the_limit_is_refused_before_sending():
    """A bytes body longer than max_body_length is ERR_BAD_REQUEST and nothing is sent."""
    seen: list[httpx2.Request] = []

    def handler(request):
        seen.append(request)
        return httpx2.Response(200)

    async with mock_client(handler, max_body_length=10) as api:
        error = await failure(api.post("/x", b"x" * 11))
    assert error.code == trioaxios.ERR_BAD_REQUEST
    assert "max_body_length" in error.message
    assert "maxBodyLength" in error.message
    assert error.config is not None
    assert seen == []


async def test_bytes_body_at_the_limit_is_sent():
    """A body of exactly max_body_length bytes is sent."""
    seen: list[bytes] = []

    def handler(request):
        seen.append(request.content)
        return httpx2.Response(200)

    async with mock_client(handler, max_body_length=10) as api:
        await api.post("/x", b"x" * 10)
    assert seen == [b"x" * 10]


async def test_json_body_is_measured_once_encoded():
    """The encoded JSON size is what max_body_length bounds."""
    seen: list[httpx2.Request] = []

    def handler(request):
        seen.append(request)
        return httpx2.Response(200)

    async with mock_client(handler, max_body_length=20) as api:
        error = await failure(api.post("/x", {"name": "x" * 30}))
    assert error.code == trioaxios.ERR_BAD_REQUEST
    assert seen == []


async def test_stream_with_a_declared_length_over_the_limit_is_not_started():
    """A streamed body whose Content-Length exceeds the limit fails before it is iterated."""
    started = []

    async def body():
        started.append(True)
        yield b"x" * 100

    def handler(request):
        return httpx2.Response(200)

    async with mock_client(handler, max_body_length=50) as api:
        error = await failure(api.post("/x", body(), headers={"Content-Length": "100"}))
    assert error.code == trioaxios.ERR_BAD_REQUEST
    assert started == []


async def test_stream_without_a_length_is_counted_while_sending(live, server):
    """A streamed body that grows past the limit fails ERR_BAD_REQUEST; the server gets no body."""

    async def body():
        for _ in range(100):
            yield b"x" * 1000

    error = await failure(live.post("/echo", body(), max_body_length=10000))
    assert error.code == trioaxios.ERR_BAD_REQUEST
    assert "more than 10000 bytes streamed" in error.message
    assert all(len(r.body) <= 10000 for r in server.app.requests)
    with trio.fail_after(10):
        response = await live.get("/json")
    assert response.status == 200
    assert live.statistics().pool.active == 0


async def test_stream_under_the_limit_is_sent_whole(live):
    """A streamed body under max_body_length reaches the server whole."""

    async def body():
        for _ in range(10):
            yield b"y" * 1000

    with trio.fail_after(10):
        response = await live.post("/echo", body(), max_body_length=10000)
    assert response.data["length"] == 10000


async def test_request_without_a_body_passes_a_zero_limit():
    """max_body_length=0 still allows requests that carry no body."""

    def handler(request):
        return httpx2.Response(200, json={"n": len(request.content)})

    async with mock_client(handler, max_body_length=0) as api:
        response = await api.get("/x")
    assert response.data == {"n": 0}


async def test_no_body_limit_with_minus_one():
    """max_body_length=-1 means no limit."""

    def handler(request):
        return httpx2.Response(200, json={"n": len(request.content)})

    async with mock_client(handler, max_body_length=-1) as api:
        response = await api.post("/x", b"z" * 100000)
    assert response.data == {"n": 100000}
