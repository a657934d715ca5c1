"""Scopes on tokens, enforced on our own API (safe methods need `read`, the rest `write`; follow
routes `write:follows`) and seen by the Mastodon face's per-route check on both sides; and
revocation (RFC 7009), which ends a session at once on the command and the query side."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from socialapp.common.sessions import hash_token, session_key
from socialapp.write.accounts.models import AuthToken
from socialapp.write.oauth.models import AppToken
from tests.command_support import PASSWORD
from tests.oauth.support import COMMAND_ROUTE, QUERY_ROUTE, bearer, password_token, register_app, token_request

pytestmark = [pytest.mark.django_db(databases=["default", "read"]), pytest.mark.usefixtures("alice", "bob")]


def revoke(app: dict, token: str, secret: str | None = None):
    return APIClient().post(
        "/oauth/revoke",
        {"client_id": app["client_id"], "client_secret": secret or app["client_secret"], "token": token},
    )


# --------------------------------------------------------------------------- our own API
def test_a_read_only_token_reads_but_may_not_write_on_our_api():
    app = register_app()
    client = bearer(password_token(app, scope="read")["access_token"])
    assert client.get(QUERY_ROUTE).status_code == 200
    assert client.get("/api/socialapp/v1/auth/sessions").status_code == 200  # a command-side GET
    r = client.post(COMMAND_ROUTE, {"body": "nope"}, format="json")
    assert r.status_code == 403, r.content
    assert r["Content-Type"].startswith("application/problem+json") and r.json()["status"] == 403


def test_a_write_only_token_may_not_read_on_our_api():
    app = register_app()
    client = bearer(password_token(app, scope="write")["access_token"])
    assert client.get(QUERY_ROUTE).status_code == 403
    assert client.post(COMMAND_ROUTE, {"body": "yes"}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("scope", "allowed"), [("follow", True), ("write:follows", True), ("read write:statuses", False)]
)
def test_follow_routes_take_the_follow_scopes(scope, allowed):
    app = register_app()
    client = bearer(password_token(app, scope=scope)["access_token"])
    status = client.put("/api/socialapp/v1/users/bob/follow").status_code
    assert (status != 403) is allowed, status


def test_our_own_login_still_grants_everything():
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json")
    token = AuthToken.objects.get(key_hash=hash_token(r.json()["token"]))
    assert token.scope == "read write follow push" and token.application is None
    assert cache.get(session_key(token.key_hash))["scopes"] == "read write follow push"


def test_a_record_without_scopes_means_full_scope():
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json")
    key = session_key(hash_token(r.json()["token"]))
    record = cache.get(key)
    del record["scopes"]
    cache.set(key, record, 600)  # as written before scopes existed
    client = bearer(r.json()["token"])
    assert client.get(QUERY_ROUTE).status_code == 200


# --------------------------------------------------------------------------- the Mastodon face
@pytest.mark.urls("tests.oauth.mastodon_probe_urls")
def test_mastodon_route_scopes_see_the_tokens_scopes_on_both_sides():
    app = register_app()
    reader = bearer(password_token(app, scope="read")["access_token"])
    writer = bearer(password_token(app, scope="write:statuses")["access_token"])
    r = reader.post("/probe/write")
    assert r.status_code == 403 and r.json() == {"error": "This action is outside the authorized scopes"}
    assert reader.get("/probe/read").status_code == 200
    assert writer.post("/probe/write").status_code == 200
    assert writer.get("/probe/read").status_code == 403


# --------------------------------------------------------------------------- revocation
def test_revoking_ends_the_session_on_the_command_and_the_query_side():
    app = register_app()
    token = password_token(app)["access_token"]
    other = password_token(app)["access_token"]
    client = bearer(token)
    assert client.get(QUERY_ROUTE).status_code == 200
    r = revoke(app, token)
    assert r.status_code == 200 and r.json() == {}
    assert cache.get(session_key(hash_token(token))) is None
    assert client.get(QUERY_ROUTE).status_code == 401
    assert client.post(COMMAND_ROUTE, {"body": "x"}, format="json").status_code == 401
    assert bearer(other).get(QUERY_ROUTE).status_code == 200


def test_revoking_an_unknown_or_another_apps_token_is_200_and_changes_nothing():
    app, other = register_app(), register_app()
    token = password_token(app)["access_token"]
    assert revoke(app, "never-issued").status_code == 200
    assert revoke(other, token).status_code == 200
    assert bearer(token).get(QUERY_ROUTE).status_code == 200


def test_revoking_needs_the_clients_credentials():
    app = register_app()
    token = password_token(app)["access_token"]
    r = revoke(app, token, secret="wrong")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert bearer(token).get(QUERY_ROUTE).status_code == 200


def test_revoking_an_app_token():
    app = register_app()
    token = token_request(
        grant_type="client_credentials", client_id=app["client_id"], client_secret=app["client_secret"]
    ).json()["access_token"]
    assert revoke(app, token).status_code == 200
    assert not AppToken.objects.exists()
    assert bearer(token).get("/api/v1/apps/verify_credentials").status_code == 401


def test_deleting_an_app_ends_its_sessions():
    from socialapp.write.oauth.services import app_delete

    app = register_app()
    token = password_token(app)["access_token"]
    app_delete(app_id=int(app["id"]))
    assert bearer(token).get(QUERY_ROUTE).status_code == 401
    assert not AuthToken.objects.filter(key_hash=hash_token(token)).exists()


def test_the_session_list_shows_an_apps_sessions_with_their_scope():
    app = register_app()
    password_token(app, scope="read")
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json")
    rows = bearer(r.json()["token"]).get("/api/socialapp/v1/auth/sessions").json()["results"]
    assert [(row["label"], row["scope"], row["current"]) for row in rows] == [
        ("", "read write follow push", True),
        ("test client", "read", False),
    ]
