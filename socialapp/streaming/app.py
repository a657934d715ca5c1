"""The streaming server's routes (Starlette), and its process-wide hub and broker connection.

    GET /api/v1/streaming/health                      200 "OK" (text/plain), as Mastodon's
    GET /api/v1/streaming/<stream path>[?tag=]        Mastodon SSE: user, user/notification, public,
                                                      public/local, public/remote, hashtag, hashtag/local
    GET /api/v1/streaming?stream=<name>[&tag=]        the same, by name (Mastodon accepts both)
    WS  /api/v1/streaming                             Mastodon's multiplexed WebSocket (websocket.py)
    GET /api/socialapp/v1/stream?stream=user|public|hashtag[&tag=]   our SSE, our JSON shapes
    GET /metrics                                      Prometheus text (METRICS_TOKEN bearer)

Errors: `{"error": ...}` on Mastodon's routes, problem JSON on ours (401 no/invalid token or
scope, 400 bad parameters, 404 unknown stream, 503 too many connections or sessions
unavailable).
"""

from __future__ import annotations

import asyncio
import hmac
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from socialapp.common.errors import PROBLEM_CONTENT_TYPE, problem
from socialapp.streaming import channels, metrics, sse
from socialapp.streaming.auth import authenticate, authorise, token_from
from socialapp.streaming.broker import Broker
from socialapp.streaming.channels import Channel, StreamError
from socialapp.streaming.hub import Connection, Hub
from socialapp.streaming.websocket import mastodon_websocket

# Mastodon's path -> stream name (its channelNameFromPath); `only_media=true` adds `:media`.
PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
}
_PROBLEMS = {
    400: ("bad-request", "Bad request"),
    401: ("not-authenticated", "Authentication required"),
    404: ("not-found", "Not found"),
    503: ("service-unavailable", "Service unavailable"),
}


def base_url_of(request: Request) -> str:
    """The origin of the URLs in rendered statuses: STREAMING_WEB_URL when the streams are served
    from another origin than the API (`make run`: :8100 beside :8000), else the request's own
    (behind the proxy both are one origin)."""
    configured = settings.STREAMING_WEB_URL.rstrip("/")
    return configured or f"{request.url.scheme}://{request.headers.get('host', 'localhost')}"


def mastodon_error(exc: StreamError) -> Response:
    return JSONResponse({"error": exc.detail}, status_code=exc.status)


def our_error(exc: StreamError) -> Response:
    code, title = _PROBLEMS.get(exc.status, ("error", "Error"))
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(
        problem(exc.status, code, title, exc.detail),
        status_code=exc.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


async def broker_ready(app: Starlette) -> None:
    """Admit a stream only while the process consumes from the broker (waiting up to
    STREAMING_BROKER_WAIT_SECONDS, else 503): its keys are then bound before the response starts,
    which the resume protocol relies on (docs/streaming.md: a client that reads the feed after
    its stream opened misses nothing). Right after a start or a broker outage the queue does not
    exist yet, and a push published then would be lost without the client knowing."""
    broker = app.state.broker
    if broker.connected.is_set():
        return
    try:
        await asyncio.wait_for(broker.connected.wait(), timeout=max(0.0, settings.STREAMING_BROKER_WAIT_SECONDS))
    except TimeoutError:
        raise StreamError(503, "Streams are unavailable: the broker cannot be reached. Retry shortly.") from None


async def _open(request: Request, channel_name: str | None, *, api: str) -> ASGIApp:
    hub: Hub = request.app.state.hub
    channel = Channel.parse(channel_name, request.query_params.get("tag"))
    viewer = await authenticate(token_from(request.headers, request.query_params))
    authorise(viewer, channel)
    await broker_ready(request.app)
    conn = Connection(api=api, viewer=viewer, base_url=base_url_of(request), transport="sse")  # type: ignore[arg-type]
    await hub.open(conn)
    try:
        await hub.subscribe(conn, channel)
    except BaseException:
        await hub.close(conn)
        raise
    return sse.EventStream(hub, conn, sse.frame_mastodon if api == "mastodon" else sse.frame_ours)


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def mastodon_stream(request: Request) -> ASGIApp:
    path = request.path_params.get("path", "").strip("/")
    name = request.query_params.get("stream") if not path else PATHS.get(path, f"unknown:{path}")
    if path and name and name.startswith("public") and request.query_params.get("only_media") in ("true", "1"):
        name = f"{name}:media"
    try:
        return await _open(request, name, api="mastodon")
    except StreamError as exc:
        return mastodon_error(exc)


async def our_stream(request: Request) -> ASGIApp:
    name = request.query_params.get("stream")
    try:
        if name is None:
            raise StreamError(400, "The `stream` parameter is required (user, public or hashtag).")
        if name not in channels.OURS:
            raise StreamError(404, f"Unknown stream {name[:50]!r}: use user, public or hashtag.")
        return await _open(request, channels.OURS[name], api="ours")
    except StreamError as exc:
        return our_error(exc)


async def metrics_view(request: Request) -> Response:
    if not settings.METRICS_TOKEN:
        return PlainTextResponse("Not Found", status_code=404)
    supplied = request.headers.get("authorization", "")
    if not hmac.compare_digest(supplied.encode(), f"Bearer {settings.METRICS_TOKEN}".encode()):
        return PlainTextResponse(
            "metrics need Authorization: Bearer <METRICS_TOKEN>\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "Not found"}, status_code=404)


def _end_streams_on_exit(hub: Hub) -> None:
    """On SIGTERM/SIGINT, end every stream at once (each writer sends its last chunk), then let
    uvicorn's own handler shut down: its graceful wait would otherwise wait out streams that
    never end by themselves. Clients reconnect, to another process or to this one restarted."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
            loop.call_soon_threadsafe(hub.close_all, "server shutting down")
            previous(signum, frame)

        signal.signal(sig, handler)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    hub = Hub()
    broker = Broker(
        settings.CELERY_BROKER_URL,
        hub.receive,
        hub.desired_keys,
        on_lost=lambda: hub.close_all("the broker connection was lost: reconnect and resume"),
    )
    hub.sync_keys = broker.sync
    app.state.hub, app.state.broker = hub, broker
    hub.start()
    broker.start()
    if threading.current_thread() is threading.main_thread():
        _end_streams_on_exit(hub)
    try:
        yield
    finally:
        await hub.stop()
        await broker.stop()


def build() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/v1/streaming/health", health, methods=["GET", "HEAD"]),
            Route("/api/v1/streaming", mastodon_stream, methods=["GET"]),
            WebSocketRoute("/api/v1/streaming", mastodon_websocket),
            WebSocketRoute("/api/v1/streaming/", mastodon_websocket),
            Route("/api/v1/streaming/{path:path}", mastodon_stream, methods=["GET"]),
            Route("/api/socialapp/v1/stream", our_stream, methods=["GET"]),
            Route("/metrics", metrics_view, methods=["GET"]),
        ],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
