"""Smoke tests of the embedded demo server, driven by a raw httpx2 client."""

from __future__ import annotations

import json

import httpx2
import trio

from trioaxios._demo_server import DemoApp, serve_demo_app


async def test_echo_describes_the_request(server):
    """Echo reports method, path, query, args, headers, body, parsed JSON and length."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            response = await client.post(
                "/echo/some/where?a=1&b=2&a=3",
                json={"x": [1, "é"]},
                headers={"X-Custom": "yes"},
            )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    data = response.json()
    assert data["method"] == "POST"
    assert data["path"] == "/echo/some/where"
    assert data["query"] == "a=1&b=2&a=3"
    assert data["args"] == {"a": "3", "b": "2"}
    assert data["headers"]["x-custom"] == "yes"
    assert "application/json" in data["headers"]["content-type"]
    assert data["json"] == {"x": [1, "é"]}
    assert json.loads(data["body"]) == {"x": [1, "é"]}
    assert data["length"] == len(data["body"].encode())


async def test_echo_plain_body_and_repeated_headers(server):
    """A non-JSON body gives json null, and repeated header names are joined with a comma."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            response = await client.put(
                "/echo",
                content=b"\xffhi",
                headers=[("x-dup", "one"), ("x-dup", "two"), ("content-type", "text/plain")],
            )
    data = response.json()
    assert data["method"] == "PUT"
    assert data["json"] is None
    assert data["body"] == "\ufffdhi"
    assert data["length"] == 3
    assert data["headers"]["x-dup"] == "one, two"


async def test_status_codes_and_empty_bodies(server):
    """Status endpoints answer with the code; 204, 304 and HEAD carry no body."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            teapot = await client.get("/status/418")
            no_content = await client.delete("/status/204")
            not_modified = await client.get("/status/304")
            head = await client.head("/status/500")
            empty = await client.get("/empty")
            missing = await client.get("/nowhere")
            invalid = await client.get("/status/abc")
    assert teapot.status_code == 418
    assert teapot.json() == {"status": 418}
    assert (no_content.status_code, no_content.content) == (204, b"")
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert (head.status_code, head.content) == (500, b"")
    assert (empty.status_code, empty.content) == (204, b"")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not found"}
    assert invalid.status_code == 400


async def test_json_text_and_bad_json(server):
    """The fixed JSON, text (in three charset flavours) and broken-JSON endpoints."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            as_json = await client.get("/json")
            utf8 = await client.get("/text")
            latin1 = await client.get("/text", params={"charset": "latin-1"})
            bare = await client.get("/text", params={"charset": "none"})
            bad = await client.get("/bad-json")
    assert as_json.json() == {"hello": "world", "items": [1, 2, 3]}
    assert utf8.headers["content-type"] == "text/plain; charset=utf-8"
    assert utf8.content == "héllo wörld".encode()
    assert latin1.headers["content-type"] == "text/plain; charset=latin-1"
    assert latin1.content == "héllo wörld".encode("latin-1")
    assert latin1.text == "héllo wörld"
    assert bare.headers["content-type"] == "text/plain"
    assert bad.headers["content-type"] == "application/json"
    assert bad.content == b"{not json" + b"x" * 10000


async def test_bytes_streams_deterministic_content(server):
    """/bytes/<n> sends exactly n pattern bytes with a content-length."""
    n = 200_000
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            response = await client.get(f"/bytes/{n}")
            zero = await client.get("/bytes/0")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == str(n)
    assert response.content == bytes(i % 251 for i in range(n))
    assert zero.content == b""


