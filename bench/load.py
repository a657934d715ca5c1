"""Load: threads of clients, and work paced at a fixed rate in the background.

Each thread closes its database connections when it ends (Django opens one per thread).
"""

from __future__ import annotations

import queue
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


@contextmanager
def open_loop(work: Callable[[int], object], per_second: float, threads: int) -> Iterator[dict[str, int]]:
    """`work(i)` started `per_second` times a second on a schedule, whatever each call takes, by
    `threads` worker threads (i = the worker's number): unlike `paced`, slow calls do not lower
    the rate while a worker is free. Starts that find more than `threads` calls waiting are
    dropped and counted (`skipped` in the yielded dict, with `started`)."""
    pending: queue.Queue[bool] = queue.Queue()
    stop = threading.Event()
    counts = {"started": 0, "skipped": 0}

    def worker(i: int) -> None:
        try:
            while pending.get():
                work(i)
        finally:
            connections.close_all()

    def schedule() -> None:
        due = time.monotonic()
        while not stop.is_set():
            due += 1 / per_second
            stop.wait(max(0.0, due - time.monotonic()))
            if pending.qsize() > threads:
                counts["skipped"] += 1
            else:
                counts["started"] += 1
                pending.put(True)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    scheduler = threading.Thread(target=schedule)
    for t in [*workers, scheduler]:
        t.start()
    try:
        yield counts
    finally:
        stop.set()
        scheduler.join()
        for _ in workers:
            pending.put(False)
        for t in workers:
            t.join()
