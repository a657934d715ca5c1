"""API sessions: hashed tokens, one per login, with a sliding lifetime; logout, the session list,
revoking one session and changing the password (which ends every other session)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from socialapp.events.models import Event
from socialapp.write.accounts.models import AuthToken
from tests.command_support import PASSWORD

pytestmark = pytest.mark.django_db


def login(username: str = "alice", password: str = PASSWORD, **extra) -> APIClient:
    r = APIClient().post(
        "/api/socialapp/v1/auth/token", {"username": username, "password": password, **extra}, format="json"
    )
    assert r.status_code == 200, r.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['token']}")
    client.secret = r.json()["token"]
    return client


def me_ok(client: APIClient) -> bool:
    r = client.get("/api/socialapp/v1/auth/sessions")
    assert r.status_code in (200, 401), r.content
    return r.status_code == 200


def test_each_login_is_a_new_session_stored_only_as_a_hash(alice):
    first, second = login(label="laptop"), login("ALICE")
    assert first.secret != second.secret and len(first.secret) >= 43  # 32 random bytes, URL-safe
    rows = list(AuthToken.objects.filter(user=alice))
    assert len(rows) == 2
    assert {r.key_hash for r in rows} == {hashlib.sha256(c.secret.encode()).hexdigest() for c in (first, second)}
    with connection.cursor() as cursor:  # the secret itself is nowhere in the table
        cursor.execute("SELECT * FROM accounts_auth_token")
        assert first.secret not in repr(cursor.fetchall())
    sessions = first.get("/api/socialapp/v1/auth/sessions").json()["results"]
    assert [s["current"] for s in sessions] == [False, True]  # newest first; this one is the older
    assert sessions[1]["label"] == "laptop" and "token" not in sessions[1] and "key_hash" not in sessions[1]


def test_logout_revokes_only_the_presented_token(alice):
    first, second = login(), login()
    before = Event.objects.count()
    assert first.post("/api/socialapp/v1/auth/logout").status_code == 204
    assert not me_ok(first) and me_ok(second)
    assert first.post("/api/socialapp/v1/auth/logout").status_code == 401
    assert Event.objects.count() == before  # credentials change without events


def test_a_session_can_be_ended_from_another_but_only_by_its_owner(alice, bob):
    mine, other = login(), login()
    bobs = login("bob")
    target = next(s for s in mine.get("/api/socialapp/v1/auth/sessions").json()["results"] if not s["current"])
    assert bobs.delete(f"/api/socialapp/v1/auth/sessions/{target['id']}").status_code == 404
    assert me_ok(other)
    assert mine.delete(f"/api/socialapp/v1/auth/sessions/{target['id']}").status_code == 204
    assert not me_ok(other) and me_ok(mine)
    assert mine.delete(f"/api/socialapp/v1/auth/sessions/{target['id']}").status_code == 404
    assert mine.delete("/api/socialapp/v1/auth/sessions/99999999999999999999999").status_code == 404


def test_password_change_checks_the_old_one_and_ends_every_other_session(alice):
    current, other = login(), login()
    new = "another horse battery staple"
    r = current.post("/api/socialapp/v1/me/password", {"old_password": "wrong", "new_password": new}, format="json")
    assert r.status_code == 401 and me_ok(other)
    r = current.post("/api/socialapp/v1/me/password", {"old_password": PASSWORD, "new_password": "123"}, format="json")
    assert r.status_code == 400 and "new_password" in r.json()["errors"] and me_ok(other)
    before = Event.objects.count()
    r = current.post("/api/socialapp/v1/me/password", {"old_password": PASSWORD, "new_password": new}, format="json")
    assert r.status_code == 204
    assert me_ok(current) and not me_ok(other)
    assert Event.objects.count() == before
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json")
    assert r.status_code == 401
    login(password=new)


@override_settings(AUTH_TOKEN_TTL_SECONDS=3600, AUTH_TOKEN_TOUCH_SECONDS=60)
def test_tokens_expire_and_use_slides_the_expiry_at_most_once_a_minute(alice):
    client = login()
    token = AuthToken.objects.get(user=alice)
    # Used within the minute: no write at all.
    with CaptureQueriesContext(connection) as queries:
        assert me_ok(client)
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().startswith("UPDATE")]
    # Last used long ago, about to expire: one use moves the expiry a full lifetime ahead.
    past = timezone.now() - timedelta(minutes=50)
    AuthToken.objects.filter(pk=token.pk).update(last_used_at=past, expires_at=past + timedelta(hours=1))
    assert me_ok(client)
    token.refresh_from_db()
    assert token.expires_at > timezone.now() + timedelta(minutes=59) and token.last_used_at > past
    # Not used for a whole lifetime: refused.
    AuthToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not me_ok(client)


@override_settings(AUTH_MAX_SESSIONS=3)
def test_sessions_per_user_are_capped_oldest_dropped(alice):
    clients = [login() for _ in range(5)]
    assert AuthToken.objects.filter(user=alice).count() == 3
    assert [me_ok(c) for c in clients] == [False, False, True, True, True]


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer " + "x" * 500, "Bearer \u00e9t\u00e9"])
def test_malformed_bearer_headers_are_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    r = client.get("/api/socialapp/v1/auth/sessions")
    assert r.status_code == 401 and r["WWW-Authenticate"] == "Bearer"


def test_no_token_admin_and_no_authtoken_app():
    from django.apps import apps
    from django.contrib import admin

    assert not apps.is_installed("rest_framework.authtoken")
    assert not [m for m in admin.site._registry if m._meta.app_label == "authtoken" or m is AuthToken]
