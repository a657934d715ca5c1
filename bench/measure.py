"""Measuring, the same way in every benchmark: one percentile, latency summaries, timers,
warm-up and rates.

    samples = sample_ms(run, 400)                  # after warm_up(run)
    quantiles_ms(samples, 0.5, 0.99)               # {"p50_ms": ..., "p99_ms": ...}
    with stopwatch() as timer:
        work()
        with timer.paused():                       # bookkeeping that is not the measured work
            count()
    rate = n / timer.seconds
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile, q in [0, 1] (0.99 for p99, 1 for the maximum): the smallest
    sample with at least a fraction q of all samples at or below it, NaN without samples.

    Nearest rank, not interpolation, so that every reported figure is a value that was observed;
    one definition for every benchmark, so that their p99s compare."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = math.ceil(q * len(ordered) - 1e-9)  # q * n is inexact in binary: 0.99 * 300 must be rank 297
    return ordered[min(len(ordered), max(1, rank)) - 1]


def quantile_key(q: float, suffix: str = "_ms") -> str:
    """`p50_ms` for 0.5, `p99_ms` for 0.99, `max_ms` for 1."""
    return f"max{suffix}" if q >= 1 else f"p{q * 100:g}{suffix}"


def quantiles_ms(samples: Sequence[float], *qs: float, digits: int = 2, suffix: str = "_ms") -> dict[str, float]:
    """`{"p50_ms": ..., "p99_ms": ...}` of samples already in milliseconds, rounded."""
    return {quantile_key(q, suffix): round(percentile(samples, q), digits) for q in qs}


def to_ms(seconds: Sequence[float]) -> list[float]:
    return [s * 1000 for s in seconds]


class Timer:
    """Wall-clock seconds of a block (`perf_counter`), minus the time spent in `paused()` blocks."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.excluded = 0.0
        self.stopped: float | None = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.excluded += time.perf_counter() - began

    def stop(self) -> float:
        self.stopped = time.perf_counter()
        return self.seconds

    @property
    def seconds(self) -> float:
        end = self.stopped if self.stopped is not None else time.perf_counter()
        return end - self.started - self.excluded


@contextmanager
def stopwatch() -> Iterator[Timer]:
    timer = Timer()
    try:
        yield timer
    finally:
        timer.stop()


def rate(count: int, run: Callable[[], object]) -> float:
    """`count` operations done by `run()`, per second."""
    with stopwatch() as timer:
        run()
    return count / timer.seconds


def warm_up(run: Callable[[], object], times: int = 20) -> None:
    """Untimed calls first: connections, caches and the JIT-less interpreter's first-call costs
    (imports, query planning) would otherwise land in the first samples."""
    for _ in range(times):
        run()


def sample_ms(run: Callable[[], object], n: int) -> list[float]:
    """The latency of each of `n` sequential calls, in milliseconds."""
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples
