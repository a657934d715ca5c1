"""Push producers: what each projector publishes to the streams exchange after its effect commits.

A real RabbitMQ queue (exclusive, auto-delete) is bound to the routing keys under test; events go
through the real projectors; the test reads back exactly the messages delivered, with their
routing key and CC header. "Nothing was published" is proved without waiting on a clock: a
sentinel is published last over the publisher's own connection (one channel: the broker keeps
the order), and everything delivered before it is what the projectors published.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from django.test import override_settings
from kombu import Connection, Queue, binding
from prometheus_client import REGISTRY as METRICS

from socialapp.events.projector import REGISTRY, EventMessage
from socialapp.read.common.sql import execute, fetchall, fetchone
from socialapp.read.feeds import jobs
from socialapp.read.push import messages, publisher
from socialapp.read.push.messages import Kind, NotificationFacts, PushMessage, StatusFacts
from socialapp.read.push.publisher import STREAMS_EXCHANGE, epoch
from tests.read.conftest import apply_all, reset
from tests.read.factory import World
from tests.support import wait_for

pytestmark = pytest.mark.django_db(databases=["default", "read"])

SENTINEL = "test.sentinel"
ALL = ("profiles", "posts", "home_feed", "notifications", "relations")


@dataclass
class Delivered:
    message: PushMessage
    routing_key: str
    cc: list[str]

    @property
    def keys(self) -> list[str]:
        return [self.routing_key, *self.cc]


class Streams:
    """One exclusive queue on the streams exchange, bound to the keys a test listens to."""

    def __init__(self) -> None:
        from django.conf import settings

        self.connection = Connection(settings.CELERY_BROKER_URL)
        self.channel = self.connection.channel()
        STREAMS_EXCHANGE.declare(channel=self.channel)
        self.queue = Queue(
            f"test-push-{uuid.uuid4().hex}",
            exchange=STREAMS_EXCHANGE,
            bindings=[binding(STREAMS_EXCHANGE, routing_key=SENTINEL)],
            exclusive=True,
            auto_delete=True,
        )(self.channel)
        self.queue.declare()

    def bind(self, *keys: str) -> None:
        for key in keys:
            self.queue.bind_to(exchange=STREAMS_EXCHANGE, routing_key=key)

    def drain(self) -> list[Delivered]:
        """Everything published so far (publisher's connection in this thread), in order."""
        marker = f"sentinel:{uuid.uuid4()}"
        sent = PushMessage(Kind.UPDATE, marker, 0, "test", 0.0, 0.0)
        with override_settings(STREAMING_PUSH=True):  # also when a test turned pushes off
            assert publisher.publish(sent, [SENTINEL])
        out: list[Delivered] = []

        def sentinel_seen() -> bool:
            while (raw := self.queue.get(no_ack=True)) is not None:
                decoded = PushMessage.decode(raw.body)
                if decoded.key == marker:
                    return True
                headers = raw.headers or {}
                cc = [c.decode() if isinstance(c, bytes) else c for c in headers.get("CC") or []]
                out.append(Delivered(decoded, raw.delivery_info["routing_key"], cc))
            return False

        wait_for(sentinel_seen, timeout=10, what="the sentinel behind the pushes")
        return out

    def close(self) -> None:
        self.connection.release()


@pytest.fixture
def streams() -> Iterator[Streams]:
    s = Streams()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def clean(db) -> None:
    """Every producer's tables, and the notification ids an earlier module's world left: the
    unprojected read_notification_ref outlives `reset` (rebuilds keep it), and a ref found there
    is a notification coming back, never pushed as new."""
    reset(ALL)
    execute("TRUNCATE read_notification_ref")


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable[..., Any]:
    """Apply events to projectors and run the read database's on-commit callbacks, as the
    commit of a live apply would (tests run inside a transaction that never commits)."""

    def apply(events: list[EventMessage], names: tuple[str, ...] = ALL) -> None:
        with django_capture_on_commit_callbacks(using="read", execute=True):
            apply_all(events, names)

    return apply


def by_kind(delivered: list[Delivered], kind: Kind) -> list[Delivered]:
    return [d for d in delivered if d.message.kind == kind]


def world(*names: str) -> tuple[World, list[int]]:
    w = World()
    return w, [w.register(n) for n in names]


def metric(name: str, **labels: str) -> float:
    return METRICS.get_sample_value(name, labels) or 0.0


# ---------------------------------------------------------------------------------- home feed


def test_post_created_is_one_update_for_every_reader_written_and_public_and_tag_streams(
    clean, streams, committed
) -> None:
    w, (a, f1, f2, other) = world("alice", "fan1", "fan2", "other")
    w.follow(f1, a)
    w.follow(f2, a)
    committed(w.events)
    streams.bind(*(f"user.{u}" for u in (a, f1, f2, other)), "public", "hashtag.cats", "hashtag.dogs")
    streams.drain()  # the follows' relations pushes

    pid = w.post(a, "hello #Cats")
    event = w.events[-1]
    committed([event])
    got = streams.drain()

    assert len(got) == 2  # one copy each, though the queue is bound to three keys of the first
    home, listed = sorted(got, key=lambda d: d.routing_key, reverse=True)  # two projectors: any order
    assert home.keys == [f"user.{a}", f"user.{f1}", f"user.{f2}"]  # own entry first, then fan-out
    assert home.message.kind == Kind.UPDATE
    assert home.message.recipients == (a, f1, f2)
    assert home.message.key == f"update:{pid}:{event.event_id}"
    assert (home.message.position, home.message.event_type) == (event.position, "post.created")
    assert home.message.occurred_at == epoch(event.occurred_at)
    assert home.message.committed_at >= home.message.occurred_at
    assert home.message.status == StatusFacts(id=pid, author_id=a, visibility="public")
    assert listed.keys == ["public", "hashtag.cats"]
    assert listed.message.kind == Kind.UPDATE and listed.message.recipients == ()
    assert listed.message.key == home.message.key
    assert listed.message.status == StatusFacts(id=pid, author_id=a, visibility="public", hashtags=("cats",))


def test_followers_post_reaches_its_addressed_audience_and_no_public_stream(clean, streams, committed) -> None:
    w, (a, f1, m) = world("alice", "fan", "mel")
    w.follow(f1, a)
    committed(w.events)
    streams.bind(f"user.{a}", f"user.{f1}", f"user.{m}", "public")
    streams.drain()

    pid = w.post(a, "psst @mel", visibility="followers")
    committed(w.events[-1:])
    (home, *rest) = by_kind(streams.drain(), Kind.UPDATE)
    assert rest == []
    assert home.keys == [f"user.{a}", f"user.{m}", f"user.{f1}"]  # own, addressed, followers
    assert home.message.recipients == (a, m, f1)
    assert home.message.status == StatusFacts(id=pid, author_id=a, visibility="followers", audience_ids=(m,))


@override_settings(FEED_CELEBRITY_THRESHOLD=1)
def test_unfanned_author_goes_to_the_author_channel(clean, streams, committed) -> None:
    w, (star, f1, f2, m) = world("star", "fan1", "fan2", "mel")
    w.follow(f1, star)
    w.follow(f2, star)
    committed(w.events)
    streams.bind(f"user.{star}", f"user.{f1}", f"user.{f2}", f"user.{m}", f"author.{star}")
    streams.drain()

    public = w.post(star, "to the crowd")
    direct = w.post(star, "just you @mel", visibility="direct")
    committed(w.events[-2:])
    first, second = by_kind(streams.drain(), Kind.UPDATE)
    assert (first.message.status.id, first.keys) == (public, [f"user.{star}", f"author.{star}"])
    assert first.message.recipients == (star,)  # followers merge it at read time: none written
    assert (second.message.status.id, second.keys) == (direct, [f"user.{star}", f"user.{m}"])  # never the channel

    w.delete(public)
    committed(w.events[-1:])
    (gone,) = by_kind(streams.drain(), Kind.DELETE)
    assert gone.keys == [f"user.{star}", f"author.{star}"]
    assert gone.message.key == f"delete:{public}:{w.events[-1].event_id}"


def test_post_deleted_goes_to_the_readers_whose_feed_held_it_and_listing_streams(clean, streams, committed) -> None:
    w, (a, f1, f2) = world("alice", "fan1", "fan2")
    w.follow(f1, a)
    pid = w.post(a, "soon gone #tmp")
    w.follow(f2, a)  # the follow merges it into f2's feed
    committed(w.events)
    streams.bind(f"user.{a}", f"user.{f1}", f"user.{f2}", "public", "hashtag.tmp")
    streams.drain()

    w.delete(pid)
    committed(w.events[-1:])
    deletes = by_kind(streams.drain(), Kind.DELETE)
    assert sorted(d.keys for d in deletes) == [["public", "hashtag.tmp"], [f"user.{a}", f"user.{f1}", f"user.{f2}"]]
    home = next(d for d in deletes if d.message.recipients)
    assert home.message.recipients == (a, f1, f2)
    assert fetchall("SELECT 1 FROM feed_entry WHERE post_id = %s", [pid]) == []


def test_author_deactivation_deletes_their_posts_from_the_feeds_that_held_them(clean, streams, committed) -> None:
    w, (a, f1) = world("alice", "fan")
    w.follow(f1, a)
    p1, p2 = w.post(a, "one"), w.post(a, "two")
    committed(w.events)
    streams.bind(f"user.{f1}")
    streams.drain()

    w.deactivate(a)
    committed(w.events[-1:])
    deletes = by_kind(streams.drain(), Kind.DELETE)
    assert [(d.message.status.id, d.keys) for d in deletes] == [(p1, [f"user.{f1}"]), (p2, [f"user.{f1}"])]


@override_settings(FEED_FANOUT_CHUNK=3, FEED_FANOUT_CHUNK_MAX=3)
def test_chunked_fanout_pushes_each_chunk_after_it_commits(
    clean, streams, committed, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    dispatched: list[int] = []
    monkeypatch.setattr(type(REGISTRY["home_feed"]), "dispatch", staticmethod(dispatched.extend))
    w, (star, *fans) = world("star", *(f"fan{i}" for i in range(7)))
    for f in fans:
        w.follow(f, star)
    committed(w.events)
    streams.bind(f"user.{star}", *(f"user.{f}" for f in fans))
    streams.drain()

    pid = w.post(star, "to all")
    event = w.events[-1]
    committed([event])
    (own,) = streams.drain()
    assert own.keys == [f"user.{star}"] and own.message.recipients == (star,)
    assert len(dispatched) == 3  # 3 + 3 + 1

    runs = []
    for job in dispatched:  # each chunk as its task runs it, committing on its own
        with django_capture_on_commit_callbacks(using="read", execute=True):
            runs.append(jobs.run_fanout_job(job))
    assert runs == [3, 3, 1]
    chunks = streams.drain()
    assert [c.message.recipients for c in chunks] == [tuple(fans[0:3]), tuple(fans[3:6]), tuple(fans[6:7])]
    for chunk in chunks:
        assert chunk.keys == [f"user.{r}" for r in chunk.message.recipients]
        assert chunk.message.key == f"update:{pid}:{event.event_id}"  # the inline message's key: one effect
        assert (chunk.message.position, chunk.message.event_type) == (event.position, "post.created")
        assert chunk.message.occurred_at == epoch(event.occurred_at)
        assert chunk.message.status == StatusFacts(id=pid, author_id=star, visibility="public")
    assert [jobs.run_fanout_job(job) for job in dispatched] == [0, 0, 0]  # re-runs: nothing, no push
    assert streams.drain() == []


def test_more_keys_than_max_cc_are_split_with_their_recipients(clean, streams, committed, monkeypatch) -> None:
    monkeypatch.setattr(messages, "MAX_CC", 2)
    w, (a, *fans) = world("alice", *(f"fan{i}" for i in range(5)))
    for f in fans:
        w.follow(f, a)
    committed(w.events)
    streams.bind(f"user.{a}", *(f"user.{f}" for f in fans))
    streams.drain()

    w.post(a, "many")
    committed(w.events[-1:])
    parts = streams.drain()
    readers = [a, *fans]
    assert [p.keys for p in parts] == [[f"user.{u}" for u in readers[i : i + 3]] for i in (0, 3)]
    assert [p.message.recipients for p in parts] == [tuple(readers[0:3]), tuple(readers[3:6])]
    assert len({p.message.key for p in parts}) == 1


# ---------------------------------------------------------------------------------- posts


def test_edit_is_a_status_update_for_public_tags_author_and_feed_readers(clean, streams, committed) -> None:
    w, (a, f1) = world("alice", "fan")
    w.follow(f1, a)
    pid = w.post(a, "v1 #old")
    committed(w.events)
    streams.bind(f"user.{a}", f"user.{f1}", "public", "hashtag.old", "hashtag.new")
    streams.drain()

    w.edit(pid, "v2 #new")
    event = w.events[-1]
    committed([event])
    (edit,) = streams.drain()
    assert edit.message.kind == Kind.STATUS_UPDATE
    assert edit.keys == ["public", "hashtag.new", "hashtag.old", f"user.{a}", f"user.{f1}"]
    assert edit.message.recipients == (a, f1)
    assert edit.message.key == f"status.update:{pid}:{event.event_id}"
    assert edit.message.status == StatusFacts(id=pid, author_id=a, visibility="public", hashtags=("new",))


def test_comments_are_in_no_listing_stream(clean, streams, committed) -> None:
    w, (a, b) = world("alice", "bob")
    pid = w.post(a, "post")
    committed(w.events)
    streams.bind("public", f"user.{a}", f"user.{b}")
    streams.drain()
    w.comment(b, pid, "a reply")
    committed(w.events[-1:])
    got = streams.drain()
    assert [(d.message.kind, d.keys) for d in got] == [(Kind.NOTIFICATION, [f"user.{a}"])]  # nothing else


# ---------------------------------------------------------------------------------- notifications


@override_settings(NOTIFICATIONS_DEDUP_WINDOW_SECONDS=3600)
def test_new_notifications_are_pushed_once_a_repeat_in_the_window_is_not(clean, streams, committed) -> None:
    w, (a, b) = world("alice", "bob")
    pid = w.post(a, "like me #x")
    committed(w.events)
    streams.bind(f"user.{a}")
    streams.drain()

    w.like(b, pid)
    like = w.events[-1]
    committed([like])
    (pushed,) = streams.drain()
    seq = fetchone("SELECT seq FROM read_notification WHERE recipient_id = %s AND kind = 'like'", [a])[0]
    assert pushed.keys == [f"user.{a}"]
    assert pushed.message.kind == Kind.NOTIFICATION and pushed.message.recipients == (a,)
    assert pushed.message.key == f"notification:{seq}:{like.event_id}"
    assert pushed.message.notification == NotificationFacts(id=seq, recipient_id=a, actor_id=b, type="like")
    assert pushed.message.status == StatusFacts(id=pid, author_id=a, visibility="public", hashtags=("x",))

    w.like(b, pid, on=False)
    w.like(b, pid)  # same window: the first notification comes back with its id
    committed(w.events[-2:])
    assert streams.drain() == []
    assert fetchone("SELECT seq FROM read_notification WHERE recipient_id = %s AND kind = 'like'", [a])[0] == seq


def test_mention_and_comment_notifications_carry_their_status(clean, streams, committed) -> None:
    w, (a, b, c) = world("alice", "bob", "carol")
    pid = w.post(a, "hi @bob", visibility="followers")
    committed(w.events)
    cid = w.comment(c, pid, "hey @bob")
    committed(w.events[-1:])
    streams.bind(f"user.{a}", f"user.{b}")
    streams.drain()  # bound after: only what follows

    w.edit_comment(cid, "hey again @bob")  # same mention: no new notification
    committed(w.events[-1:])
    assert streams.drain() == []

    pid2 = w.post(c, "@bob look", visibility="direct")
    committed(w.events[-1:])
    (mention,) = by_kind(streams.drain(), Kind.NOTIFICATION)
    assert mention.message.notification.type == "mention" and mention.message.recipients == (b,)
    assert mention.message.status == StatusFacts(id=pid2, author_id=c, visibility="direct", audience_ids=(b,))

    cid2 = w.comment(b, pid, "thanks")
    committed(w.events[-1:])
    (comment,) = by_kind(streams.drain(), Kind.NOTIFICATION)
    assert comment.keys == [f"user.{a}"] and comment.message.notification.type == "comment"
    assert comment.message.status == StatusFacts(
        id=cid2, author_id=b, visibility="followers", audience_ids=(a,), post_id=pid
    )


# ---------------------------------------------------------------------------------- relations


def test_relation_changes_reach_the_parties_whose_sets_changed(clean, streams, committed) -> None:
    w, (a, b) = world("alice", "bob")
    committed(w.events)
    streams.bind(f"user.{a}", f"user.{b}")
    streams.drain()

    def relations() -> list[tuple[list[str], tuple[int, ...]]]:
        return [(d.keys, d.message.recipients) for d in by_kind(streams.drain(), Kind.RELATIONS)]

    w.follow(a, b)
    committed(w.events[-1:])
    assert relations() == [([f"user.{a}"], (a,))]
    n = len(w.events)
    w.block(b, a)  # and the unfollow it implies
    block = w.events[n]
    committed(w.events[n:])
    assert relations() == [([f"user.{b}", f"user.{a}"], (b, a)), ([f"user.{a}"], (a,))]
    w.mute(a, b)
    committed(w.events[-1:])
    assert relations() == [([f"user.{a}"], (a,))]
    committed([block], ("relations",))  # redelivered: already applied, nothing changes
    assert relations() == []
    w.request_follow(b, a)
    committed(w.events[-1:], ("relations",))
    assert relations() == []  # a pending request is in no relation set


# ---------------------------------------------------------------------------------- guarantees


def test_nothing_is_published_when_the_transaction_rolls_back(clean, streams, committed, monkeypatch) -> None:
    w, (a, b) = world("alice", "bob")
    committed(w.events)
    streams.bind(f"user.{a}", f"user.{b}")
    streams.drain()

    projector = REGISTRY["relations"]
    original = projector.handlers["user.blocked"]

    def fails_after_its_push(self, event):
        original(self, event)
        raise RuntimeError("the handler fails after registering its push")

    monkeypatch.setitem(type(projector).handlers, "user.blocked", fails_after_its_push)
    w.block(a, b)
    with pytest.raises(RuntimeError):
        committed(w.events[-1:], ("relations",))
    assert streams.drain() == []
    assert fetchall("SELECT 1 FROM read_block") == []


def test_nothing_is_published_during_a_replay(clean, streams, django_capture_on_commit_callbacks) -> None:
    w, (a, b) = world("alice", "bob")
    w.follow(b, a)
    w.post(a, "hello")
    w.block(a, b)
    streams.bind(f"user.{a}", f"user.{b}", "public")
    with django_capture_on_commit_callbacks(using="read", execute=True):
        for name in ALL:
            projector = REGISTRY[name]
            with projector.replay():
                for event in w.events:
                    projector.apply(event)
    assert streams.drain() == []
    assert fetchall("SELECT reader_id FROM feed_entry") == [(a,)]  # applied all the same (b unfollowed)


def test_a_dead_connection_is_replaced_and_the_push_sent(streams) -> None:
    """A connection the broker dropped (a restart, an idle timeout) is found dead only by writing
    on it: the publisher opens a new one and sends the message again, instead of losing the first
    push of every projector process after each broker restart."""
    streams.bind("user.77")
    streams.drain()
    sent = PushMessage(Kind.RELATIONS, f"dead:{uuid.uuid4()}", 1, "user.muted", 0.0, 0.0, recipients=(77,))
    publisher._producer()
    publisher._local.connection.connection.sock.close()  # the socket under the live connection
    assert publisher.publish(sent, ["user.77"])
    assert [d.message.key for d in streams.drain()] == [sent.key]


def test_broker_unreachable_the_projector_still_applies_and_counts(clean, streams, committed) -> None:
    w, (a, b) = world("alice", "bob")
    committed(w.events)
    failed = metric("socialapp_push_failed_total")
    publisher.close()
    try:
        with override_settings(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:1//"):
            w.block(a, b)
            committed(w.events[-1:], ("relations",))
    finally:
        publisher.close()  # the next publish reconnects to the test broker
    assert fetchall("SELECT blocker_id, blocked_id, active FROM read_block") == [(a, b, True)]
    assert metric("socialapp_push_failed_total") == failed + 1


@pytest.mark.django_db(databases=["default", "read"], transaction=True)
def test_a_batch_rolled_back_and_applied_again_pushes_only_what_committed(streams) -> None:
    reset(ALL)
    w, (a, b, c) = world("alice", "bob", "carol")
    apply_all(w.events, ALL)
    streams.bind(f"user.{a}", f"user.{b}", f"user.{c}")
    w.block(a, b)
    good = w.events[-1]
    # malformed: fails after `good` registered its push in the same (batch) transaction
    bad = replace(good, event_id=uuid.uuid4(), position=good.position + 1, payload={"blocker_id": c})
    outcomes = REGISTRY["relations"].apply_batch([good, bad])
    assert outcomes[0] is True and isinstance(outcomes[1], KeyError)
    (pushed,) = streams.drain()  # the fast path's transaction rolled back; `good` alone committed
    assert pushed.message.key == f"relations:{a}:{good.event_id}"
    assert pushed.keys == [f"user.{a}", f"user.{b}"]


def test_published_and_failed_counters(clean, streams, committed) -> None:
    w, (a, b) = world("alice", "bob")
    committed(w.events)
    before = metric("socialapp_push_published_total", kind="relations")
    w.mute(a, b)
    committed(w.events[-1:])
    assert metric("socialapp_push_published_total", kind="relations") == before + 1


def test_one_transaction_publishes_its_messages_after_its_commit_in_order(
    clean, streams, committed, django_capture_on_commit_callbacks
) -> None:
    """A batch applied in one transaction: one message per post, each sent by its own on-commit
    callback (nothing before the commit), in the order the events were applied."""
    w, (a, f1) = world("alice", "fan")
    w.follow(f1, a)
    committed(w.events)
    streams.bind(f"user.{f1}")
    streams.drain()
    posts = [w.post(a, f"post {i}") for i in range(3)]
    with django_capture_on_commit_callbacks(using="read", execute=False) as callbacks:
        assert REGISTRY["home_feed"].apply_batch(w.events[-3:]) == [True, True, True]
    assert len(callbacks) == 3
    assert streams.drain() == []  # registered, not yet run: nothing left before the commit
    for callback in callbacks:
        callback()
    got = streams.drain()
    assert [(d.message.status.id, d.message.recipients) for d in got] == [(p, (a, f1)) for p in posts]


@override_settings(STREAMING_PUSH=False)
def test_push_off_publishes_nothing_and_changes_no_effect(clean, streams, committed) -> None:
    w, (a, f1, b) = world("alice", "fan", "bob")
    w.follow(f1, a)
    pid = w.post(a, "quiet @bob #x")
    w.edit(pid, "still quiet #y")
    w.like(b, pid)
    w.deactivate(a)
    streams.bind(f"user.{a}", f"user.{f1}", f"user.{b}", "public", "hashtag.x", "hashtag.y")
    committed(w.events)
    assert streams.drain() == []
    assert fetchall("SELECT reader_id FROM feed_entry") == []  # the deactivation still took the posts out
