"""The search worker's bulk pushes on a thread of their own, so that a batch's push to
Elasticsearch overlaps the next batch's apply (docs/search.md, "Overlapped pushes").

Why a thread: while the worker's thread applies batch N+1 (PostgreSQL round trips, commit), the
push of batch N waits for Elasticsearch and PostgreSQL (the pending read, the `_bulk` call, the
pending delete); both waits release the GIL, so the two overlap instead of adding up. One thread,
jobs in order: a push never races a newer push of the same process, and each job reads what is
pending when it starts (rows of a later batch included, which versions make harmless).

The thread has its own database connection (Django's are per thread). A job that fails closes
it, so a broken connection is not reused; the caller (the worker) then redoes that batch on the
synchronous path, which retries with backoff as before (socialapp.events.worker).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connections

from socialapp.read.search import sync

log = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _push() -> list[sync.Rejected]:
    """Posts and users pending now, hashtags if due; the documents Elasticsearch refused for good."""
    rejected: list[sync.Rejected] = []
    try:
        sync.push_batch(rejected)
    except BaseException:
        connections.close_all()  # this thread's connections only: never reuse a broken one
        raise
    return rejected


def submit() -> Future[list[sync.Rejected]]:
    """Start a push on the pusher thread (created on first use); its future gives the refusals."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-push")
        return _executor.submit(_push)


def shutdown() -> None:
    """Wait for the pushes in flight and stop the thread (tests, worker shutdown)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)
