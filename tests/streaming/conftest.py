"""Streaming tests: a real streaming server (devkit.streaming, a uvicorn child process on this
run's databases, vhost and session cache), read models built through the projectors from the
factory's events, and push messages published by hand through the real publisher (the
producers are the push projectors' business; here a test says exactly what was pushed).

`Stream` is a raw SSE client over `requests` (the library Mastodon.py streams with): it keeps
the exact bytes received and parses them as Mastodon.py does, line by line.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
import pytest
import requests
from django.conf import settings
from django.test import override_settings

from devkit.processes import child_env, wait_for
from devkit.streaming import StreamingServer, start_streaming_server
from socialapp.events.status import management_api
from socialapp.read.common.sql import fetchone
from socialapp.read.push import publisher
from socialapp.read.push.messages import (
    EXCHANGE,
    Kind,
    NotificationFacts,
    PushMessage,
    StatusFacts,
    route_user,
)
from tests.read.api_support import Site, make_site
from tests.read.conftest import apply_all

PROJECTORS = ("profiles", "posts", "home_feed", "notifications", "relations")
HOST = "testserver"  # the Host the streams are opened with: URLs render as the test client's
ENV = {
    "STREAMING_HEARTBEAT_SECONDS": "0.5",
    "STREAMING_AUTH_RECHECK_SECONDS": "0.3",
    "METRICS_TOKEN": settings.METRICS_TOKEN,
    "LOG_LEVEL": "INFO",
}
_keys = itertools.count(1)
_positions = itertools.count(1_000_000)


@pytest.fixture
def start_server() -> Iterator[Any]:
    """Start streaming servers with extra settings; all stopped after the test."""
    servers: list[StreamingServer] = []

    def start(**extra: str) -> StreamingServer:
        server = start_streaming_server(env=child_env(**{**ENV, **extra}))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    publisher.close()


@pytest.fixture
def server(start_server) -> StreamingServer:
    return start_server()


class World:
    """A Site (real users with tokens) whose factory events are projected as they are made."""

    def __init__(self, *names: str) -> None:
        self.site: Site = make_site(*names)
        self.applied = 0
        self.apply()

    @property
    def world(self):
        return self.site.world

    def id(self, name: str) -> int:
        return self.site.ids[name]

    def token(self, name: str) -> str:
        return self.site.tokens[name]

    def apply(self) -> None:
        """Project the new events with the projectors' own pushes off: these tests publish by
        hand exactly the messages they reason about (the producers have tests/read/test_push.py,
        and tests/privacy/test_streams.py runs both together)."""
        events = self.site.world.events[self.applied :]
        with override_settings(STREAMING_PUSH=False):
            apply_all(events, PROJECTORS)
        self.applied += len(events)

    def facts(self, post_id: int) -> StatusFacts:
        post = self.world.posts[post_id]
        return StatusFacts(
            id=post.id,
            author_id=post.author,
            visibility=post.visibility,
            audience_ids=tuple(post.audience),
            hashtags=tuple(post.hashtags),
        )

    def latest_notification(self, recipient: str) -> NotificationFacts:
        row = fetchone(
            "SELECT seq, recipient_id, actor_id, kind FROM read_notification WHERE recipient_id = %s"
            " ORDER BY seq DESC LIMIT 1",
            [self.id(recipient)],
        )
        assert row is not None
        return NotificationFacts(id=row[0], recipient_id=row[1], actor_id=row[2], type=row[3])


def message(
    kind: Kind,
    *,
    status: StatusFacts | None = None,
    notification: NotificationFacts | None = None,
    recipients: tuple[int, ...] = (),
    key: str | None = None,
    position: int | None = None,
    event_type: str = "post.created",
) -> PushMessage:
    now = time.time()
    return PushMessage(
        kind=kind,
        key=key or f"test-{next(_keys)}",
        position=position or next(_positions),
        event_type=event_type,
        occurred_at=now,
        committed_at=now,
        recipients=recipients,
        status=status,
        notification=notification,
    )


def push(msg: PushMessage, routes: list[str]) -> PushMessage:
    assert publisher.publish(msg, routes), "the broker refused the push"
    return msg


def to_users(kind: Kind, status: StatusFacts, *user_ids: int, **kw: Any) -> PushMessage:
    """A status message for users' home streams, as the feed producer sends one."""
    return push(message(kind, status=status, recipients=tuple(user_ids), **kw), [route_user(u) for u in user_ids])


