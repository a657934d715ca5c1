"""Comment and follow commands through the API."""

import pytest

from socialapp.events.consistency import HEADER, read_token
from socialapp.write.comments.models import Comment
from socialapp.write.follows.models import Follow
from tests.command_support import client_for, create_post, events, make_user

pytestmark = pytest.mark.django_db


def comment(user, post_id, body="a comment"):
    return client_for(user).post(f"/api/socialapp/v1/posts/{post_id}/comments", {"body": body}, format="json")


def test_comment_on_a_post_appends_comment_created(alice, bob):
    post = create_post(alice)
    r = comment(bob, post["id"], "nice @alice #tag")
    assert r.status_code == 201 and r[HEADER]
    body = r.json()
    assert body["post_id"] == post["id"] and body["mentions"] == [{"user_id": str(alice.id), "username": "alice"}]
    [event] = events(event_type="comment.created")
    assert event.aggregate_type == "comment" and event.aggregate_id == body["id"] and event.aggregate_version == 1
    assert event.payload == {
        "comment_id": int(body["id"]),
        "post_id": int(post["id"]),
        "post_author_id": alice.id,
        "author_id": bob.id,
        "author_username": "bob",
        "author_display_name": "",
        "body": "nice @alice #tag",
        "mentions": [{"user_id": alice.id, "username": "alice"}],
        "in_reply_to_id": None,
        "in_reply_to_account_id": alice.id,
        "spoiler_text": "",
        "sensitive": False,
        "visibility": "public",
        "created_at": event.payload["created_at"],
    }


def test_comment_refusals(alice, bob):
    post = create_post(alice)
    assert comment(bob, post["id"], "").status_code == 400
    assert comment(bob, post["id"], "x" * 501).status_code == 400
    assert comment(bob, post["id"], "\x07").status_code == 400
    assert comment(bob, 424242, "hi").status_code == 404
    client_for(alice).delete(f"/api/socialapp/v1/posts/{post['id']}")
    assert comment(bob, post["id"], "hi").status_code == 404
    assert not Comment.objects.exists() and not events(aggregate_type="comment")


def test_comment_edit_by_author_only(alice, bob, moderator):
    post = create_post(alice)
    c = comment(bob, post["id"]).json()
    url = f"/api/socialapp/v1/comments/{c['id']}"
    assert client_for(alice).patch(url, {"body": "x"}, format="json").status_code == 403
    assert client_for(moderator).patch(url, {"body": "x"}, format="json").status_code == 403
    assert client_for(bob).patch(url, {"body": " "}, format="json").status_code == 400
    r = client_for(bob).patch(url, {"body": "better"}, format="json")
    assert r.status_code == 200 and r.json()["body"] == "better" and r.json()["edited_at"]
    [event] = events(event_type="comment.edited")
    assert event.aggregate_version == 2
    assert set(event.payload) == {
        "comment_id",
        "post_id",
        "body",
        "mentions",
        "spoiler_text",
        "sensitive",
        "edited_at",
    }


def test_comment_delete_by_its_author_the_post_author_or_a_moderator(alice, bob, moderator):
    carol = make_user("carol")
    post = create_post(alice)
    ids = [comment(bob, post["id"], f"c{i}").json()["id"] for i in range(3)]
    assert client_for(carol).delete(f"/api/socialapp/v1/comments/{ids[0]}").status_code == 403
    assert client_for(bob).delete(f"/api/socialapp/v1/comments/{ids[0]}").status_code == 204
    assert client_for(alice).delete(f"/api/socialapp/v1/comments/{ids[1]}").status_code == 204
    assert client_for(moderator).delete(f"/api/socialapp/v1/comments/{ids[2]}").status_code == 204
    assert client_for(bob).delete(f"/api/socialapp/v1/comments/{ids[0]}").status_code == 404
    deleted = events(event_type="comment.deleted")
    assert [e.payload["deleted_by"] for e in deleted] == [bob.id, alice.id, moderator.id]
    assert all(e.payload["author_id"] == bob.id for e in deleted)


