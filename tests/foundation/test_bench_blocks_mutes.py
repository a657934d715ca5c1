"""The blocks-and-mutes read benchmark (bench/blocks_mutes.py) runs, untimed, at a tiny size: its
seed gives both readers of a pair the same full feed, its check finds the rule hiding the blocked
and muted followees' posts, and its measurement produces every figure the docs quote; its HTTP
phase (sessions for both groups, the query side under gunicorn, wrk) runs for a second a group."""

from __future__ import annotations

import shutil

import pytest

from bench import reads
from bench.blocks_mutes import Shape, check, http, measure, seed

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


TINY = Shape(users=300, posts=6000, readers=3, followees=40, feed_cap=200, relations=50, hidden_followees=5, samples=6)


def test_the_benchmark_seeds_checks_and_measures_at_a_tiny_size() -> None:
    shape = TINY
    made = seed(shape)
    assert made["read_block"] == made["read_mute"] == shape.readers * (shape.relations + shape.hidden_followees)
    assert check(shape)["hidden_posts_on_first_pages_without_relations"] > 0
    figures = measure(shape)
    assert {"with_relations", "without", "server_side_ms", "ratio_p50", "ratio_p99", "meets_target"} <= set(figures)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (scripts/bench-tools)")
def test_the_http_phase_serves_both_groups_through_wrk(monkeypatch: pytest.MonkeyPatch) -> None:
    shape = TINY
    seed(shape)
    monkeypatch.setattr(reads, "PORT", 8767)  # not the benchmarks' port
    for knob, value in (("WARMUP_SECONDS", 1), ("SECONDS", 1), ("MIN_REQUESTS", 0)):
        monkeypatch.setattr(reads, knob, value)
    served = http(shape)
    for group in ("without", "with_relations"):
        assert served[group]["requests"] > 0 and served[group]["errors"] == 0, served[group]
    assert {"ratio_p50", "ratio_p99", "ratio_req_per_s", "meets_target"} <= set(served)