async def test_drip_is_chunked_and_paced(server):
    """/drip sends its chunks without a content-length, spaced by the interval."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            started = trio.current_time()
            arrivals = []
            received = b""
            async with client.stream(
                "GET", "/drip", params={"chunks": 4, "interval": 0.1, "size": 3}
            ) as response:
                assert "content-length" not in response.headers
                assert response.headers["transfer-encoding"] == "chunked"
                async for chunk in response.aiter_raw():
                    received += chunk
                    arrivals.append(trio.current_time() - started)
    assert received == b"x" * 12
    assert 0.35 <= arrivals[-1] < 3.0


async def test_slow_waits_before_answering(server):
    """/slow and /headers-slow sleep for the requested delay before the response starts."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            started = trio.current_time()
            slow = await client.get("/slow", params={"delay": 0.2})
            headers_slow = await client.get("/headers-slow", params={"delay": 0.1})
            elapsed = trio.current_time() - started
    assert slow.json() == {"slept": 0.2}
    assert headers_slow.json() == {"slept": 0.1}
    assert 0.3 <= elapsed < 3.0


async def test_redirect_locations(server):
    """Redirect endpoints send 3xx responses with the expected Location headers."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url, follow_redirects=False) as client:
            two = await client.get("/redirect/2")
            last = await client.get("/redirect/0")
            custom = await client.get("/redirect-to", params={"url": "/echo?x=1", "status": 307})
            default = await client.get("/redirect-to", params={"url": "http://127.0.0.1:1/"})
    assert (two.status_code, two.headers["location"]) == (302, "/redirect/1")
    assert (last.status_code, last.headers["location"]) == (302, "/json")
    assert (custom.status_code, custom.headers["location"]) == (307, "/echo?x=1")
    assert (default.status_code, default.headers["location"]) == (302, "http://127.0.0.1:1/")


async def test_redirects_can_be_followed(server):
    """Following /redirect/3 ends on /json after three hops."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url, follow_redirects=True) as client:
            response = await client.get("/redirect/3")
    assert response.json() == {"hello": "world", "items": [1, 2, 3]}
    assert len(response.history) == 4


