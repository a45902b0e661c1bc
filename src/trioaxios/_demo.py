"""
``trioaxios demo``: every feature that exists, live, against an embedded server on 127.0.0.1.

Each step prints what it did and what came back; a summary table ends the run. Needs the
``demo`` extra (hypercorn serves the embedded app, rich prints).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import trio

from ._api import all as all_requests
from ._cancel import CancelToken
from ._client import Client, create
from ._demo_server import DemoServer, serve_demo_app
from ._errors import AxiosError, CanceledError
from .middleware import AuthRefresh, Token

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from rich.console import Console

    from ._pipeline import Context, Next


@dataclass(slots=True)
class _Step:
    name: str
    outcome: str
    elapsed_ms: float


async def _concurrent(api: Client, console: Console) -> str:
    requests = [api.get("/slow", params={"delay": 0.2}) for _ in range(10)]
    started = trio.current_time()
    responses = await all_requests(requests)
    took = trio.current_time() - started
    console.print(
        f"  10 requests of 0.2 s each ran concurrently: {took:.2f} s in all, "
        f"statuses {sorted({r.status for r in responses})}"
    )
    return f"10 x 200 in {took:.2f} s"


async def _streaming(api: Client, console: Console) -> str:
    events: list[int] = []
    received = 0
    async with api.get(
        "/bytes/3000000", on_download_progress=lambda e: events.append(e.loaded)
    ) as response:
        async for chunk in response.aiter_bytes():
            received += len(chunk)
    console.print(
        f"  streamed {received:,} bytes; {len(events)} throttled progress events, "
        f"last at {events[-1]:,} bytes"
    )
    return f"{received:,} bytes, {len(events)} progress events"


async def _error_code(api: Client, console: Console) -> str:
    try:
        await api.get("/status/404")
    except AxiosError as error:
        console.print(
            f"  GET /status/404 -> {type(error).__name__} code={error.code} "
            f"status={error.status}: {error}"
        )
        return f"{error.code} (status {error.status})"
    return "no error?"


async def _bad_json(api: Client, console: Console) -> str:
    try:
        await api.get("/bad-json")
    except AxiosError as error:
        console.print(f"  GET /bad-json -> code={error.code}: {str(error)[:70]}...")
        return str(error.code)
    return "no error?"


async def _cancel(api: Client, console: Console) -> str:
    source = CancelToken.source()
    outcome = "not cancelled?"
    async with trio.open_nursery() as nursery:

        async def user_leaves() -> None:
            await trio.sleep(0.15)
            source.cancel("user left the page")

        nursery.start_soon(user_leaves)
        started = trio.current_time()
        try:
            await api.get("/slow", params={"delay": 10}, cancel_token=source.token)
        except CanceledError as error:
            took = (trio.current_time() - started) * 1000
            console.print(
                f"  a 10 s request cancelled after {took:.0f} ms: "
                f"code={error.code} reason={error.reason!r}"
            )
            outcome = f"{error.code} after {took:.0f} ms"
    return outcome


async def _timeout(api: Client, console: Console) -> str:
    try:
        await api.get("/drip", params={"chunks": 100, "interval": 0.1}, timeout=0.5)
    except AxiosError as error:
        console.print(
            f"  a server trickling 1 byte every 0.1 s, timeout=0.5 -> code={error.code}: {error}"
        )
        return f"{error.code}: {error}"
    return "no timeout?"


async def _pipeline(api: Client, console: Console) -> str:
    order: list[str] = []

    def stamp(config: Any) -> Any:
        config.headers["X-Request-Id"] = "demo-1"
        order.append("request interceptor")
        return config

    async def timing(ctx: Context, next_: Next) -> None:
        order.append("middleware in")
        started = trio.current_time()
        await next_()
        assert ctx.res is not None  # noqa: S101 - set by next()
        order.append(f"middleware out ({(trio.current_time() - started) * 1000:.1f} ms)")

    def unwrap(response: Any) -> Any:
        order.append("response interceptor")
        return response

    child = api.create()
    child.interceptors.request.use(stamp)
    child.interceptors.response.use(unwrap)
    child.use(timing)
    async with child:
        response = await child.get("/echo")
    console.print(
        f"  order: {' -> '.join(order)}; server saw "
        f"X-Request-Id={response.data['headers'].get('x-request-id')}"
    )
    return " -> ".join(step.split(" (")[0] for step in order)


async def _refresh_storm(server: DemoServer, console: Console) -> str:
    state = server.app.auth
    state.refresh_delay = 0.05
    refresh_token = state.refresh_token

    async def refresh(client: Client) -> Token:
        nonlocal refresh_token
        response = await client.post("/auth/refresh", {"refresh_token": refresh_token})
        refresh_token = response.data["refreshToken"]
        return Token(
            response.data["token"],
            refresh_token=refresh_token,
            expires_in=response.data["expires_in"],
        )

    auth = AuthRefresh(refresh, token=state.access_token)
    state.expire()  # the server stops accepting the token the client holds
    calls_before = state.refresh_calls
    async with create(base_url=server.url) as api:
        api.use(auth)
        responses = await all_requests([api.get("/protected") for _ in range(100)])
    refreshes = state.refresh_calls - calls_before
    generations = sorted({r.data["generation"] for r in responses})
    console.print(
        f"  100 concurrent requests with an expired token: {refreshes} refresh, "
        f"all {len(responses)} answered 200 with token generation {generations}"
    )
    return f"100 x 200 after {refreshes} refresh"


async def _forms(api: Client, console: Console) -> str:
    events: list[int] = []
    document = b"%PDF-1.7 demo " * 20_000
    response = await api.post_form(
        "/echo",
        {"title": "report", "file": ("report.pdf", document, "application/pdf")},
        on_upload_progress=lambda e: events.append(e.loaded),
    )
    kind = response.data["headers"]["content-type"].split(";")[0]
    console.print(
        f"  post_form sent a field and a {len(document):,}-byte file as {kind} "
        f"({response.data['length']:,} bytes on the wire, {len(events)} progress events)"
    )
    return f"{kind}, {response.data['length']:,} bytes"


async def _hardening(api: Client, console: Console) -> str:
    outcomes = []
    try:
        await api.get(
            "/encoded", params={"size": 50_000_000, "codings": "gzip"}, max_content_length=1_000_000
        )
    except AxiosError as error:
        console.print(
            f"  a gzip bomb (50 MB decoded) with max_content_length=1 MB -> "
            f"{error.code}: {str(error)[:60]}..."
        )
        outcomes.append(f"bomb: {error.code}")
    try:
        await api.get("http://evil.example/steal", allow_absolute_urls=False)
    except AxiosError as error:
        console.print(
            f"  an absolute URL with allow_absolute_urls=False -> {error.code}, nothing sent"
        )
        outcomes.append(f"absolute URL: {error.code}")
    secret = "s3cr3t-token"  # noqa: S105 - a fake token, to show it never appears in errors
    try:
        await api.get("/status/500", headers={"Authorization": f"Bearer {secret}"})
    except AxiosError as error:
        leaked = secret in repr(error.to_json()) + str(error) + repr(error.request)
        console.print(
            f"  a 500 carrying a bearer token: the token appears in the error's text: {leaked}"
        )
        outcomes.append(f"token leaked: {leaked}")
    return ", ".join(outcomes)


async def run_demo(console: Console) -> list[_Step]:
    """Run every demo step against an embedded server; return what each one showed."""
    steps: list[tuple[str, Callable[[Client, Console], Awaitable[str]]]] = [
        ("concurrent requests", _concurrent),
        ("streaming + progress", _streaming),
        ("status error", _error_code),
        ("bad JSON", _bad_json),
        ("interceptors + middleware", _pipeline),
        ("cancel token", _cancel),
        ("timeout (slow trickle)", _timeout),
        ("forms and files", _forms),
        ("hardening", _hardening),
    ]
    results: list[_Step] = []
    async with serve_demo_app() as server:
        console.print(f"[bold]embedded server[/bold] at {server.url}")
        async with create(base_url=server.url, headers={"X-App": "trioaxios-demo"}) as api:
            for name, step in steps:
                console.rule(f"[bold cyan]{name}")
                started = trio.current_time()
                outcome = await step(api, console)
                results.append(_Step(name, outcome, (trio.current_time() - started) * 1000))
        console.rule("[bold cyan]token refresh storm")
        started = trio.current_time()
        outcome = await _refresh_storm(server, console)
        results.append(
            _Step("token refresh storm", outcome, (trio.current_time() - started) * 1000)
        )
    return results


def main() -> int:
    """Run the demo and print the summary table; return the exit status."""
    try:
        from rich.console import Console  # noqa: PLC0415 - optional extra
        from rich.table import Table  # noqa: PLC0415 - optional extra
    except ImportError:
        print("the demo needs the demo extra: pip install 'trioaxios[demo]'")  # noqa: T201
        return 2
    console = Console()
    console.print("[bold]trioaxios demo[/bold]: axios for Trio, on httpx2")
    results = trio.run(run_demo, console)
    table = Table(title="summary")
    table.add_column("feature")
    table.add_column("what happened")
    table.add_column("ms", justify="right")
    for step in results:
        table.add_row(step.name, step.outcome, f"{step.elapsed_ms:.0f}")
    console.print(table)
    return 0
