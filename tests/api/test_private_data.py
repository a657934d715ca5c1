"""Personal data stays off the bus: after every kind of command, no event in the log carries an
e-mail address, a password, a token or its hash (docs/events.md, "What the log keeps and why")."""

from __future__ import annotations

import json
import re

import pytest
from rest_framework.test import APIClient

from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.models import Event
from socialapp.write.accounts.models import AuthToken
from socialapp.write.accounts.services import user_suspend, user_unsuspend
from socialapp.write.moderation.services import report_file, report_resolve
from socialapp.write.posts.services import post_create
from tests.command_support import client_for, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a secret horse battery staple"
NEW_PASSWORD = "another secret horse staple"
REPORT_COMMENT = "only moderators may read this"
CREDENTIAL_KEYS = re.compile(r"(^|_)(password|passwd|pwd|token|secret|hash|key|e?mail)(_|s?$)", re.I)


def register(name: str) -> tuple[APIClient, str]:
    data = {"username": name, "email": f"{name}.private@example.org", "password": PASSWORD}
    r = APIClient().post("/api/socialapp/v1/auth/register", data, format="json")
    assert r.status_code == 201, r.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['token']}")
    return client, r.json()["token"]


def keys(value) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in keys(v)]
    return []


def test_no_event_payload_carries_private_data(moderator):
    ann, ann_token = register("ann")
    bob, bob_token = register("bob")
    secrets_seen = [ann_token, bob_token, PASSWORD, NEW_PASSWORD, "private@example.org"]
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "ann", "password": PASSWORD}, format="json")
    secrets_seen.append(r.json()["token"])
    assert ann.patch("/api/socialapp/v1/me", {"display_name": "Ann", "bio": "hello"}, format="json").status_code == 200
    post = ann.post("/api/socialapp/v1/posts", {"body": "hi @bob #tag"}, format="json").json()
    assert ann.patch(f"/api/socialapp/v1/posts/{post['id']}", {"body": "edited #tag"}, format="json").status_code == 200
    comment = bob.post(f"/api/socialapp/v1/posts/{post['id']}/comments", {"body": "yo @ann"}, format="json").json()
    assert bob.patch(f"/api/socialapp/v1/comments/{comment['id']}", {"body": "yo!"}, format="json").status_code == 200
    assert bob.put(f"/api/socialapp/v1/posts/{post['id']}/like").status_code in (200, 201, 204)
    assert bob.delete(f"/api/socialapp/v1/posts/{post['id']}/like").status_code in (200, 204)
    assert bob.put("/api/socialapp/v1/users/ann/follow").status_code in (200, 201, 204)
    assert bob.delete("/api/socialapp/v1/users/ann/follow").status_code in (200, 204)
    assert ann.patch("/api/socialapp/v1/me", {"locked": True}, format="json").status_code == 200
    assert bob.put("/api/socialapp/v1/users/ann/follow").json()["requested"] is True
    assert ann.post("/api/socialapp/v1/me/follow-requests/bob/reject").status_code == 200
    assert bob.put("/api/socialapp/v1/users/ann/follow").status_code == 200
    assert bob.delete("/api/socialapp/v1/users/ann/follow").status_code == 204  # withdrawn
    assert bob.put("/api/socialapp/v1/users/ann/follow").status_code == 200
    assert ann.post("/api/socialapp/v1/me/follow-requests/bob/approve").status_code == 200
    r = ann.put("/api/socialapp/v1/users/bob/mute", {"notifications": False, "duration": 60}, format="json")
    assert r.status_code == 200
    assert ann.delete("/api/socialapp/v1/users/bob/mute").status_code == 204
    assert ann.put("/api/socialapp/v1/users/bob/block").status_code == 200  # ends bob's follow
    assert ann.delete("/api/socialapp/v1/users/bob/block").status_code == 204
    assert bob.delete(f"/api/socialapp/v1/comments/{comment['id']}").status_code in (200, 204)
    assert ann.delete(f"/api/socialapp/v1/posts/{post['id']}").status_code in (200, 204)
    report = ann.post("/api/socialapp/v1/reports", {"username": "bob", "comment": REPORT_COMMENT}, format="json")
    assert report.status_code == 201, report.json()
    secrets_seen.append(REPORT_COMMENT)  # the reporter's comment is for the moderators only
    report_resolve(moderator=moderator, report_id=int(report.json()["id"]), action="none")
    r = ann.post(
        "/api/socialapp/v1/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert r.status_code == 204
    assert ann.get("/api/socialapp/v1/auth/sessions").status_code == 200
    assert ann.post("/api/socialapp/v1/auth/logout").status_code == 204
    user_suspend(user_id=_id("bob"), actor=moderator)
    user_unsuspend(user_id=_id("bob"), actor=moderator)
    assert bob.post("/api/socialapp/v1/me/deactivate").status_code == 401  # suspension ended bob's sessions
    carl, _ = register("carl")
    assert carl.post("/api/socialapp/v1/me/deactivate").status_code == 200
    secrets_seen += list(AuthToken.objects.values_list("key_hash", flat=True))

    log = list(Event.objects.order_by("position"))
    kinds = {e.event_type for e in log}
    assert kinds == set(ALL_EVENT_TYPES), set(ALL_EVENT_TYPES) - kinds  # every kind of event was made
    for event in log:
        text = json.dumps(event.payload, ensure_ascii=False)
        assert not [s for s in secrets_seen if s in text], (event.event_type, text)
        assert "@example.org" not in text, (event.event_type, text)
        assert not [k for k in keys(event.payload) if CREDENTIAL_KEYS.search(k)], (event.event_type, text)


def _id(username: str) -> int:
    from socialapp.write.accounts.models import User

    return User.objects.get(username=username).pk


def test_a_report_comment_never_reaches_the_log(alice, bob, moderator):
    """Filed through both APIs and the service, resolved every way: the comment stays in the
    write model (moderators read it in the admin), no payload carries it."""
    post = post_create(author=bob, body="spam")
    comments = [f"{REPORT_COMMENT} #{i}" for i in range(3)]
    ours = client_for(alice).post(
        "/api/socialapp/v1/reports",
        {"username": "bob", "post_ids": [str(post.id)], "comment": comments[0]},
        format="json",
    )
    mastodon = client_for(make_user("dan")).post("/api/v1/reports", {"account_id": str(bob.pk), "comment": comments[1]})
    direct = report_file(reporter=make_user("eve"), target_id=bob.pk, comment=comments[2])
    assert ours.status_code == 201 and mastodon.status_code == 200
    report_resolve(moderator=moderator, report_id=int(ours.json()["id"]), action="delete_post")
    report_resolve(moderator=moderator, report_id=int(mastodon.json()["id"]), action="none")
    report_resolve(moderator=moderator, report_id=direct.pk, action="suspend")
    log = list(Event.objects.filter(event_type__startswith="report."))
    assert len(log) == 6
    for event in Event.objects.all():
        text = json.dumps(event.payload, ensure_ascii=False)
        assert REPORT_COMMENT not in text, (event.event_type, text)
        assert "comment" not in keys(event.payload) or event.event_type.startswith("comment."), event.event_type
