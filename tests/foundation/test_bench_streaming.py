"""The streaming benchmark (bench/streaming.py) runs its whole path at a tiny size: the Go client
built, 20 connections opened on the real streaming server, posts sent over HTTP through the real
pipeline (relay, projectors, fan-out chunk tasks), and every post reaches exactly its followers'
connections, once each, in both runs (the target rate, then the lower one); push messages published straight to the
exchange reach their readers (the server alone); the figures the docs quote are all there. Untimed: the latencies are
whatever this busy machine gives."""

from __future__ import annotations

import json
import shutil

import pytest

from bench import report, streaming
from devkit.streaming import free_port

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "read"]),
    pytest.mark.skipif(shutil.which("go") is None, reason="Go not installed (scripts/bench-tools)"),
]

TINY = dict(readers=20, authors=2, audience=10, fanout_chunk=4, connections=20, hold_seconds=8, post_rate=4,
            post_seconds=3, low_post_rate=2, warmup_seconds=0, pollers=1, poll_ms=200, synthetic_rate=10,
            synthetic_seconds=2)  # fmt: skip


def test_the_benchmark_holds_connections_and_times_every_push(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(streaming, "PROJECTORS", ["home_feed", "posts"])  # what a home stream's update needs
    shape = streaming.Shape(**TINY, web_port=free_port(), stream_port=free_port())
    result = streaming.measure(shape)

    connections = result["connections"]
    assert connections["opened"] == connections["open_at_end"] == 20, connections
    assert connections["failed"] == connections["dropped_before_end"] == 0, connections
    posts = result["posts"]
    assert posts["created"] == posts["measured_after_warmup"] >= 8 and posts["refused"] == 0, posts
    # 2 authors with 10 followers each, a connection per reader: each post to exactly 10 streams
    deliveries = result["deliveries"]
    assert deliveries["expected"] == 10 * posts["created"], deliveries
    # Every one: a fan-out that commits before the posts projector wrote the post is rendered
    # once the post is there (the server retries the render and never caches a miss).
    assert deliveries["received"] == deliveries["expected"], json.dumps([deliveries, result["commit_to_pushed"]])
    assert deliveries["posts_pushed_to_nobody"] == 0, deliveries
    assert deliveries["duplicates"] == deliveries["to_non_followers"] == 0, deliveries
    assert result["events"]["malformed_updates"] == 0
    pushed = result["commit_to_pushed"]
    assert pushed["samples"] == deliveries["received"] and 0 < pushed["p50_ms"] <= pushed["p99_ms"], pushed
    assert result["response_to_pushed"]["p50_ms"] < pushed["p50_ms"]  # the response comes after the commit
    assert result["baseline_polling"]["commit_to_seen"]["samples"] > 0, result["baseline_polling"]
    split = result["split"]  # the broker probe saw the push messages of its followers
    assert split["commit_to_published"]["samples"] > 0 and split["published_to_pushed"]["samples"] > 0, split
    low = result["at_lower_rate"]  # the second run, same stack, at the lower rate
    lost = low["deliveries"]["posts_pushed_to_nobody"]
    assert low["deliveries"]["received"] == low["deliveries"]["expected"] - 10 * lost > 0, json.dumps(low["deliveries"])
    assert low["connections"]["open_at_end"] == 20
    alone = result["server_alone"]  # messages published straight to the exchange, 10 readers each
    assert alone["messages"] == 20 and alone["deliveries"]["received"] == alone["deliveries"]["expected"] == 200, alone
    assert alone["published_to_pushed"]["samples"] == 200
    memory = result["memory"]
    assert memory["idle_connections"] == 20 and memory["rss_kb_idle_0"] > 0, memory
    assert result["cpu_seconds_during_hold"]["streaming"] > 0
    assert set(result["targets"]) == {"connections_held", "post_rate", "p50_ms", "p99_ms"}

    monkeypatch.setattr(report, "RESULTS", tmp_path)  # the chart, not into bench/results
    streaming.chart(result)
    assert (tmp_path / "streaming.png").stat().st_size > 0
    json.dumps(result)
