"""Connections, what they listen to, and the fan-out of each push message to them.

Per process: the routing keys its connections need are counted (`by_key`); the first connection
that needs a key binds it on the broker queue, the last one to leave unbinds it (broker.Broker
.sync). A message read from the broker is prepared (who may receive it, rendered once per
variant: render.py) on a few concurrent tasks, then delivered in arrival order to a bounded
queue per connection (STREAMING_CONNECTION_QUEUE). A full queue means a client that does not
read: it is disconnected and counted, never allowed to grow the process's memory.

Privacy, per connection, before anything is queued:
- a `user.*` delivery reaches only the connections of users in `message.recipients` (a
  notification only its recipient's);
- a status is delivered only if `can_see(viewer relations, facts, context)` (STREAM on the user
  stream, PUBLIC on public streams, TAG on hashtag streams) and the query side's renderer still
  returns it (live, author shown); notifications are rendered per recipient by the selectors
  of the notifications endpoints, which apply blocks and notification mutes in SQL;
- the same message key (and, for `update`, the same status) is pushed at most once per
  connection and stream (the last STREAMING_DEDUP_KEYS keys are remembered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from django.conf import settings

from socialapp.events.consistency import token_for
from socialapp.read.common.visibility import Relations, can_see
from socialapp.read.common.visibility import StatusFacts as RuleFacts
from socialapp.read.push.messages import ROUTE_PUBLIC, Kind, PushMessage
from socialapp.streaming import metrics, render, viewers
from socialapp.streaming.auth import Viewer, still_valid
from socialapp.streaming.blocking import run_sync
from socialapp.streaming.channels import HASHTAG, PUBLIC, USER, Channel, StreamError

log = logging.getLogger(__name__)

Api = Literal["mastodon", "ours"]
CLOSE: Any = object()  # the sentinel that ends a connection's writer
HEARTBEAT: Any = object()  # the sentinel an SSE writer answers with `:thump` (Hub._heartbeats)


async def cancel_all(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel a connection's tasks (reader, writer, watchers) and wait until each has finished,
    whatever it raised: a transport's teardown, shared by sse.py and websocket.py."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task


@dataclass(frozen=True)
class Event:
    """One event for one connection: what the writer frames (sse.py, websocket.py)."""

    channel: Channel
    name: str  # update, delete, notification, status.update
    data: str  # the `data:` text (JSON, or a bare id for Mastodon's delete)
    id: str | None  # our stream's SSE `id:` (the status or notification id)
    occurred_at: float


class Connection:
    """One client: its viewer, channels, relations, recent keys and bounded queue."""

    def __init__(self, *, api: Api, viewer: Viewer | None, base_url: str, transport: str) -> None:
        self.api, self.viewer, self.base_url, self.transport = api, viewer, base_url, transport
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(1, settings.STREAMING_CONNECTION_QUEUE))
        self.channels: set[Channel] = set()
        self.keys: set[str] = set()
        self.relations: Relations | None = None
        self.celebrities: frozenset[int] = frozenset()
        self.mute_expires_at: float | None = None
        self.closed = asyncio.Event()
        self.close_reason: str | None = None
        self.wake = asyncio.Event()  # housekeeping: reload relations now
        self._seen: deque[Hashable] = deque()
        self._seen_set: set[Hashable] = set()
        self._housekeeping: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> int | None:
        return None if self.viewer is None else self.viewer.user_id

    def seen(self, keys: Iterable[Hashable]) -> bool:
        """True if any of `keys` was pushed already; otherwise remember them all."""
        keys = list(keys)
        if any(k in self._seen_set for k in keys):
            return True
        limit = max(1, settings.STREAMING_DEDUP_KEYS)
        for key in keys:
            self._seen.append(key)
            self._seen_set.add(key)
            while len(self._seen) > limit:
                self._seen_set.discard(self._seen.popleft())
        return False

    def offer(self, event: Event) -> None:
        if self.closed.is_set():
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            metrics.DROPPED.inc()
            log.info("streaming: closing a slow client (user %s, %s queued)", self.user_id, self.queue.qsize())
            self.close("slow client")

    def close(self, reason: str) -> None:
        """Ask the writer to end (idempotent); the hub forgets the connection when it does."""
        if self.closed.is_set():
            return
        self.close_reason = reason
        self.closed.set()
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(CLOSE)

    def apply(self, state: viewers.ViewerState) -> None:
        self.relations, self.celebrities, self.mute_expires_at = (
            state.relations,
            state.celebrities,
            state.mute_expires_at,
        )


class Hub:
    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self.by_key: dict[str, set[Connection]] = {}
        self.by_user: dict[int, set[Connection]] = {}
        self.sync_keys: Callable[[Iterable[str]], Awaitable[None]] | None = None  # the broker's
        self.renders = render.LRU(settings.STREAMING_RENDER_CACHE)
        self._inbox: asyncio.Queue[tuple[PushMessage, list[str]]] = asyncio.Queue(maxsize=10000)
        self._prepared: asyncio.Queue[asyncio.Task[list[tuple[Connection, tuple, Event]]]] = asyncio.Queue(maxsize=32)
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._prepare_loop()),
            asyncio.create_task(self._deliver_loop()),
            asyncio.create_task(self._heartbeats()),
        ]

    async def _heartbeats(self) -> None:
        """Every STREAMING_HEARTBEAT_SECONDS, a heartbeat into each idle SSE connection's queue,
        as Mastodon's server beats on a fixed interval. One timer for the process rather than a
        timeout on every writer's wait: a per-event `wait_for` was a quarter of the server's CPU
        under load (bench/streaming.py's profile). A busy queue needs no heartbeat."""
        interval = max(0.05, settings.STREAMING_HEARTBEAT_SECONDS)
        while True:
            await asyncio.sleep(interval)
            for conn in list(self.connections):
                if conn.transport == "sse" and conn.queue.empty() and not conn.closed.is_set():
                    with contextlib.suppress(asyncio.QueueFull):
                        conn.queue.put_nowait(HEARTBEAT)

    def close_all(self, reason: str) -> None:
        for conn in list(self.connections):
            conn.close(reason)

    async def stop(self) -> None:
        self.close_all("server shutting down")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task

    def desired_keys(self) -> set[str]:
        return set(self.by_key)

    # ------------------------------------------------------------------ connections

    async def open(self, conn: Connection) -> None:
        """Admit a connection (503 past STREAMING_MAX_CONNECTIONS) and load its viewer."""
        if len(self.connections) >= settings.STREAMING_MAX_CONNECTIONS:
            metrics.REJECTED.labels("max_connections").inc()
            raise StreamError(503, "Too many connections to this streaming server; retry shortly.")
        self.connections.add(conn)
        try:
            if conn.user_id is not None:
                conn.apply(await run_sync(viewers.load, conn.user_id))
                self.by_user.setdefault(conn.user_id, set()).add(conn)
                conn._housekeeping = asyncio.create_task(self._housekeeping(conn))
        except Exception:
            self.connections.discard(conn)
            raise

    async def subscribe(self, conn: Connection, channel: Channel) -> None:
        if channel in conn.channels or conn.closed.is_set():
            return
        conn.channels.add(channel)
        metrics.CONNECTIONS.labels(channel.label).inc()
        await self._rekey(conn)

    async def unsubscribe(self, conn: Connection, channel: Channel) -> None:
        if channel not in conn.channels:
            return
        conn.channels.discard(channel)
        metrics.CONNECTIONS.labels(channel.label).dec()
        await self._rekey(conn)

    async def close(self, conn: Connection) -> None:
        """Forget a connection whose writer ended (idempotent)."""
        conn.close(conn.close_reason or "disconnected")
        if conn not in self.connections:
            return
        self.connections.discard(conn)
        if conn.user_id is not None:
            users = self.by_user.get(conn.user_id)
            if users is not None:
                users.discard(conn)
                if not users:
                    del self.by_user[conn.user_id]
        if conn._housekeeping is not None:
            conn._housekeeping.cancel()
        for channel in conn.channels:
            metrics.CONNECTIONS.labels(channel.label).dec()
        conn.channels = set()
        await self._rekey(conn)

    async def _rekey(self, conn: Connection) -> None:
        """Move the connection to the keys its channels need now; bind/unbind what changed."""
        wanted: set[str] = set()
        if conn in self.connections:
            for channel in conn.channels:
                wanted |= channel.keys(conn.user_id, conn.celebrities)
        changed = []
        for key in wanted - conn.keys:
            holders = self.by_key.setdefault(key, set())
            if not holders:
                changed.append(key)
            holders.add(conn)
        for key in conn.keys - wanted:
            holders = self.by_key.get(key, set())
            holders.discard(conn)
            if not holders:
                self.by_key.pop(key, None)
                changed.append(key)
        conn.keys = wanted
        if changed and self.sync_keys is not None:
            await self.sync_keys(changed)

    async def _housekeeping(self, conn: Connection) -> None:
        """Re-check the token every STREAMING_AUTH_RECHECK_SECONDS (revoked or expired: the stream
        ends); reload the relations when a RELATIONS message names this user or a mute expires."""
        assert conn.viewer is not None
        recheck_every = max(0.05, settings.STREAMING_AUTH_RECHECK_SECONDS)
        next_check = time.monotonic() + recheck_every
        while not conn.closed.is_set():
            now_wall, now = time.time(), time.monotonic()
            timeout = next_check - now
            if conn.mute_expires_at is not None:
                timeout = min(timeout, conn.mute_expires_at - now_wall + 0.05)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.wake.wait(), timeout=max(0.0, timeout))
            reload = conn.wake.is_set() or (conn.mute_expires_at is not None and time.time() >= conn.mute_expires_at)
            conn.wake.clear()
            try:
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + recheck_every
                    if await still_valid(conn.viewer) is False:
                        log.info("streaming: token of user %s no longer valid; closing", conn.user_id)
                        conn.close("token revoked or expired")
                        return
                if reload:
                    conn.apply(await run_sync(viewers.load, conn.user_id))
                    await self._rekey(conn)  # followees may have changed: author keys
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("streaming: housekeeping of user %s failed; retrying", conn.user_id, exc_info=True)

    # ------------------------------------------------------------------ messages

    async def receive(self, body: bytes, routes: list[str]) -> None:
        """A delivery from the broker (the consumer callback)."""
        metrics.RECEIVED.inc()
        try:
            message = PushMessage.decode(body)
        except ValueError:
            metrics.MALFORMED.inc()
            log.warning("streaming: dropped a malformed push message")
            return
        await self._inbox.put((message, routes))

    async def _prepare_loop(self) -> None:
        while True:
            message, routes = await self._inbox.get()
            await self._prepared.put(asyncio.create_task(self._prepare(message, routes)))

    async def _deliver_loop(self) -> None:
        while True:
            task = await self._prepared.get()
            try:
                deliveries = await task
            except Exception:
                log.warning("streaming: a message could not be prepared; dropped", exc_info=True)
                continue
            for conn, keys, event in deliveries:
                if conn.closed.is_set() or conn not in self.connections:
                    continue
                if conn.seen(keys):
                    metrics.DUPLICATES.inc()
                    continue
                conn.offer(event)

    def _targets(self, message: PushMessage, routes: list[str]) -> list[tuple[Connection, Channel]]:
        out: list[tuple[Connection, Channel]] = []
        user_routed = any(r.startswith("user.") for r in routes)
        if message.kind == Kind.NOTIFICATION:
            if not user_routed or message.notification is None:
                return out
            recipient = message.notification.recipient_id
            if recipient not in message.recipients:
                return out
            for conn in self.by_user.get(recipient, ()):
                out.extend((conn, ch) for ch in conn.channels if ch.wants_notifications)
            return out
        if user_routed:
            for uid in dict.fromkeys(message.recipients):
                for conn in self.by_user.get(uid, ()):
                    out.extend((conn, ch) for ch in conn.channels if ch.name == USER)
        status = message.status
        for route in routes:
            if route.startswith("author.") and status is not None:
                for conn in self.by_key.get(route, ()):
                    if status.author_id in conn.celebrities:
                        out.extend((conn, ch) for ch in conn.channels if ch.name == USER)
            elif route == ROUTE_PUBLIC:
                for conn in self.by_key.get(route, ()):
                    out.extend((conn, ch) for ch in conn.channels if ch.name in PUBLIC)
            elif route.startswith("hashtag."):
                tag = route[len("hashtag.") :]
                for conn in self.by_key.get(route, ()):
                    out.extend((conn, ch) for ch in conn.channels if ch.name in HASHTAG and ch.tag == tag)
        return out

    async def _prepare(self, message: PushMessage, routes: list[str]) -> list[tuple[Connection, tuple, Event]]:
        if message.kind == Kind.RELATIONS:
            for uid in message.recipients:
                for conn in self.by_user.get(uid, ()):
                    conn.wake.set()
            return []
        targets = self._targets(message, routes)
        if not targets:
            return []
        if message.kind == Kind.NOTIFICATION:
            return await self._notifications(message, targets)
        return await self._statuses(message, targets)

    async def _cached(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> Any:
        """The rendering, from the LRU or made now. A None (the row isn't in the read model) is
        retried with a short backoff for up to STREAMING_RENDER_WAIT_SECONDS and never cached:
        the projector that pushed (home_feed, notifications) commits independently of the posts
        projector whose rows the renderers read, so the push can arrive first; dropping it then
        would lose the event for good."""
        hit, value = self.renders.get(key)
        if hit:
            return value
        deadline = time.monotonic() + max(0.0, settings.STREAMING_RENDER_WAIT_SECONDS)
        delay = 0.02
        while True:
            value = await run_sync(fn, *args)
            if value is not None:
                self.renders.put(key, value)
                return value
            if time.monotonic() + delay > deadline:
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)

    def _token(self, message: PushMessage) -> str | None:
        return token_for([(message.position, message.event_type)])

    async def _notifications(self, message: PushMessage, targets: list[tuple[Connection, Channel]]) -> list:
        facts = message.notification
        assert facts is not None
        out = []
        token = self._token(message)
        for conn, channel in targets:
            if conn.api == "mastodon":
                key = ("n-mastodon", facts.id, facts.recipient_id, message.position, conn.base_url)
                data = await self._cached(
                    key, render.mastodon_notification, facts.id, facts.recipient_id, conn.base_url
                )
            else:
                key = ("n-ours", facts.id, facts.recipient_id, message.position)
                item = await self._cached(key, render.our_notification, facts.id, facts.recipient_id)
                data = None if item is None else _dumps({"notification": item, "consistency_token": token})
            if data is None:
                continue
            event = Event(channel, "notification", data, str(facts.id), message.occurred_at)
            out.append((conn, (("key", message.key, channel),), event))
        return out

    async def _statuses(self, message: PushMessage, targets: list[tuple[Connection, Channel]]) -> list:
        facts = message.status
        if facts is None:
            return []
        rule_facts = RuleFacts(author_id=facts.author_id, visibility=facts.visibility, audience_ids=facts.audience_ids)
        name = str(message.kind)
        token = self._token(message) if any(c.api == "ours" for c, _ in targets) else None
        out = []
        texts: dict[tuple, str | None] = {}  # this message's JSON per variant, dumped once
        for conn, channel in targets:
            if conn.user_id is not None and conn.relations is None:
                continue  # not loaded yet: never deliver without the viewer's relations
            if not can_see(conn.relations, rule_facts, channel.context):
                continue
            keys: tuple = (("key", message.key, channel),)
            if message.kind == Kind.UPDATE:
                keys += (("update", facts.id, channel),)
            if conn.api == "ours" and facts.post_id is not None:
                continue  # a comment: our streams carry posts (our feeds list no comments)
            variant = (conn.api, conn.base_url, conn.viewer is not None) if conn.api == "mastodon" else ("ours",)
            if variant not in texts:
                if conn.api == "mastodon":
                    texts[variant] = await self._mastodon_status(message, conn)
                else:
                    texts[variant] = await self._our_post(message, token)
            data = texts[variant]
            if data is None:
                continue
            out.append((conn, keys, Event(channel, name, data, str(facts.id), message.occurred_at)))
        return out

    async def _mastodon_status(self, message: PushMessage, conn: Connection) -> str | None:
        facts = message.status
        assert facts is not None
        if message.kind == Kind.DELETE:
            return str(facts.id)
        key = ("s-mastodon", facts.id, message.position, message.event_type, conn.base_url)
        status = await self._cached(key, render.mastodon_status, facts.id, facts.author_id, conn.base_url)
        if status is None:
            return None
        return render.with_viewer_flags(status, authenticated=conn.viewer is not None)

    async def _our_post(self, message: PushMessage, token: str | None) -> str | None:
        facts = message.status
        assert facts is not None
        if message.kind == Kind.DELETE:
            return _dumps({"post_id": str(facts.id), "consistency_token": token})
        key = ("s-ours", facts.id, message.position, message.event_type)
        post = await self._cached(key, render.our_post, facts.id, facts.author_id)
        if post is None:
            return None
        return _dumps({"post": post, "consistency_token": token})


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
