"""A live streaming stack for real clients: tests/mastodon/live.py's `live_stack` (the app over
HTTP, the relay and the projector workers, on this run's databases, vhost and indexes) plus the
streaming server (`web-streaming`) as a child process started the way `make run` starts it
(devkit.streaming), with `child_env()` so that it reads the same read database, session cache and
broker vhost. The instance documents advertise it (settings.STREAMING_API_URL), so Mastodon.py
finds it exactly as it finds Mastodon's own streaming server.

    @pytest.mark.django_db(transaction=True, databases=["default", "read"])
    def test_stream(live_streaming):
        events = Collector()
        handle = api.stream_user(events, run_async=True, reconnect_async=True)
        live_streaming.wait(lambda: events.of("update"), what="the post pushed")

Also here: `Collector`, a Mastodon.py StreamListener that keeps every event (a test waits on it),
and `EventStream`, a small SSE client of our own stream (GET /api/socialapp/v1/stream) that
reconnects when the server goes away and tells the test when it did, for the resume tests.
Everything waits on conditions (`LiveStack.wait`), never on sleeps.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
import requests
from mastodon import StreamListener

from tests.mastodon.live import LiveStack, live_stack  # noqa: F401 - the fixture this one extends
from tests.support import child_env

T = TypeVar("T")


def streaming_env() -> dict[str, str]:
    """The streaming server's environment: this run's databases, vhost, cache prefix and indexes,
    and a broker retry short enough that a restarted broker is found again within a test's wait."""
    return child_env(STREAMING_BROKER_RETRY_MAX_SECONDS="1", STREAMING_HEARTBEAT_SECONDS="5")


@dataclass
class LiveStreaming(LiveStack):
    """The live stack and its streaming server (a devkit.streaming handle: .url, .port, .stop(),
    .kill(), .restart())."""

    server: Any = None

    @property
    def streaming_url(self) -> str:
        """http://127.0.0.1:<port>: where the SSE and WebSocket routes are."""
        return str(self.server.url).rstrip("/")

    @property
    def advertised(self) -> str:
        """What the instance documents say (ws://), as Mastodon's do."""
        return "ws://" + self.streaming_url.split("://", 1)[1]


@pytest.fixture
def live_streaming(live_stack, settings) -> Iterator[LiveStreaming]:  # noqa: F811 - the fixture imported above
    from devkit.streaming import start_streaming_server

    server = start_streaming_server(env=streaming_env())
    try:
        live = LiveStreaming(url=live_stack.url, pipeline=live_stack.pipeline, server=server)
        settings.STREAMING_API_URL = live.advertised
        live.wait(lambda: _healthy(live.streaming_url), what="the streaming server healthy", timeout=30)
        yield live
    finally:
        server.stop()


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/api/v1/streaming/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Collector(StreamListener):
    """Every event a Mastodon.py stream delivers, in order, as (name, payload); thread-safe (the
    stream runs in Mastodon.py's own thread). Heartbeats and aborts are counted, never raised."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.events: list[tuple[str, Any]] = []
        self.heartbeats = 0
        self.aborts: list[Exception] = []

    def on_any_event(self, name: str, data: Any = None) -> None:
        with self._lock:
            self.events.append((name, data))

    def on_unknown_event(self, name: str, unknown_event: Any = None) -> None:
        pass  # kept by on_any_event; Mastodon.py's default raises

    def handle_heartbeat(self) -> None:
        with self._lock:
            self.heartbeats += 1

    def on_abort(self, err: Exception) -> None:
        with self._lock:
            self.aborts.append(err)

    def of(self, name: str) -> list[Any]:
        with self._lock:
            return [data for event, data in self.events if event == name]

    def names(self) -> list[str]:
        with self._lock:
            return [event for event, _ in self.events]


@dataclass
class Event:
    """One SSE event: its name, its data parsed as JSON (else the raw text) and its `id:`."""

    name: str
    data: Any
    id: str | None = None


@dataclass
class EventStream:
    """An SSE client of one stream URL, in a thread of its own: keeps the events, and when the
    connection ends (the server was killed) connects again until it succeeds, counting
    connections, so a test can wait for "reconnected" and then resume (docs/streaming.md)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    connections: int = 0  # successful connects so far
    on_connect: Callable[[EventStream], None] | None = None  # called after each successful connect
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _response: requests.Response | None = None

    def start(self) -> EventStream:
        threading.Thread(target=self._run, daemon=True, name=f"sse {self.url}").start()
        return self

    def close(self) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            response.close()

    def of(self, name: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.name == name]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with requests.get(
                    self.url, headers={"Accept": "text/event-stream", **self.headers}, stream=True, timeout=(5, 60)
                ) as response:
                    if response.status_code != 200:
                        self._stop.wait(0.2)
                        continue
                    self._response = response
                    with self._lock:
                        self.connections += 1
                    if self.on_connect is not None:
                        self.on_connect(self)
                    self._read(response)
            except (requests.RequestException, OSError, AttributeError):
                pass  # the server went away (or close() closed the socket): connect again
            self._response = None
            self._stop.wait(0.2)

    def _read(self, response: requests.Response) -> None:
        block: dict[str, str] = {}
        for raw in response.iter_lines(chunk_size=1, decode_unicode=True):
            if self._stop.is_set():
                return
            line = raw if raw is not None else ""
            if line == "":
                if "event" in block or "data" in block:
                    self._keep(block)
                block = {}
                continue
            if line.startswith(":"):
                continue  # heartbeat
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            block[key] = block[key] + "\n" + value if key == "data" and key in block else value

    def _keep(self, block: dict[str, str]) -> None:
        data: Any = block.get("data", "")
        with contextlib.suppress(ValueError):
            data = json.loads(data)
        with self._lock:
            self.events.append(Event(name=block.get("event", "message"), data=data, id=block.get("id")))


def probe_until(
    live: Any, post_probe: Callable[[int], T], arrived: Callable[[], bool], *, what: str, every: float = 1.0
) -> list[T]:
    """Wait until a stream is subscribed end to end: the server binds its broker queue once the
    client has connected, so a probe post is made (`post_probe(n)`, again every `every` seconds,
    never a sleep) until `arrived()` says one came through. Returns what the probes returned."""
    probes: list[T] = []
    last = [-every]

    def check() -> bool:
        if arrived():
            return True
        if time.monotonic() - last[0] >= every:
            last[0] = time.monotonic()
            probes.append(post_probe(len(probes)))
        return False

    live.wait(check, what=what, timeout=60)
    return probes
