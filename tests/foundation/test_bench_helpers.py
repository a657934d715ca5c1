"""The benchmarks' shared measuring and reporting helpers (bench/measure.py, bench/report.py):
every benchmark's p50/p99 comes from the one `percentile`, so its definition is pinned here.
The benchmarks themselves run for minutes; their smoke command is in DEVELOPERS.md."""

from __future__ import annotations

import json
import math
import time

import pytest

from bench import report
from bench.measure import percentile, quantiles_ms, rate, sample_ms, stopwatch


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
