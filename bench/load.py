"""Load: threads of clients, and work paced at a fixed rate in the background.

Each thread closes its database connections when it ends (Django opens one per thread).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def threaded(work: Callable[[int], object], threads: int) -> Callable[[], None]:
    """A callable that runs `work(i)` on `threads` threads (i = 0..threads-1) and joins them."""

    def run() -> None:
        def target(i: int) -> None:
            try:
                work(i)
            finally:
                connections.close_all()

        workers = [threading.Thread(target=target, args=(i,)) for i in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()

    return run


def closed_loop(
    call: Callable[[T], object], args: Sequence[T], *, seconds: float, concurrency: int
) -> tuple[list[float], float]:
    """`concurrency` clients, each calling `call` on a random one of `args` (seeded per client)
    as fast as it answers for `seconds`. Returns every call's latency in seconds and the elapsed
    wall-clock time, for requests per second."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        local = []
        while time.monotonic() < stop:
            t = time.perf_counter()
            call(rng.choice(args))
            local.append(time.perf_counter() - t)
        with lock:
            latencies.extend(local)

    started = time.monotonic()
    threaded(client, concurrency)()
    return latencies, time.monotonic() - started


@contextmanager
def paced(work: Callable[[], object], per_second: float) -> Iterator[None]:
    """`work()` on a background thread, `per_second` times a second, for the duration of the block."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set():
                t = time.monotonic()
                work()
                stop.wait(max(0.0, 1 / per_second - (time.monotonic() - t)))
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
