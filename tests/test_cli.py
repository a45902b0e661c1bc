"""
The command line, run for real in a subprocess against the in-process test server.

Every call goes through ``trio.run_process`` so the server keeps serving in the test's loop.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import trio

from trioaxios._demo_server import _pattern_chunk

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
NO_RICH = (
    "import sys; sys.modules['rich'] = None; from trioaxios._cli import main; sys.exit(main())"
)


async def cli(*args: str, program: tuple[str, ...] = ("-m", "trioaxios")):
    with trio.fail_after(30):
        return await trio.run_process(
            [sys.executable, *program, *args],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env=ENV,
        )


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.decode().splitlines() if line.startswith("trioaxios:")]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def received(server):
    return server.app.requests[-1]


# -- methods and bodies -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
async def test_each_method_reaches_the_server(server, method):
    """Each method subcommand sends that method and prints the body."""
    result = await cli(method, f"{server.url}/echo")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["method"] == method.upper()
    assert received(server).method == method.upper()


async def test_head_prints_the_status_and_headers(server):
    """HEAD prints the status line and the response headers on stdout."""
    result = await cli("head", f"{server.url}/json")
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "200 OK"
    assert "content-type: application/json" in lines
    assert received(server).method == "HEAD"


async def test_url_without_a_scheme_gets_http(server):
    """A URL given without a scheme is fetched over http://, as curl and httpie do."""
    result = await cli("GET", server.url.removeprefix("http://") + "/json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"hello": "world", "items": [1, 2, 3]}


async def test_json_option_sends_compact_json(server):
    """--json sends the JSON compactly with Content-Type: application/json."""
    result = await cli("post", f"{server.url}/echo", "--json", '{"name": "Fred", "n": [1, 2]}')
    assert result.returncode == 0
    assert received(server).body == b'{"name":"Fred","n":[1,2]}'
    assert received(server).header("content-type") == "application/json"


async def test_form_option_sends_urlencoded_fields(server):
    """--form fields are sent urlencoded, repeated names kept in order."""
    result = await cli(
        "post", f"{server.url}/echo", "--form", "q=a b&c", "--form", "t=x", "--form", "t=y"
    )
    assert result.returncode == 0
    assert received(server).body == b"q=a+b%26c&t=x&t=y"
    assert received(server).header("content-type") == "application/x-www-form-urlencoded"


async def test_form_type_chosen_with_a_header_is_kept(server):
    """--form with -H 'Content-Type: multipart/form-data' sends the fields as multipart."""
    result = await cli(
        "post", f"{server.url}/echo", "--form", "a=1", "-H", "Content-Type: multipart/form-data"
    )
    assert result.returncode == 0
    request = received(server)
    boundary = request.header("content-type").split("boundary=", 1)[1]
    part = 'Content-Disposition: form-data; name="a"\r\n\r\n1'
    assert request.body == f"--{boundary}\r\n{part}\r\n--{boundary}--\r\n".encode()


async def test_query_and_header_options(server):
    """-q adds query parameters (repeatable) and -H adds headers."""
    result = await cli(
        "get", f"{server.url}/echo", "-q", "a=1", "-q", "a=2", "-q", "b=x y", "-H", "X-Trace: t1"
    )
    assert result.returncode == 0
    assert received(server).query == "a=1&a=2&b=x+y"
    assert received(server).header("x-trace") == "t1"


async def test_file_option_uploads_multipart_with_a_progress_bar(server, tmp_path):
    """--file streams the file as multipart (exact bytes on the server) with an upload bar."""
    path = tmp_path / "report.bin"
    path.write_bytes(os.urandom(200_000) + b"\r\n--")
    result = await cli(
        "post",
        f"{server.url}/echo",
        "--form",
        "title=Q3",
        "--file",
        f"doc=@{path};type=application/x-report",
    )
    assert result.returncode == 0, result.stderr
    request = received(server)
    boundary = request.header("content-type").split("boundary=", 1)[1]
    assert (
        request.body
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nQ3\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="doc"; filename="report.bin"\r\n'
            "Content-Type: application/x-report\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    assert request.header("content-length") == str(len(request.body))
    bar = re.search(r"upload .* ([\d.]+)/([\d.]+) kB", result.stderr.decode())
    assert bar is not None, result.stderr
    assert bar.group(1) == bar.group(2)


async def test_file_option_parts_parse_with_the_stdlib(server, tmp_path):
    """Several --file parts, with the type guessed from the name, parse back intact."""
    first, second = tmp_path / "a.txt", tmp_path / "b.json"
    first.write_bytes(b"alpha")
    second.write_bytes(b'{"b": 2}')
    result = await cli(
        "put", f"{server.url}/echo", "--file", f"f=@{first}", "--file", f"f=@{second}"
    )
    assert result.returncode == 0
    request = received(server)
    raw = f"Content-Type: {request.header('content-type')}\r\n\r\n".encode() + request.body
    parts = BytesParser(policy=HTTP).parsebytes(raw).iter_parts()
    assert [
        (p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts
    ] == [
        ("a.txt", "text/plain", b"alpha"),
        ("b.json", "application/json", b'{"b": 2}'),
    ]


# -- output -------------------------------------------------------------------------------


async def test_piped_body_is_the_exact_bytes(server):
    """Piped, stdout gets the body's exact bytes (no colour, no reformatting)."""
    result = await cli("get", f"{server.url}/bytes/100000")
    assert result.returncode == 0
    assert result.stdout == _pattern_chunk(0, 100_000)


async def test_error_response_still_prints_its_body(server):
    """A 4xx response's body (the API's error) is printed before the command fails."""
    result = await cli("get", f"{server.url}/status/404")
    assert result.returncode == 4
    assert result.stdout == b'{"status":404}'


async def test_download_to_a_file_with_a_progress_bar(server, tmp_path):
    """-o writes the body to the file and shows a finished download bar on stderr."""
    target = tmp_path / "out.bin"
    result = await cli("get", f"{server.url}/bytes/300000", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == _pattern_chunk(0, 300_000)
    assert result.stdout == b""
    assert re.search(r"out\.bin .* 300\.0/300\.0 kB", result.stderr.decode()), result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


async def test_without_rich_the_download_works_without_a_bar(server, tmp_path):
    """Without rich installed, -o still downloads, silently, and JSON is still printed."""
    target = tmp_path / "out.bin"
    result = await cli(
        "get", f"{server.url}/bytes/5000", "-o", str(target), program=("-c", NO_RICH)
    )
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == _pattern_chunk(0, 5000)
    assert result.stderr == b""


async def test_verbose_shows_headers_with_every_secret_masked(server):
    """-v prints request and response headers on stderr, and no secret appears anywhere."""
    secrets = ["b3arer-tok", "c00kie-val", "k3y-val", "s3t-cookie", "qu3ry-tok"]
    result = await cli(
        "get",
        f"{server.url}/cookies/set?token=s3t-cookie&access_token=qu3ry-tok",
        "-v",
        "--bearer",
        "b3arer-tok",
        "-H",
        "Cookie: sid=c00kie-val",
        "-H",
        "X-Api-Key: k3y-val",
    )
    assert result.returncode == 0
    err = result.stderr.decode()
    assert "> GET " in err
    assert "< 200 OK" in err
    for header in ("Authorization", "Cookie", "X-Api-Key", "set-cookie"):
        assert re.search(rf"^[<>] {header}: \[REDACTED\]$", err, re.MULTILINE | re.IGNORECASE)
    output = result.stdout + result.stderr
    assert [secret for secret in secrets if secret.encode() in output] == []
    assert received(server).header("authorization") == "Bearer b3arer-tok"


async def on_terminal(*args: str):
    """Run the command with stdout on a pseudo-terminal; return the result and what it showed."""
    import pty  # noqa: PLC0415 - POSIX only, like the terminal it stands for

    controller, terminal = pty.openpty()
    env = {k: v for k, v in ENV.items() if k != "NO_COLOR"} | {"TERM": "xterm-256color"}
    try:
        with trio.fail_after(30):
            result = await trio.run_process(
                [sys.executable, "-m", "trioaxios", *args],
                stdout=terminal,
                capture_stderr=True,
                check=False,
                env=env,
            )
        os.set_blocking(controller, False)
        shown = b""
        while True:
            try:
                data = os.read(controller, 65536)
            except OSError:  # nothing left (EAGAIN), or the terminal side is gone (EIO)
                break
            if not data:
                break
            shown += data
    finally:
        os.close(controller)
        os.close(terminal)
    return result, shown


async def test_pretty_coloured_json_on_a_terminal(server):
    """On a terminal, a JSON body is pretty-printed and coloured."""
    result, shown = await on_terminal("get", f"{server.url}/json")
    assert result.returncode == 0, result.stderr
    assert b"\x1b[" in shown
    plain = re.sub(rb"\x1b\[[0-9;]*m", b"", shown).decode().replace("\r\n", "\n")
    assert plain == '{\n  "hello": "world",\n  "items": [\n    1,\n    2,\n    3\n  ]\n}\n'


async def test_binary_body_is_not_dumped_on_a_terminal(server):
    """On a terminal, a binary body is not printed: a note on stderr says how to save it."""
    result, shown = await on_terminal("get", f"{server.url}/bytes/5000")
    assert result.returncode == 0
    assert shown == b""
    assert result.stderr.decode() == (
        "trioaxios: note: a binary body (5000 bytes) is not shown on a terminal; "
        "use -o FILE or a pipe\n"
    )


async def test_help_documents_the_exit_statuses():
    """--help ends with the exit-status table, Ctrl-C included."""
    result = await cli("--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    for line in ("4    the server answered 4xx", "7    timeout", "130  interrupted (Ctrl-C)"):
        assert line in text


# -- failures -----------------------------------------------------------------------------


FAILURES = {
    "http-4xx": (
        ["get", "{url}/status/404"], 4, "ERR_BAD_REQUEST: Request failed with status code 404"
    ),
    "http-5xx": (
        ["get", "{url}/status/503"], 5, "ERR_BAD_RESPONSE: Request failed with status code 503"
    ),
    "network": (["get", "http://127.0.0.1:{port}/"], 6, "ERR_NETWORK: Network Error"),
    "timeout": (
        ["get", "{url}/slow?delay=5", "--timeout", "0.3"], 7, "ECONNABORTED: timeout of 0.3s"
    ),
    "invalid-url": (["get", "ftp://127.0.0.1/x"], 3, "ERR_INVALID_URL: URL scheme 'ftp'"),
    "redirects": (["get", "{url}/redirect/25"], 8, "ERR_FR_TOO_MANY_REDIRECTS: Maximum number"),
    "bad-json": (["post", "{url}/echo", "--json", "{{nope"], 2, "ERR_BAD_OPTION_VALUE: --json"),
    "bad-value": (
        ["get", "{url}/json", "--timeout", "-1"], 2, "ERR_BAD_OPTION_VALUE: option 'timeout'"
    ),
    "bad-file": (
        ["post", "{url}/echo", "--file", "f=@{tmp}/nope"], 2, "ERR_BAD_OPTION_VALUE: --file"
    ),
    "output": (["get", "{url}/json", "-o", "{tmp}/no/such/dir/x"], 9, "error: cannot write"),
}  # fmt: skip


@pytest.mark.parametrize(("args", "status", "line"), FAILURES.values(), ids=FAILURES.keys())
async def test_failure_exit_status_and_one_error_line(server, tmp_path, args, status, line):
    """Each failure class has its own exit status and one stderr line naming the code."""
    values = {"url": server.url, "port": closed_port(), "tmp": tmp_path}
    result = await cli(*(arg.format(**values) for arg in args))
    assert result.returncode == status, result.stderr
    assert error_lines(result) == [error_lines(result)[0]]
    assert error_lines(result)[0].startswith(f"trioaxios: {line}")
    assert b"Traceback" not in result.stderr


async def test_usage_error_prints_the_usage_and_exits_2(server):
    """An unknown option is a usage error: argparse's usage and message, status 2."""
    result = await cli("get", f"{server.url}/json", "--frobnicate")
    assert result.returncode == 2
    assert "usage: trioaxios" in result.stderr.decode()
    assert "unrecognized arguments: --frobnicate" in result.stderr.decode()
    assert server.app.count("/json") == 0


async def test_sigint_during_a_download_exits_130_and_removes_the_partial_file(server, tmp_path):
    """Ctrl-C mid-download cancels it: status 130, one line, no traceback, no partial file."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    url = f"{server.url}/drip?chunks=300&interval=0.05&size=1000"
    command = [sys.executable, "-m", "trioaxios", "get", url, "-o", str(downloads / "drip.bin")]
    stderr = bytearray()
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            process = await nursery.start(
                functools.partial(
                    trio.run_process,
                    command,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    check=False,
                    env=ENV,
                )
            )

            async def collect():
                async for chunk in process.stderr:
                    stderr.extend(chunk)

            nursery.start_soon(collect)
            while True:  # wait until the partial file has data in it
                files = list(await trio.Path(downloads).iterdir())
                if files and (await files[0].stat()).st_size > 0:
                    break
                await trio.sleep(0.05)
            process.send_signal(signal.SIGINT)
    assert process.returncode == 130
    text = stderr.decode()
    assert "Traceback" not in text
    expected = (
        "trioaxios: ERR_CANCELED: interrupted (Ctrl-C): the request was cancelled; "
        "the partial download was removed"
    )
    assert [line for line in text.splitlines() if line.startswith("trioaxios:")] == [expected]
    assert list(await trio.Path(downloads).iterdir()) == []