def test_follow_unfollow_and_their_idempotence(alice, bob):
    c = client_for(alice)
    r = c.put("/api/socialapp/v1/users/BOB/follow")
    assert r.status_code == 200 and r.json()["following"] is True and r.json()["followee_id"] == str(bob.id)
    assert c.put("/api/socialapp/v1/users/bob/follow").status_code == 200
    assert c.delete("/api/socialapp/v1/users/bob/follow").status_code == 204
    assert c.delete("/api/socialapp/v1/users/bob/follow").status_code == 204
    follows = events(aggregate_type="follow")
    assert [(e.event_type, e.aggregate_version) for e in follows] == [("user.followed", 1), ("user.unfollowed", 2)]
    assert follows[0].aggregate_id == f"{alice.id}:{bob.id}"
    assert follows[0].payload == {
        "follower_id": alice.id,
        "followee_id": bob.id,
        "follower_username": "alice",
        "followee_username": "bob",
        "at": follows[0].payload["at"],
    }
    assert Follow.objects.get().active is False


def test_follow_refusals(alice, bob):
    from socialapp.write.accounts.services import user_deactivate

    c = client_for(alice)
    r = c.put("/api/socialapp/v1/users/alice/follow")
    assert r.status_code == 400 and "username" in r.json()["errors"]
    assert c.put("/api/socialapp/v1/users/nobody/follow").status_code == 404
    user_deactivate(user_id=bob.id, actor=bob)
    assert c.put("/api/socialapp/v1/users/bob/follow").status_code == 404
    assert not events(aggregate_type="follow") and not Follow.objects.exists()


def test_unknown_route_and_method_answer_problem_json(alice):
    c = client_for(alice)
    r = c.get("/api/socialapp/v1/nothing-here")
    assert r.status_code == 404 and r.json()["status"] == 404
    r = c.post("/api/socialapp/v1/posts/1")
    assert r.status_code == 405 and r.json()["status"] == 405
    assert "PATCH" in r["Allow"] and "DELETE" in r["Allow"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("patch", "/api/socialapp/v1/posts/99999999999999999999999"),
        ("delete", "/api/socialapp/v1/posts/99999999999999999999999"),
        ("put", "/api/socialapp/v1/posts/99999999999999999999999/like"),
        ("delete", "/api/socialapp/v1/posts/99999999999999999999999/like"),
        ("post", "/api/socialapp/v1/posts/99999999999999999999999/comments"),
        ("patch", "/api/socialapp/v1/comments/99999999999999999999999"),
        ("delete", "/api/socialapp/v1/comments/99999999999999999999999"),
        ("put", "/api/socialapp/v1/users/" + "x" * 200 + "/follow"),
    ],
)
def test_ids_beyond_64_bits_are_404_not_500(alice, method, url):
    r = getattr(client_for(alice), method)(url, {"body": "x"}, format="json")
    assert r.status_code == 404, r.content


def test_every_successful_command_answers_with_a_consistency_token(alice, bob):
    """Including no-ops on aggregates that never had an event (unlike never liked, unfollow
    never followed): they fall back to the post, or to the caller's own account."""
    a, b = client_for(alice), client_for(bob)
    post = create_post(alice)
    c = comment(bob, post["id"]).json()
    responses = [
        a.patch("/api/socialapp/v1/me", {"bio": "b"}, format="json"),
        a.patch("/api/socialapp/v1/me", {"bio": "b"}, format="json"),
        b.delete(f"/api/socialapp/v1/posts/{post['id']}/like"),
        b.put(f"/api/socialapp/v1/posts/{post['id']}/like"),
        b.put(f"/api/socialapp/v1/posts/{post['id']}/like"),
        b.delete("/api/socialapp/v1/users/alice/follow"),
        b.put("/api/socialapp/v1/users/alice/follow"),
        b.patch(f"/api/socialapp/v1/comments/{c['id']}", {"body": "same"}, format="json"),
        b.patch(f"/api/socialapp/v1/comments/{c['id']}", {"body": "same"}, format="json"),
        a.patch(f"/api/socialapp/v1/posts/{post['id']}", {"body": "a post"}, format="json"),
        b.delete(f"/api/socialapp/v1/comments/{c['id']}"),
        a.delete(f"/api/socialapp/v1/posts/{post['id']}"),
    ]
    for r in responses:
        assert r.status_code < 300 and read_token(r[HEADER]), (r.status_code, r.request)
