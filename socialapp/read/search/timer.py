"""The search worker's timer: hashtag documents left waiting by a batch are pushed within
SEARCH_HASHTAG_PUSH_SECONDS even when no further event arrives (socialapp.read.search.sync).

A Celery consumer step, like the projector consumer step (socialapp.events.worker), installed
beside it in socialapp/celery.py. Its entry runs on the worker's event-loop timer, in the thread
that delivers messages, so it never runs in the middle of a batch and shares its database
connection. In a worker that consumes no search queue nothing is ever waiting: each tick is a
flag test, no query.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import bootsteps

log = logging.getLogger(__name__)


class HashtagPushStep(bootsteps.StartStopStep):
    """Every SEARCH_HASHTAG_PUSH_SECONDS / 4, push the hashtag documents a batch left waiting."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._entry: Any = None

    def start(self, c: Any) -> None:
        from django.conf import settings

        from socialapp.read.search import sync

        # Without an event loop, batches are of one event and every batch pushes when due.
        if getattr(c, "hub", None) is None or settings.SEARCH_HASHTAG_PUSH_SECONDS <= 0:
            return
        self._entry = c.timer.call_repeatedly(sync.tick_seconds(), self.tick)

    def stop(self, c: Any) -> None:
        if self._entry is not None:
            self._entry.cancel()
            self._entry = None

    shutdown = stop

    @staticmethod
    def tick() -> None:
        from socialapp.read.search import sync

        try:
            sync.push_waiting_hashtags()
        except Exception as exc:  # Elasticsearch down: they stay pending for the next batch or tick
            log.warning("search: could not push hashtag documents (%s: %s)", type(exc).__name__, exc)


def install(app: Any) -> None:
    app.steps["consumer"].add(HashtagPushStep)