class Stream:
    """An SSE client that records the raw bytes and the parsed events (Mastodon.py's rules)."""

    def __init__(self, url: str, *, token: str | None = None, params: dict | None = None, headers=None) -> None:
        all_headers = {"Host": HOST, **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        self.response = requests.get(url, params=params, headers=all_headers, stream=True, timeout=(5, 60))
        self.status = self.response.status_code
        self.raw = bytearray()
        self.events: list[dict[str, str]] = []
        self.comments: list[str] = []
        self.ended = threading.Event()
        self._lock = threading.Lock()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
            wait_for(lambda: self.comments, timeout=10, what="the stream's opening comment")
        else:
            self.ended.set()

    def _read(self) -> None:
        event: dict[str, str] = {}
        line = bytearray()
        try:
            for chunk in self.response.iter_content(chunk_size=None):
                with self._lock:
                    self.raw.extend(chunk)
                for byte in chunk:
                    if byte != 0x0A:
                        line.append(byte)
                        continue
                    text, line = line.decode(), bytearray()
                    if text == "":
                        if event:
                            with self._lock:
                                self.events.append(event)
                        event = {}
                    elif text.startswith(":"):
                        self.comments.append(text)
                    else:
                        key, value = text.split(": ", 1)
                        event[key] = value
        except Exception:
            pass
        finally:
            self.ended.set()

    def named(self, name: str) -> list[dict[str, str]]:
        with self._lock:
            return [e for e in self.events if e.get("event") == name]

    def data(self, name: str) -> list[Any]:
        return [orjson.loads(e["data"]) for e in self.named(name)]

    def wait(self, name: str, count: int = 1, timeout: float = 15) -> list[dict[str, str]]:
        wait_for(lambda: len(self.named(name)) >= count, timeout=timeout, what=f"{count} {name!r} event(s)")
        return self.named(name)

    def close(self) -> None:
        """Shut the socket down first: that wakes the reading thread's blocked recv (EOF). Closing
        the response alone waits for that read to return, i.e. for the server's next heartbeat."""
        sock = _socket_of(self.response)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.response.close()


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket under a streamed response (urllib3's response -> http.client's -> the socket
    file's SocketIO); None if the layers differ (then `close` only waits longer)."""
    fp = getattr(getattr(response.raw, "_fp", None), "fp", None)
    return getattr(getattr(fp, "raw", None), "_sock", None)


@pytest.fixture
def streams() -> Iterator[Any]:
    """Open streams (closed after the test)."""
    opened: list[Stream] = []

    def open_stream(*args: Any, **kwargs: Any) -> Stream:
        stream = Stream(*args, **kwargs)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def metric(server: StreamingServer, name: str, labels: str = "") -> float:
    text = requests.get(
        server.url + "/metrics", headers={"Authorization": f"Bearer {settings.METRICS_TOKEN}"}, timeout=5
    ).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + (("{" + labels) if labels else "")) and not line.startswith("#"):
            head, value = line.rsplit(" ", 1)
            if head == name or head.startswith(name + "{"):
                total += float(value)
    return total


def vhost() -> str:
    return quote(urlsplit(settings.CELERY_BROKER_URL).path.lstrip("/"), safe="")


def bound_keys() -> set[str]:
    base, auth = management_api()
    response = requests.get(
        f"{base}/api/exchanges/{vhost()}/{quote(EXCHANGE, safe='')}/bindings/source", auth=auth, timeout=10
    )
    response.raise_for_status()
    return {b["routing_key"] for b in response.json()}
