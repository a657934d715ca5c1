"""WRITE_DATABASE_PREPARED (on by default): the command path's written-out statements run as
prepared statements on `default` (socialapp.common.prepared), store and read back what the
client-side binding did, log as they ran, survive a failed command's rollback, and fall back to
Django's own cursor on an alias that does not prepare."""

from __future__ import annotations

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import ClientCursor

from socialapp.common import prepared
from socialapp.events.models import Event
from socialapp.write.accounts.models import User
from socialapp.write.comments.models import Comment
from socialapp.write.common.aggregates import lock_shared
from socialapp.write.posts.models import Post
from tests.command_support import client_for

pytestmark = pytest.mark.django_db


def _prepared_statements() -> list[str]:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [s for (s,) in cursor.fetchall()]


def test_the_commands_statements_are_prepared_and_store_the_same(alice, bob):
    assert prepared.prepares("default")
    c = client_for(alice)
    r = c.post("/api/socialapp/v1/posts", {"body": "hello #Prepared @bob", "language": "en"}, format="json")
    assert r.status_code == 201, r.json()
    post_id = int(r.json()["id"])
    assert client_for(bob).put(f"/api/socialapp/v1/posts/{post_id}/like").status_code == 200
    r = client_for(bob).post(f"/api/socialapp/v1/posts/{post_id}/comments", {"body": "hi @alice"}, format="json")
    assert r.status_code == 201, r.json()
    assert client_for(bob).put("/api/socialapp/v1/users/alice/follow").status_code == 200

    statements = _prepared_statements()
    for fragment in (
        'INSERT INTO "event_log"',  # every command's event
        'INSERT INTO "posts_post"',
        'INSERT INTO "comments_comment"',
        "FROM accounts_auth_token t JOIN accounts_user u",  # the token lookup
        'FROM "accounts_user" t WHERE id = ANY',  # the actor's lock
        "FROM posts_post p JOIN accounts_user u",  # the post FOR SHARE
        "ON CONFLICT",  # the like and follow upserts
        "pg_advisory_xact_lock_shared",  # the pair lock
        "FROM relations_block",  # the block check
        "lower(username) = ANY",  # the mention lookup
    ):
        assert any(fragment in s for s in statements), (fragment, statements)

    # What the prepared INSERTs stored is what the ORM reads back, the JSON and arrays included.
    post = Post.objects.get(pk=post_id)
    assert (post.author_id, post.body, post.hashtags, post.language) == (
        alice.pk,
        "hello #Prepared @bob",
        ["prepared"],
        "en",
    )
    assert post.mentions == [{"user_id": bob.pk, "username": "bob"}]
    comment = Comment.objects.get(post_id=post_id)
    assert comment.mentions == [{"user_id": alice.pk, "username": "alice"}] and comment.author_id == bob.pk
    created = Event.objects.get(aggregate_type="post", aggregate_id=str(post_id))
    assert created.payload["mentions"] == post.mentions and created.aggregate_version == 1
    assert [
        e.event_type
        for e in Event.objects.filter(actor_id=bob.pk).exclude(event_type="user.registered").order_by("position")
    ] == [
        "post.liked",
        "comment.created",
        "user.followed",
    ]


def test_one_prepared_statement_per_text_whatever_the_ids_size(alice):
    """Integers are bound as bigint: a small id and a huge one share the statement (psycopg would
    otherwise pick int2, int4 or int8 by value, one prepared statement each)."""
    with transaction.atomic():
        assert set(lock_shared(User, [alice.pk])) == {alice.pk}
        assert lock_shared(User, [2**40]) == {}
        assert lock_shared(User, [70_000]) == {}
    locks = [s for s in _prepared_statements() if 'FROM "accounts_user" t WHERE id = ANY' in s]
    assert len(locks) == 1, locks


def test_a_failed_command_rolls_back_and_the_next_one_prepares_again(alice, bob):
    """A ROLLBACK (here the savepoint of a refused command) makes psycopg drop its prepared
    statements; the next command prepares them again and is logged with its parameters."""
    c = client_for(alice)
    assert c.put("/api/socialapp/v1/posts/999999999/like").status_code == 404
    post = c.post("/api/socialapp/v1/posts", {"body": "after"}, format="json").json()
    with CaptureQueriesContext(connections["default"]) as queries:
        assert client_for(bob).put(f"/api/socialapp/v1/posts/{post['id']}/like").status_code == 200
    logged = [q["sql"] for q in queries.captured_queries]
    assert all(sql for sql in logged), logged  # never None: the prepared ones are logged as they ran
    assert any(f"WHERE p.id = {post['id']}" in sql for sql in logged), logged
    assert Event.objects.filter(event_type="post.liked", actor_id=bob.pk).count() == 1


def test_an_alias_that_does_not_prepare_keeps_djangos_cursor(alice, monkeypatch):
    options = dict(connections["default"].settings_dict["OPTIONS"])
    options.pop("prepare_threshold")
    monkeypatch.setitem(connections["default"].settings_dict, "OPTIONS", options)
    assert not prepared.prepares("default")
    with prepared.cursor() as cursor:
        assert isinstance(cursor.cursor, ClientCursor)  # Django's, binding on the client
    r = client_for(alice).post("/api/socialapp/v1/posts", {"body": "plain"}, format="json")
    assert r.status_code == 201 and Post.objects.get(pk=int(r.json()["id"])).body == "plain"
