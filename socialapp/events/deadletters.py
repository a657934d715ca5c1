"""Dead letters: messages a projector could not apply (permanent errors, or the delivery limit).

They sit in `projector.<name>.dead` until an operator looks at them (`deadletters list`), fixes
the cause and sends them back (`deadletters retry`: republished, confirmed, straight to the
projector's own queue, so other projectors never see them twice), or drops them
(`deadletters purge`; the log still has every event, and a rebuild replays it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kombu import Producer

from socialapp.events.projector import REGISTRY
from socialapp.events.status import projector_names
from socialapp.events.topology import broker_connection, dead_queue, declare, queue_name


@dataclass
class DeadLetter:
    projector: str
    event_id: str
    event_type: str
    position: int | None
    reason: str
    deaths: int
    error: str = ""  # the error text, when the worker dead-lettered it itself


def _describe(projector: str, message: Any) -> DeadLetter:
    body = message.decode() if message.body else {}
    headers = message.headers or {}
    deaths = headers.get("x-death") or []
    # A worker that dead-letters a message itself says why (socialapp.events.worker); the broker
    # says why in x-death (rejected, delivery_limit).
    reason = headers.get("x-socialapp-reason") or (deaths[0].get("reason", "") if deaths else "")
    count = sum(int(d.get("count", 1)) for d in deaths)
    return DeadLetter(
        projector=projector,
        event_id=str(body.get("event_id", message.properties.get("message_id"))),
        event_type=str(body.get("event_type", "")),
        position=body.get("position"),
        reason=str(reason),
        deaths=count,
        error=str(headers.get("x-socialapp-error", "")),
    )


def _drain(channel: Any, projector: str) -> Iterator[Any]:
    """The projector's dead letters, fetched one by one, unacked."""
    queue = dead_queue(REGISTRY[projector])(channel)
    while (message := queue.get(no_ack=False, accept=["json"])) is not None:
        yield message


def list_dead(name: str | None = None) -> list[DeadLetter]:
    """Look without consuming: messages are fetched unacked, then returned by closing the channel."""
    out: list[DeadLetter] = []
    with broker_connection() as connection:
        declare(connection)
        for projector in projector_names(name):
            channel = connection.channel()
            out += [_describe(projector, message) for message in _drain(channel, projector)]
            channel.close()  # unacked messages go back to the dead-letter queue
    return out


def retry_dead(name: str | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Send dead letters back to their projector's queue (confirmed publish, then ack)."""
    sent = 0
    with broker_connection() as connection:
        declare(connection)
        producer = Producer(connection.channel())
        for projector in projector_names(name):
            for message in _drain(connection.default_channel, projector):
                headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
                headers["x-retried-from-dead-letters"] = 1
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=queue_name(projector),
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=2,
                    mandatory=True,
                    message_id=message.properties.get("message_id"),
                    type=message.properties.get("type"),
                    headers=headers,
                    retry=False,
                )
                message.ack()
                sent += 1
                if progress:
                    progress(1)
    return sent


def purge_dead(name: str | None = None) -> int:
    purged = 0
    with broker_connection() as connection:
        declare(connection)
        for projector in projector_names(name):
            purged += dead_queue(REGISTRY[projector])(connection.default_channel).purge() or 0
    return purged
