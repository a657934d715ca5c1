"""Rebuilding each read model from the real event log (the pipeline's schema-swap rebuild)
gives exactly the tables that applying the events live gave."""

from __future__ import annotations

from unittest import mock

import pytest

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import fetchone
from tests.read.conftest import MINE, apply_all, logged, reset, snapshot
from tests.read.factory import World
from tests.read.test_projections import scenario

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def apply_live(events: list) -> list[int]:
    """From empty read models, apply the events as live workers would and run the chunk jobs
    they wrote; returns the jobs."""
    from socialapp.read.feeds.jobs import run_fanout_job

    reset()
    sent: list[int] = []
    with mock.patch.object(type(REGISTRY["home_feed"]), "dispatch", staticmethod(sent.extend)):
        apply_all(events)
    for job in sent:
        run_fanout_job(job)
    return sent


def test_rebuild_from_the_log_equals_live_application(settings) -> None:
    settings.FEED_FANOUT_CHUNK = 2  # some posts go through chunk jobs
    from socialapp.read.feeds.jobs import run_fanout_job

    assert apply_live(logged(scenario().events)), "the scenario must exercise chunked fan-out"
    live = snapshot()
    indexes = feed_entry_indexes()
    for name in MINE:
        with mock.patch("socialapp.read.feeds.jobs.send_fanout_tasks") as send:
            result = REGISTRY[name].rebuild_strategy().run()
        assert result["replayed"] > 0
        if name == "home_feed":
            jobs = send.call_args.args[0]
            # The bulk replay builds the feeds at once (no chunk jobs); only events applied in
            # the catch-up write jobs, which are sent after the switch.
            assert result["fanout_jobs_sent"] == len(jobs)
            for job in jobs:
                run_fanout_job(job)
    assert snapshot() == live
    # The feeds were filled without their indexes, built again afterwards under the same names.
    assert feed_entry_indexes() == indexes


def feed_entry_indexes() -> list[tuple]:
    from socialapp.read.common.sql import fetchall

    return fetchall(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'feed_entry'"
        " ORDER BY indexname"
    )


def test_convergence_check_finds_drift(settings) -> None:
    settings.FEED_FANOUT_CHUNK = 2
    from socialapp.read.common.sql import execute

    apply_live(logged(scenario().events))
    for name in MINE:
        report = REGISTRY[name].check()
        assert report.ok and report.checked > 0, (name, report)
    execute("UPDATE read_profile SET follower_count = 99 WHERE user_id = 1")
    execute("DELETE FROM feed_entry WHERE reader_id = 2")
    execute("DELETE FROM read_notification WHERE recipient_id = 1")
    assert REGISTRY["profiles"].check().unexpected == ["read_profile:1"]
    assert REGISTRY["profiles"].check().lost == ["read_profile:1"]
    feed = REGISTRY["home_feed"].check()
    assert feed.lost and all(k == "feed_entry:2" for k in feed.lost) and not feed.unexpected
    assert REGISTRY["notifications"].check().lost
    assert REGISTRY["posts"].check().ok


def test_check_passes_after_a_rebuild_across_the_celebrity_threshold(settings) -> None:
    """The rebuild's deferred replay and set-based feeds equal live application, also when
    authors cross the celebrity threshold during the log (posts merged at read time), and the
    convergence check, which replays event by event, agrees."""
    settings.FEED_FANOUT_CHUNK = 2
    settings.FEED_CELEBRITY_THRESHOLD = 2
    w = scenario()
    fans = [w.register(f"fan{i}") for i in range(3)]
    star = w.register("star")
    for i, fan in enumerate(fans):
        w.post(star, f"star {i}")  # 0, 1, 2 followers: fanned out; then 3: merged at read time
        w.follow(fan, star)
    w.post(star, "a celebrity now")
    w.follow(fans[0], star, on=False)
    w.post(star, "back under the threshold")
    apply_live(logged(w.events))
    live = snapshot()
    assert fetchone("SELECT count(*) FROM feed_post WHERE NOT fanned_out AND author_id = %s", [star]) == (1,)
    with mock.patch("socialapp.read.feeds.jobs.send_fanout_tasks"):
        REGISTRY["home_feed"].rebuild_strategy().run()
    assert snapshot() == live
    report = REGISTRY["home_feed"].check()
    assert report.ok and report.checked > 0, report


def test_the_rebuild_reads_a_bounded_range_and_falls_back_when_it_is_short(settings) -> None:
    """With a small cap, most feeds are built from a bounded range of recent post ids; a reader
    whose only followee posted long ago is short in that range and is built again unbounded."""
    settings.FEED_MAX_ENTRIES = 3
    settings.FEED_TRIM_SLACK = 0
    settings.FEED_TRIM_CHECK_EVERY = 1  # live trims exact: the live feeds are exactly the cap
    w = World()
    old, late = w.register("old"), w.register("late")
    users = [w.register(f"u{i}") for i in range(4)]
    for i in range(10):
        w.post(old, f"early {i}")
    for u in users:
        for v in users:
            if u != v:
                w.follow(u, v)
    for i in range(24):
        w.post(users[i % 4], f"post {i}")
    w.follow(late, old)
    apply_live(logged(w.events))
    live = snapshot()
    assert len([r for r in live["feed_entry"] if r[0] == late]) == 3
    from socialapp.read.feeds import rebuild

    short: list[int] = []
    materialise = rebuild.materialise_feeds
    with (
        mock.patch("socialapp.read.feeds.jobs.send_fanout_tasks"),
        mock.patch.object(rebuild, "materialise_feeds", lambda *a: short.append(materialise(*a)) or short[-1]),
    ):
        REGISTRY["home_feed"].rebuild_strategy().run()
    assert short == [2]  # `old` (own posts, all early) and `late` (follows only `old`): again unbounded
    assert snapshot() == live
