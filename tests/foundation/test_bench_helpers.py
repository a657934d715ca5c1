"""The benchmarks' shared measuring and reporting helpers (bench/measure.py, bench/report.py):
every benchmark's p50/p99 comes from the one `percentile`, so its definition is pinned here.
The benchmarks themselves run for minutes; their smoke command is in DEVELOPERS.md."""

from __future__ import annotations

import json
import math
import os
import time

import pytest

from bench import report
from bench.measure import (
    cmdline,
    machine_busy_seconds,
    percentile,
    proc_stat,
    proc_stats,
    quantiles_ms,
    rate,
    sample_ms,
    stopwatch,
)


def test_percentile_is_the_nearest_rank() -> None:
    samples = list(range(300, 0, -1))  # 1..300, unsorted
    assert percentile(samples, 0.5) == 150
    assert percentile(samples, 0.99) == 297  # ceil(0.99 * 300) = 297, not 298 by float error
    assert percentile(samples, 1) == 300
    assert percentile(samples, 0) == 1
    assert percentile([7.5], 0.99) == 7.5
    assert math.isnan(percentile([], 0.5))


def test_quantile_summaries_name_their_keys() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert quantiles_ms(samples, 0.5, 0.9, 0.99, 1) == {"p50_ms": 50, "p90_ms": 90, "p99_ms": 99, "max_ms": 100}
    assert quantiles_ms([1.23456], 0.5, 1, digits=3, suffix="") == {"p50": 1.235, "max": 1.235}


def test_stopwatch_leaves_out_paused_work() -> None:
    with stopwatch() as timer:
        time.sleep(0.02)
        with timer.paused():
            time.sleep(0.2)
    assert 0.02 <= timer.seconds < 0.2
    assert rate(10, lambda: time.sleep(0.01)) <= 1000
    assert len(sample_ms(lambda: None, 5)) == 5


def test_results_are_written_as_json_and_png(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    path = report.write_json("demo", {"ratio": 0.5, "latency_ms": {"p50": 1.0}})
    assert json.loads(path.read_text()) == {"ratio": 0.5, "latency_ms": {"p50": 1.0}}
    png = report.bar_charts("demo", [report.Bars("a", ["x", "y"], [1, 2]), report.Bars("b", ["z"], [3])])
    assert png == tmp_path / "demo.png"
    assert png.read_bytes().startswith(b"\x89PNG")


def test_open_loop_keeps_its_rate_when_calls_are_slower_than_the_interval() -> None:
    from bench.load import open_loop

    done = []
    with open_loop(lambda i: (time.sleep(0.05), done.append(i)), per_second=100, threads=10) as counts:
        time.sleep(0.5)  # the load's duration; each call takes 5 intervals
    assert counts["started"] >= 35 and counts["skipped"] == 0  # a paced loop would start 10
    assert len(done) == counts["started"]  # every started call ran before the block ended
    assert len(set(done)) > 1  # on several workers


def test_proc_stat_counts_this_process_cpu_and_names_it() -> None:
    """The CPU accounts of bench/reads.py and bench/system.py: a busy loop shows up in this
    process's utime + stime and in the machine's busy time; its session, parent and command line
    are the ones the benchmarks group processes by."""
    me = proc_stat(os.getpid())
    assert me is not None and me.ppid == os.getppid() and me.session == os.getsid(0)
    assert "python" in me.comm.lower() or "pytest" in me.comm.lower()
    assert "pytest" in cmdline(os.getpid()) or "python" in cmdline(os.getpid())
    machine = machine_busy_seconds()
    started = time.process_time()
    while time.process_time() - started < 0.3:
        pass
    after = proc_stat(os.getpid())
    assert after is not None and after.seconds - me.seconds >= 0.2
    assert machine_busy_seconds() - machine >= 0.2
    assert os.getpid() in {s.pid for s in proc_stats()}
    assert proc_stat(2**22 + 12345) is None and cmdline(2**22 + 12345) == ""  # above pid_max: gone


def test_cpu_per_request_splits_the_machine_by_group() -> None:
    from bench.reads import CpuAccount

    before = {"web": 10.0, "postgres": 5.0, "postgres_bench_backends": 1.0, "wrk": 0.5, "machine": 100.0}
    after = {"web": 12.0, "postgres": 6.0, "postgres_bench_backends": 1.5, "wrk": 0.7, "machine": 104.0}
    figures = CpuAccount.per_request(before, after, 1000, 2.0)
    assert figures["cpu_ms_per_request"] == {
        "web": 2.0, "postgres": 1.0, "wrk": 0.2, "rest": 0.8, "total": 4.0, "postgres_bench_backends": 0.5
    }  # fmt: skip
    assert figures["cores_busy"] == {"web": 1.0, "postgres": 0.5, "wrk": 0.1, "rest": 0.4, "total": 2.0}
