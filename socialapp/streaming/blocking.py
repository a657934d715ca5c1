"""Running the query side's synchronous code (Django ORM connections, the session cache) from the
event loop: on a small pool of threads of its own, so at most STREAMING_DB_THREADS read-database
connections per process, however many clients are connected.

Each thread keeps its `read` connection between calls (a connection per call would cost a
PostgreSQL backend start per message). A call that fails on a broken connection closes it, so
the next call on that thread reconnects: a restarted database costs one failed delivery, not a
dead thread.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError, connections

P = ParamSpec("P")
T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=settings.STREAMING_DB_THREADS, thread_name_prefix="streaming-db")
    return _executor


def _guarded(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return fn(*args, **kwargs)
    except DatabaseError:
        connections["read"].close()  # this thread reconnects on its next call
        raise


async def run_sync(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), functools.partial(_guarded, fn, *args, **kwargs))
