"""
multipart/form-data bodies: byte for byte as the echo server got them, streamed from disk.

The 50 MB test serves a digest-only app (the echo server keeps every body in memory, which
would hide the client's memory use) and measures the whole process with tracemalloc.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import tracemalloc
from email.parser import BytesParser
from email.policy import HTTP

import httpx2
import pytest
import trio

import trioaxios
from trioaxios import ERR_BAD_OPTION_VALUE, AxiosError
from trioaxios import _form_files as form_files
from trioaxios import _forms as forms
from trioaxios._demo_server import serve_demo_app

MULTIPART = {"Content-Type": "multipart/form-data"}


@pytest.fixture
async def api(server):
    async with trioaxios.create(base_url=server.url, timeout=30) as client:
        yield client


def received(server):
    return server.app.requests[-1]


def boundary_of(request) -> str:
    content_type = request.header("content-type")
    assert content_type.startswith("multipart/form-data; boundary=")
    return content_type.split("boundary=", 1)[1]


def field(boundary: str, name: str, value: bytes) -> bytes:
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
    return head.encode() + value + b"\r\n"


def file_part(boundary: str, name: str, filename: str | None, ctype: str, value: bytes) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n"
    return head.encode() + value + b"\r\n"


def parse(request):
    """Parse a received multipart body with the stdlib email parser."""
    raw = f"Content-Type: {request.header('content-type')}\r\n\r\n".encode() + request.body
    message = BytesParser(policy=HTTP).parsebytes(raw)
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


async def test_body_is_exact_for_every_kind_of_value(server, api, tmp_path):
    """Fields, lists, bytes, tuples, in-memory and on-disk files encode to the exact bytes."""
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n--not-a-boundary\r\n\x00")
    data = {
        "title": "H\u00e9llo",
        "count": 3,
        "flag": False,
        "tags": ["a", "b"],
        "raw": b"\x00\x01\xff",
        "doc": ("notes.txt", "h\u00e9", "text/plain; charset=utf-8"),
        "mem": io.BytesIO(b"in memory"),
        "disk": photo,
    }
    await api.post("/echo", data, headers=MULTIPART)
    request = received(server)
    b = boundary_of(request)
    expected = b"".join(
        [
            field(b, "title", "H\u00e9llo".encode()),
            field(b, "count", b"3"),
            field(b, "flag", b"false"),
            field(b, "tags", b"a"),
            field(b, "tags", b"b"),
            file_part(b, "raw", None, "application/octet-stream", b"\x00\x01\xff"),
            file_part(b, "doc", "notes.txt", "text/plain; charset=utf-8", "h\u00e9".encode()),
            file_part(b, "mem", "upload", "application/octet-stream", b"in memory"),
            file_part(b, "disk", "photo.png", "image/png", photo.read_bytes()),
            f"--{b}--\r\n".encode(),
        ]
    )
    assert request.body == expected


async def test_streamed_body_declares_its_length(server, api, tmp_path):
    """A body with files of known size is sent with Content-Length, not chunked."""
    path = tmp_path / "a.bin"
    path.write_bytes(os.urandom(300_000))
    await api.post("/echo", {"name": "x", "file": path}, headers=MULTIPART)
    request = received(server)
    assert request.header("content-length") == str(len(request.body))
    assert request.header("transfer-encoding") is None


async def test_stdlib_parser_reads_the_parts(server, api, tmp_path):
    """The stdlib email parser finds every part with its name, file name, type and bytes."""
    blob = os.urandom(100_000) + b"\r\n--"
    path = tmp_path / "data.json"
    path.write_bytes(b'{"a": 1}')
    data = {"user": {"name": "Fred"}, "blob": ("blob.bin", blob, "application/x-blob"), "j": path}
    await api.post("/echo", data, headers=MULTIPART)
    assert parse(received(server)) == [
        ("user[name]", None, "text/plain", b"Fred"),
        ("blob", "blob.bin", "application/x-blob", blob),
        ("j", "data.json", "application/json", b'{"a": 1}'),
    ]


async def test_boundary_given_by_the_caller_is_used(server, api):
    """A boundary in the caller's Content-Type is used as it is, and the header is unchanged."""
    headers = {"Content-Type": 'multipart/form-data; boundary="my-boundary"'}
    await api.post("/echo", {"a": "1"}, headers=headers)
    request = received(server)
    assert request.header("content-type") == 'multipart/form-data; boundary="my-boundary"'
    assert request.body == field("my-boundary", "a", b"1") + b"--my-boundary--\r\n"


async def test_empty_form_is_just_the_closing_delimiter(server, api):
    """An empty mapping sends only the closing delimiter."""
    await api.post("/echo", {}, headers=MULTIPART)
    request = received(server)
    assert request.body == f"--{boundary_of(request)}--\r\n".encode()


