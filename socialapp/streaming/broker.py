"""The process's one broker connection: an exclusive, auto-delete, server-named queue on the
streams exchange, bound to exactly the routing keys the process's connections need.

Bindings follow connections (hub.Hub._rekey counts the connections per key and asks `sync` for
the keys whose count went to or from zero); `sync` compares what the hub wants with what is
bound, under one lock, so a connect and a disconnect racing on one key end in the right state.
Deliveries are consumed without acknowledgement (a push is a hint; the read model is the truth),
with a prefetch so a burst does not flood the process.

On connection loss (a broker restart, a closed connection, the queue deleted) the queue is gone with it: the loop
reconnects with backoff (doubling, capped at STREAMING_BROKER_RETRY_MAX_SECONDS), declares the
exchange and a new queue, and binds every key the hub wants at that moment. The streams that
were open when the connection was lost are ended at once (`on_lost`): what was published while
no queue existed is gone, and a stream that stayed open would hide that gap. Ended, the clients
reconnect (admitted again once the process consumes, app.broker_ready) and resume from the read
model (docs/streaming.md, "Resume"), so a stream answered 200 never has a silent hole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractQueue
from django.conf import settings

from socialapp.read.push.messages import EXCHANGE
from socialapp.streaming import metrics

log = logging.getLogger(__name__)


def connection_name() -> str:
    """How this process's connection shows in RabbitMQ's management UI (and how tests find it)."""
    return f"socialapp-streaming-{os.getpid()}"


class Broker:
    def __init__(
        self,
        url: str,
        deliver: Callable[[bytes, list[str]], Awaitable[None]],
        desired: Callable[[], set[str]],
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.url, self.deliver, self.desired, self.on_lost = url, deliver, desired, on_lost
        self.bound: set[str] = set()
        self.connected = asyncio.Event()
        self._lock = asyncio.Lock()
        self._queue: AbstractQueue | None = None
        self._exchange: AbstractExchange | None = None
        self._task: asyncio.Task[None] | None = None
        self._connection: Any = None
        self.sessions = 0  # connections established so far (the second and later: reconnects)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()

    async def sync(self, keys: Iterable[str]) -> None:
        """Bind the keys the hub wants and unbind the ones it no longer does (errors: left to
        the reconnect, which binds from scratch)."""
        async with self._lock:
            queue, exchange = self._queue, self._exchange
            if queue is None or exchange is None:
                return
            wanted = self.desired()
            for key in keys:
                try:
                    if key in wanted and key not in self.bound:
                        await queue.bind(exchange, routing_key=key)
                        self.bound.add(key)
                    elif key not in wanted and key in self.bound:
                        await queue.unbind(exchange, routing_key=key)
                        self.bound.discard(key)
                except Exception as exc:
                    log.warning("streaming: (un)binding %s failed (%s); the reconnect will re-bind", key, exc)
                    return

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        cc = (message.headers or {}).get("CC") or []
        routes = [message.routing_key or "", *(c.decode() if isinstance(c, bytes) else str(c) for c in cc)]
        await self.deliver(message.body, routes)

    async def _session(self) -> None:
        """One connection's life: declare, bind everything wanted, consume until it closes."""
        lost = asyncio.Event()
        connection = await aio_pika.connect(
            self.url, client_properties={"connection_name": connection_name()}, timeout=5
        )
        self._connection = connection
        connection.close_callbacks.add(lambda *_: lost.set())
        try:
            channel: AbstractChannel = await connection.channel()
            channel.close_callbacks.add(lambda *_: lost.set())
            # The broker cancels the consumer when the queue is deleted (an operator, a policy):
            # a session without its queue would be deaf, so it ends and the loop starts over.
            underlay = await channel.get_underlay_channel()
            underlay.on_consumer_cancel_callbacks.add(lambda *_: lost.set())
            await channel.set_qos(prefetch_count=settings.STREAMING_BROKER_PREFETCH)
            exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
            queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
            async with self._lock:
                self.bound = set()
                for key in sorted(self.desired()):
                    await queue.bind(exchange, routing_key=key)
                    self.bound.add(key)
                self._queue, self._exchange = queue, exchange
            await queue.consume(self._on_message, no_ack=True)
            if self.sessions:
                metrics.RECONNECTS.inc()
            self.sessions += 1
            self.connected.set()
            log.info("streaming: consuming %s with %d keys bound", queue.name, len(self.bound))
            # Keys wanted meanwhile (between the snapshot above and now) are bound by their
            # own sync calls, which waited for the lock and found the queue set.
            await lost.wait()
        finally:
            was_consuming = self.connected.is_set()
            self.connected.clear()
            if was_consuming and self.on_lost is not None:
                self.on_lost()
            async with self._lock:
                self._queue = self._exchange = None
                self.bound = set()
            self._connection = None
            with contextlib.suppress(Exception):
                await connection.close()

    async def _run(self) -> None:
        delay = 0.1
        cap = max(0.1, settings.STREAMING_BROKER_RETRY_MAX_SECONDS)
        while True:
            try:
                await self._session()
                delay = 0.1  # a session that ran: start the backoff over
                log.warning("streaming: broker connection lost; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("streaming: broker unavailable (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(cap, delay * 2)
