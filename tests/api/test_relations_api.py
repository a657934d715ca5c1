"""Block, mute, locked-account and follow-request routes of our API (docs/privacy.md, "Commands")."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from socialapp.events.consistency import HEADER
from socialapp.events.models import Event
from socialapp.write.follows.models import Follow
from socialapp.write.relations.models import Block, FollowRequest, Mute
from tests.command_support import client_for, create_post, events

pytestmark = pytest.mark.django_db

API = "/api/socialapp/v1"


def problem_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_block_and_unblock(alice, bob):
    a = client_for(alice)
    client_for(bob).put(f"{API}/users/alice/follow")
    r = a.put(f"{API}/users/BOB/block")
    assert r.status_code == 200 and r[HEADER]
    assert r.json() == {
        "blocker_id": str(alice.pk),
        "blocked_id": str(bob.pk),
        "blocked_username": "bob",
        "blocking": True,
    }
    assert a.put(f"{API}/users/bob/block").status_code == 200  # again: nothing new
    assert [e.event_type for e in events(aggregate_type="block")] == ["user.blocked"]
    assert not Follow.objects.filter(active=True).exists()
    r = a.delete(f"{API}/users/bob/block")
    assert r.status_code == 204 and r[HEADER]
    assert a.delete(f"{API}/users/bob/block").status_code == 204
    assert not Block.objects.get().active


def test_blocked_follow_like_and_comment_are_403_problems_that_change_nothing(alice, bob):
    post = create_post(bob, "bob's post")
    assert client_for(bob).put(f"{API}/users/alice/block").status_code == 200
    a = client_for(alice)
    before = Event.objects.count()
    for response in (
        a.put(f"{API}/users/bob/follow"),
        a.put(f"{API}/posts/{post['id']}/like"),
        a.post(f"{API}/posts/{post['id']}/comments", {"body": "hi"}, format="json"),
    ):
        body = problem_of(response, 403)
        assert body["type"] == "/problems/forbidden" and "block" in body["detail"]
    assert Event.objects.count() == before


def test_block_and_mute_refusals(alice, bob):
    a = client_for(alice)
    assert problem_of(a.put(f"{API}/users/nobody/block"), 404)["type"] == "/problems/not-found"
    assert problem_of(a.put(f"{API}/users/alice/block"), 400)["errors"] == {"account": ["You cannot block yourself."]}
    assert problem_of(a.put(f"{API}/users/alice/mute"), 400)["errors"] == {"account": ["You cannot mute yourself."]}
    assert problem_of(a.post(f"{API}/users/bob/block"), 405)
    assert APIClient().put(f"{API}/users/bob/block").status_code == 401
    assert APIClient().put(f"{API}/users/bob/mute").status_code == 401
    assert not Event.objects.filter(aggregate_type__in=["block", "mute"]).exists()


def test_mute_with_options_and_unmute(alice, bob):
    a = client_for(alice)
    r = a.put(f"{API}/users/bob/mute")
    assert r.status_code == 200 and r[HEADER]
    assert r.json() == {
        "muter_id": str(alice.pk),
        "muted_id": str(bob.pk),
        "muted_username": "bob",
        "muting": True,
        "notifications": True,
        "expires_at": None,
    }
    r = a.put(f"{API}/users/bob/mute", {"notifications": False, "duration": 3600}, format="json")
    assert r.status_code == 200 and r.json()["notifications"] is False and r.json()["expires_at"]
    assert [e.payload["notifications"] for e in events(event_type="user.muted")] == [True, False]
    assert a.delete(f"{API}/users/bob/mute").status_code == 204
    assert not Mute.objects.get().in_effect
    assert [e.event_type for e in events(aggregate_type="mute")] == ["user.muted", "user.muted", "user.unmuted"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"duration": -1}, "duration"),
        ({"duration": "60"}, "duration"),
        ({"duration": 1.5}, "duration"),
        ({"duration": True}, "duration"),
        ({"duration": 10**12}, "duration"),
        ({"notifications": "yes"}, "notifications"),
        ({"notifications": 1}, "notifications"),
    ],
)
def test_bad_mute_options_are_400_problems_naming_the_field(alice, bob, body, field):
    r = client_for(alice).put(f"{API}/users/bob/mute", json.dumps(body), content_type="application/json")
    assert field in problem_of(r, 400)["errors"]
    assert not Mute.objects.exists()


def test_locked_profile_and_follow_requests(alice, bob):
    b, a = client_for(bob), client_for(alice)
    r = b.patch(f"{API}/me", {"locked": True}, format="json")
    assert r.status_code == 200 and r.json()["locked"] is True
    assert problem_of(b.patch(f"{API}/me", {"locked": "yes"}, format="json"), 400)["errors"]["locked"]

    r = a.put(f"{API}/users/bob/follow")
    assert r.status_code == 200 and r[HEADER]
    assert r.json() == {
        "follower_id": str(alice.pk),
        "followee_id": str(bob.pk),
        "followee_username": "bob",
        "following": False,
        "requested": True,
    }
    r = b.post(f"{API}/me/follow-requests/alice/approve")
    assert r.status_code == 200 and r[HEADER]
    assert r.json() == {
        "follower_id": str(alice.pk),
        "followee_id": str(bob.pk),
        "follower_username": "alice",
        "outcome": "approved",
        "followed_by": True,
    }
    assert Follow.objects.get(follower=alice, followee=bob).active
    assert problem_of(b.post(f"{API}/me/follow-requests/alice/approve"), 404)["type"] == "/problems/not-found"
    r = a.put(f"{API}/users/bob/follow")  # already following: stays a follow
    assert r.json()["following"] is True and r.json()["requested"] is False


def test_reject_and_withdraw(alice, bob):
    b, a = client_for(bob), client_for(alice)
    b.patch(f"{API}/me", {"locked": True}, format="json")
    a.put(f"{API}/users/bob/follow")
    r = b.post(f"{API}/me/follow-requests/alice/reject")
    assert r.status_code == 200 and r.json()["outcome"] == "rejected" and r.json()["followed_by"] is False
    assert problem_of(b.post(f"{API}/me/follow-requests/alice/reject"), 404)
    a.put(f"{API}/users/bob/follow")
    assert a.delete(f"{API}/users/bob/follow").status_code == 204  # withdraws
    assert not FollowRequest.objects.get().active
    assert problem_of(b.post(f"{API}/me/follow-requests/nobody/approve"), 404)
    assert problem_of(b.get(f"{API}/me/follow-requests/alice/approve"), 405)
    assert [e.event_type for e in events(aggregate_type="follow_request")] == [
        "follow.requested",
        "follow.request_rejected",
        "follow.requested",
        "follow.request_withdrawn",
    ]