async def test_names_and_file_names_are_escaped(server, api):
    """Quotes, backslashes and CR/LF in names are escaped (HTML5 rules): no header injection."""
    data = {'a"b\r\nX-Injected: 1': ('x"y\\z.txt', b"v", "text/plain")}
    await api.post("/echo", data, headers=MULTIPART)
    request = received(server)
    b = boundary_of(request)
    assert (
        request.body
        == (
            f'--{b}\r\nContent-Disposition: form-data; name="a%22b%0D%0AX-Injected: 1"; '
            f'filename="x%22y\\\\z.txt"\r\nContent-Type: text/plain\r\n\r\nv\r\n--{b}--\r\n'
        ).encode()
    )


async def test_four_tuple_adds_part_headers(server, api):
    """(filename, content, content_type, headers) adds the headers to the part."""
    value = ("a.txt", b"x", "text/plain", {"X-Part": "1"})
    await api.post("/echo", {"f": value}, headers=MULTIPART)
    request = received(server)
    b = boundary_of(request)
    assert (
        request.body
        == (
            f'--{b}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
            f"X-Part: 1\r\nContent-Type: text/plain\r\n\r\nx\r\n--{b}--\r\n"
        ).encode()
    )


async def test_list_of_file_tuples_repeats_the_name(server, api):
    """A list of file tuples sends one part per file under the same name."""
    await api.post("/echo", {"f": [("a.txt", b"1"), ("b.txt", b"2")]}, headers=MULTIPART)
    assert parse(received(server)) == [
        ("f", "a.txt", "text/plain", b"1"),
        ("f", "b.txt", "text/plain", b"2"),
    ]


async def test_async_iterable_content_is_sent_chunked(server, api):
    """An async iterable of bytes has no known size: the body goes out chunked."""

    async def produce():
        for index in range(3):
            await trio.lowlevel.checkpoint()
            yield f"chunk{index};".encode()

    await api.post("/echo", {"f": ("gen.txt", produce(), "text/plain")}, headers=MULTIPART)
    request = received(server)
    assert request.header("transfer-encoding") == "chunked"
    assert request.header("content-length") is None
    assert parse(request) == [("f", "gen.txt", "text/plain", b"chunk0;chunk1;chunk2;")]


async def test_trio_async_file_is_streamed(server, api, tmp_path):
    """A file opened with trio.open_file is read asynchronously, named after its path."""
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n" * 20_000)
    async with await trio.open_file(path, "rb") as file:
        await api.post("/echo", {"report": file}, headers=MULTIPART)
    request = received(server)
    assert request.header("content-length") == str(len(request.body))
    assert parse(request) == [("report", "report.csv", "text/csv", path.read_bytes())]


async def test_file_object_is_sent_from_its_start(server, api, tmp_path):
    """A binary file object already partly read is still sent whole (it is rewound)."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"0123456789")
    with path.open("rb") as file:
        file.read(4)
        await api.post("/echo", {"f": file}, headers=MULTIPART)
    assert parse(received(server)) == [("f", "notes.txt", "text/plain", b"0123456789")]


async def test_text_mode_file_is_refused(server, api, tmp_path):
    """A file opened in text mode is ERR_BAD_OPTION_VALUE, before anything is sent."""
    path = tmp_path / "t.txt"
    path.write_text("x")
    with path.open() as file, pytest.raises(AxiosError) as info:
        await api.post("/echo", {"f": file}, headers=MULTIPART)
    assert info.value.code == ERR_BAD_OPTION_VALUE
    assert "binary mode" in info.value.message
    assert server.app.count("/echo") == 0


async def test_missing_file_is_refused_before_sending(server, api, tmp_path):
    """A Path that does not exist is ERR_BAD_OPTION_VALUE naming the field; nothing is sent."""
    with pytest.raises(AxiosError) as info:
        await api.post("/echo", {"avatar": tmp_path / "nope.png"}, headers=MULTIPART)
    assert info.value.code == ERR_BAD_OPTION_VALUE
    assert "'avatar'" in info.value.message
    assert server.app.count("/echo") == 0


@pytest.mark.parametrize(
    "value",
    [("a", b"1", "text/plain", {}, "extra"), (b"name.txt", b"1"), ("a.txt", 1.5)],
    ids=["five-items", "bytes-filename", "number-content"],
)
async def test_malformed_file_tuple_is_refused(api, value):
    """A file tuple with the wrong shape or types is ERR_BAD_OPTION_VALUE."""
    with pytest.raises(AxiosError) as info:
        await api.post("/echo", {"f": value}, headers=MULTIPART)
    assert info.value.code == ERR_BAD_OPTION_VALUE
    assert "'f'" in info.value.message


async def test_invalid_part_header_name_is_refused(api):
    """An extra part header whose name is not a token is ERR_BAD_OPTION_VALUE."""
    with pytest.raises(AxiosError) as info:
        await api.post("/echo", {"f": ("a.txt", b"1", None, {"Bad Name": "x"})}, headers=MULTIPART)
    assert info.value.code == ERR_BAD_OPTION_VALUE


async def test_upload_progress_counts_every_byte(server, api, tmp_path):
    """on_upload_progress reports a streamed multipart body up to its last byte."""
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(1_000_000))
    events = []
    await api.post("/echo", {"file": path}, headers=MULTIPART, on_upload_progress=events.append)
    sent = len(received(server).body)
    assert events[-1].loaded == sent
    assert all(event.upload for event in events)
    assert [e.loaded for e in events] == sorted(e.loaded for e in events)


async def test_multipart_length_matches_the_body(server, api, tmp_path):
    """multipart_length (the CLI's upload total) equals the size of the body sent."""
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(70_000))
    data = {"a": "1", "f": path, "g": ("g.txt", b"xyz")}
    size = await forms.multipart_length(data, "fixed-boundary")
    headers = {"Content-Type": "multipart/form-data; boundary=fixed-boundary"}
    await api.post("/echo", data, headers=headers)
    assert size == len(received(server).body)


