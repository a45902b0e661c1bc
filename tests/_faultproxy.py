"""
A loopback fault proxy for tests: a Trio TCP proxy that breaks connections on purpose.

Start it next to a server and point the client at ``proxy.url``::

    proxy = await nursery.start(serve_fault_proxy, upstream_port)
    proxy.fault = Fault("reset", direction="down", at=100)   # new connections only

Each accepted connection opens its own upstream connection and pumps bytes both ways. A
``Fault`` applies to one direction — ``"up"`` (client to server) or ``"down"`` (server to
client) — from byte ``at`` of that direction onwards:

- ``reset``: forward the first ``at`` bytes, then abort both sockets (RST, ``SO_LINGER`` 0).
- ``truncate``: forward the first ``at`` bytes, then close both sockets cleanly (FIN).
- ``delay``: wait ``seconds`` before forwarding byte ``at``, then carry on normally.
- ``trickle``: from byte ``at`` on, forward ``size`` bytes every ``seconds``.
- ``blackhole``: after byte ``at``, stop reading from that direction's source and forward
  nothing more; the other direction keeps flowing, so the proxy still notices when the
  client goes away.

``proxy.open_upstream`` counts upstream sockets open right now (``wait_no_upstream()``
waits for zero); ``proxy.accepted`` counts connections; ``proxy.forwarded`` counts bytes
per direction.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from dataclasses import dataclass
from functools import partial
from typing import Literal

import trio

Direction = Literal["up", "down"]
Kind = Literal["reset", "truncate", "delay", "trickle", "blackhole"]

#: A reset that follows forwarded bytes waits this long first, so those bytes reach the peer
#: instead of being discarded with the socket's send buffer.
RESET_SETTLE = 0.05


class _FaultEndedError(Exception):
    """A fault ended the connection."""


@dataclass(frozen=True)
class Fault:
    """What to do to one direction of every new connection, from byte ``at`` on."""

    kind: Kind
    direction: Direction = "down"
    at: int = 0
    seconds: float = 0.1
    size: int = 1


def _abort(stream: trio.SocketStream) -> None:
    """Make the next close send RST instead of FIN."""
    with contextlib.suppress(OSError):  # already gone
        stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class FaultProxy:
    """The proxy's state; made and started by ``serve_fault_proxy``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.fault: Fault | None = None
        self.open_upstream = 0
        self.accepted = 0
        self.forwarded: dict[Direction, int] = {"up": 0, "down": 0}
        self._changed = trio.lowlevel.ParkingLot()

    @property
    def url(self) -> str:
        """The base URL clients use: ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    async def wait_no_upstream(self) -> None:
        """Wait until no upstream socket is open."""
        while self.open_upstream:
            await self._changed.park()

    async def handle(self, client: trio.SocketStream) -> None:
        """Proxy one accepted connection, applying the fault set when it arrived."""
        self.accepted += 1
        fault = self.fault
        try:
            upstream = await trio.open_tcp_stream("127.0.0.1", self.upstream_port)
        except OSError:
            await client.aclose()
            return
        self.open_upstream += 1
        self._changed.unpark_all()
        try:
            async with trio.open_nursery() as nursery:
                ends = (client, upstream, nursery.cancel_scope)
                for direction, source, sink in (
                    ("up", client, upstream),
                    ("down", upstream, client),
                ):
                    applies = fault if fault is not None and fault.direction == direction else None
                    pump = partial(self._pump, source=source, sink=sink, fault=applies, ends=ends)
                    nursery.start_soon(pump, direction)
        finally:
            with trio.CancelScope(shield=True):
                await upstream.aclose()
                await client.aclose()
            self.open_upstream -= 1
            self._changed.unpark_all()

    async def _pump(
        self,
        direction: Direction,
        *,
        source: trio.SocketStream,
        sink: trio.SocketStream,
        fault: Fault | None,
        ends: tuple[trio.SocketStream, trio.SocketStream, trio.CancelScope],
    ) -> None:
        """Copy ``source`` to ``sink``, applying ``fault``; any end stops both directions."""
        client, upstream, both_directions = ends
        offset = 0
        try:
            while True:
                data = await source.receive_some(65536)
                if not data:
                    break  # EOF: the connection is over for both directions
                if fault is not None and offset + len(data) > fault.at:
                    cut = max(fault.at - offset, 0)
                    head, rest = data[:cut], data[cut:]
                    await self._send(direction, sink, head)
                    offset += len(head)
                    await self._apply(fault, direction, sink, rest, (client, upstream))
                    fault = None if fault.kind == "delay" else fault
                    offset += len(rest)
                    continue
                await self._send(direction, sink, data)
                offset += len(data)
        except (_FaultEndedError, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        both_directions.cancel()

    async def _apply(
        self,
        fault: Fault,
        direction: Direction,
        sink: trio.SocketStream,
        rest: bytes,
        both: tuple[trio.SocketStream, trio.SocketStream],
    ) -> None:
        """
        Apply ``fault`` to ``rest``, the bytes read at or past its offset.

        A trickle returns after sending ``rest`` slowly; the pump calls again with the
        next data, so the trickle goes on to the end.
        """
        if fault.kind == "reset":
            await trio.sleep(RESET_SETTLE)
            for stream in both:
                _abort(stream)
            raise _FaultEndedError
        if fault.kind == "truncate":
            raise _FaultEndedError
        if fault.kind == "blackhole":
            await trio.sleep_forever()
        if fault.kind == "delay":
            await trio.sleep(fault.seconds)
            await self._send(direction, sink, rest)
            return
        for start in range(0, len(rest), fault.size):  # trickle
            await trio.sleep(fault.seconds)
            await self._send(direction, sink, rest[start : start + fault.size])

    async def _send(self, direction: Direction, sink: trio.SocketStream, data: bytes) -> None:
        if data:
            await sink.send_all(data)
            self.forwarded[direction] += len(data)


async def serve_fault_proxy(
    upstream_port: int, *, task_status: trio.TaskStatus[FaultProxy] = trio.TASK_STATUS_IGNORED
) -> None:
    """Run a fault proxy to ``127.0.0.1:upstream_port``; ``nursery.start`` returns it."""
    proxy = FaultProxy(upstream_port)
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, proxy.handle, 0, host="127.0.0.1"))
        proxy.port = listeners[0].socket.getsockname()[1]
        task_status.started(proxy)
