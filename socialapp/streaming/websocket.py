"""Mastodon's streaming API over one WebSocket at /api/v1/streaming.

The client multiplexes streams on the socket: it sends `{"type": "subscribe", "stream": "user"}`
(or `"hashtag"` with `"tag"`, ...) and `{"type": "unsubscribe", ...}`; each event comes back as
Mastodon's server sends it, `{"stream": ["hashtag", "foo"], "event": "update", "payload": "<the
JSON as a string>"}` (for `delete`, the bare id). A `stream` query parameter subscribes at once.
A bad request gets `{"error": ..., "status": ...}` on the socket, as Mastodon answers one;
a bad token refuses the upgrade with 401. The token may come as `Authorization`, the
`access_token` parameter or the `Sec-WebSocket-Protocol` header (echoed back, as Mastodon does).
Keep-alive is the server's WebSocket pings (uvicorn's, every 20 seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import orjson
from django.conf import settings
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from socialapp.streaming import metrics
from socialapp.streaming.auth import authenticate, authorise, token_from
from socialapp.streaming.channels import Channel, StreamError
from socialapp.streaming.hub import CLOSE, HEARTBEAT, Connection, Hub, cancel_all


def base_url_of(websocket: WebSocket) -> str:
    """As app.base_url_of, for a WebSocket (wss: the statuses' URLs are https)."""
    if settings.STREAMING_WEB_URL:
        return settings.STREAMING_WEB_URL.rstrip("/")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return f"{scheme}://{websocket.headers.get('host', 'localhost')}"


async def mastodon_websocket(websocket: WebSocket) -> None:
    hub: Hub = websocket.app.state.hub
    secret = token_from(websocket.headers, websocket.query_params, websocket=True)
    try:
        viewer = await authenticate(secret)
        initial = None
        if websocket.query_params.get("stream"):
            initial = Channel.parse(websocket.query_params.get("stream"), websocket.query_params.get("tag"))
            authorise(viewer, initial)
        from socialapp.streaming.app import broker_ready  # app imports this module

        await broker_ready(websocket.app)
        conn = Connection(api="mastodon", viewer=viewer, base_url=base_url_of(websocket), transport="ws")
        await hub.open(conn)
    except StreamError as exc:
        await websocket.send_denial_response(JSONResponse({"error": exc.detail}, status_code=exc.status))
        return
    protocol = websocket.headers.get("sec-websocket-protocol")
    try:
        await websocket.accept(subprotocol=protocol if protocol and protocol == secret else None)
        if initial is not None:
            await hub.subscribe(conn, initial)
        reader = asyncio.create_task(_read(websocket, hub, conn))
        writer = asyncio.create_task(_write(websocket, conn))
        closed = asyncio.create_task(conn.closed.wait())
        tasks = [reader, writer, closed]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await cancel_all(tasks)
        with contextlib.suppress(Exception):  # a client that stopped reading may not take it
            await asyncio.wait_for(websocket.close(code=1000 if conn.close_reason is None else 1008), timeout=2)
    finally:
        await hub.close(conn)


async def _read(websocket: WebSocket, hub: Hub, conn: Connection) -> None:
    try:
        while True:
            text = await websocket.receive_text()
            try:
                request = orjson.loads(text)
                kind, name, tag = request.get("type"), request.get("stream"), request.get("tag")
                if kind not in ("subscribe", "unsubscribe"):
                    raise StreamError(400, "Unknown message type")
                channel = Channel.parse(name, tag)
                if kind == "subscribe":
                    authorise(conn.viewer, channel)
                    await hub.subscribe(conn, channel)
                else:
                    await hub.unsubscribe(conn, channel)
            except StreamError as exc:
                await websocket.send_text(orjson.dumps({"error": exc.detail, "status": exc.status}).decode())
            except (orjson.JSONDecodeError, AttributeError):
                await websocket.send_text(orjson.dumps({"error": "Malformed message", "status": 400}).decode())
    except (WebSocketDisconnect, RuntimeError):
        return


async def _write(websocket: WebSocket, conn: Connection) -> None:
    while True:
        event = await conn.queue.get()
        if event is CLOSE:
            return
        if event is HEARTBEAT:  # SSE only; the WebSocket's own pings keep it alive
            continue
        message = {"stream": event.channel.stream, "event": event.name, "payload": event.data}
        await websocket.send_text(orjson.dumps(message).decode())
        metrics.PUSHED.labels(event.name).inc()
        metrics.LATENCY.observe(max(0.0, time.time() - event.occurred_at))
