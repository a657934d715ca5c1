"""The posts projector's set-based runs of `post.created` (PostsProjector.handle, posts_batch): a
batch leaves exactly the rows, and publishes exactly the messages, that the same events applied
one at a time through `post_created` and the other handlers do, in every order: placeholders,
profile events before and after, deactivated authors, posts deleted or edited before their
creation arrives, duplicates, every visibility, mentions and hashtags."""

from __future__ import annotations

import dataclasses
import random
import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from socialapp.events.projector import REGISTRY, EventMessage
from socialapp.read.common.sql import fetchall
from socialapp.read.feeds.projectors import posts as posts_module
from socialapp.read.feeds.projectors.posts import TABLES
from tests.read.conftest import reset, second_apply_waiting
from tests.read.factory import World

pytestmark = pytest.mark.django_db(databases=["default", "read"])

RUNS: list[int] = []  # the length of each run applied set-based, this test


@pytest.fixture(autouse=True)
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that fails is applied again one event at a time (Projector.apply_outcomes), which
    would hide a broken set-based path from the comparison: fail instead. And count the runs."""
    cls = type(REGISTRY["posts"])
    runs = cls._posts_created

    def fell_back(self, event):
        raise AssertionError(f"the batch failed and fell back to one event at a time ({event.event_type})")

    def counted(self, events):
        RUNS.append(len(events))
        return runs(self, events)

    RUNS.clear()
    monkeypatch.setattr(cls, "_apply_alone", fell_back)
    monkeypatch.setattr(cls, "_posts_created", counted)


VISIBILITIES = [None, "public", "unlisted", "followers", "direct"]
BODIES = ["hello #tag @bob", "plain words", "#one #two @cat @dan", "@ann and #tag again", "#Solo"]


def world(rng: random.Random) -> World:
    """Several authors' posts and what happens to them, in the order the command side allows."""
    w = World()
    users = [w.register(n) for n in ("ann", "bob", "cat", "dan", "eve")]
    for _ in range(rng.randint(8, 16)):
        live = [u for u in users if w.live(u)]
        if not live:
            break
        author = rng.choice(live)
        pid = w.post(author, rng.choice(BODIES), rng.choice(VISIBILITIES))
        roll = rng.random()
        if roll < 0.2:
            w.edit(pid, rng.choice(BODIES))
        elif roll < 0.35:
            w.delete(pid)
        elif roll < 0.45:
            w.edit(pid, rng.choice(BODIES))
            w.delete(pid)
        if rng.random() < 0.2:
            w.update_profile(author, f"{w.users[author].username} v{w.users[author].version + 1}", "bio")
        if rng.random() < 0.08:
            w.deactivate(author)
    return w