async def test_gzip_is_decoded(server):
    """/gzip is gzip-encoded on the wire and decodes to its JSON document."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            response = await client.get("/gzip")
    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"gzipped": True}


async def test_cookies_set(server):
    """/cookies/set sends one Set-Cookie header per query parameter."""
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            response = await client.get("/cookies/set", params={"a": "1", "b": "two"})
    assert response.json() == {}
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=two; Path=/"]
    assert client.cookies["a"] == "1"
    assert client.cookies["b"] == "two"


async def test_auth_flow(server):
    """Wrong tokens get 401, refresh rotates tokens once, and reused refresh tokens fail."""
    auth = server.app.auth
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            good = await client.get("/protected", headers={"authorization": "Bearer token-1"})
            wrong = await client.get("/protected/x", headers={"authorization": "Bearer nope"})
            refreshed = await client.post("/auth/refresh", json={"refresh_token": "refresh-1"})
            new_token = refreshed.json()["token"]
            fresh = await client.get(
                "/protected/x", headers={"authorization": f"Bearer {new_token}"}
            )
            stale = await client.get("/protected", headers={"authorization": "Bearer token-1"})
            reused = await client.post("/auth/refresh", json={"refresh_token": "refresh-1"})
            garbage = await client.post("/auth/refresh", content=b"not json")
    assert good.json() == {"ok": True, "generation": 1, "path": "/protected"}
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "token expired"}
    assert refreshed.status_code == 200
    assert refreshed.json() == {"token": "token-2", "refreshToken": "refresh-2", "expires_in": 3600}
    assert fresh.json() == {"ok": True, "generation": 2, "path": "/protected/x"}
    assert stale.status_code == 401
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant"}
    assert garbage.status_code == 400
    assert auth.refresh_calls == 3
    assert auth.used_refresh_tokens == {"refresh-1"}


async def test_auth_expire_fail_and_business_code(server):
    """expire() invalidates the access token, refresh_fails rejects, /protected-code says 4001."""
    auth = server.app.auth
    bearer = {"authorization": "Bearer token-1"}
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            ok_code = await client.get("/protected-code", headers=bearer)
            auth.expire()
            expired = await client.get("/protected", headers=bearer)
            expired_code = await client.get("/protected-code", headers=bearer)
            auth.refresh_fails = True
            failed = await client.post("/auth/refresh", json={"refresh_token": "refresh-1"})
            auth.refresh_fails = False
            refreshed = await client.post("/auth/refresh", json={"refresh_token": "refresh-1"})
            wrong_method = await client.get("/auth/refresh")
    assert ok_code.json()["ok"] is True
    assert expired.status_code == 401
    assert expired_code.status_code == 200
    assert expired_code.json() == {"code": 4001, "message": "token expired"}
    assert failed.status_code == 400
    assert refreshed.json()["refreshToken"] == "refresh-2"
    assert wrong_method.status_code == 405
    assert auth.refresh_calls == 2


async def test_concurrent_refresh_only_one_wins(server):
    """Two refreshes racing with the same token: one succeeds, the other is rejected."""
    server.app.auth.refresh_delay = 0.2
    statuses = []

    async def refresh(client):
        response = await client.post("/auth/refresh", json={"refresh_token": "refresh-1"})
        statuses.append(response.status_code)

    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client, trio.open_nursery() as n:
            n.start_soon(refresh, client)
            n.start_soon(refresh, client)
    assert sorted(statuses) == [200, 400]
    assert server.app.auth.refresh_calls == 2
    assert server.app.auth.generation == 2


async def test_requests_are_recorded(server):
    """app.requests records every request in order, with bodies; count() and reset() work."""
    app = server.app
    with trio.fail_after(10):
        async with httpx2.AsyncClient(base_url=server.url) as client:
            await client.get("/json", params={"q": "1"}, headers={"X-Trace": "abc"})
            await client.post("/echo", content=b"payload")
            await client.get("/json")
    assert [r.path for r in app.requests] == ["/json", "/echo", "/json"]
    first, second, _ = app.requests
    assert first.method == "GET"
    assert first.query == "q=1"
    assert ("x-trace", "abc") in first.headers
    assert first.header("X-Trace") == "abc"
    assert all(name == name.lower() for name, _ in first.headers)
    assert second.body == b"payload"
    assert app.count("/json") == 2
    assert app.count("/echo") == 1
    assert app.count("/nowhere") == 0
    auth = app.auth
    auth.rotate()
    auth.used_refresh_tokens.add("refresh-1")
    app.reset()
    assert app.requests == []
    assert app.auth is auth
    assert (auth.generation, auth.access_token, auth.used_refresh_tokens) == (1, "token-1", set())


async def test_serve_given_app_and_disconnect_cancels_slow_handler():
    """serve_demo_app serves a given app, and a client leaving a slow request frees the server."""
    app = DemoApp()
    with trio.fail_after(10):
        async with serve_demo_app(app) as srv:
            assert srv.app is app
            assert srv.url.startswith("http://127.0.0.1:")
            assert not srv.url.endswith("/")
            async with httpx2.AsyncClient(base_url=srv.url) as client:
                with trio.move_on_after(0.2):
                    await client.get("/slow", params={"delay": 30})
            stopping = trio.current_time()
        # Without the disconnect noticed, shutdown would wait out the graceful timeout.
        assert trio.current_time() - stopping < 0.5
    assert app.count("/slow") == 1


async def test_shutdown_with_idle_pooled_connection_is_quick():
    """An idle keep-alive connection still open at shutdown is closed right away."""
    with trio.fail_after(10):
        client = httpx2.AsyncClient()
        try:
            async with serve_demo_app() as srv:
                first = await client.get(f"{srv.url}/json")
                second = await client.get(f"{srv.url}/json")
                stopping = trio.current_time()
            assert trio.current_time() - stopping < 0.5
        finally:
            await client.aclose()
    assert first.status_code == second.status_code == 200
