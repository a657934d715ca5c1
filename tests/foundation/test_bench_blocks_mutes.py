"""The blocks-and-mutes read benchmark (bench/blocks_mutes.py) runs, untimed, at a tiny size: its
seed gives both readers of a pair the same full feed, its check finds the rule hiding the blocked
and muted followees' posts, and its measurement produces every figure the docs quote."""

from __future__ import annotations

import pytest

from bench.blocks_mutes import Shape, check, measure, seed

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


def test_the_benchmark_seeds_checks_and_measures_at_a_tiny_size() -> None:
    shape = Shape(
        users=300, posts=6000, readers=3, followees=40, feed_cap=200, relations=50, hidden_followees=5, samples=6
    )
    made = seed(shape)
    assert made["read_block"] == made["read_mute"] == shape.readers * (shape.relations + shape.hidden_followees)
    assert check(shape)["hidden_posts_on_first_pages_without_relations"] > 0
    figures = measure(shape)
    assert {"with_relations", "without", "server_side_ms", "ratio_p50", "ratio_p99", "meets_target"} <= set(figures)
