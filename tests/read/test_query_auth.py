"""Query requests authenticate from the session records in the shared cache, never from `default`:
sessions ended by commands end at once on the query side, expiry holds, the sliding renewal seen
by queries reaches the table through the periodic task, and a cache outage answers 503 on
queries while commands carry on."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from socialapp.common.sessions import hash_token, last_use_key, session_key
from socialapp.write.accounts import services
from socialapp.write.accounts.models import AuthToken, User
from socialapp.write.accounts.tasks import sync_sessions  # called in-process: the task body, no broker
from tests.command_support import PASSWORD, alice, bob, moderator  # noqa: F401 - fixtures
from tests.support import wait_for

pytestmark = [
    pytest.mark.django_db(databases=["default", "read"]),
    pytest.mark.usefixtures("clean_read_models", "alice", "bob", "moderator"),
]

QUERY = "/api/socialapp/v1/notifications"  # needs a caller, answers from an empty read model too
UNREACHABLE_CACHE = {
    "default": {
        **settings.CACHES["default"],
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: connection refused
    }
}


def login(username: str = "alice", password: str = PASSWORD) -> APIClient:
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": username, "password": password}, format="json")
    assert r.status_code == 200, r.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['token']}")
    client.secret = r.json()["token"]
    return client


def query_status(client: APIClient) -> int:
    """The status of a query, checking on the way that it made no SQL on `default`."""
    with CaptureQueriesContext(connections["default"]) as default:
        r = client.get(QUERY)
    assert default.captured_queries == [], default.captured_queries
    return r.status_code


def test_a_logged_in_users_queries_need_no_write_database():
    client = login()
    assert query_status(client) == 200
    assert query_status(APIClient()) == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert query_status(bad) == 401


def test_the_record_holds_no_secret_and_only_the_tokens_hash_finds_it():
    client = login()
    record = cache.get(session_key(hash_token(client.secret)))
    assert record["user_id"] == User.objects.get(username="alice").pk and record["username"] == "alice"
    assert client.secret not in repr(record)


def test_logout_ends_the_session_at_once_on_the_query_side():
    first, second = login(), login()
    assert query_status(first) == 200
    assert first.post("/api/socialapp/v1/auth/logout").status_code == 204
    assert query_status(first) == 401 and query_status(second) == 200
    assert cache.get(session_key(hash_token(first.secret))) is None


def test_revoking_another_session_ends_it_at_once():
    mine, other = login(), login()
    assert query_status(other) == 200
    target = next(s for s in mine.get("/api/socialapp/v1/auth/sessions").json()["results"] if not s["current"])
    assert mine.delete(f"/api/socialapp/v1/auth/sessions/{target['id']}").status_code == 204
    assert query_status(other) == 401 and query_status(mine) == 200


def test_password_change_ends_the_other_sessions_at_once():
    current, other = login(), login()
    assert query_status(other) == 200
    r = current.post(
        "/api/socialapp/v1/me/password",
        {"old_password": PASSWORD, "new_password": "a new long passphrase"},
        format="json",
    )
    assert r.status_code == 204
    assert query_status(other) == 401 and query_status(current) == 200


def test_suspension_and_deactivation_end_every_session_at_once():
    alices, bobs = login(), login("bob")
    assert query_status(alices) == 200 and query_status(bobs) == 200
    services.user_suspend(user_id=User.objects.get(username="alice").pk, actor=User.objects.get(username="mod"))
    assert query_status(alices) == 401
    assert bobs.post("/api/socialapp/v1/me/deactivate").status_code in (200, 204)
    assert query_status(bobs) == 401


def test_capped_sessions_end_on_the_query_side_too():
    with override_settings(AUTH_MAX_SESSIONS=2):
        clients = [login() for _ in range(3)]
    assert [query_status(c) for c in clients] == [401, 200, 200]


@override_settings(AUTH_TOKEN_TTL_SECONDS=2, AUTH_TOKEN_TOUCH_SECONDS=3600)
def test_an_expired_session_is_refused():
    client = login()
    assert query_status(client) == 200
    wait_for(lambda: query_status(client) == 401, timeout=10, interval=0.2, what="the session to expire")


@override_settings(AUTH_TOKEN_TOUCH_SECONDS=0)
def test_queries_slide_the_expiry_and_the_periodic_task_writes_it_to_the_table():
    client = login()
    token = AuthToken.objects.get(user__username="alice")
    past = timezone.now() - timedelta(days=10)
    AuthToken.objects.filter(pk=token.pk).update(last_used_at=past, expires_at=past + timedelta(days=30))
    before = time.time()
    assert query_status(client) == 200  # a renewal: recorded in the cache only
    used = cache.get(last_use_key(token.key_hash))
    assert used is not None and used >= before
    token.refresh_from_db()
    assert token.last_used_at == past  # the query wrote nothing to `default`
    result = sync_sessions()
    assert result["renewed"] == 1
    token.refresh_from_db()
    assert abs(token.last_used_at.timestamp() - used) < 0.001
    assert token.expires_at == token.last_used_at + timedelta(seconds=settings.AUTH_TOKEN_TTL_SECONDS)
    assert sync_sessions()["renewed"] == 0  # idempotent
    assert client.get("/api/socialapp/v1/auth/sessions").status_code == 200  # and the command side agrees


def test_the_periodic_task_republishes_a_lost_record():
    client = login()
    key = session_key(hash_token(client.secret))
    cache.delete(key)  # a restarted or evicting cache
    assert query_status(client) == 401
    assert sync_sessions()["published"] == 1
    assert query_status(client) == 200
    assert sync_sessions()["published"] == 0


def test_a_renewal_racing_a_revocation_does_not_bring_the_session_back():
    client = login()
    stale = AuthToken.objects.select_related("user").get(user__username="alice")  # read before the logout
    assert client.post("/api/socialapp/v1/auth/logout").status_code == 204
    services._publish_session(stale, stale.user)  # the racing writer comes second
    assert cache.get(session_key(stale.key_hash)) is None
    assert query_status(client) == 401


def test_cache_down_queries_answer_503_and_commands_carry_on():
    client = login()
    with override_settings(CACHES=UNREACHABLE_CACHE):
        r = client.get(QUERY)
        assert r.status_code == 503 and r["Content-Type"] == "application/problem+json"
        assert r.json()["type"] == "/problems/service-unavailable"
        assert APIClient().get("/api/socialapp/v1/users/alice").status_code in (
            200,
            404,
        )  # anonymous: no session to check
        assert client.post("/api/socialapp/v1/posts", {"body": "still writing"}, format="json").status_code == 201
        again = login()  # a login works; its record waits for the periodic task
        assert again.get("/api/socialapp/v1/auth/sessions").status_code == 200
    assert query_status(client) == 200
    assert query_status(again) == 401
    sync_sessions()
    assert query_status(again) == 200


# --------------------------------------------------------------------------- held in the process
# Our API's query views reuse a session record for QUERY_AUTH_CACHE_SECONDS (the test settings
# turn it off; production's default is 1 s): revocation within that bound, never longer.


@override_settings(QUERY_AUTH_CACHE_SECONDS=1.0)
def test_a_held_session_needs_no_cache_read_and_no_write_database():
    client = login()
    assert query_status(client) == 200  # read from the cache, then held
    backend = cache._cache
    calls = []
    original = backend.get_many
    backend.get_many = lambda *a, **k: calls.append(a) or original(*a, **k)
    try:
        assert query_status(client) == 200
    finally:
        backend.get_many = original
    assert calls == []  # answered from the process's copy
    assert query_status(APIClient()) == 401  # anonymous: still refused where a caller is needed


@override_settings(QUERY_AUTH_CACHE_SECONDS=1.0)
def test_revocation_reaches_held_sessions_within_the_bound():
    first, second = login(), login()
    assert query_status(first) == 200 and query_status(second) == 200
    ended = time.monotonic()
    assert first.post("/api/socialapp/v1/auth/logout").status_code == 204
    wait_for(lambda: query_status(first) == 401, timeout=3, interval=0.05, what="the held session to end")
    assert time.monotonic() - ended <= 1.0 + 0.5  # the bound, plus a test machine's scheduling
    assert query_status(second) == 200


@override_settings(QUERY_AUTH_CACHE_SECONDS=1.0)
def test_a_refused_token_is_not_held():
    client = login()
    key = session_key(hash_token(client.secret))
    record = cache.get(key)
    cache.delete(key)
    assert query_status(client) == 401
    cache.set(key, record, 60)  # published again (the periodic task): accepted at once
    assert query_status(client) == 200


@override_settings(QUERY_AUTH_CACHE_SECONDS=60.0, AUTH_TOKEN_TTL_SECONDS=2, AUTH_TOKEN_TOUCH_SECONDS=3600)
def test_a_held_session_still_expires():
    client = login()
    assert query_status(client) == 200
    wait_for(lambda: query_status(client) == 401, timeout=10, interval=0.2, what="the held session to expire")
