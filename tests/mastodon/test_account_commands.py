"""Mastodon account commands: update_credentials, follow and unfollow by account id."""

from __future__ import annotations

import pytest

from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_deactivate
from socialapp.write.follows.models import Follow
from tests.command_support import client_for, events

pytestmark = pytest.mark.django_db

CREDENTIALS = "/api/v1/accounts/update_credentials"


def follow_url(user_id: int, action: str = "follow") -> str:
    return f"/api/v1/accounts/{user_id}/{action}"


# ------------------------------------------------------------------ update_credentials


def test_update_credentials_from_a_form(alice):
    r = client_for(alice).patch(CREDENTIALS, {"display_name": "Alice A.", "note": "hi #there\n\nsecond"})
    assert r.status_code == 200, r.json()
    me = r.json()
    assert me["id"] == str(alice.id) and me["username"] == "alice" and me["display_name"] == "Alice A."
    assert me["note"].startswith("<p>hi") and me["source"]["note"] == "hi #there\n\nsecond"
    assert me["source"]["privacy"] == "public"
    user = User.objects.get(pk=alice.pk)
    assert (user.display_name, user.bio) == ("Alice A.", "hi #there\n\nsecond")
    [event] = events(event_type="profile.updated")
    assert event.payload == {
        "user_id": alice.id,
        "display_name": "Alice A.",
        "bio": "hi #there\n\nsecond",
        "locked": False,
    }


def test_update_credentials_from_json_changes_only_what_it_names(alice):
    client = client_for(alice)
    client.patch(CREDENTIALS, {"display_name": "A", "note": "bio"}, format="json")
    r = client.patch(CREDENTIALS, {"note": "new bio", "bot": False, "fields_attributes": []}, format="json")
    assert r.status_code == 200 and r.json()["display_name"] == "A" and r.json()["source"]["note"] == "new bio"
    # The same again: nothing appended.
    assert client.patch(CREDENTIALS, {"note": "new bio"}, format="json").status_code == 200
    assert len(events(event_type="profile.updated")) == 2


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"note": "x" * 301}, "Validation failed: Note"),
        ({"note": "bell\x07"}, "Validation failed: Note"),
        ({"display_name": "two\nlines"}, "Validation failed: Display_name"),
        ({"display_name": "x" * 51}, "Validation failed: Display_name"),
        ({"display_name": 5}, "Validation failed: Display_name"),
        ({"display_name": "ok", "source": {"privacy": "private"}}, "Default visibility other than public"),
        ({"display_name": "ok", "locked": "perhaps"}, "Validation failed: Locked"),
    ],
)
def test_update_credentials_bad_input_is_a_422_and_changes_nothing(alice, data, needle):
    r = client_for(alice).patch(CREDENTIALS, data, format="json")
    assert r.status_code == 422 and needle in r.json()["error"], r.json()
    assert not events(event_type="profile.updated")
    assert User.objects.get(pk=alice.pk).display_name == ""


@pytest.mark.parametrize(
    "data",
    [
        {"bot": True},
        {"bot": "1"},
        {"discoverable": False},
        {"indexable": "0"},
        {"hide_collections": True},
        {"source": {"sensitive": True}},
        {"avatar_description": "a cat"},
        {"attribution_domains": ["example.org"]},
        {"fields_attributes": {"0": {"name": "Website", "value": "https://example.org"}}},
        {"fields_attributes": [{"name": "", "value": "only a value"}]},
        {"fields_attributes": "nonsense"},
    ],
)
def test_what_we_cannot_store_is_refused_and_nothing_changes(alice, data):
    r = client_for(alice).patch(CREDENTIALS, {"display_name": "changed", **data}, format="json")
    assert r.status_code == 422 and r.json()["error"].startswith("Validation failed: "), r.json()
    assert not events(event_type="profile.updated") and User.objects.get(pk=alice.pk).display_name == ""


def test_form_fields_and_flags_as_mastodon_py_sends_them(alice):
    client = client_for(alice)
    named = {"display_name": "changed", "fields_attributes[0][name]": "Website", "fields_attributes[0][value]": ""}
    r = client.patch(CREDENTIALS, named)
    assert r.status_code == 422 and "Profile fields are not supported" in r.json()["error"]
    r = client.patch(CREDENTIALS, {"display_name": "changed", "source[sensitive]": "1"})
    assert r.status_code == 422
    assert not events(event_type="profile.updated")
    # What clients send on every save, matching our fixed behaviour: accepted, a no-op.
    same = {
        "display_name": "changed",
        "fields_attributes[0][name]": "",
        "fields_attributes[0][value]": "",
        "fields_attributes[1][name]": " ",
        "fields_attributes[1][value]": "",
        "locked": "0",
        "bot": "0",
        "discoverable": "1",
        "indexable": "true",
        "hide_collections": "false",
        "source[privacy]": "public",
        "source[sensitive]": "0",
        "source[language]": "en",
    }
    r = client.patch(CREDENTIALS, same)
    assert r.status_code == 200, r.json()
    assert r.json()["display_name"] == "changed" and r.json()["fields"] == [] and r.json()["bot"] is False


