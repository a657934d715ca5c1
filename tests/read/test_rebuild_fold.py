"""The home feed's rebuild folds the log in SQL (socialapp.read.feeds.fold): it must leave exactly
the tables that the event-by-event replay leaves, and that applying the log live leaves, for any
log: follows, unfollows and refollows (versioned), posts of every visibility with mentions,
edits, deletions (also before the creation), blocks, mutes, suspensions, deactivations, authors
crossing the celebrity threshold both ways, positions out of order within an aggregate (the log
holds each event once; live application gets some twice)."""

from __future__ import annotations

import random
from unittest import mock

import pytest

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import fetchall
from socialapp.read.feeds.rebuild import FeedRebuild
from tests.read.conftest import logged, snapshot
from tests.read.factory import World, shuffled_within_aggregates
from tests.read.test_rebuild import apply_live

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]

FEED_TABLES = ("feed_author", "feed_follow", "feed_post", "feed_entry")


def varied_world(seed: int) -> World:
    """A random history of a few users, with a small celebrity threshold in mind (2)."""
    rng = random.Random(seed)
    w = World()
    users = [w.register(f"user{i}") for i in range(8)]
    posts: list[int] = []
    for _ in range(160):
        live = [u for u in users if w.live(u)]
        a, b = rng.sample(live, 2)
        roll = rng.random()
        if roll < 0.30:
            w.follow(a, b, on=rng.random() < 0.7)
        elif roll < 0.62:
            mentioned = " ".join(f"@user{users.index(u)}" for u in rng.sample(users, rng.randint(0, 3)))
            visibility = rng.choice([None, "public", "unlisted", "followers", "direct"])
            posts.append(w.post(a, f"post {len(posts)} {mentioned}", visibility))
        elif roll < 0.70 and posts:
            pid = rng.choice(posts)
            if not w.posts[pid].deleted:
                w.edit(pid, f"edited @user{users.index(b)}")
        elif roll < 0.80 and posts:
            pid = rng.choice(posts)
            if not w.posts[pid].deleted and w.live(w.posts[pid].author):
                w.delete(pid)
        elif roll < 0.86:
            w.block(a, b, on=rng.random() < 0.7)
        elif roll < 0.91:
            w.mute(a, b, on=rng.random() < 0.7)
        elif roll < 0.96:
            (w.suspend if rng.random() < 0.5 else w.unsuspend)(a)
        elif len(live) > 5:
            w.deactivate(a)
    return w


def redelivered(events: list, rng: random.Random) -> list:
    """The log as live workers may get it: about a third of the events delivered again, later
    (the log holds each event once: one version per aggregate)."""
    out = list(events)
    for event in events:
        if rng.random() < 0.3:
            out.insert(rng.randint(out.index(event) + 1, len(out)), event)
    return out


def feed_state() -> dict[str, list[tuple]]:
    tables = snapshot()
    tracked = fetchall(
        "SELECT event_id, position FROM projection_applied_event WHERE projector = 'home_feed' ORDER BY position"
    )
    return {**{t: tables[t] for t in FEED_TABLES}, "tracking": tracked}


def rebuilt(*, fold: bool) -> dict[str, list[tuple]]:
    from socialapp.read.feeds.jobs import run_fanout_job

    with mock.patch("socialapp.read.feeds.jobs.send_fanout_tasks") as send:
        strategy = FeedRebuild(REGISTRY["home_feed"], fold=fold)
        assert strategy.folding is fold
        result = strategy.run()
    for job in send.call_args.args[0] if send.call_args else ():
        run_fanout_job(job)
    assert result["caught_up"] == 0 and result["at_switch"] == 0
    return feed_state()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_folded_rebuild_equals_the_event_by_event_replay_and_live_application(settings, seed: int) -> None:
    settings.FEED_FANOUT_CHUNK = 2
    settings.FEED_CELEBRITY_THRESHOLD = 2
    events = logged(shuffled_within_aggregates(varied_world(seed).events, seed=seed, duplicate=False))
    assert {e.event_type for e in events} >= {"post.deleted", "user.unfollowed", "user.deactivated", "user.blocked"}
    created = {e.payload["post_id"]: e.position for e in events if e.event_type == "post.created"}
    assert any(e.position < created[e.payload["post_id"]] for e in events if e.event_type == "post.deleted")
    apply_live(redelivered(events, random.Random(seed)))
    live = feed_state()
    assert any(not r[2] for r in live["feed_post"]), "some post must be left to the read-time merge"
    assert any(r[3] for r in live["feed_post"]) and any(not r[2] for r in live["feed_follow"])
    by_event = rebuilt(fold=False)
    folded = rebuilt(fold=True)
    for table in (*FEED_TABLES, "tracking"):
        assert folded[table] == by_event[table], table
    for table in FEED_TABLES:
        assert folded[table] == live[table], table
    report = REGISTRY["home_feed"].check()
    assert report.ok and report.checked > 0, report


def test_a_projector_with_an_event_type_the_fold_does_not_know_is_replayed_event_by_event() -> None:
    projector = REGISTRY["home_feed"]
    with mock.patch.object(type(projector), "event_types", lambda self: (*projector.handlers, "user.renamed")):
        assert not FeedRebuild(projector).folding
    assert FeedRebuild(projector).folding
