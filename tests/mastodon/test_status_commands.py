"""Mastodon status commands: POST/PUT/DELETE /api/v1/statuses, favourite and unfavourite.

Through HTTP against the real write database; projection checks apply the logged events to the
posts projector as the pipeline would (tests/read/conftest.apply_all)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.log import log_events
from socialapp.read.common.sql import fetchone
from socialapp.write.comments.models import Comment
from socialapp.write.comments.services import comment_create
from socialapp.write.posts import idempotency
from socialapp.write.posts.models import IdempotencyKey, Post
from socialapp.write.posts.services import post_create
from tests.command_support import client_for, events, make_user
from tests.read.conftest import apply_all, reset
from tests.support import wait_for

pytestmark = pytest.mark.django_db

STATUSES = "/api/v1/statuses"


def status_url(status_id: int | str, action: str = "") -> str:
    return f"{STATUSES}/{status_id}" + (f"/{action}" if action else "")


def post_status(client: APIClient, data: dict, *, form: bool = False, **headers: str):
    return client.post(STATUSES, data, format=None if form else "json", **headers)


def nothing_written() -> bool:
    return (
        not Post.objects.exists()
        and not Comment.objects.exists()
        and not events(aggregate_type__in=["post", "comment"])
    )


# ------------------------------------------------------------------ creation


def test_create_from_a_form_answers_the_status_entity(alice, bob):
    r = post_status(
        client_for(alice),
        {"status": "hello #Django @bob", "spoiler_text": "  food  ", "sensitive": "0", "visibility": "public"},
        form=True,
    )
    assert r.status_code == 200, r.json()
    s = r.json()
    post = Post.objects.get()
    assert s["id"] == str(post.id) and s["visibility"] == "public"
    assert s["spoiler_text"] == "food" and s["sensitive"] is True  # a content warning makes it sensitive
    assert s["account"]["id"] == str(alice.id) and s["account"]["statuses_count"] == 1
    assert 'class="mention hashtag"' in s["content"] and 'class="u-url mention"' in s["content"]
    assert s["mentions"][0]["id"] == str(bob.id) and [t["name"] for t in s["tags"]] == ["django"]
    assert s["in_reply_to_id"] is None and s["favourited"] is False and s["favourites_count"] == 0
    assert s["created_at"].endswith("Z") and s["edited_at"] is None
    [event] = events(event_type="post.created")
    assert event.payload["spoiler_text"] == "food" and event.payload["sensitive"] is True


def test_create_from_json(alice):
    r = post_status(client_for(alice), {"status": "json", "sensitive": True})
    assert r.status_code == 200, r.json()
    assert r.json()["sensitive"] is True and r.json()["spoiler_text"] == ""
    assert Post.objects.get().sensitive is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("0", False), ("true", True), ("True", True), ("false", False), ("False", False)],
)
def test_booleans_as_clients_send_them(alice, raw, expected):
    r = post_status(client_for(alice), {"status": "b", "sensitive": raw}, form=True)
    assert r.status_code == 200 and r.json()["sensitive"] is expected
    r = post_status(client_for(alice), {"status": "b", "sensitive": raw})  # a string in JSON too
    assert r.status_code == 200 and r.json()["sensitive"] is expected


def test_unknown_visibility_is_refused(alice):
    r = post_status(client_for(alice), {"status": "x", "visibility": "everyone"})
    assert r.status_code == 422 and r.json()["error"].startswith("Validation failed: Visibility")
    assert nothing_written()


@pytest.mark.parametrize(
    ("data", "form", "needle"),
    [
        ({"status": "x", "media_ids[]": ["1"]}, True, "Media attachments are not supported"),
        ({"status": "x", "media_ids": ["1"]}, False, "Media attachments are not supported"),
        ({"status": "x", "poll[options][]": ["a", "b"], "poll[expires_in]": "60"}, True, "Polls are not supported"),
        ({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 60}}, False, "Polls are not supported"),
        ({"status": "x", "scheduled_at": "2030-01-01T00:00:00Z"}, False, "Scheduled statuses are not supported"),
        ({}, False, "Validation failed: Status"),
        ({"status": "   "}, True, "Validation failed: Status"),
        ({"status": "x" * 501}, False, "Validation failed: Status"),
        ({"status": "x" * 5000}, False, "Validation failed: Status"),
        ({"status": 12}, False, "Validation failed: Status"),
        ({"status": "bell\x07"}, False, "Validation failed: Status"),
        ({"status": "x", "spoiler_text": "w" * 501}, False, "Validation failed: Spoiler_text"),
        ({"status": "x", "sensitive": "maybe"}, True, "Validation failed: Sensitive"),
        ({"status": "x", "in_reply_to_id": "abc"}, True, "Validation failed: In_reply_to_id"),
        ({"status": "x", "in_reply_to_id": "9" * 20}, False, "Validation failed: In_reply_to_id"),
    ],
)
def test_bad_input_is_a_422_and_changes_nothing(alice, data, form, needle):
    r = post_status(client_for(alice), data, form=form)
    assert r.status_code == 422, r.content
    assert set(r.json()) == {"error"} and needle in r.json()["error"], r.json()
    assert nothing_written()


def test_a_json_body_that_is_not_an_object_is_a_422(alice):
    r = client_for(alice).post(STATUSES, "[1, 2]", content_type="application/json")
    assert r.status_code == 422 and nothing_written()


def test_malformed_json_is_a_400(alice):
    r = client_for(alice).post(STATUSES, "{", content_type="application/json")
    assert r.status_code == 400 and "error" in r.json() and nothing_written()


def test_anonymous_is_401(db):
    r = APIClient().post(STATUSES, {"status": "x"}, format="json")
    assert r.status_code == 401 and r.json() == {"error": "The access token is invalid"}


# ------------------------------------------------------------------ idempotency


def test_a_retry_with_the_same_key_answers_the_same_status_and_appends_nothing(alice, bob):
    client = client_for(alice)
    first = post_status(client, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post_status(client, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Post.objects.count() == 1 and len(events(event_type="post.created")) == 1
    # Another key, no key, or another user's same key: new statuses.
    other = post_status(client, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-2")
    plain = post_status(client, {"status": "once"})
    bobs = post_status(client_for(bob), {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-1")
    ids = {first.json()["id"], other.json()["id"], plain.json()["id"], bobs.json()["id"]}
    assert len(ids) == 4 and Post.objects.count() == 4


def test_a_reply_retried_answers_the_same_comment(alice, bob):
    post = post_create(author=alice, body="p")
    client = client_for(bob)
    data = {"status": "r", "in_reply_to_id": str(post.id)}
    first = post_status(client, data, form=True, HTTP_IDEMPOTENCY_KEY="reply")
    again = post_status(client, data, form=True, HTTP_IDEMPOTENCY_KEY="reply")
    assert first.json()["id"] == again.json()["id"] and Comment.objects.count() == 1
    assert len(events(event_type="comment.created")) == 1


def test_a_key_expires_after_an_hour(alice):
    client = client_for(alice)
    first = post_status(client, {"status": "a"}, HTTP_IDEMPOTENCY_KEY="hour")
    IdempotencyKey.objects.update(created_at=IdempotencyKey.objects.get().created_at - timedelta(minutes=61))
    later = post_status(client, {"status": "a"}, HTTP_IDEMPOTENCY_KEY="hour")
    assert first.json()["id"] != later.json()["id"] and Post.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1  # the expired one went on write
    IdempotencyKey.objects.update(created_at=IdempotencyKey.objects.get().created_at - timedelta(hours=2))
    assert idempotency.prune() == 1 and not IdempotencyKey.objects.exists()


def test_bad_input_with_a_key_leaves_the_key_free(alice):
    client = client_for(alice)
    assert post_status(client, {"status": ""}, HTTP_IDEMPOTENCY_KEY="k").status_code == 422
    assert not IdempotencyKey.objects.exists()
    r = post_status(client, {"status": "now right"}, HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 200 and Post.objects.get().body == "now right"


def test_an_absurd_key_is_a_422(alice):
    r = post_status(client_for(alice), {"status": "x"}, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert r.status_code == 422 and "Idempotency-key" in r.json()["error"] and nothing_written()


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction would see one snapshot only
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone() is not None


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_waits_for_the_first_and_answers_its_status():
    """The first request holds its key uncommitted; the duplicate waits on the unique index and
    then answers the first's status: one post, one event."""
    user = make_user("racer")
    token_client = client_for(user)
    answers: list = []

    def duplicate() -> None:
        try:
            answers.append(post_status(token_client, {"status": "race"}, HTTP_IDEMPOTENCY_KEY="same"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=duplicate)
    with transaction.atomic():
        assert idempotency.claim(user.pk, "same") is None
        thread.start()
        wait_for(lambda: _waiting_on_a_lock() or answers, timeout=10, what="the duplicate waiting on the key")
        assert not answers, answers[0].content
        post = post_create(author=user, body="race")
        idempotency.record(user.pk, "same", post.pk)
    thread.join(30)
    [answer] = answers
    assert answer.status_code == 200 and answer.json()["id"] == str(post.pk)
    assert Post.objects.count() == 1 and len(events(event_type="post.created")) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_duplicates_create_one_status():
    user = make_user("racers")
    clients = [client_for(user) for _ in range(6)]
    barrier, answers = threading.Barrier(len(clients)), []

    def send(c: APIClient) -> None:
        try:
            barrier.wait(10)
            answers.append(post_status(c, {"status": "many"}, HTTP_IDEMPOTENCY_KEY="one"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [a.status_code for a in answers] == [200] * len(clients)
    assert len({a.json()["id"] for a in answers}) == 1
    assert Post.objects.count() == 1 and len(events(event_type="post.created")) == 1


# ------------------------------------------------------------------ replies


def test_reply_to_a_post_is_a_comment_on_it(alice, bob):
    post = post_create(author=alice, body="p")
    r = post_status(client_for(bob), {"status": "answer", "in_reply_to_id": str(post.id)}, form=True)
    assert r.status_code == 200, r.json()
    s, comment = r.json(), Comment.objects.get()
    assert s["id"] == str(comment.id) and comment.post_id == post.id and comment.in_reply_to_id is None
    assert s["in_reply_to_id"] == str(post.id) and s["in_reply_to_account_id"] == str(alice.id)
    [event] = events(event_type="comment.created")
    assert event.payload["in_reply_to_id"] is None and event.payload["in_reply_to_account_id"] == alice.id


@pytest.mark.django_db(databases=["default", "read"])
def test_reply_to_a_comment_keeps_what_it_answers_through_projection(alice, bob):
    reset(["posts"])
    carol = make_user("carol")
    post = post_create(author=alice, body="p")
    first = comment_create(post_id=post.id, author=bob, body="c1")
    r = post_status(
        client_for(carol),
        {"status": "c2", "in_reply_to_id": first.id, "spoiler_text": "cw", "sensitive": False},
    )
    assert r.status_code == 200, r.json()
    s = r.json()
    reply = Comment.objects.get(pk=int(s["id"]))
    assert reply.post_id == post.id and reply.in_reply_to_id == first.id
    assert s["in_reply_to_id"] == str(first.id) and s["in_reply_to_account_id"] == str(bob.id)
    assert s["spoiler_text"] == "cw" and s["sensitive"] is True
    [event] = events(event_type="comment.created", aggregate_id=str(reply.id))
    assert event.payload["in_reply_to_id"] == first.id and event.payload["in_reply_to_account_id"] == bob.id
    logged = [m for batch in log_events(ALL_EVENT_TYPES) for m in batch]
    apply_all(logged, ["posts"])
    apply_all(logged, ["posts"])  # idempotent
    row = fetchone(
        "SELECT in_reply_to_id, in_reply_to_account_id, spoiler_text, sensitive FROM read_comment"
        " WHERE comment_id = %s",
        [reply.id],
    )
    assert row == (first.id, bob.id, "cw", True)
    assert fetchone(
        "SELECT in_reply_to_id, in_reply_to_account_id FROM read_comment WHERE comment_id = %s", [first.id]
    ) == (
        None,
        alice.id,
    )


@pytest.mark.django_db(databases=["default", "read"])
def test_projection_is_order_independent_and_scrubs_the_warning(alice):
    """Create with a warning, edit it, delete: every order leaves the same row, with the warning
    gone once the post is deleted; an old event without the fields means none."""
    client = client_for(alice)
    s = post_status(client, {"status": "a", "spoiler_text": "w1"}).json()
    client.put(status_url(s["id"]), {"status": "b", "spoiler_text": "w2"}, format="json")
    logged = [m for batch in log_events(ALL_EVENT_TYPES) for m in batch]
    columns = "SELECT body, spoiler_text, sensitive, deleted FROM read_post WHERE post_id = %s"
    post_events = [m for m in logged if m.aggregate_type == "post"]
    others = [m for m in logged if m.aggregate_type != "post"]
    reset(["posts"])
    apply_all([*others, *reversed(post_events)], ["posts"])
    assert fetchone(columns, [int(s["id"])]) == ("b", "w2", True, False)
    client.delete(status_url(s["id"]))
    logged = [m for batch in log_events(ALL_EVENT_TYPES) for m in batch]
    post_events = [m for m in logged if m.aggregate_type == "post"]
    rows = set()
    for order in (post_events, list(reversed(post_events)), [post_events[2], post_events[0], post_events[1]]):
        reset(["posts"])
        apply_all([*others, *order], ["posts"])
        rows.add(fetchone(columns, [int(s["id"])]))
    assert rows == {("", "", False, True)}
    # An event written before content warnings existed: no warning, not sensitive.
    created = post_events[0]
    old = dataclasses.replace(
        created, payload={k: v for k, v in created.payload.items() if k not in ("spoiler_text", "sensitive")}
    )
    reset(["posts"])
    apply_all([*others, old], ["posts"])
    assert fetchone(columns, [int(s["id"])]) == ("a", "", False, False)


def test_reply_to_what_is_not_there_is_404(alice, bob):
    post = post_create(author=alice, body="p")
    gone = comment_create(post_id=post.id, author=bob, body="c")
    client_for(bob).delete(status_url(gone.id))
    before = Comment.objects.count()
    for target in (gone.id, 123456789):
        r = post_status(client_for(alice), {"status": "x", "in_reply_to_id": target})
        assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    assert Comment.objects.count() == before


def test_the_service_refuses_to_answer_a_comment_of_another_post(alice, bob):
    p1, p2 = post_create(author=alice, body="1"), post_create(author=alice, body="2")
    c1 = comment_create(post_id=p1.id, author=bob, body="c")
    with pytest.raises(ValidationFailed):
        comment_create(post_id=p2.id, author=bob, body="x", in_reply_to_id=c1.id)
    with pytest.raises(NotFound):
        comment_create(post_id=p2.id, author=bob, body="x", in_reply_to_id=987654321)
    assert Comment.objects.count() == 1


# ------------------------------------------------------------------ edit and delete


def test_edit_replaces_text_and_warning(alice):
    client = client_for(alice)
    s = post_status(client, {"status": "before", "spoiler_text": "cw"}).json()
    r = client.put(status_url(s["id"]), {"status": "after #new"}, format=None)
    assert r.status_code == 200, r.json()
    out = r.json()
    assert out["id"] == s["id"] and "after" in out["content"] and out["edited_at"]
    assert out["spoiler_text"] == "" and out["sensitive"] is False  # left out: none, as Mastodon
    post = Post.objects.get()
    assert (post.body, post.spoiler_text, post.sensitive, post.hashtags) == ("after #new", "", False, ["new"])
    [event] = events(event_type="post.edited")
    assert event.payload["spoiler_text"] == "" and event.payload["sensitive"] is False
    r = client.put(status_url(s["id"]), {"status": "after #new", "sensitive": "true"}, format="json")
    assert r.json()["sensitive"] is True and len(events(event_type="post.edited")) == 2


def test_edit_of_a_comment(alice, bob):
    post = post_create(author=alice, body="p")
    c = post_status(client_for(bob), {"status": "c", "in_reply_to_id": post.id}).json()
    r = client_for(bob).put(status_url(c["id"]), {"status": "c2", "spoiler_text": "w"}, format="json")
    assert r.status_code == 200 and r.json()["spoiler_text"] == "w"
    assert r.json()["in_reply_to_id"] == str(post.id)
    assert Comment.objects.get().body == "c2"
    [event] = events(event_type="comment.edited")
    assert event.payload["spoiler_text"] == "w" and event.payload["sensitive"] is True


def test_delete_answers_the_source_text(alice, bob):
    client = client_for(alice)
    s = post_status(client, {"status": "redraft me @bob", "spoiler_text": "cw"}).json()
    r = client.delete(status_url(s["id"]))
    assert r.status_code == 200, r.json()
    assert r.json()["id"] == s["id"] and r.json()["text"] == "redraft me @bob" and r.json()["spoiler_text"] == "cw"
    assert Post.objects.get().deleted_at is not None and len(events(event_type="post.deleted")) == 1
    assert client.delete(status_url(s["id"])).status_code == 404
    # A comment too.
    post = post_create(author=alice, body="p")
    c = post_status(client_for(bob), {"status": "bye", "in_reply_to_id": post.id}).json()
    r = client_for(bob).delete(status_url(c["id"]))
    assert r.status_code == 200 and r.json()["text"] == "bye"
    assert Comment.objects.get().deleted_at is not None


def test_another_users_status_is_not_found_for_edit_and_delete(alice, bob):
    moderator = make_user("mod", is_staff=True)
    post = post_create(author=alice, body="mine")
    comment = comment_create(post_id=post.id, author=bob, body="bob's")
    before = len(events())
    for intruder, target in ((bob, post.id), (moderator, post.id), (alice, comment.id), (moderator, comment.id)):
        client = client_for(intruder)
        r = client.put(status_url(target), {"status": "hacked"}, format="json")
        assert r.status_code == 404 and r.json() == {"error": "Record not found"}
        r = client.delete(status_url(target))
        assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    assert len(events()) == before
    assert Post.objects.get().body == "mine" and Comment.objects.get().deleted_at is None


def test_edit_with_bad_input_changes_nothing(alice):
    client = client_for(alice)
    s = post_status(client, {"status": "keep"}).json()
    for data in ({"status": ""}, {"status": "x", "sensitive": "perhaps"}, {"status": "x", "media_ids": ["3"]}):
        assert client.put(status_url(s["id"]), data, format="json").status_code == 422
    assert Post.objects.get().body == "keep" and not events(event_type="post.edited")


# ------------------------------------------------------------------ favourites


def test_favourite_and_unfavourite_are_idempotent(alice, bob):
    post = post_create(author=alice, body="like me")
    client = client_for(bob)
    for _ in range(2):
        r = client.post(status_url(post.id, "favourite"))
        assert r.status_code == 200, r.json()
        assert r.json()["favourited"] is True and r.json()["favourites_count"] == 1
    assert len(events(event_type="post.liked")) == 1
    for _ in range(2):
        r = client.post(status_url(post.id, "unfavourite"))
        assert r.status_code == 200 and r.json()["favourited"] is False and r.json()["favourites_count"] == 0
    assert len(events(event_type="post.unliked")) == 1
    # Unfavouriting what was never favourited: fine, nothing appended.
    assert client_for(alice).post(status_url(post.id, "unfavourite")).json()["favourited"] is False
    assert len(events(event_type="post.unliked")) == 1


def test_comments_cannot_be_favourited(alice, bob):
    post = post_create(author=alice, body="p")
    comment = comment_create(post_id=post.id, author=bob, body="c")
    for action in ("favourite", "unfavourite"):
        r = client_for(alice).post(status_url(comment.id, action))
        assert r.status_code == 422
        assert r.json() == {"error": "Validation failed: Favourites of replies are not supported by this server"}
    assert not events(aggregate_type="like")


def test_favourite_of_what_is_not_there_is_404(alice):
    post = post_create(author=alice, body="p")
    client_for(alice).delete(status_url(post.id))
    for target in (post.id, 42):
        r = client_for(alice).post(status_url(target, "favourite"))
        assert r.status_code == 404 and r.json() == {"error": "Record not found"}


# ------------------------------------------------------------------ methods and scopes


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("delete", STATUSES),  # GET is the query side's batch fetch (socialapp/mastodon/urls.py)
        ("put", STATUSES),
        ("patch", "/api/v1/statuses/1"),
        ("post", "/api/v1/statuses/1"),
        ("get", "/api/v1/statuses/1/favourite"),
        ("delete", "/api/v1/statuses/1/unfavourite"),
    ],
)
def test_wrong_methods_are_405(alice, method, url):
    r = getattr(client_for(alice), method)(url)
    assert r.status_code == 405 and r["Allow"] and r.json() == {"error": f"Method {method.upper()} not allowed"}


def test_a_token_without_the_write_scope_is_403(alice, bob, scoped):
    post = post_create(author=bob, body="p")
    client = client_for(alice)
    scoped(client, alice, "read")
    for method, url in (
        ("post", STATUSES),
        ("put", status_url(post.id)),
        ("delete", status_url(post.id)),
        ("post", status_url(post.id, "favourite")),
        ("post", status_url(post.id, "unfavourite")),
    ):
        r = getattr(client, method)(url, {"status": "x"}, format="json")
        assert r.status_code == 403 and r.json() == {"error": "This action is outside the authorized scopes"}
    scoped(client, alice, "write:statuses")
    assert post_status(client, {"status": "ok"}).status_code == 200
    assert client.post(status_url(post.id, "favourite")).status_code == 403
    scoped(client, alice, "write:favourites")
    assert client.post(status_url(post.id, "favourite")).status_code == 200
    scoped(client, alice, "write")
    assert post_status(client, {"status": "ok too"}).status_code == 200
    assert Post.objects.count() == 3