async def test_retry_sends_the_files_again_from_the_start(server, api, tmp_path):
    """A middleware retry re-encodes the body: paths are reopened, file objects rewound."""
    path = tmp_path / "p.bin"
    path.write_bytes(os.urandom(200_000))

    async def retry_once(ctx, call_next):
        await call_next()
        await call_next(retry=True)

    api.use(retry_once)
    with path.open("rb") as file:
        await api.post("/echo", {"p": path, "f": file}, headers=MULTIPART)
    first, second = server.app.requests[-2:]
    assert parse(first) == parse(second)
    assert [payload for *_, payload in parse(second)] == [path.read_bytes()] * 2


async def test_cancelled_upload_closes_the_file_it_opened(server, api, tmp_path, monkeypatch):
    """A request cancelled mid-upload leaves no file from a Path open."""
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(5_000_000))
    opened = []
    real_open = form_files._open_binary

    def recording_open(name):
        file = real_open(name)
        opened.append(file)
        return file

    monkeypatch.setattr(form_files, "_open_binary", recording_open)
    with trio.CancelScope() as scope:
        await api.post(
            "/echo", {"f": path}, headers=MULTIPART, on_upload_progress=lambda _: scope.cancel()
        )
    assert scope.cancelled_caught
    gc.collect()
    await trio.sleep(0.1)  # the abandoned generator is finalized by Trio's asyncgen hooks
    assert len(opened) == 1
    assert opened[0].closed


class DigestApp:
    """A minimal ASGI app that hashes each request body as it arrives and keeps nothing."""

    def __init__(self):
        self.requests = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        digest, length = hashlib.sha256(), 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            digest.update(message.get("body", b""))
            length += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        body = json.dumps({"sha256": digest.hexdigest(), "length": length, "headers": headers})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body.encode()})


async def test_50_mb_file_is_streamed_with_bounded_memory(tmp_path):
    """A 50 MB file goes out byte for byte while the process never holds more than 10 MB."""
    path = tmp_path / "big.bin"
    with path.open("wb") as out:
        for _ in range(50):
            out.write(os.urandom(1 << 20))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        async with (
            serve_demo_app(DigestApp()) as digest_server,
            trioaxios.create(base_url=digest_server.url, timeout=60) as client,
        ):
            tracemalloc.reset_peak()
            response = await client.post_form(
                "/upload", {"file": ("big.bin", path, "application/octet-stream")}
            )
            peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    boundary = response.data["headers"]["content-type"].split("boundary=", 1)[1]
    expected = hashlib.sha256(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
    )
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            expected.update(chunk)
    expected.update(f"\r\n--{boundary}--\r\n".encode())
    assert response.data["length"] == int(response.data["headers"]["content-length"])
    assert response.data["length"] > size
    assert response.data["sha256"] == expected.hexdigest()
    assert peak < 10 * 1024 * 1024, f"peak traced memory {peak:,} bytes"


async def test_streamed_multipart_upload_progress_knows_the_total(tmp_path):
    """A streamed multipart body with a known length reports progress against that total."""
    path = tmp_path / "blob.bin"
    path.write_bytes(b"z" * 300_000)
    events = []

    def handler(request):
        return httpx2.Response(200, json={"length": len(request.content)})

    async with trioaxios.create(
        base_url="http://api.test", transport=httpx2.MockTransport(handler)
    ) as api:
        r = await api.post_form("/up", {"file": path}, on_upload_progress=events.append)
    assert events
    assert events[-1].total == r.data["length"]
    assert events[-1].progress == 1.0
