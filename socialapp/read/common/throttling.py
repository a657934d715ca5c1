"""The general rate limits (`anon`, `user`) on query requests, counted in the shared cache without
a round trip per request.

The command side counts every request with one Redis round trip (socialapp.common.throttling,
`WindowCounterMixin`). On a query that round trip was, with authentication, the largest cost
left in a home-feed request next to the page's own statement. Here each process counts a
client's requests locally against the shared count it last saw, and a flusher thread adds what
every client counted to the shared counters (INCRBY, with the same EXPIRE NX, and PTTL to see
the window's end) in one pipelined round trip every SYNC_SECONDS. A request still goes to Redis
itself, exactly as on the command side, when the process has not seen the client's window yet
(its first request, or the window ended), and when the estimate (shared count seen + not yet
sent + this one) reaches NEAR of the limit: the refusal and the requests just before it are
counted exactly. The windows are the very same keys as the command side's (one limit per client
across both sides).

What it costs in accuracy: X-RateLimit-Remaining far from the limit omits the other processes'
requests of the last SYNC_SECONDS; a client spreading a burst over P processes can exceed its
limit by at most what those processes counted locally in one interval (each below NEAR). For
rates that protect capacity that is the same kind of slack the window counter already accepts
(up to twice the rate across two windows back to back); credentials keep DRF's exact sliding log.
A flush that fails (the cache is down) drops its counts: throttles fail open on both sides.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from socialapp.common.throttling import FailOpenMixin, WindowCounterMixin

log = logging.getLogger(__name__)


@dataclass
class _Window:
    key: str  # the cache's full key (the command side's counter)
    duration: int
    known: int = 0  # the shared count at the last round trip
    pending: int = 0  # requests counted here since, not sent yet
    ends: float = 0.0  # when the window seen then ends (time.monotonic())


class _Counters:
    """This process's windows and the thread that flushes their pending counts."""

    MAX_WINDOWS = 50_000  # ended windows are dropped past this

    def __init__(self) -> None:
        self.windows: dict[str, _Window] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def get(self, local_key: str, key: str, duration: int, now: float) -> _Window:
        """The client's window (caller holds the lock); starts the flusher if it is not running."""
        window = self.windows.get(local_key)
        if window is None:
            if len(self.windows) >= self.MAX_WINDOWS:
                for name in [k for k, w in self.windows.items() if w.ends <= now] or list(self.windows):
                    del self.windows[name]
            window = self.windows[local_key] = _Window(key, duration)
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="query-throttle-flusher", daemon=True)
            self.thread.start()
        return window

    def _run(self) -> None:
        while True:
            time.sleep(BatchedWindowCounterMixin.SYNC_SECONDS)
            try:
                self.flush()
            except Exception as exc:  # the cache is down: these counts are dropped (fail open)
                log.warning("query throttle: counts not flushed (%s)", type(exc).__name__)

    def flush(self) -> None:
        """One pipelined round trip: every window's pending count added to its shared counter."""
        with self.lock:
            batch = [(w, w.pending) for w in self.windows.values() if w.pending]
            for window, _ in batch:
                window.pending = 0
        if not batch:
            return
        pipe = caches["default"]._cache.get_client(write=True).pipeline(transaction=False)
        for window, count in batch:
            pipe.incrby(window.key, count)
            pipe.expire(window.key, window.duration, nx=True)
            pipe.pttl(window.key)
        results = pipe.execute()
        now = time.monotonic()
        with self.lock:
            for i, (window, _) in enumerate(batch):
                count, _, pttl = results[3 * i : 3 * i + 3]
                window.known, window.ends = int(count), now + max(pttl, 0) / 1000


_counters = _Counters()


class BatchedWindowCounterMixin(WindowCounterMixin):
    SYNC_SECONDS = 0.25
    NEAR = 0.8

    def _count(self, key: str) -> tuple[int, float]:
        backend = getattr(self.cache, "_cache", None)
        if not hasattr(backend, "get_client"):
            return super()._count(key)
        full_key = self.cache.make_and_validate_key(key)
        now = time.monotonic()
        with _counters.lock:
            # Held per rate too: a changed rate (a deploy, a test) starts from the shared count.
            window = _counters.get(f"{full_key}/{self.num_requests}/{self.duration}", full_key, self.duration, now)
            estimate = window.known + window.pending + 1
            if now < window.ends and estimate < self.NEAR * self.num_requests:
                window.pending += 1
                return estimate, window.ends - now
            add, window.pending = (window.pending + 1 if now < window.ends else 1), 0
        pipe = backend.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.incrby(full_key, add)
        pipe.expire(full_key, self.duration, nx=True)
        pipe.pttl(full_key)
        count, _, pttl = pipe.execute()
        seconds_left = max(pttl, 0) / 1000
        with _counters.lock:
            window.known, window.ends = int(count), now + seconds_left
        return int(count), seconds_left


class BatchedAnonThrottle(FailOpenMixin, BatchedWindowCounterMixin, AnonRateThrottle):
    pass


class BatchedUserThrottle(FailOpenMixin, BatchedWindowCounterMixin, UserRateThrottle):
    pass


QUERY_THROTTLES: list[Any] = [BatchedAnonThrottle, BatchedUserThrottle]
