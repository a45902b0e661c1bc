"""Upload and download progress events: axios's fields, monotonic loaded, throttling."""

from __future__ import annotations

import dataclasses
import itertools

import httpx2
import pytest
import trio

import trioaxios
from trioaxios import ProgressEvent

CHUNK = 100
CHUNKS = 30
INTERVAL = 0.1  # seconds between chunks: 3 s in all, on the mock clock


async def dripping_body():
    for _ in range(CHUNKS):
        await trio.sleep(INTERVAL)
        yield b"x" * CHUNK


def download_handler(*, with_length: bool = True):
    def handler(request: httpx2.Request) -> httpx2.Response:
        headers = {"Content-Length": str(CHUNK * CHUNKS)} if with_length else {}
        return httpx2.Response(200, content=dripping_body(), headers=headers)

    return handler


def upload_handler(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, json={"received": len(request.content)})


def mock_client(handler) -> trioaxios.Client:
    return trioaxios.create(base_url="http://api.test", transport=httpx2.MockTransport(handler))


def timed(events: list[tuple[float, ProgressEvent]]):
    """A sync callback recording (trio time, event)."""
    return lambda event: events.append((trio.current_time(), event))


async def test_download_progress_fields_and_final_event(autojump_clock):
    """Download events carry axios's fields; loaded grows to the total; the last is 100 %."""
    events: list[tuple[float, ProgressEvent]] = []
    async with mock_client(download_handler()) as api:
        response = await api.get("/d", response_type="bytes", on_download_progress=timed(events))
    assert len(response.data) == CHUNK * CHUNKS
    assert {f.name for f in dataclasses.fields(ProgressEvent)} == {
        "loaded", "total", "progress", "bytes", "rate", "estimated", "upload", "download",
    }  # fmt: skip
    loaded = [event.loaded for _, event in events]
    assert loaded == sorted(loaded)
    assert len(set(loaded)) == len(loaded)
    assert sum(event.bytes for _, event in events) == CHUNK * CHUNKS
    for _, event in events:
        assert (event.download, event.upload) == (True, False)
        assert event.total == CHUNK * CHUNKS
        assert event.progress == pytest.approx(event.loaded / event.total)
    last = events[-1][1]
    assert (last.loaded, last.progress) == (CHUNK * CHUNKS, 1.0)
    assert last.estimated == 0


async def test_download_rate_and_estimate(autojump_clock):
    """rate is bytes per second since the previous event; estimated is the time left at it."""
    events: list[tuple[float, ProgressEvent]] = []
    async with mock_client(download_handler()) as api:
        await api.get("/d", response_type="bytes", on_download_progress=timed(events))
    first, second = events[0][1], events[1][1]
    assert first.rate is None
    assert first.estimated is None
    assert second.rate == pytest.approx(CHUNK / INTERVAL)
    assert second.estimated == pytest.approx((CHUNK * CHUNKS - second.loaded) / second.rate)


async def test_download_progress_is_throttled_to_three_a_second_plus_the_last(autojump_clock):
    """At one chunk per 0.1 s, events come every 0.4 s (≤ 3 per second) plus the final one."""
    events: list[tuple[float, ProgressEvent]] = []
    async with mock_client(download_handler()) as api:
        start = trio.current_time()
        await api.get("/d", response_type="bytes", on_download_progress=timed(events))
    times = [when - start for when, _ in events]
    assert times == pytest.approx([0.1, 0.5, 0.9, 1.3, 1.7, 2.1, 2.5, 2.9, 3.0])
    throttled = times[:-1]
    gaps = [b - a for a, b in itertools.pairwise(throttled)]
    assert min(gaps) >= 1 / 3
    for second in range(3):
        assert sum(1 for t in throttled if second <= t < second + 1) <= 3


