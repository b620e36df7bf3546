"""Load shedding: past max_in_flight a request is answered 503 at once, except auth and probes."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from gateway.middleware import GatewayMiddleware
from gateway.settings import GatewaySettings

Answer = tuple[int, dict[bytes, bytes], bytes]


def test_a_busy_process_sheds_with_retry_after_but_never_auth_or_probes() -> None:
    async def scenario() -> tuple[list[Answer], Answer, Answer, Answer, Answer]:
        release = asyncio.Event()

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["path"] == "/api/v1/visits":
                await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"served"})

        middleware = GatewayMiddleware(app, GatewaySettings(max_in_flight=2))

        async def call(path: str) -> Answer:
            sent: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            scope = {"type": "http", "method": "POST", "path": path, "headers": [], "query_string": b""}
            await middleware(scope, receive, send)
            body = b"".join(m.get("body", b"") for m in sent[1:])
            return sent[0]["status"], dict(sent[0]["headers"]), body

        slow = [asyncio.create_task(call("/api/v1/visits")) for _ in range(2)]
        await asyncio.sleep(0)  # both are now in flight, waiting
        shed = await call("/api/v1/tracks")
        refresh = await call("/api/v1/auth/refresh")
        probe = await call("/readyz")
        release.set()
        served = await asyncio.gather(*slow)
        after = await call("/api/v1/tracks")
        return served, shed, refresh, probe, after

    served, shed, refresh, probe, after = asyncio.run(scenario())
    assert [a[0] for a in served] == [200, 200]
    status, headers, body = shed
    assert status == 503
    assert headers[b"retry-after"] == b"1"
    assert orjson.loads(body)["error"]["code"] == "unavailable"
    assert (refresh[0], refresh[2]) == (200, b"served")
    assert (probe[0], probe[2]) == (200, b"served")
    assert (after[0], after[2]) == (200, b"served")
