"""Server-sent events, framed exactly as Mastodon's streaming server writes them (and as
Mastodon.py's strict parser reads them): LF line endings only, `key: value` with one space,

    :)\\n                                   once, when the stream opens
    event: update\\ndata: {...}\\n\\n          one event (data: one line of JSON, or a bare id)
    :thump\\n                               a heartbeat, every STREAMING_HEARTBEAT_SECONDS (idle streams)

with `Content-Type: text/event-stream`, `Cache-Control: no-store`, `X-Accel-Buffering: no` (a
proxy must not buffer) and no compression. Our own stream adds an `id:` line (the status's or
notification's id) after `event:`, which EventSource keeps as Last-Event-ID.

The writer sends what the connection's queue holds, several events per write when they have
piled up. The response ends when the client goes away, or when the hub closes the connection
(slow client, token revoked): a writer blocked on a client that stopped reading is cancelled
after a short grace, which drops the TCP connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from starlette.types import Receive, Scope, Send

from socialapp.streaming import metrics
from socialapp.streaming.hub import CLOSE, HEARTBEAT, Connection, Event, Hub, cancel_all

OPEN = b":)\n"
HEARTBEAT_FRAME = b":thump\n"
HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]
BATCH = 64  # events joined into one write when a connection's queue has piled up


def frame_mastodon(event: Event) -> bytes:
    return f"event: {event.name}\ndata: {event.data}\n\n".encode()


def frame_ours(event: Event) -> bytes:
    if event.id is None:
        return frame_mastodon(event)
    return f"event: {event.name}\nid: {event.id}\ndata: {event.data}\n\n".encode()


class EventStream:
    """The ASGI response of one SSE connection (already admitted and subscribed by the hub)."""

    def __init__(self, hub: Hub, conn: Connection, frame: Callable[[Event], bytes]) -> None:
        self.hub, self.conn, self.frame = hub, conn, frame

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = self.conn
        tasks: list[asyncio.Task] = []
        try:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            await send({"type": "http.response.body", "body": OPEN, "more_body": True})
            writer = asyncio.create_task(self._write(send))
            watcher = asyncio.create_task(self._watch(receive))
            closed = asyncio.create_task(conn.closed.wait())
            tasks = [writer, watcher, closed]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if closed in done and writer not in done:
                # Give the writer a moment to write the end; a client that doesn't read won't let it.
                with contextlib.suppress(TimeoutError, Exception):
                    await asyncio.wait_for(asyncio.shield(writer), timeout=1.0)
        except OSError:
            pass  # the client went away mid-write
        finally:
            await cancel_all(tasks)
            await self.hub.close(conn)

    async def _watch(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    async def _write(self, send: Send) -> None:
        queue = self.conn.queue
        while True:
            items = [await queue.get()]
            while items[-1] is not CLOSE and len(items) < BATCH and not queue.empty():
                items.append(queue.get_nowait())
            events = [i for i in items if i is not CLOSE and i is not HEARTBEAT]
            if events:
                await send({"type": "http.response.body", "body": b"".join(map(self.frame, events)), "more_body": True})
                now = time.time()
                for event in events:
                    metrics.PUSHED.labels(event.name).inc()
                    metrics.LATENCY.observe(max(0.0, now - event.occurred_at))
            elif items[-1] is HEARTBEAT:
                await send({"type": "http.response.body", "body": HEARTBEAT_FRAME, "more_body": True})
            if items[-1] is CLOSE:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
