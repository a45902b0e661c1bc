"""
Benchmark pieces in processes of their own: the demo server, and workers that print JSON.

``demo_server()`` runs this file as a subprocess. The child serves a ``CountingDemoApp``
(``trioaxios._demo_server.serve_demo_app``: hypercorn on Trio, 127.0.0.1, port 0), prints the
server's URL on stdout and serves until its stdin closes, so it also stops if the parent dies.
``CountingDemoApp`` answers ``GET /_stats`` with how many requests it has received and how many
handlers are running (``in_flight``); ``server_stats()`` asks it over a plain blocking socket,
from any event loop, with a few hundred bytes of allocations.

``run_worker()`` runs a worker script of this directory and returns the JSON it printed last.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from trioaxios._demo_server import DemoApp, serve_demo_app

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, MutableMapping

HERE = Path(__file__).resolve().parent
STATS_PATH = "/_stats"
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 5.0
STATS_TIMEOUT = 10.0
IN_FLIGHT_TIMEOUT = 120.0
POLL_INTERVAL = 0.005


class CountingDemoApp(DemoApp):
    """``DemoApp`` plus ``GET /_stats``: ``{"received": ..., "in_flight": ...}`` as JSON."""

    def __init__(self) -> None:
        """Create the app with no request in flight."""
        super().__init__()
        self.in_flight = 0

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        """Answer ``/_stats`` here; count every other HTTP request while the app handles it."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
        elif scope["path"] == STATS_PATH:
            stats = {"received": len(self.requests), "in_flight": self.in_flight}
            body = json.dumps(stats).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        else:
            self.in_flight += 1
            try:
                await super().__call__(scope, receive, send)
            finally:
                self.in_flight -= 1


def server_stats(url: str) -> dict[str, int]:
    """Return ``{"received": ..., "in_flight": ...}`` from the demo server at ``url``."""
    parts = urllib.parse.urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    request = f"GET {STATS_PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(address, timeout=STATS_TIMEOUT) as sock:
        sock.sendall(request.encode("ascii"))
        received = bytearray()
        while chunk := sock.recv(4096):
            received += chunk
    return json.loads(bytes(received).partition(b"\r\n\r\n")[2])


async def wait_in_flight(
    url: str, target: int, sleep: Callable[[float], Awaitable[object]]
) -> None:
    """Poll until the server holds ``target`` requests; ``sleep`` is the event loop's sleep."""
    deadline = time.monotonic() + IN_FLIGHT_TIMEOUT
    while (held := server_stats(url)["in_flight"]) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server holds {held} requests, not {target}")
        await sleep(POLL_INTERVAL)


@contextlib.contextmanager
def demo_server() -> Iterator[str]:
    """Run the demo server in a subprocess for the block; yield its base URL."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter running this very file
        [sys.executable, str(Path(__file__).resolve())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("http://"):
            raise RuntimeError(f"the demo server did not start (it printed {line!r})")
        yield line.strip()
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_worker(script: str, *args: str | float, timeout: float) -> Any:
    """Run ``benchmarks/<script> <args>`` in a fresh interpreter; return its last JSON line."""
    command = [sys.executable, str(HERE / script), *map(str, args)]
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own script
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} exited {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _serve() -> None:
    async with serve_demo_app(CountingDemoApp(), host="127.0.0.1") as server:
        print(server.url, flush=True)
        await trio.to_thread.run_sync(sys.stdin.read)  # returns once the parent closes stdin


if __name__ == "__main__":
    trio.run(_serve)