def shuffled_with_runs(events: list[EventMessage], rng: random.Random) -> list[EventMessage]:
    """The events in a random order where the creations come in runs of 1 to 6 (so a deletion,
    an edit or a profile event may come before or after them), some of them twice."""
    created = [e for e in events if e.event_type == "post.created"]
    others = [e for e in events if e.event_type != "post.created"]
    rng.shuffle(created)
    rng.shuffle(others)
    out: list[EventMessage] = []
    while created or others:
        if created and (not others or rng.random() < 0.5):
            n = rng.randint(1, 6)
            out.extend(created[:n])
            created = created[n:]
        else:
            out.append(others.pop())
    for event in rng.sample(out, k=len(out) // 6):  # duplicates: later, or beside themselves
        out.insert(rng.randint(out.index(event), len(out)), event)
    return out


def state() -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        columns = ", ".join(
            r[0]
            for r in fetchall(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = %s AND column_name <> 'id' ORDER BY ordinal_position",
                [table],
            )
        )
        out[table] = fetchall(f"SELECT {columns} FROM {table} ORDER BY {columns}")
    return out


def apply(events: list[EventMessage], size: int) -> list[dict[str, list[tuple]]]:
    """Apply in batches of `size`; the state after each batch of 8 events (every prefix of a
    multiple of 8 and the whole): any difference shows before later events converge it away."""
    projector, states = REGISTRY["posts"], []
    for start in range(0, len(events), size):
        for outcome in projector.apply_batch(events[start : start + size]):
            assert not isinstance(outcome, Exception), outcome
        end = min(start + size, len(events))
        if end % 8 == 0 or end == len(events):
            states.append(state())
    return states


@pytest.mark.parametrize("seed", range(12))
def test_batches_leave_the_rows_of_one_event_at_a_time(seed: int) -> None:
    rng = random.Random(seed)
    w = world(rng)
    for order in (w.events, shuffled_with_runs(w.events, rng), shuffled_with_runs(w.events, rng)):
        reset(["posts"])
        RUNS.clear()
        expected = apply(order, 1)
        assert expected[-1]["read_post"], "the oracle applied nothing"
        assert not RUNS, "one event at a time must not go set-based"
        for size in (8, len(order)):
            reset(["posts"])
            got = apply(order, size)
            assert RUNS, "no run went set-based"
            if size == len(order):
                expected = expected[-1:]
            assert len(got) == len(expected)
            for step, (one, many) in enumerate(zip(expected, got, strict=True)):
                for table in TABLES:
                    assert many[table] == one[table], (seed, size, step, table, [e.event_type for e in order])


def test_a_run_the_upsert_cannot_take_goes_through_the_handlers(clean_read_models) -> None:
    """Two creations of one post id (a re-emitted event), or a `null` visibility (which leaves the
    row's as it is): one event at a time, with the rows that gives."""
    w = World()
    ann = w.register("ann")
    first, second = w.post(ann, "one #tag"), w.post(ann, "two", "followers")
    again = dataclasses.replace(w.events[1], event_id=uuid.uuid4())
    w.events[2].payload["visibility"] = None
    for run in ([w.events[1], again], [w.events[1], w.events[2]]):
        reset(["posts"])
        apply([w.events[0], *run], 3)
        got = state()
        reset(["posts"])
        apply([w.events[0], *run], 1)
        assert got == state()
    assert RUNS == []
    assert fetchall("SELECT post_id, visibility FROM read_post ORDER BY 1") == [(first, "public"), (second, "public")]


def test_a_run_is_a_fixed_number_of_statements(clean_read_models) -> None:
    """Eight creations by three authors, one of them deactivated: the same statements as two."""
    w = World()
    users = [w.register(n) for n in ("ann", "bob", "cat")]
    w.deactivate(users[2])
    for i in range(8):
        w.post(users[i % 3], f"post {i} #tag @ann")
    apply(w.events[:4], 4)  # registrations and the deactivation
    projector = REGISTRY["posts"]
    counts = []
    for run in (w.events[4:6], w.events[6:12]):
        with CaptureQueriesContext(connections["read"]) as queries:
            projector.apply_batch(run)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    hidden = fetchall("SELECT count(*) FROM read_post WHERE author_deactivated AND body = '' AND hashtags = '{}'")
    assert hidden == [(2,)]
    assert fetchall("SELECT count(*) FROM read_post_tag") == [(6,)]


def pushed(events: list[EventMessage], size: int, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """What the posts projector hands to `publish_after_commit`, applying `events` in batches."""
    sent: list[tuple] = []
    monkeypatch.setattr(
        posts_module, "publish_after_commit", lambda message, routes, **kw: sent.append((message, list(routes)))
    )
    reset(["posts"])
    apply(events, size)
    return sent


@pytest.mark.parametrize("seed", range(4))
def test_batches_push_what_one_event_at_a_time_pushes(seed: int, settings, monkeypatch) -> None:
    settings.STREAMING_PUSH = True
    rng = random.Random(100 + seed)
    w = world(rng)
    order = shuffled_with_runs(w.events, rng)
    expected = pushed(order, 1, monkeypatch)
    assert any(m.kind == "update" for m, _ in expected), "no creation was pushed"
    assert pushed(order, 8, monkeypatch) == expected
    assert pushed(order, len(order), monkeypatch) == expected


def test_nothing_is_pushed_while_replaying(clean_read_models, settings, monkeypatch) -> None:
    settings.STREAMING_PUSH = True
    w = World()
    ann = w.register("ann")
    for i in range(3):
        w.post(ann, f"post {i} #tag")
    projector = REGISTRY["posts"]
    with projector.replay():
        assert pushed(w.events, len(w.events), monkeypatch) == []
    assert len(pushed(w.events, len(w.events), monkeypatch)) == 3


def _run_and_rival(rival: str) -> tuple[World, list[int], list[EventMessage], EventMessage]:
    """Ann's and Bob's posts as one run, and `rival`: Ann's deactivation or her first post's
    deletion."""
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    posts = [w.post(ann, "a #tag @bob"), w.post(bob, "b #tag"), w.post(ann, "c #other")]
    w.deactivate(ann) if rival == "deactivate" else w.delete(posts[0])
    *setup, rival_event = w.events
    return w, posts, setup[2:], rival_event


@pytest.mark.django_db(transaction=True, databases=["default", "read"])
@pytest.mark.parametrize("run_first", [True, False])
@pytest.mark.parametrize("rival", ["deactivate", "delete"])
def test_a_run_racing_a_deactivation_or_deletion_leaves_it_scrubbed(run_first: bool, rival: str) -> None:
    """A run and a concurrent deactivation of one of its authors (or deletion of one of its
    posts): whichever commits second waits on the other's locks (author row, post row) and sees
    its work, so the hidden posts keep no content, version or tag, as one event at a time."""
    reset(["posts"])
    w, posts, run, rival_event = _run_and_rival(rival)
    apply(w.events[:2], 1)  # the registrations
    held, waiting = (run, rival_event) if run_first else (rival_event, run)
    with second_apply_waiting(REGISTRY["posts"], held, waiting, "transactionid"):
        pass
    assert RUNS == [3]
    hidden = [posts[0], posts[2]] if rival == "deactivate" else [posts[0]]
    assert fetchall(
        "SELECT post_id FROM read_post WHERE body = '' AND hashtags = '{}' AND mentions = '[]'"
        " AND audience_ids = '{}' AND (deleted OR author_deactivated) ORDER BY post_id"
    ) == [(p,) for p in hidden]
    assert fetchall("SELECT DISTINCT status_id FROM read_status_version ORDER BY 1") == [
        (p,) for p in posts if p not in hidden
    ]
    assert fetchall("SELECT DISTINCT post_id FROM read_post_tag ORDER BY 1") == [(p,) for p in posts if p not in hidden]
