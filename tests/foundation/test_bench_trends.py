"""The analytics benchmark's pieces (bench/trends.py) at a tiny size, on the test databases: the
history is made by the command services, every projector applies the same stream and the shares
are computed from those seconds; the counters loaded for the endpoint figure are what the trends
model reads (a refresh ranks them, their uses add up). No server, no wrk; untimed."""

from __future__ import annotations

import random

import pytest

from bench import trends
from socialapp.read.trends.ranking import refresh
from socialapp.read.trends.selectors import tag_history, top_tags

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


def test_every_projector_applies_the_same_history_and_the_shares_follow(settings) -> None:
    settings.STREAMING_PUSH = False
    result = trends.cost(random.Random(1), commands=300)
    assert result["events"] >= 200 and result["events_by_type"]["post.created"] > 0
    assert {"post.liked", "comment.created", "user.followed"} <= set(result["events_by_type"])
    seconds = result["apply_seconds"]
    assert set(seconds) == {*trends.BEFORE, *trends.ANALYTICS} and all(s > 0 for s in seconds.values())
    assert result["trends_share"] == round(seconds["trends"] / sum(seconds[n] for n in trends.BEFORE), 3)
    assert result["events_handled"]["activity"] == result["events"]  # it sees every event
    # The stream was applied: the trends model holds the history's tags.
    assert trends.sql("read", "SELECT count(*) FROM trends_tag_minute")[0][0] > 0


def test_the_loaded_counters_rank_and_add_up(settings) -> None:
    settings.TRENDS_MIN_ACCOUNTS = 2
    loaded = trends.load_counters(uses=3000, tags=50, accounts=400)
    assert loaded["uses_in_window"] == 3000
    refresh()
    ranked = top_tags(window="24h", limit=5)
    assert ranked and ranked[0]["name"].startswith("tag")
    history = tag_history([ranked[0]["name"]])[ranked[0]["name"]]
    assert sum(day["uses"] for day in history) >= ranked[0]["uses"]
