"""Post and like commands through the API."""

import pytest

from socialapp.events.consistency import HEADER, read_token
from socialapp.events.models import Event
from socialapp.write.posts.models import Post
from tests.command_support import client_for, create_post, events

pytestmark = pytest.mark.django_db


def test_create_post_parses_tags_and_mentions_and_appends_post_created(alice, bob):
    post = create_post(alice, "  Hello #Django and #django, #CQRS! @bob @BOB @nobody a@bob.org  ")
    assert post["body"] == "Hello #Django and #django, #CQRS! @bob @BOB @nobody a@bob.org"
    assert post["hashtags"] == ["django", "cqrs"]
    assert post["mentions"] == [{"user_id": str(bob.id), "username": "bob"}]
    assert isinstance(post["id"], str) and int(post["id"]) > 2**32
    [event] = events(event_type="post.created")
    assert event.aggregate_id == post["id"] and event.aggregate_version == 1 and event.actor_id == alice.id
    assert event.payload == {
        "post_id": int(post["id"]),
        "author_id": alice.id,
        "author_username": "alice",
        "author_display_name": "",
        "body": post["body"],
        "hashtags": ["django", "cqrs"],
        "mentions": [{"user_id": bob.id, "username": "bob"}],
        "spoiler_text": "",
        "sensitive": False,
        "visibility": "public",
        "language": "",
        "created_at": event.payload["created_at"],
    }
    assert post["visibility"] == "public" and post["language"] == ""


def test_post_ids_are_time_ordered(alice):
    ids = [int(create_post(alice, f"p{i}")["id"]) for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


@pytest.mark.parametrize(
    "body",
    ["", "   \n\t ", "x" * 501, "bell\x07", "nul\x00", "esc\x1b[31m", "c1\x85", None, ["list"]],
)
def test_create_refuses_bad_bodies_and_changes_nothing(alice, body):
    r = client_for(alice).post("/api/socialapp/v1/posts", {"body": body}, format="json")
    assert r.status_code == 400, r.json()
    assert r.json()["errors"].get("body")
    assert not Post.objects.exists() and not events(event_type="post.created")


def test_body_limits_count_code_points_after_nfc():
    from socialapp.common.text import clean_body

    assert clean_body("🎉" * 500) == "🎉" * 500
    assert clean_body("e\u0301" * 500) == "é" * 500  # 1000 code points before NFC, 500 after
    assert clean_body("line one\r\nline two") == "line one\nline two"
    assert clean_body("👩\u200d💻") == "👩\u200d💻"  # ZWJ sequences are fine


def test_edit_by_author_keeps_edited_at_and_appends_post_edited(alice):
    post = create_post(alice, "first #a")
    r = client_for(alice).patch(f"/api/socialapp/v1/posts/{post['id']}", {"body": "second #b"}, format="json")
    assert r.status_code == 200
    assert r.json()["body"] == "second #b" and r.json()["edited_at"] and r.json()["version"] == 2
    [event] = events(event_type="post.edited")
    assert event.aggregate_version == 2 and event.payload["hashtags"] == ["b"]
    assert set(event.payload) == {
        "post_id",
        "author_id",
        "body",
        "hashtags",
        "mentions",
        "spoiler_text",
        "sensitive",
        "visibility",
        "language",
        "edited_at",
    }
    assert read_token(r[HEADER]) == [(event.position, "post.edited")]


def test_edit_refusals(alice, bob, moderator):
    post = create_post(alice)
    url = f"/api/socialapp/v1/posts/{post['id']}"
    assert client_for(bob).patch(url, {"body": "mine"}, format="json").status_code == 403
    assert client_for(moderator).patch(url, {"body": "mine"}, format="json").status_code == 403
    assert client_for(alice).patch(url, {"body": ""}, format="json").status_code == 400
    assert client_for(alice).patch("/api/socialapp/v1/posts/999999", {"body": "x"}, format="json").status_code == 404
    assert Post.objects.get().body == "hello" and not events(event_type="post.edited")


def test_delete_by_author_or_moderator_only(alice, bob, moderator):
    first, second = create_post(alice), create_post(alice)
    assert client_for(bob).delete(f"/api/socialapp/v1/posts/{first['id']}").status_code == 403
    r = client_for(alice).delete(f"/api/socialapp/v1/posts/{first['id']}")
    assert r.status_code == 204 and r[HEADER]
    assert client_for(moderator).delete(f"/api/socialapp/v1/posts/{second['id']}").status_code == 204
    deleted = events(event_type="post.deleted")
    assert [e.payload["deleted_by"] for e in deleted] == [alice.id, moderator.id]
    assert client_for(alice).delete(f"/api/socialapp/v1/posts/{first['id']}").status_code == 404
    assert (
        client_for(alice).patch(f"/api/socialapp/v1/posts/{first['id']}", {"body": "x"}, format="json").status_code
        == 404
    )
    assert len(events(event_type="post.deleted")) == 2


def test_like_twice_and_unlike_twice_append_one_event_each(alice, bob):
    post = create_post(alice)
    url = f"/api/socialapp/v1/posts/{post['id']}/like"
    c = client_for(bob)
    first = c.put(url)
    assert first.status_code == 200 and first.json() == {"post_id": post["id"], "user_id": str(bob.id), "liked": True}
    again = c.put(url)
    assert again.status_code == 200 and again[HEADER] and read_token(again[HEADER]) == read_token(first[HEADER])
    assert c.delete(url).status_code == 204
    assert c.delete(url).status_code == 204
    assert c.put(url).status_code == 200
    likes = events(aggregate_type="like")
    assert [(e.event_type, e.aggregate_version) for e in likes] == [
        ("post.liked", 1),
        ("post.unliked", 2),
        ("post.liked", 3),
    ]
    assert {e.aggregate_id for e in likes} == {f"{post['id']}:{bob.id}"}
    assert likes[0].payload == {
        "post_id": int(post["id"]),
        "user_id": bob.id,
        "username": "bob",
        "post_author_id": alice.id,
        "at": likes[0].payload["at"],
    }


def test_unlike_never_liked_appends_nothing_and_likes_of_deleted_posts_are_404(alice, bob):
    post = create_post(alice)
    assert client_for(bob).delete(f"/api/socialapp/v1/posts/{post['id']}/like").status_code == 204
    assert not events(aggregate_type="like")
    client_for(alice).delete(f"/api/socialapp/v1/posts/{post['id']}")
    assert client_for(bob).put(f"/api/socialapp/v1/posts/{post['id']}/like").status_code == 404
    assert client_for(bob).put("/api/socialapp/v1/posts/12345/like").status_code == 404
    assert not events(aggregate_type="like")


def test_content_of_a_deactivated_author_is_gone_for_commands(alice, bob):
    from socialapp.write.accounts.services import user_deactivate

    post = create_post(alice)
    user_deactivate(user_id=alice.id, actor=alice)
    before = Event.objects.count()
    assert client_for(bob).put(f"/api/socialapp/v1/posts/{post['id']}/like").status_code == 404
    r = client_for(bob).post(f"/api/socialapp/v1/posts/{post['id']}/comments", {"body": "hi"}, format="json")
    assert r.status_code == 404
    assert Event.objects.count() == before


def test_mentions_of_deactivated_users_are_plain_text(alice, bob):
    from socialapp.write.accounts.services import user_deactivate

    user_deactivate(user_id=bob.id, actor=bob)
    assert create_post(alice, "hi @bob")["mentions"] == []