def test_avatar_and_header_uploads_are_refused(alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alice)
    for name in ("avatar", "header"):
        image = SimpleUploadedFile(f"{name}.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, content_type="image/png")
        r = client.patch(CREDENTIALS, {"display_name": "changed", name: image}, format="multipart")
        assert r.status_code == 422, r.json()
        assert r.json()["error"] == f"Validation failed: {name.capitalize()} images are not supported by this server"
    assert not events(event_type="profile.updated") and User.objects.get(pk=alice.pk).display_name == ""


def test_update_credentials_form_privacy_is_refused(alice):
    r = client_for(alice).patch(CREDENTIALS, {"display_name": "x", "source[privacy]": "unlisted"})
    assert r.status_code == 422 and not events(event_type="profile.updated")


# ------------------------------------------------------------------ follow and unfollow


def test_follow_and_unfollow_by_id_answer_the_relationship(alice, bob):
    client = client_for(alice)
    for _ in range(2):
        r = client.post(follow_url(bob.id))
        assert r.status_code == 200, r.json()
        rel = r.json()
        assert rel["id"] == str(bob.id) and rel["following"] is True and rel["followed_by"] is False
        assert rel["requested"] is False and rel["blocking"] is False
    assert len(events(event_type="user.followed")) == 1
    assert Follow.objects.get(follower=alice, followee=bob).active
    client_for(bob).post(follow_url(alice.id), {"reblogs": "true", "notify": "false"}, format="json")
    assert client.post(follow_url(bob.id)).json()["followed_by"] is True
    for _ in range(2):
        r = client.post(follow_url(bob.id, "unfollow"))
        assert r.status_code == 200 and r.json()["following"] is False and r.json()["followed_by"] is True
    assert len(events(event_type="user.unfollowed")) == 1


def test_following_yourself_is_a_422(alice):
    r = client_for(alice).post(follow_url(alice.id))
    assert r.status_code == 422 and r.json() == {"error": "Validation failed: You cannot follow yourself"}
    assert not events(aggregate_type="follow")


def test_unknown_or_deactivated_accounts_are_404(alice, bob):
    user_deactivate(user_id=bob.id, actor=bob)
    for target in (bob.id, 999999):
        for action in ("follow", "unfollow"):
            r = client_for(alice).post(follow_url(target, action))
            assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    assert not events(aggregate_type="follow")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", CREDENTIALS),
        ("post", CREDENTIALS),
        ("put", CREDENTIALS),
        ("get", "/api/v1/accounts/1/follow"),
        ("delete", "/api/v1/accounts/1/unfollow"),
    ],
)
def test_wrong_methods_are_405(alice, method, url):
    assert getattr(client_for(alice), method)(url).status_code == 405


def test_anonymous_is_401(db):
    from rest_framework.test import APIClient

    assert APIClient().patch(CREDENTIALS, {"note": "x"}).status_code == 401
    assert APIClient().post(follow_url(1)).status_code == 401


def test_scopes(alice, bob, scoped):
    client = client_for(alice)
    scoped(client, alice, "read", "write:statuses")
    out_of_scope = {"error": "This action is outside the authorized scopes"}
    assert client.patch(CREDENTIALS, {"note": "x"}).json() == out_of_scope
    assert client.post(follow_url(bob.id)).json() == out_of_scope
    assert client.post(follow_url(bob.id, "unfollow")).status_code == 403
    assert not events(aggregate_type__in=["follow"]) and not events(event_type="profile.updated")
    scoped(client, alice, "follow")  # the legacy scope covers write:follows
    assert client.post(follow_url(bob.id)).status_code == 200
    scoped(client, alice, "write:accounts")
    assert client.patch(CREDENTIALS, {"note": "x"}).status_code == 200
    assert client.post(follow_url(bob.id, "unfollow")).status_code == 403


def test_following_a_locked_account_answers_requested(alice, bob):
    from socialapp.write.accounts.services import profile_update

    profile_update(user_id=bob.id, locked=True)
    r = client_for(alice).post(follow_url(bob.id))
    assert r.status_code == 200, r.json()
    assert r.json()["following"] is False and r.json()["requested"] is True
    assert [e.event_type for e in events(aggregate_type="follow_request")] == ["follow.requested"]
    r = client_for(alice).post(follow_url(bob.id, "unfollow"))
    assert r.status_code == 200 and r.json()["requested"] is False
    assert events(aggregate_type="follow_request")[-1].event_type == "follow.request_withdrawn"


def test_following_across_a_block_is_a_403_error(alice, bob):
    from socialapp.write.relations.services import user_block

    user_block(actor=bob, target_id=alice.id)
    r = client_for(alice).post(follow_url(bob.id))
    assert r.status_code == 403 and "error" in r.json()
    assert not events(aggregate_type="follow")
