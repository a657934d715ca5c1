"""Measuring, the same way in every benchmark: one percentile, latency summaries, timers,
warm-up and rates, and processes' CPU time from /proc.

    samples = sample_ms(run, 400)                  # after warm_up(run)
    quantiles_ms(samples, 0.5, 0.99)               # {"p50_ms": ..., "p99_ms": ...}
    with stopwatch() as timer:
        work()
        with timer.paused():                       # bookkeeping that is not the measured work
            count()
    rate = n / timer.seconds
    before = {s.pid: s.seconds for s in proc_stats()}   # CPU seconds by process (utime + stime)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


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


# ------------------------------------------------------------------------------ CPU from /proc
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    """What /proc/<pid>/stat says of one process that CPU accounting needs."""

    pid: int
    comm: str
    ppid: int
    session: int
    seconds: float  # utime + stime, plus that of its reaped children (cutime + cstime)


def proc_stat(pid: int | str) -> ProcStat | None:
    """One process's stat, None if it is gone. `comm` may hold spaces and parentheses: it is
    whatever lies between the first "(" and the last ")"."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2 :].split()
    return ProcStat(
        pid=int(pid),
        comm=raw[raw.index("(") + 1 : raw.rindex(")")],
        ppid=int(rest[1]),
        session=int(rest[3]),
        seconds=sum(int(v) for v in rest[11:15]) / CLK_TCK,
    )


def proc_stats() -> Iterator[ProcStat]:
    """Every process on the machine (those that exit while listed are skipped)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = proc_stat(pid)
        if stat is not None:
            yield stat


def cmdline(pid: int | str) -> str:
    """A process's command line (a PostgreSQL backend's says its database), "" if it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy so far, summed over its cores (/proc/stat: every
    state but idle and iowait; guest time is already counted in user)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK
