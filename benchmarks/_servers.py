"""
The loopback HTTP server the throughput benchmark talks to: nginx when installed, else granian.

``serve()`` starts one on ``127.0.0.1`` (a free port, one worker process, so the client keeps
the other core), waits until it answers ``GET /json`` and yields a ``Server``. Both serve the
same endpoints with the same bodies:

* ``GET /json``: 200, ``application/json``, ``JSON_BODY`` (about 100 bytes);
* ``GET /bytes``: 200, ``application/octet-stream``, ``payload()`` (1 MiB);
* ``GET /protected``: 200 ``PROTECTED_BODY`` with ``Authorization: Bearer fresh-token``, else
  401 ``EXPIRED_BODY``;
* ``POST /auth/refresh``: 200 ``REFRESH_BODY``.

nginx runs with a generated configuration in a temporary prefix directory (``daemon off``,
``worker_processes 1``, no access log, ``keepalive_requests 100000``); granian runs
``_granian_app.py`` (RSGI, one worker); ``BENCH_SERVER=granian`` picks granian even when nginx
is installed. ``Server.cpu_seconds()`` sums user + system CPU of
the server's processes (master and workers) from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import contextlib
import grp
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
JSON_BODY = (
    b'{"id":1,"name":"widget","price":9.99,"tags":["a","b","c"],'
    b'"active":true,"owner":{"id":7,"name":"ada"}}'
)
PAYLOAD_SIZE = 1024 * 1024
PROTECTED_BODY = b'{"ok":true,"user":"ada"}'
EXPIRED_BODY = b'{"error":"expired"}'
REFRESH_BODY = b'{"token":"fresh-token","refreshToken":"r2"}'
FRESH_AUTHORIZATION = "Bearer fresh-token"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
#: The resolution of the CPU times in ``/proc/<pid>/stat``, in seconds (usually 10 ms).
CPU_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
_NGINX_FALLBACK = Path("/usr/sbin/nginx")


def payload() -> bytes:
    """The 1 MiB body of ``GET /bytes`` (deterministic)."""
    return bytes(range(256)) * (PAYLOAD_SIZE // 256)


def nginx_binary() -> str | None:
    """The nginx executable, or ``None`` when it is not installed (or ``BENCH_SERVER=granian``)."""
    if os.environ.get("BENCH_SERVER") == "granian":
        return None
    found = shutil.which("nginx")
    if found:
        return found
    if os.access(_NGINX_FALLBACK, os.X_OK):
        return str(_NGINX_FALLBACK)
    return None


def _nginx_version(binary: str) -> str:
    probe = subprocess.run(  # noqa: S603 - our own nginx path, fixed arguments
        [binary, "-v"], capture_output=True, text=True, timeout=10, check=False
    )
    found = re.search(r"nginx/(\S+)", probe.stderr + probe.stdout)
    return found.group(1) if found else "unknown version"


def server_software() -> str:
    """What ``serve()`` will run: ``"nginx 1.22.1"``, ``"granian 2.8.7"``, or why neither."""
    binary = nginx_binary()
    if binary:
        return f"nginx {_nginx_version(binary)}"
    try:
        return f"granian {version('granian')}"
    except PackageNotFoundError:
        return "neither nginx nor granian is installed"


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name, or ``None`` if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds used so far by the live processes among ``pids``."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:  # fields[11], fields[12]: utime, stime (stat fields 14, 15)
            total += int(fields[11]) + int(fields[12])
    return total * CPU_TICK_S


def process_tree(root: int) -> list[int]:
    """``root`` and all its live descendants (from the parent pids in ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:  # fields[1]: the parent pid (stat field 4)
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree = [root]
    for pid in tree:
        tree.extend(children.get(pid, []))
    return tree


@dataclass
class Server:
    """A running server: ``url`` (no trailing slash), ``name`` and version, process ids."""

    name: str
    url: str
    pids: list[int]

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server's processes have used since they started."""
        return cpu_seconds(self.pids)


def free_port() -> int:
    """A TCP port on ``HOST`` that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _nginx_user_directive() -> str:
    """As root, nginx workers would become ``nobody``, who cannot read the temporary prefix."""
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"


def _nginx_conf(prefix: Path, port: int) -> str:
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    json = "default_type application/json;"
    return f"""
daemon off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log stderr warn;
{_nginx_user_directive()}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 100000;
    keepalive_timeout 75s;
{temp_paths}
    types {{ }}
    default_type application/octet-stream;
    server {{
        listen {HOST}:{port} backlog=4096;
        root {prefix / "www"};
        location = /json {{ {json} return 200 '{JSON_BODY.decode()}'; }}
        location = /bytes {{ }}
        location = /protected {{
            {json}
            if ($http_authorization = "{FRESH_AUTHORIZATION}") {{
                return 200 '{PROTECTED_BODY.decode()}';
            }}
            return 401 '{EXPIRED_BODY.decode()}';
        }}
        location = /auth/refresh {{
            {json}
            if ($request_method != POST) {{ return 405; }}
            return 200 '{REFRESH_BODY.decode()}';
        }}
        location / {{ return 404; }}
    }}
}}
"""


def _nginx_command(binary: str, prefix: Path, port: int) -> list[str]:
    (prefix / "www").mkdir()
    (prefix / "www" / "bytes").write_bytes(payload())
    conf = prefix / "nginx.conf"
    conf.write_text(_nginx_conf(prefix, port), encoding="utf-8")
    return [binary, "-p", str(prefix), "-c", str(conf), "-e", "stderr"]


def _granian_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "rsgi",
        "--workers",
        "1",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-ws",
        "--log-level",
        "warning",
        "--working-dir",
        str(HERE),
        "_granian_app:app",
    ]


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=1.0)
    try:
        connection.request("GET", "/json")
        response = connection.getresponse()
        return response.status == 200 and response.read() == JSON_BODY
    except OSError:
        return False
    finally:
        connection.close()


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, name: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not _answers(port):
        if process.poll() is not None:
            text = log.read_text(errors="replace")
            msg = f"{name} exited with status {process.returncode} on startup:\n{text}"
            raise RuntimeError(msg)
        if time.monotonic() > deadline:
            text = log.read_text(errors="replace")
            msg = f"{name} did not answer GET /json within {STARTUP_TIMEOUT:.0f} s:\n{text}"
            raise RuntimeError(msg)
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, wait, kill; then kill whatever is left of its process group (workers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the group start_new_session gave it


@contextlib.contextmanager
def serve() -> Iterator[Server]:
    """Run nginx (or, without nginx, granian) on a free loopback port until the block ends."""
    binary = nginx_binary()
    name = server_software()
    with tempfile.TemporaryDirectory(prefix="trioaxios-bench-") as temp:
        prefix = Path(temp)
        port = free_port()
        command = _nginx_command(binary, prefix, port) if binary else _granian_command(port)
        log = prefix / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - a fixed command line we built
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=prefix,
                start_new_session=True,
            )
        try:
            _wait_until_ready(process, port, name, log)
            yield Server(name, f"http://{HOST}:{port}", process_tree(process.pid))
        finally:
            _stop(process)
