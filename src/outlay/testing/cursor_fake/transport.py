"""Adapters from ``FakeCursorAPI.handle`` to httpx (in-process) and to ASGI (served by uvicorn)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from outlay.testing.cursor_fake.api import FakeCursorAPI
from outlay.testing.cursor_fake.faults import FakeDisconnect

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def mock_transport(api: FakeCursorAPI) -> httpx.MockTransport:
    """For ``httpx.Client(transport=mock_transport(api), base_url="https://api.cursor.com")``.

    ``Fault.disconnect()`` raises ``httpx.ConnectError`` (``timeout=True``: ``httpx.ReadTimeout``).
    """

    def handler(request: httpx.Request) -> httpx.Response:
        body = request.read()
        try:
            response = api.handle(request.method, request.url.path, request.headers, body)
        except FakeDisconnect as exc:
            if exc.timeout:
                raise httpx.ReadTimeout(str(exc), request=request) from None
            raise httpx.ConnectError(str(exc), request=request) from None
        return httpx.Response(response.status, headers=response.headers, content=response.body)

    return httpx.MockTransport(handler)


def asgi_app(api: FakeCursorAPI) -> ASGIApp:
    """A plain ASGI 3 callable (no framework). ``Fault.disconnect()`` announces a body, sends
    part of it and returns, so the server closes the connection mid-response."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            # Off the event loop: generating a cold day can take a moment.
            response = await asyncio.to_thread(
                api.handle, scope["method"], scope["path"], headers, bytes(body)
            )
        except FakeDisconnect:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"usageEv', "more_body": True})
            return
        raw_headers = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
        ]
        raw_headers.append((b"content-length", str(len(response.body)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status, "headers": raw_headers}
        )
        await send({"type": "http.response.body", "body": response.body})

    return app


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
