"""Sending a post's fan-out chunk tasks with pipelined publisher confirms.

Celery's own producer (CELERY_BROKER_TRANSPORT_OPTIONS `confirm_publish`) waits for the broker's
confirm after every message: ten chunks cost ten round trips before the projector's worker
can take its next event. Here the task messages of one post are published in one go on a channel
of our own in confirm mode, `mandatory` (an unroutable message comes back as a `basic.return`
instead of being confirmed and lost), and their confirms are then awaited together: one wait
per post. The messages are Celery's own (`send_task` with our producer), so the task workers
see nothing different.

A failure (broker gone, nack, return, no confirm in time) raises `PublishFailed` after dropping
the connection; the caller leaves the chunk jobs to the stale-job sweep, which resends them
(socialapp.read.feeds.jobs.resend_stale_jobs).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import current_app
from kombu import Connection, Producer

from socialapp.events.confirms import PublishFailed, open_confirm_channel, release_quietly, wait_for_confirms

log = logging.getLogger(__name__)


class ConfirmedTaskPublisher:
    """One broker connection and confirm-mode channel, used by one thread at a time."""

    def __init__(self) -> None:
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._sent = 0  # the broker numbers the confirms of a channel 1, 2, ...
        self._outstanding: set[int] = set()
        self._refused = 0

    def _on_confirm(self, refused: bool) -> Any:
        def confirm(delivery_tag: int, multiple: bool) -> None:
            settled = [t for t in self._outstanding if t <= delivery_tag] if multiple else [delivery_tag]
            for tag in settled:
                self._outstanding.discard(tag)
            if refused:
                self._refused += len(settled)

        return confirm

    def _on_return(self, *args: Any) -> None:
        self._refused += 1  # a basic.return comes before the confirm of the same message

    def _ensure(self) -> Producer:
        if self._producer is None:
            connection, channel = open_confirm_channel(
                on_ack=self._on_confirm(refused=False),
                on_nack=self._on_confirm(refused=True),
                on_return=self._on_return,
            )
            self._connection, self._producer = connection, Producer(channel)
            self._sent, self._refused = 0, 0
            self._outstanding.clear()
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            release_quietly(self._connection, "the fan-out publisher's connection")
        self._connection, self._producer = None, None

    def send(self, task_name: str, args_list: list[list[Any]]) -> None:
        """One task message per entry of `args_list`, then one wait for all their confirms. A
        connection found dead (closed by the broker while idle) is replaced once and the whole
        lot sent again: a chunk task is idempotent, a duplicate finds its job gone."""
        if not args_list:
            return
        for attempt in (1, 2):
            try:
                self._send(task_name, args_list)
                return
            except PublishFailed:
                self.close()
                raise
            except Exception:
                self.close()
                if attempt == 2:
                    raise
                log.info("fan-out publisher: connection lost; reconnecting once", exc_info=True)

    def _send(self, task_name: str, args_list: list[list[Any]]) -> None:
        producer = self._ensure()
        self._refused = 0
        for args in args_list:
            current_app.send_task(task_name, args=args, producer=producer, mandatory=True)
            self._sent += 1
            self._outstanding.add(self._sent)
        wait_for_confirms(self._connection, self._outstanding)  # type: ignore[arg-type]
        if self._refused:
            raise PublishFailed(f"{self._refused} of {len(args_list)} task messages refused by the broker")


_local = threading.local()


def publisher() -> ConfirmedTaskPublisher:
    """This thread's publisher (a projector worker sends from its own thread)."""
    found = getattr(_local, "publisher", None)
    if found is None:
        found = _local.publisher = ConfirmedTaskPublisher()
    return found
