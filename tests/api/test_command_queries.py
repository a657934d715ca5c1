"""What one command costs the write database, pinned: a change that adds a round trip to the
commands the whole-system benchmark sends most (bench/system.py) fails here, not in a benchmark
run weeks later. Counted per command request through the whole stack (authentication, the
service's transaction, the event append); SAVEPOINTs (the test's transaction) are left out, and
the post-commit relay NOTIFY does not run inside a test transaction (bench/command_cost.py counts
it: one more statement each)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connections

from socialapp.events.models import Event
from tests.command_support import client_for, create_post, make_user

pytestmark = pytest.mark.django_db


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements sent on `default` inside the block, savepoints left out."""
    sent: list[str] = []

    def record(execute: Callable, sql: str, *args: object) -> object:
        if not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            sent.append(sql)
        return execute(sql, *args)

    with connections["default"].execute_wrapper(record):
        yield sent


def test_post_create_is_authentication_lock_insert_and_append(alice):
    make_user("bob")
    c = client_for(alice)
    c.post("/api/socialapp/v1/posts", {"body": "warm"}, format="json")
    with statements() as plain:
        assert c.post("/api/socialapp/v1/posts", {"body": "hello #x"}, format="json").status_code == 201
    with statements() as mentioning:
        assert c.post("/api/socialapp/v1/posts", {"body": "hello @bob"}, format="json").status_code == 201
    # token + user; actor FOR SHARE; INSERT post; INSERT event (a mention adds its lookup)
    assert len(plain) == 4, plain
    assert len(mentioning) == 5, mentioning


def test_like_decides_and_changes_in_one_statement(alice, bob):
    post = create_post(bob)
    c = client_for(alice)
    with statements() as like:
        assert c.put(f"/api/socialapp/v1/posts/{post['id']}/like").status_code == 200
    # token + user; actor FOR SHARE; post FOR SHARE; the pair lock and the block check (two
    # statements: the check must see a block committed while it waited); the upsert; INSERT event
    assert len(like) == 7, like
    with statements() as again:
        assert c.put(f"/api/socialapp/v1/posts/{post['id']}/like").status_code == 200
    # no change: the upsert returns nothing, the row is read for the answer, nothing is appended,
    # and the consistency token falls back to the aggregate's last event (one more read)
    assert len(again) == 8, again
    assert not [sql for sql in again if sql.startswith('INSERT INTO "event_log"')]
    with statements() as unlike:
        assert c.delete(f"/api/socialapp/v1/posts/{post['id']}/like").status_code == 204
    assert len(unlike) == 5, unlike  # no block check: unliking only takes something back
    liked = Event.objects.filter(aggregate_type="like").order_by("aggregate_version")
    assert [(e.event_type, e.aggregate_version) for e in liked] == [("post.liked", 1), ("post.unliked", 2)]


def test_follow_locks_both_users_with_the_lookup(alice, bob):
    c = client_for(alice)
    with statements() as follow:
        assert c.put("/api/socialapp/v1/users/BOB/follow").status_code == 200
    # token + user; follower and followee FOR SHARE by id or lower(username); the pair lock and
    # the block check; the upsert; INSERT event
    assert len(follow) == 6, follow
    assert "lower(username)" in follow[1]
    with statements() as unfollow:
        assert c.delete("/api/socialapp/v1/users/bob/follow").status_code == 204
    # the same lookup; withdrawing a pending follow request (none here: the update, then the
    # request row read as set_active does for an unchanged row); the update; INSERT event
    assert len(unfollow) == 6, unfollow
    followed = Event.objects.filter(aggregate_type="follow").order_by("aggregate_version")
    assert [(e.event_type, e.aggregate_version) for e in followed] == [("user.followed", 1), ("user.unfollowed", 2)]
