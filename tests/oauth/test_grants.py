"""The token endpoint's three grants, as Mastodon clients use them (docs/oauth.md): the tokens
are ordinary sessions (hashed, mirrored to the cache) with the granted scope, or app tokens
that can act as nobody."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from socialapp.common.sessions import hash_token, session_key
from socialapp.write.accounts.models import AuthToken, User
from socialapp.write.oauth.models import Application, AppToken, AuthorizationCode
from tests.command_support import PASSWORD
from tests.oauth.support import (
    COMMAND_ROUTE,
    OOB,
    QUERY_ROUTE,
    REDIRECT,
    approve,
    bearer,
    code_from,
    password_token,
    pkce_pair,
    register_app,
    token_request,
)
from tests.support import clear_throttles

pytestmark = [pytest.mark.django_db(databases=["default", "read"]), pytest.mark.usefixtures("alice", "bob")]


def exchange(app: dict, code: str, redirect_uri: str = OOB, **extra: str):
    return token_request(
        grant_type="authorization_code",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        code=code,
        redirect_uri=redirect_uri,
        **extra,
    )


# --------------------------------------------------------------------------- apps
def test_registering_an_app_answers_mastodons_entity_and_keeps_only_the_secrets_hash():
    app = register_app(scopes="read write", redirect_uris=[OOB, REDIRECT], website="https://client.example")
    assert app["name"] == "test client" and app["website"] == "https://client.example"
    assert app["redirect_uris"] == [OOB, REDIRECT] and app["redirect_uri"] == f"{OOB}\n{REDIRECT}"
    assert app["scopes"] == ["read", "write"] and app["vapid_key"] is None
    assert app["client_id"] and app["client_secret"] and app["id"].isdigit()
    row = Application.objects.get(pk=app["id"])
    assert row.client_secret_hash == hash_token(app["client_secret"])
    assert app["client_secret"] not in repr(row.__dict__)


def test_registering_takes_json_and_defaults_to_read():
    from rest_framework.test import APIClient

    r = APIClient().post("/api/v1/apps/", {"client_name": "toot", "redirect_uris": OOB}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["scopes"] == ["read"]


@pytest.mark.parametrize(
    "body",
    [
        {"redirect_uris": OOB},
        {"client_name": "x"},
        {"client_name": "x", "redirect_uris": "not a uri"},
        {"client_name": "x", "redirect_uris": OOB, "scopes": "read admin:everything"},
    ],
)
def test_bad_registrations_are_422_in_mastodons_shape(body):
    from rest_framework.test import APIClient

    r = APIClient().post("/api/v1/apps", body, format="json")
    assert r.status_code == 422 and r.json()["error"].startswith("Validation failed"), r.content


def test_verify_credentials_with_an_app_token_and_a_user_token():
    app = register_app(scopes="read write")
    app_token = token_request(
        grant_type="client_credentials", client_id=app["client_id"], client_secret=app["client_secret"], scope="read"
    ).json()["access_token"]
    user_token = password_token(app, scope="read write")["access_token"]
    for token, scopes in ((app_token, ["read"]), (user_token, ["read", "write"])):
        r = bearer(token).get("/api/v1/apps/verify_credentials")
        assert r.status_code == 200, r.content
        assert r.json()["name"] == "test client" and r.json()["scopes"] == scopes
        assert "client_secret" not in r.json()
    assert bearer("nope").get("/api/v1/apps/verify_credentials").status_code == 401


# --------------------------------------------------------------------------- password grant
def test_password_grant_gives_a_session_with_the_asked_scope_on_both_sides():
    app = register_app()
    body = password_token(app, scope="read write follow push")
    assert body["token_type"] == "Bearer" and body["scope"] == "read write follow push"
    assert isinstance(body["created_at"], int)
    token = AuthToken.objects.get(key_hash=hash_token(body["access_token"]))
    assert token.user.username == "alice" and token.application_id == int(app["id"])
    assert token.scopes == ("read", "write", "follow", "push")
    assert cache.get(session_key(token.key_hash))["scopes"] == "read write follow push"
    client = bearer(body["access_token"])
    assert client.get(QUERY_ROUTE).status_code == 200
    assert client.post(COMMAND_ROUTE, {"body": "from an app"}, format="json").status_code == 201


def test_password_grant_takes_an_email_and_ignores_unknown_fields():
    User.objects.filter(username="alice").update(email="Alice@Example.org")
    app = register_app()
    r = token_request(
        grant_type="password",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        username="alice@example.org",
        password=PASSWORD,
        scope="read",
        something_mastodon_py_sends="x",
    )
    assert r.status_code == 200, r.content
    assert AuthToken.objects.get(key_hash=hash_token(r.json()["access_token"])).user.username == "alice"


def test_password_grant_refuses_wrong_credentials_as_invalid_grant():
    app = register_app()
    r = token_request(
        grant_type="password",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        username="alice",
        password="wrong",
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant" and r.json()["error_description"]


def test_a_wrong_client_secret_is_invalid_client_401():
    app = register_app()
    for grant in ("password", "client_credentials", "authorization_code"):
        r = token_request(
            grant_type=grant, client_id=app["client_id"], client_secret="wrong", username="alice", password=PASSWORD
        )
        assert r.status_code == 401 and r.json()["error"] == "invalid_client", (grant, r.content)
    assert AuthToken.objects.count() == 0


def test_scope_is_narrowed_to_the_apps_and_more_is_invalid_scope():
    app = register_app(scopes="read write:statuses")
    assert password_token(app, scope="read:statuses")["scope"] == "read:statuses"
    for asked in ("read write", "follow", "push", "admin:read"):
        r = token_request(
            grant_type="password",
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            username="alice",
            password=PASSWORD,
            scope=asked,
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_scope", (asked, r.content)


def test_unknown_grant_type_and_malformed_bodies_are_oauth_errors():
    assert token_request(grant_type="implicit").json()["error"] == "unsupported_grant_type"
    from rest_framework.test import APIClient

    r = APIClient().post("/oauth/token", "{not json", content_type="application/json")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_the_password_grant_goes_through_the_login_throttles(monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "login_username": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    clear_throttles()
    app = register_app()
    try:
        statuses = []
        for _ in range(3):
            r = token_request(
                grant_type="password",
                client_id=app["client_id"],
                client_secret=app["client_secret"],
                username="bob",
                password="wrong",
            )
            statuses.append(r.status_code)
        assert statuses == [400, 400, 429] and r.json()["error"] == "slow_down"
        assert int(r["Retry-After"]) > 0
    finally:
        clear_throttles()


# --------------------------------------------------------------------------- client credentials
def test_client_credentials_token_belongs_to_the_app_and_acts_as_nobody():
    app = register_app(scopes="read write")
    r = token_request(
        grant_type="client_credentials", client_id=app["client_id"], client_secret=app["client_secret"], scope="read"
    )
    assert r.status_code == 200 and r.json()["scope"] == "read"
    token = r.json()["access_token"]
    assert AppToken.objects.filter(key_hash=hash_token(token)).exists()
    assert not AuthToken.objects.filter(key_hash=hash_token(token)).exists()
    assert bearer(token).get(QUERY_ROUTE).status_code == 401
    assert bearer(token).post(COMMAND_ROUTE, {"body": "x"}, format="json").status_code == 401


# --------------------------------------------------------------------------- authorization code
def test_oob_code_is_shown_and_exchanged_once():
    app = register_app()
    code = code_from(approve(app, scope="read write"))
    r = exchange(app, code)
    assert r.status_code == 200 and r.json()["scope"] == "read write", r.content
    assert bearer(r.json()["access_token"]).get(QUERY_ROUTE).status_code == 200
    again = exchange(app, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert AuthorizationCode.objects.count() == 0


def test_redirect_carries_the_code_and_state():
    app = register_app(redirect_uris=REDIRECT)
    response = approve(app, redirect_uri=REDIRECT, state="xyz")
    assert response.status_code == 302 and response["Location"].startswith(REDIRECT + "?")
    assert "state=xyz" in response["Location"]
    assert exchange(app, code_from(response), redirect_uri=REDIRECT).status_code == 200


def test_mastodon_pys_literal_none_state_and_force_login_are_tolerated():
    app = register_app(redirect_uris=REDIRECT)
    response = approve(app, redirect_uri=REDIRECT, state="None", force_login="False")
    assert response.status_code == 302 and "state=" not in response["Location"]


def test_an_expired_code_is_refused():
    app = register_app()
    code = code_from(approve(app))
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    r = exchange(app, code)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_a_different_redirect_uri_at_exchange_is_refused():
    app = register_app(redirect_uris=[OOB, REDIRECT])
    code = code_from(approve(app, redirect_uri=REDIRECT))
    r = exchange(app, code, redirect_uri=OOB)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_another_apps_code_is_refused():
    app, other = register_app(), register_app()
    code = code_from(approve(app))
    assert exchange(other, code).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce_good_verifier_passes_and_a_bad_or_missing_one_fails(method):
    app = register_app()
    verifier, challenge = pkce_pair(method)
    good = code_from(approve(app, code_challenge=challenge, code_challenge_method=method))
    assert exchange(app, good, code_verifier=verifier).status_code == 200
    bad = code_from(approve(app, code_challenge=challenge, code_challenge_method=method))
    r = exchange(app, bad, code_verifier=pkce_pair(method)[0])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    missing = code_from(approve(app, code_challenge=challenge, code_challenge_method=method))
    assert exchange(app, missing).json()["error"] == "invalid_grant"


def test_json_token_requests_work_too():
    from rest_framework.test import APIClient

    app = register_app()
    code = code_from(approve(app))
    body = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code": code,
        "redirect_uri": OOB,
    }
    r = APIClient().post("/oauth/token/", body, format="json")
    assert r.status_code == 200, r.content
