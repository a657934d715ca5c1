"""Per-post visibility on the command side (docs/privacy.md, docs/commands.md): chosen at
creation, a comment never less restricted than its post, never changed by an edit."""

import pytest

from socialapp.common.errors import ValidationFailed
from socialapp.common.visibility import RESTRICTION, most_restricted
from socialapp.write import statuses
from socialapp.write.comments.models import Comment
from socialapp.write.comments.services import comment_create, comment_edit
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create, post_edit
from socialapp.write.replay import replay_log, snapshot
from tests.api.test_input_fields import _resolve, _schema
from tests.command_support import client_for, events

pytestmark = pytest.mark.django_db

POSTS = "/api/socialapp/v1/posts"


@pytest.mark.parametrize("visibility", ["public", "unlisted", "followers", "direct"])
def test_a_post_is_created_with_its_visibility_stored_emitted_and_rendered(alice, bob, visibility):
    r = client_for(alice).post(POSTS, {"body": "hi @bob", "visibility": visibility}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["visibility"] == visibility
    assert Post.objects.get(pk=r.json()["id"]).visibility == visibility
    [event] = events(event_type="post.created")
    assert event.payload["visibility"] == visibility
    assert event.payload["mentions"] == [{"user_id": bob.id, "username": "bob"}]  # the audience


def test_a_post_defaults_to_public(alice):
    assert post_create(author=alice, body="x").visibility == "public"


@pytest.mark.parametrize("bad", ["private", "PUBLIC", "", 1, None, ["public"], {"v": 1}])
def test_a_bad_visibility_is_a_400_problem_naming_it_and_changes_nothing(alice, bad):
    r = client_for(alice).post(POSTS, {"body": "hi", "visibility": bad}, format="json")
    assert r.status_code == 400, r.json()
    assert "visibility" in r.json()["errors"]
    assert not Post.objects.exists() and not events()[1:]  # only alice's registration
    with pytest.raises(ValidationFailed):
        post_create(author=alice, body="hi", visibility=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("post_vis", ["public", "unlisted", "followers", "direct"])
@pytest.mark.parametrize("asked", [None, "public", "unlisted", "followers", "direct"])
def test_a_comment_is_the_most_restricted_of_what_was_asked_and_its_post(alice, bob, post_vis, asked):
    post = post_create(author=alice, body="p", visibility=post_vis)
    body = {"body": "c"} if asked is None else {"body": "c", "visibility": asked}
    r = client_for(bob).post(f"{POSTS}/{post.id}/comments", body, format="json")
    assert r.status_code == 201, r.json()
    expected = post_vis if asked is None else most_restricted(asked, post_vis).value
    assert RESTRICTION.index(expected) >= RESTRICTION.index(post_vis)
    assert r.json()["visibility"] == expected
    assert Comment.objects.get(pk=r.json()["id"]).visibility == expected
    [event] = events(event_type="comment.created")
    assert event.payload["visibility"] == expected


def test_statuses_pass_the_visibility_through(alice, bob):
    post, created = statuses.status_create(author=alice, body="p", visibility="followers")
    assert created and post.visibility == "followers"
    reply, _ = statuses.status_create(author=bob, body="r", in_reply_to_id=post.pk)
    assert reply.visibility == "followers"  # the post's, when none was asked
    answer, _ = statuses.status_create(author=alice, body="a", in_reply_to_id=reply.pk, visibility="direct")
    assert answer.visibility == "direct"
    public, _ = statuses.status_create(author=alice, body="q")
    assert public.visibility == "public"


def test_an_edit_may_repeat_the_visibility_but_not_change_it(alice, bob):
    post = post_create(author=alice, body="p", visibility="unlisted")
    comment = comment_create(post_id=post.pk, author=bob, body="c")
    assert post_edit(post_id=post.pk, actor=alice, body="p2", visibility="unlisted").body == "p2"
    assert comment_edit(comment_id=comment.pk, actor=bob, body="c2", visibility="unlisted").body == "c2"
    [edited] = events(event_type="post.edited")
    assert edited.payload["visibility"] == "unlisted"
    for other in ("public", "followers", "direct"):
        with pytest.raises(ValidationFailed, match="can't be changed"):
            post_edit(post_id=post.pk, actor=alice, body="p3", visibility=other)
        with pytest.raises(ValidationFailed, match="can't be changed"):
            statuses.status_edit(status_id=comment.pk, actor=bob, body="c3", visibility=other)
    with pytest.raises(ValidationFailed):
        statuses.status_edit(status_id=post.pk, actor=alice, body="p3", visibility="nope")
    assert Post.objects.get(pk=post.pk).body == "p2" and Post.objects.get(pk=post.pk).visibility == "unlisted"
    assert len(events(event_type="post.edited")) == 1 and len(events(event_type="comment.edited")) == 1


def test_an_edit_through_the_api_that_changes_the_visibility_is_a_400_problem(alice):
    post = client_for(alice).post(POSTS, {"body": "p", "visibility": "followers"}, format="json").json()
    r = client_for(alice).patch(f"{POSTS}/{post['id']}", {"body": "q", "visibility": "public"}, format="json")
    assert r.status_code == 400 and r["Content-Type"] == "application/problem+json"
    assert r.json()["errors"] == {"visibility": ["visibility can't be changed by an edit."]}
    ok = client_for(alice).patch(f"{POSTS}/{post['id']}", {"body": "q", "visibility": "followers"}, format="json")
    assert ok.status_code == 200 and ok.json()["visibility"] == "followers"
    kept = client_for(alice).patch(f"{POSTS}/{post['id']}", {"body": "r"}, format="json")
    assert kept.status_code == 200 and kept.json()["visibility"] == "followers"


def test_the_log_folds_into_the_visibilities_the_tables_hold(alice, bob):
    post = post_create(author=alice, body="p", visibility="followers")
    comment_create(post_id=post.pk, author=bob, body="c", visibility="unlisted")
    post_edit(post_id=post.pk, actor=alice, body="p2")
    assert replay_log() == snapshot()


def test_the_openapi_schema_documents_visibility():
    schema = _schema()
    create = schema["paths"]["/api/socialapp/v1/posts"]["post"]
    body = _resolve(schema, create["requestBody"]["content"]["application/json"]["schema"])
    field = body["properties"]["visibility"]
    field = _resolve(schema, field["allOf"][0] if "allOf" in field else field)
    assert field["enum"] == ["public", "unlisted", "followers", "direct"]
    assert "visibility" not in body.get("required", [])
    out = _resolve(schema, create["responses"]["201"]["content"]["application/json"]["schema"])
    assert "visibility" in out["required"]
    comment = schema["paths"]["/api/socialapp/v1/posts/{post_id}/comments"]["post"]
    body = _resolve(schema, comment["requestBody"]["content"]["application/json"]["schema"])
    assert "visibility" in body["properties"]
