"""The RabbitMQ topology, declared in code, idempotently, by every relay and worker at start-up.

- `socialapp.events`: durable topic exchange; routing key = event type. Its alternate exchange
  `socialapp.unrouted` (fanout) takes every message no projector queue is bound for into the
  durable, bounded quorum queue `events.unrouted` (x-max-length EVENTS_UNROUTED_MAX_LENGTH,
  overflow drop-head: the newest are kept, the log has them all): an event type that no deployed
  projector handles yet, or a process configured differently, loses nothing silently, and
  `projections status` shows how many wait there.
- `projector.<name>`: one durable quorum queue per registered projector, bound only to the
  event types that projector handles. `x-delivery-limit` bounds redeliveries (a poison message
  or a message that keeps killing its worker), after which the message is dead-lettered.
- `socialapp.dead` (direct) -> `projector.<name>.dead`: the dead letters of each projector,
  routed by projector name. Dead-lettering is at-least-once (`x-dead-letter-strategy`, which
  needs `x-overflow=reject-publish`), so a dead letter is never dropped on the way.
"""

from __future__ import annotations

import logging

from django.conf import settings
from kombu import Connection, Exchange, Queue

from socialapp.events.projector import REGISTRY, Projector

log = logging.getLogger(__name__)

UNROUTED_EXCHANGE = Exchange("socialapp.unrouted", type="fanout", durable=True, auto_delete=False)
EVENTS_EXCHANGE = Exchange(
    "socialapp.events",
    type="topic",
    durable=True,
    auto_delete=False,
    arguments={"alternate-exchange": UNROUTED_EXCHANGE.name},
)
DEAD_EXCHANGE = Exchange("socialapp.dead", type="direct", durable=True, auto_delete=False)
QUEUE_PREFIX = "projector."
UNROUTED_QUEUE = "events.unrouted"


def queue_name(projector_name: str) -> str:
    return f"{QUEUE_PREFIX}{projector_name}"


def dead_queue_name(projector_name: str) -> str:
    return f"{QUEUE_PREFIX}{projector_name}.dead"


def projector_for_queue(name: str) -> str | None:
    if name.startswith(QUEUE_PREFIX) and not name.endswith(".dead"):
        return name[len(QUEUE_PREFIX) :]
    return None


def projector_queue(projector: Projector) -> Queue:
    return Queue(
        queue_name(projector.name),
        durable=True,
        auto_delete=False,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": settings.EVENTS_DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_EXCHANGE.name,
            "x-dead-letter-routing-key": projector.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_queue(projector: Projector) -> Queue:
    return Queue(
        dead_queue_name(projector.name),
        exchange=DEAD_EXCHANGE,
        routing_key=projector.name,
        durable=True,
        auto_delete=False,
        queue_arguments={"x-queue-type": "quorum"},
    )


def unrouted_queue() -> Queue:
    return Queue(
        UNROUTED_QUEUE,
        exchange=UNROUTED_EXCHANGE,
        routing_key="",
        durable=True,
        auto_delete=False,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-max-length": settings.EVENTS_UNROUTED_MAX_LENGTH,
            "x-overflow": "drop-head",
        },
    )


def broker_connection() -> Connection:
    """A kombu connection whose publishes wait for the broker's confirm."""
    return Connection(
        settings.CELERY_BROKER_URL,
        transport_options={"confirm_publish": True},
        connect_timeout=5,
        heartbeat=settings.EVENTS_BROKER_HEARTBEAT,
    )


def declare(connection: Connection, projectors: list[Projector] | None = None) -> None:
    """Declare exchanges, queues and bindings (idempotent: same arguments every time).

    An events exchange declared by an earlier version (without the alternate exchange) is refused
    by RabbitMQ as inequivalent; it is deleted and declared again, with every binding of the
    projectors known here (other processes re-bind theirs when they declare)."""
    from amqp.exceptions import PreconditionFailed

    try:
        declare_on(connection.default_channel, projectors)
    except PreconditionFailed as exc:
        if "alternate-exchange" not in str(exc):
            raise
        log.warning("re-creating %s with its alternate exchange (%s)", EVENTS_EXCHANGE.name, exc)
        channel = connection.channel()
        channel.exchange_delete(EVENTS_EXCHANGE.name)
        declare_on(channel, projectors)
        channel.close()


def declare_on(channel: object, projectors: list[Projector] | None = None) -> None:
    projectors = list(REGISTRY.values()) if projectors is None else projectors
    UNROUTED_EXCHANGE(channel).declare()
    unrouted_queue()(channel).declare()
    EVENTS_EXCHANGE(channel).declare()
    DEAD_EXCHANGE(channel).declare()
    for projector in projectors:
        queue = projector_queue(projector)(channel)
        queue.declare()
        for event_type in projector.event_types():
            queue.bind_to(exchange=EVENTS_EXCHANGE.name, routing_key=event_type)
        dead = dead_queue(projector)(channel)
        dead.declare()


def subscribed_event_types() -> set[str]:
    return {t for p in REGISTRY.values() for t in p.event_types()}


def subscribers(event_types: set[str]) -> list[Projector]:
    """The registered projectors that handle any of `event_types` (whose queues must exist)."""
    return [p for p in REGISTRY.values() if event_types & set(p.event_types())]