async def test_download_progress_without_content_length(autojump_clock):
    """Without Content-Length, total and progress are None and the final event still comes."""
    events: list[tuple[float, ProgressEvent]] = []
    async with mock_client(download_handler(with_length=False)) as api:
        await api.get("/d", response_type="bytes", on_download_progress=timed(events))
    assert all(event.total is None and event.progress is None for _, event in events)
    assert events[-1][1].loaded == CHUNK * CHUNKS


async def test_async_download_callback_is_awaited(autojump_clock):
    """An async on_download_progress callback is awaited for every event."""
    seen: list[int] = []

    async def callback(event: ProgressEvent) -> None:
        await trio.lowlevel.checkpoint()
        seen.append(event.loaded)

    async with mock_client(download_handler()) as api:
        await api.get("/d", response_type="bytes", on_download_progress=callback)
    assert len(seen) == 9
    assert seen[-1] == CHUNK * CHUNKS


async def test_download_progress_while_streaming(autojump_clock):
    """Events also fire while a streamed body is iterated."""
    events: list[tuple[float, ProgressEvent]] = []
    async with (
        mock_client(download_handler()) as api,
        api.get("/d", on_download_progress=timed(events)) as response,
    ):
        assert events == []
        async for _ in response.aiter_bytes():
            pass
    assert events[-1][1].progress == 1.0


async def test_upload_progress_for_bytes_has_total_and_ends_at_one(autojump_clock):
    """Uploading bytes reports upload events with the total; the last is 100 %."""
    events: list[ProgressEvent] = []
    body = b"y" * 200_000
    async with mock_client(upload_handler) as api:
        response = await api.post("/u", body, on_upload_progress=events.append)
    assert response.data == {"received": len(body)}
    assert all((e.upload, e.download, e.total) == (True, False, len(body)) for e in events)
    assert [e.loaded for e in events] == sorted({e.loaded for e in events})
    assert (events[-1].loaded, events[-1].progress) == (len(body), 1.0)


async def test_upload_progress_keeps_content_length(autojump_clock):
    """Tracking upload progress does not turn a bytes body into a chunked one."""
    seen: list[httpx2.Request] = []

    def handler(request):
        seen.append(request)
        return httpx2.Response(204)

    async with mock_client(handler) as api:
        await api.post("/u", b"z" * 1000, on_upload_progress=lambda _event: None)
    assert seen[0].headers["content-length"] == "1000"
    assert "transfer-encoding" not in seen[0].headers


async def test_upload_progress_for_a_stream_is_throttled_async_callback(autojump_clock):
    """A streamed upload (unknown total) reports throttled events to an async callback."""
    events: list[tuple[float, ProgressEvent]] = []

    async def callback(event: ProgressEvent) -> None:
        events.append((trio.current_time(), event))

    async with mock_client(upload_handler) as api:
        start = trio.current_time()
        response = await api.post("/u", dripping_body(), on_upload_progress=callback)
    assert response.data == {"received": CHUNK * CHUNKS}
    assert all(event.total is None and event.progress is None for _, event in events)
    assert events[-1][1].loaded == CHUNK * CHUNKS
    times = [when - start for when, _ in events]
    assert times == pytest.approx([0.1, 0.5, 0.9, 1.3, 1.7, 2.1, 2.5, 2.9, 3.0])


async def test_no_progress_callbacks_no_events(autojump_clock):
    """Without callbacks nothing is tracked, and the body still arrives whole."""
    async with mock_client(download_handler()) as api:
        response = await api.get("/d", response_type="bytes")
    assert len(response.data) == CHUNK * CHUNKS


async def test_download_progress_against_the_real_server(server):
    """Against a real server, download events end with the whole body at 100 %."""
    events: list[ProgressEvent] = []
    async with trioaxios.create(base_url=server.url) as api:
        with trio.fail_after(10):
            await api.get(
                "/bytes/300000", response_type="bytes", on_download_progress=events.append
            )
    assert events[-1].loaded == events[-1].total == 300000
    assert events[-1].progress == 1.0
