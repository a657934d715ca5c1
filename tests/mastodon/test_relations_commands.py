"""Mastodon's relation commands through HTTP against the real write database: block, unblock,
mute (Mastodon's `notifications` and `duration`), unmute, authorising and rejecting follow
requests, `locked` in update_credentials, and `visibility` on POST /api/v1/statuses (ignored by an
edit, as Mastodon ignores it). Each answers Mastodon's Relationship (or Status, or
CredentialAccount) as the command left it; bad input is a Mastodon 4xx that changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from socialapp.mastodon.commands import rows
from socialapp.write.accounts.models import User
from socialapp.write.follows.models import Follow
from socialapp.write.posts.models import Post
from socialapp.write.relations.models import Block, FollowRequest, Mute
from tests.command_support import client_for, events, make_user

pytestmark = pytest.mark.django_db

RELATIONSHIP_KEYS = {
    "id", "following", "showing_reblogs", "notifying", "languages", "followed_by", "blocking", "blocked_by",
    "muting", "muting_notifications", "requested", "requested_by", "domain_blocking", "endorsed", "note",
}  # fmt: skip


def act(user: User, account: User | int, action: str, data: dict | None = None, *, form: bool = False):
    account_id = account if isinstance(account, int) else account.pk
    return client_for(user).post(f"/api/v1/accounts/{account_id}/{action}", data or {}, format=None if form else "json")


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def test_block_ends_follows_both_ways_and_unblock_lifts_it(alice, bob):
    client_for(alice).post(f"/api/v1/accounts/{bob.pk}/follow")
    client_for(bob).post(f"/api/v1/accounts/{alice.pk}/follow")
    body = ok(act(alice, bob, "block"))
    assert set(body) == RELATIONSHIP_KEYS and body["id"] == str(bob.pk)
    assert (body["blocking"], body["following"], body["followed_by"], body["blocked_by"]) == (True, False, False, False)
    assert not Follow.objects.filter(active=True).exists()
    assert Block.objects.get(blocker=alice, blocked=bob).active
    assert len(events(event_type="user.blocked")) == 1
    assert ok(act(alice, bob, "block"))["blocking"] is True  # idempotent: nothing more appended
    assert len(events(event_type="user.blocked")) == 1
    assert ok(act(bob, alice, "unblock"))["blocked_by"] is True  # bob has no block to lift
    # Following across a block is refused (Mastodon's 403 shape).
    refused = client_for(bob).post(f"/api/v1/accounts/{alice.pk}/follow")
    assert refused.status_code == 403 and "error" in refused.json()
    body = ok(act(alice, bob, "unblock"))
    assert (body["blocking"], body["following"]) == (False, False)
    assert len(events(event_type="user.unblocked")) == 1


def test_mute_with_mastodons_options_and_unmute(alice, bob):
    body = ok(act(alice, bob, "mute"))  # Mastodon.py sends notifications=True by default
    assert (body["muting"], body["muting_notifications"]) == (True, True)
    assert Mute.objects.get(muter=alice, muted=bob).expires_at is None
    body = ok(act(alice, bob, "mute", {"notifications": "0", "duration": "3600"}, form=True))
    assert (body["muting"], body["muting_notifications"]) == (True, False)
    expires = Mute.objects.get(muter=alice, muted=bob).expires_at
    assert timedelta(minutes=59) < expires - timezone.now() <= timedelta(hours=1)
    assert events(event_type="user.muted")[-1].payload["notifications"] is False
    body = ok(act(alice, bob, "mute", {"notifications": False, "duration": 0}))  # 0: forever
    assert body["muting"] is True and Mute.objects.get(muter=alice, muted=bob).expires_at is None
    body = ok(act(alice, bob, "unmute"))
    assert (body["muting"], body["muting_notifications"]) == (False, False)
    assert len(events(event_type="user.unmuted")) == 1
    assert ok(act(bob, alice, "unmute"))["muting"] is False  # nothing to lift: nothing appended
    assert len(events(event_type="user.unmuted")) == 1


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"duration": "an hour"}, "Validation failed: Duration"),
        ({"duration": "-5"}, "Validation failed: Duration"),
        ({"duration": True}, "Validation failed: Duration"),
        ({"notifications": "perhaps"}, "Validation failed: Notifications"),
    ],
)
def test_bad_mute_options_are_a_422_that_changes_nothing(alice, bob, data, needle):
    r = act(alice, bob, "mute", data)
    assert r.status_code == 422 and r.json()["error"].startswith(needle), r.json()
    assert not Mute.objects.exists() and not events(event_type="user.muted")


@pytest.mark.parametrize("action", ["block", "unblock", "mute", "unmute"])
def test_yourself_and_unknown_accounts(alice, action):
    yourself = act(alice, alice, action)
    assert yourself.status_code == 422 and "error" in yourself.json()
    unknown = act(alice, 999_999_999, action)
    assert unknown.status_code == 404 and unknown.json() == {"error": "Record not found"}
    malformed = client_for(alice).post(
        f"/api/v1/accounts/{alice.pk + 1}/{action}", "[1]", content_type="application/json"
    )
    assert malformed.status_code in (400, 422) and "error" in malformed.json()
    assert not [e for e in events() if e.event_type != "user.registered"]


def test_locked_account_follow_requests_authorize_and_reject(alice, bob):
    cat = make_user("cat")
    me = ok(client_for(bob).patch("/api/v1/accounts/update_credentials", {"locked": "1"}))
    assert me["locked"] is True and me["source"]["follow_requests_count"] == 0
    assert User.objects.get(pk=bob.pk).locked
    body = ok(client_for(alice).post(f"/api/v1/accounts/{bob.pk}/follow"))
    assert (body["requested"], body["following"]) == (True, False)
    client_for(cat).post(f"/api/v1/accounts/{bob.pk}/follow")
    assert ok(client_for(bob).patch("/api/v1/accounts/update_credentials", {}))["source"]["follow_requests_count"] == 2
    assert rows.relationship(bob, alice.pk)["requested_by"] is True  # bob's view of alice: she asks
    authorised = client_for(bob).post(f"/api/v1/follow_requests/{alice.pk}/authorize")
    body = ok(authorised)
    assert set(body) == RELATIONSHIP_KEYS and body["id"] == str(alice.pk)
    assert (body["followed_by"], body["requested_by"]) == (True, False)
    assert Follow.objects.get(follower=alice, followee=bob).active
    assert len(events(event_type="follow.request_approved")) == 1
    body = ok(client_for(bob).post(f"/api/v1/follow_requests/{cat.pk}/reject"))
    assert (body["followed_by"], body["requested_by"]) == (False, False)
    assert not FollowRequest.objects.filter(active=True).exists()
    # No pending request (any more): Mastodon's 404.
    for who in (alice, cat):
        again = client_for(bob).post(f"/api/v1/follow_requests/{who.pk}/authorize")
        assert again.status_code == 404 and again.json() == {"error": "Record not found"}
    assert client_for(bob).post("/api/v1/follow_requests/999999999/reject").status_code == 404
    me = ok(client_for(bob).patch("/api/v1/accounts/update_credentials", {"locked": False}, format="json"))
    assert me["locked"] is False


@pytest.mark.parametrize(
    ("mastodon", "ours"), [("public", "public"), ("unlisted", "unlisted"), ("private", "followers")]
)
def test_status_visibility_is_kept_and_rendered_as_mastodon(alice, mastodon, ours):
    body = ok(client_for(alice).post("/api/v1/statuses", {"status": "hi", "visibility": mastodon}, format="json"))
    assert body["visibility"] == mastodon
    assert Post.objects.get(pk=body["id"]).visibility == ours
    assert events(event_type="post.created")[-1].payload["visibility"] == ours
    # An edit ignores visibility, as Mastodon's does: the status keeps the one it was created with.
    edited = ok(client_for(alice).put(f"/api/v1/statuses/{body['id']}", {"status": "hi!", "visibility": "public"}))
    assert edited["visibility"] == mastodon and Post.objects.get(pk=body["id"]).visibility == ours


def test_direct_status_and_a_reply_narrowed_to_its_post(alice, bob):
    direct = ok(client_for(alice).post("/api/v1/statuses", {"status": "@bob psst", "visibility": "direct"}))
    assert direct["visibility"] == "direct"
    private = ok(client_for(alice).post("/api/v1/statuses", {"status": "friends", "visibility": "private"}))
    reply = ok(client_for(alice).post("/api/v1/statuses", {"status": "more", "in_reply_to_id": private["id"]}))
    assert reply["visibility"] == "private"  # a reply is never wider than what it answers
    wider = client_for(alice).post(
        "/api/v1/statuses", {"status": "wider?", "in_reply_to_id": private["id"], "visibility": "public"}
    )
    assert ok(wider)["visibility"] == "private"


@pytest.mark.parametrize("value", ["followers", "everyone", "PRIVATE"])
def test_unknown_visibility_is_a_422(alice, value):
    r = client_for(alice).post("/api/v1/statuses", {"status": "x", "visibility": value}, format="json")
    assert r.status_code == 422 and r.json()["error"].startswith("Validation failed: Visibility")
    assert not Post.objects.exists()
