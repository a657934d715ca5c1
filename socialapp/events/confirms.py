"""Publishers that pipeline their confirms: a confirm-mode channel whose acks, nacks and returns
go to the publisher's callbacks, so it can send a whole batch and wait once for all of it.

Not kombu's `confirm_publish` transport option (topology.broker_connection, Celery's producer
pool): those channels wait for each confirm in turn, one round trip per message, which capped the
relay near 850 events/s here. The relay (socialapp.events.relay) and the fan-out task publisher
(socialapp.read.feeds.publish) open their channels here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from kombu import Connection

log = logging.getLogger(__name__)
CONFIRM_TIMEOUT_SECONDS = 10.0


class PublishFailed(Exception):
    """The broker did not confirm a publish (gone, silent, nack or return)."""


def open_confirm_channel(
    *,
    on_ack: Callable[[int, bool], None],
    on_nack: Callable[[int, bool], None],
    on_return: Callable[..., None],
    heartbeat: int = 0,
    prepare: Callable[[Connection], None] | None = None,
) -> tuple[Connection, Any]:
    """A connected broker connection (`prepare(connection)` runs first, e.g. to declare the
    topology) and a channel in confirm mode with the callbacks attached. RabbitMQ confirms an
    unroutable `mandatory` message too, after its `basic.return`: count the return as the refusal."""
    connection = Connection(settings.CELERY_BROKER_URL, connect_timeout=5, heartbeat=heartbeat)
    connection.ensure_connection(max_retries=1)
    if prepare is not None:
        prepare(connection)
    channel = connection.channel()
    channel.confirm_select()
    channel.events["basic_ack"].add(on_ack)
    channel.events["basic_nack"].add(on_nack)
    channel.events["basic_return"].add(on_return)
    return connection, channel


def release_quietly(connection: Connection, what: str) -> None:
    """Close a publisher's connection that may already be dead (the broker restarted, a heartbeat
    was missed): nothing to do about an error then but note it."""
    try:
        connection.release()
    except Exception:
        log.debug("error closing %s", what, exc_info=True)


def wait_for_confirms(connection: Connection, outstanding: set[int]) -> None:
    """Drain the connection until the confirm callbacks have emptied `outstanding` (the delivery
    tags sent and not yet settled), or raise PublishFailed after CONFIRM_TIMEOUT_SECONDS. A
    `basic.return` arrives before the confirm of the same message on the same channel."""
    deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
    while outstanding:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PublishFailed(f"no confirm within {CONFIRM_TIMEOUT_SECONDS:.0f}s")
        connection.drain_events(timeout=remaining)
