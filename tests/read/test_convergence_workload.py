"""`projections check` after a randomized mixed workload through the REAL command services: over
2,000 events (SOCIALAPP_CONVERGENCE_EVENTS; `make bench` runs it at 5,000) of posting, editing, commenting, liking and unliking, following, deleting and
deactivating, delivered to every projector out of order (shuffled within a sliding window, cut
into random batches, some delivered twice), as racing workers would deliver them. Every
projector's check must then report OK: nothing lost from the log, every table equal to a replay.
Also: an event in the log that never reached a projector is reported `lost`."""

from __future__ import annotations

import os
import random
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from socialapp.common.errors import DomainError
from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.log import log_events
from socialapp.events.models import Event
from socialapp.events.projector import REGISTRY, EventMessage
from socialapp.read.common.sql import fetchall
from socialapp.read.feeds import jobs
from socialapp.write.accounts.services import profile_update, user_deactivate
from socialapp.write.comments.services import comment_create, comment_delete, comment_edit
from socialapp.write.follows.services import user_follow, user_unfollow
from socialapp.write.posts.services import post_create, post_delete, post_edit, post_like, post_unlike
from tests.command_support import make_user
from tests.read.conftest import logged
from tests.read.factory import World
from tests.search.conftest import search_indexes  # noqa: F401 - fixture

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]

PROJECTORS = ("profiles", "posts", "home_feed", "notifications", "search")
# 2,000 events are seven 300-event shuffle windows with every kind of event in dozens (the test
# asserts the rare ones are there); each thousand costs ~25 s here, so `make bench` runs the
# bigger workload (5,000) that explores more interleavings.
TARGET_EVENTS = int(os.environ.get("SOCIALAPP_CONVERGENCE_EVENTS", "2000"))
USERS = 40
BODIES = ["hello #cqrs", "@{u} look #django", "plain text", "#Tag #tag @{u} @{v}", "edited #x", "é #café"]


def workload(rng: random.Random) -> None:
    """Random commands through the command services until the log holds TARGET_EVENTS events
    (a hundred commands per transaction: the services nest in it, a refused one rolls back alone)."""
    users = [make_user(f"wk_{i:02d}") for i in range(USERS)]
    names = [u.username for u in users]
    posts: list[tuple[int, int]] = []  # (post, index of its author)
    comments: list[tuple[int, int]] = []
    likes: set[tuple[int, int]] = set()  # (post, index of the liker), as far as this loop knows
    follows: set[tuple[int, int]] = set()
    deactivated = 0

    def body() -> str:
        return rng.choice(BODIES).format(u=rng.choice(names), v=rng.choice(names))

    def one() -> None:
        """One command, mostly one the write model accepts (the author edits and deletes, one
        unlikes what one liked), so that the log gets every kind of event in quantity."""
        nonlocal deactivated
        i = rng.randrange(USERS)
        user = users[i]
        roll = rng.random()
        recent = posts[-60:]
        if roll < 0.14 or not posts:
            posts.append((post_create(author=user, body=body()).id, i))
        elif roll < 0.24:
            post, author = rng.choice(recent)
            post_edit(post_id=post, actor=users[author], body=body())
        elif roll < 0.29:
            post, author = rng.choice(recent)
            post_delete(post_id=post, actor=users[author])
        elif roll < 0.43:
            comments.append((comment_create(post_id=rng.choice(recent)[0], author=user, body=body()).id, i))
        elif roll < 0.48 and comments:
            comment, author = rng.choice(comments[-60:])
            comment_edit(comment_id=comment, actor=users[author], body=body())
        elif roll < 0.52 and comments:
            comment, author = rng.choice(comments[-60:])
            comment_delete(comment_id=comment, actor=users[author])
        elif roll < 0.68:
            post = rng.choice(recent)[0]
            post_like(post_id=post, user=user)
            likes.add((post, i))
        elif roll < 0.76 and likes:
            post, liker = rng.choice(sorted(likes))
            likes.discard((post, liker))
            post_unlike(post_id=post, user=users[liker])
        elif roll < 0.89:
            other = rng.randrange(USERS)
            user_follow(follower=user, username=names[other])
            follows.add((i, other))
        elif roll < 0.95 and follows:
            follower, followee = rng.choice(sorted(follows))
            follows.discard((follower, followee))
            user_unfollow(follower=users[follower], username=names[followee])
        elif roll < 0.99:
            profile_update(user_id=user.pk, display_name=f"N{rng.randint(0, 99)}", bio=body())
        elif deactivated < 4:
            user_deactivate(user_id=user.pk, actor=user)
            user.refresh_from_db()
            deactivated += 1

    while Event.objects.count() < TARGET_EVENTS:
        with transaction.atomic():
            for _ in range(100):
                try:
                    with transaction.atomic():
                        one()
                except DomainError:
                    pass  # refused (deleted post, deactivated user, not the author ...): nothing appended


def out_of_order(events: list[EventMessage], rng: random.Random) -> list[list[EventMessage]]:
    """Shuffled within a sliding window of 300 events, 3% delivered twice, cut into batches."""
    window = 300
    order: list[EventMessage] = []
    for start in range(0, len(events), window):
        chunk = events[start : start + window]
        rng.shuffle(chunk)
        order += chunk
    for e in rng.sample(order, len(order) // 33):
        order.insert(rng.randint(0, len(order)), e)
    batches, start = [], 0
    while start < len(order):
        size = rng.choice([1, 5, 20, 50, 100])
        batches.append(order[start : start + size])
        start += size
    return batches


def test_check_passes_after_a_randomized_mixed_workload(search_indexes: None) -> None:  # noqa: F811
    rng = random.Random(20261201)
    workload(rng)
    events = [m for batch in log_events(tuple(ALL_EVENT_TYPES)) for m in batch]
    assert len(events) >= TARGET_EVENTS
    kinds = {e.event_type for e in events}
    assert {"post.deleted", "post.edited", "comment.deleted", "post.unliked", "user.deactivated"} <= kinds
    with mock.patch.object(type(REGISTRY["home_feed"]), "dispatch", staticmethod(lambda ids: None)):
        for name in PROJECTORS:
            for batch in out_of_order(events, rng):
                for outcome in REGISTRY[name].apply_batch(batch):
                    assert not isinstance(outcome, Exception), (name, outcome)
    for (job_id,) in fetchall("SELECT id FROM feed_fanout_job ORDER BY id"):
        jobs.run_fanout_job(job_id)
    for name in PROJECTORS:
        report = REGISTRY[name].check()
        assert report is not None and report.ok and report.checked > 0, (name, report)
    deleted = fetchall("SELECT count(*) FROM read_post WHERE deleted AND (body <> '' OR hashtags <> '{}')")
    assert deleted == [(0,)], "a deleted post kept its content"


def test_check_reports_an_event_of_the_log_that_was_never_applied() -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    pid = w.post(ann, "hello #x")
    w.like(bob, pid)
    w.comment(bob, pid, "hi")
    events = logged(w.events)
    never = next(e for e in events if e.event_type == "post.liked")
    for name in ("posts", "profiles", "notifications"):
        for e in events:
            if e is not never:
                REGISTRY[name].apply(e)
    assert REGISTRY["profiles"].check().ok  # profiles do not handle likes
    for name in ("posts", "notifications"):
        report = REGISTRY[name].check()
        assert report.lost == [f"event:{never.event_id}"], (name, report)
        assert not report.unexpected
    with pytest.raises(Exception, match="diverged: posts"):
        call_command("projections", "check", "posts")
    REGISTRY["posts"].apply(never)
    assert REGISTRY["posts"].check().ok
