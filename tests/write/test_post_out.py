"""The command path's hand-written parts give what the ORM and DRF gave: a post's answer
(`post_out`, instead of a PostOut serializer instance per request), the rows inserted and read
by socialapp.common.rows (instead of the ORM's compiler), and the session lookup."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from socialapp.common import rows
from socialapp.events.models import Event
from socialapp.write.accounts.models import AuthToken, User
from socialapp.write.comments import serializers as cs
from socialapp.write.comments.services import comment_create, comment_edit
from socialapp.write.posts import serializers as s
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create, post_edit
from tests.command_support import client_for, make_user

pytestmark = pytest.mark.django_db


def rendered(data: object) -> bytes:
    return JSONRenderer().render(data)


def test_post_out_is_what_the_documented_serializer_gives(alice, bob):
    make_user("Carol")
    post = post_create(author=alice, body="hello #Tag @bob @carol @nobody", language="FR", visibility="followers")
    assert rendered(s.post_out(post)) == rendered(s.PostOut(post).data)
    edited = post_edit(post_id=post.id, actor=alice, body="edited #again @bob")
    assert edited.edited_at is not None
    assert rendered(s.post_out(edited)) == rendered(s.PostOut(edited).data)
    # Read back through the ORM, not the instance the service built: the same answer.
    fresh = Post.objects.select_related("author").get(pk=post.id)
    assert rendered(s.post_out(fresh)) == rendered(s.post_out(edited))


def test_comment_out_is_what_the_documented_serializer_gives(alice, bob):
    post = post_create(author=bob, body="a post", visibility="followers")
    comment = comment_create(post_id=post.id, author=alice, body="hi @bob", visibility="public")
    assert rendered(cs.comment_out(comment)) == rendered(cs.CommentOut(comment).data)
    edited = comment_edit(comment_id=comment.id, actor=alice, body="edited @nobody")
    assert edited.edited_at is not None
    assert rendered(cs.comment_out(edited)) == rendered(cs.CommentOut(edited).data)


def test_like_and_follow_answers_are_what_the_documented_serializers_give(alice, bob):
    from socialapp.write.follows import serializers as fs

    assert rendered(s.like_out(2**62 + 1, 7)) == rendered(
        s.LikeOut({"post_id": 2**62 + 1, "user_id": 7, "liked": True}).data
    )
    for requested in (False, True):
        given = {"follower_id": 3, "followee_id": 2**40, "followee_username": "Bob", "requested": requested}
        assert rendered(fs.follow_out(**given)) == rendered(fs.FollowOut({**given, "following": not requested}).data)
    post = post_create(author=bob, body="liked")
    like = client_for(alice).put(f"/api/socialapp/v1/posts/{post.id}/like")
    assert like.json() == {"post_id": str(post.id), "user_id": str(alice.pk), "liked": True}
    follow = client_for(alice).put("/api/socialapp/v1/users/BOB/follow")
    assert follow.json() == {
        "follower_id": str(alice.pk),
        "followee_id": str(bob.pk),
        "followee_username": "bob",
        "following": True,
        "requested": False,
    }


def test_the_api_answers_a_post_in_the_serializer_shape(alice, bob):
    r = client_for(alice).post("/api/socialapp/v1/posts", {"body": "hi @bob #x"}, format="json")
    assert r.status_code == 201
    post = Post.objects.select_related("author").get(pk=int(r.json()["id"]))
    assert r.json() == json.loads(rendered(s.PostOut(post).data))


def test_rows_insert_stores_what_the_orm_would_and_reads_back_the_same(alice):
    post = post_create(author=alice, body="stored #as @alice is", sensitive=True, spoiler_text="cw")
    fresh = Post.objects.get(pk=post.id)
    for field in Post._meta.concrete_fields:
        assert getattr(fresh, field.attname) == getattr(post, field.attname), field.name
    assert post._state.adding is False and post._state.db == "default"
    event = Event.objects.filter(aggregate_type="post", aggregate_id=str(post.id)).get()
    assert event.payload["post_id"] == post.id and event.payload["mentions"] == post.mentions
    with rows_cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(Post, 'p')} FROM posts_post p WHERE p.id = %s", [post.id])
        loaded = rows.instance(Post, cursor.fetchone())
    for field in Post._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(fresh, field.attname), field.name


def rows_cursor():
    from django.db import connections

    return connections["default"].cursor()


def test_an_expired_token_or_a_closed_account_is_refused(alice):
    c = client_for(alice)
    assert c.post("/api/socialapp/v1/posts", {"body": "a"}, format="json").status_code == 201
    AuthToken.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert c.post("/api/socialapp/v1/posts", {"body": "b"}, format="json").status_code == 401
    other = client_for(alice)
    User.objects.filter(pk=alice.pk).update(suspended_at=timezone.now())
    assert other.post("/api/socialapp/v1/posts", {"body": "c"}, format="json").status_code == 401
