"""Registration through an app (`POST /api/v1/accounts`), as Mastodon.py's `create_account` and
toot's `register` do it: an app token from the client_credentials grant, the new user's token
back, Mastodon's 422 `details` on refusals, and nothing written when refused."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from socialapp.common.sessions import hash_token, recent_writes_key
from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.log import log_events
from socialapp.events.models import Event
from socialapp.write.accounts.models import AuthToken, User
from socialapp.write.accounts.services import token_issue
from tests.command_support import PASSWORD, events, make_user
from tests.oauth.support import bearer, register_app, token_request
from tests.read.conftest import apply_all
from tests.support import clear_throttles

REGISTER = "/api/v1/accounts"
GOOD = {
    "username": "newbie",
    "email": "newbie@example.org",
    "password": PASSWORD,
    "agreement": "1",
    "locale": "en",
    "reason": "hello",
}


def app_token(scopes: str = "read write follow push", scope: str | None = None) -> tuple[dict, dict]:
    """A registered app and its own token from the client_credentials grant (as Mastodon.py)."""
    app = register_app(scopes=scopes)
    r = token_request(
        grant_type="client_credentials",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        scope=scope or scopes,
    )
    assert r.status_code == 200, r.content
    return app, r.json()


def register(data: dict, token: str | None = None, **kwargs):
    if token is None:
        token = app_token()[1]["access_token"]
    return bearer(token).post(REGISTER, data, **kwargs)


def nothing_written() -> None:
    assert not User.objects.filter(username__iexact="newbie").exists()
    assert not events(event_type="user.registered", payload__username="newbie")


# ------------------------------------------------------------------ the happy path


@pytest.mark.django_db(databases=["default", "read"], transaction=True)
def test_register_then_use_the_token_on_queries_and_commands(settings):
    settings.CONSISTENCY_WAIT_SECONDS = 0.3
    app, app_grant = app_token()
    r = register(GOOD, app_grant["access_token"])
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"access_token", "token_type", "scope", "created_at"}  # POST /oauth/token's shape
    assert body["token_type"] == "Bearer" and body["scope"] == "read write follow push"
    assert isinstance(body["created_at"], int) and r["Cache-Control"] == "no-store"

    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.org" and user.check_password(PASSWORD)
    [event] = events(event_type="user.registered")
    assert event.payload["username"] == "newbie" and "email" not in event.payload
    session = AuthToken.objects.get(key_hash=hash_token(body["access_token"]))
    assert session.user == user and session.application.client_id == app["client_id"]
    # The new session (not the app's token) waits for its own registration on queries.
    assert (event.position, "user.registered") in map(tuple, cache.get(recent_writes_key(session.key_hash)))

    client = bearer(body["access_token"])
    pending = client.get("/api/v1/accounts/verify_credentials")
    assert pending["X-Consistency-Satisfied"] == "false"
    apply_all([m for batch in log_events(tuple(ALL_EVENT_TYPES)) for m in batch])
    me = client.get("/api/v1/accounts/verify_credentials")
    assert me.status_code == 200 and me.json()["username"] == "newbie", me.content
    posted = client.post("/api/v1/statuses", {"status": "my first post"}, format="json")
    assert posted.status_code == 200, posted.content


@pytest.mark.django_db
def test_json_body_and_write_accounts_scope_suffice():
    _, grant = app_token(scopes="read write:accounts")
    r = register({**GOOD, "agreement": True}, grant["access_token"], format="json")
    assert r.status_code == 200, r.content
    assert r.json()["scope"] == "read write:accounts"  # the app's scopes, as Mastodon's AppSignUpService


@pytest.mark.django_db
def test_email_confirmation_resend_is_a_no_op(alice):
    r = bearer(token_issue(user=alice)).post("/api/v1/emails/confirmations")
    assert r.status_code == 200 and r.json() == {}


# ------------------------------------------------------------------ refusals, in Mastodon's shape


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"username": ""}, "username", "ERR_BLANK"),
        ({"username": "no spaces"}, "username", "ERR_INVALID"),
        ({"username": "x" * 31}, "username", "ERR_TOO_LONG"),
        ({"username": "ab"}, "username", "ERR_TOO_SHORT"),
        ({"email": ""}, "email", "ERR_BLANK"),
        ({"email": "not-an-address"}, "email", "ERR_INVALID"),
        ({"email": "a\x00@example.org"}, "email", "ERR_INVALID"),
        ({"password": ""}, "password", "ERR_BLANK"),
        ({"password": "short"}, "password", "ERR_TOO_SHORT"),
        ({"password": "12345678901"}, "password", "ERR_INVALID"),  # too common, entirely numeric
        ({"password": "newbie@example.org"}, "password", "ERR_INVALID"),  # too similar
        ({"password": "x" * 73}, "password", "ERR_TOO_LONG"),
        ({"agreement": "0"}, "agreement", "ERR_ACCEPTED"),
        ({"agreement": "perhaps"}, "agreement", "ERR_ACCEPTED"),
        ({"locale": "not a locale!"}, "locale", "ERR_INCLUSION"),
    ],
)
def test_each_invalid_field_has_its_details_code(change, field, code):
    r = register({**GOOD, **change})
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["error"].startswith("Validation failed: " + field.capitalize())
    assert {e["error"] for e in body["details"][field]} == {code}, body
    assert set(body["details"]) == {field}
    nothing_written()


@pytest.mark.django_db
def test_every_refusal_at_once_without_agreement():
    data = {k: v for k, v in GOOD.items() if k not in ("password", "agreement")}  # Mastodon.py drops a false agreement
    body = register({**data, "username": "bad name"}).json()
    assert body["details"] == {
        "username": [{"error": "ERR_INVALID", "description": "must contain only letters, numbers and underscores"}],
        "password": [{"error": "ERR_BLANK", "description": "can't be blank"}],
        "agreement": [{"error": "ERR_ACCEPTED", "description": "must be accepted"}],
    }
    assert body["error"] == (
        "Validation failed: Username must contain only letters, numbers and underscores, "
        "Password can't be blank, Agreement must be accepted"
    )
    nothing_written()


@pytest.mark.django_db
def test_taken_username_and_email_are_err_taken():
    make_user("NewBie")
    User.objects.filter(username="NewBie").update(email="NEWBIE@example.org")
    before = Event.objects.count()
    r = register(GOOD)
    assert r.status_code == 422
    details = r.json()["details"]
    assert details["username"] == [{"error": "ERR_TAKEN", "description": "has already been taken"}]
    assert details["email"] == [{"error": "ERR_TAKEN", "description": "has already been taken"}]
    assert Event.objects.count() == before and User.objects.count() == 1


@pytest.mark.django_db
def test_a_taken_email_alone_is_refused():
    make_user("someone").__class__.objects.filter(username="someone").update(email="newbie@example.org")
    r = register(GOOD)
    assert r.status_code == 422 and set(r.json()["details"]) == {"email"}
    nothing_written()


# ------------------------------------------------------------------ who may register


@pytest.mark.django_db
def test_no_token_is_a_401_and_a_user_token_a_403(alice):
    r = APIClient().post(REGISTER, GOOD)
    assert r.status_code == 401 and r.json() == {"error": "The access token is invalid"}
    r = register(GOOD, "not-a-token")
    assert r.status_code == 401 and r.json() == {"error": "The access token is invalid"}
    r = register(GOOD, token_issue(user=alice))  # a user's session cannot register accounts
    assert r.status_code == 403 and r.json() == {"error": "This method requires an app token"}
    nothing_written()


@pytest.mark.django_db
def test_an_app_token_acts_as_nobody_elsewhere():
    _, grant = app_token()
    client = bearer(grant["access_token"])
    assert client.post("/api/v1/statuses", {"status": "x"}).status_code == 401
    assert client.patch("/api/v1/accounts/update_credentials", {"note": "x"}).status_code == 401
    assert client.post("/api/v1/emails/confirmations").status_code == 401
    assert not events(event_type="post.created")


@pytest.mark.django_db
def test_an_app_token_without_write_accounts_is_out_of_scope():
    _, grant = app_token(scopes="read write:statuses")
    r = register(GOOD, grant["access_token"])
    assert r.status_code == 403 and r.json() == {"error": "This action is outside the authorized scopes"}
    nothing_written()


@pytest.mark.django_db
def test_closed_registrations_are_a_403(settings):
    settings.MASTODON_REGISTRATIONS_OPEN = False
    r = register(GOOD)
    assert r.status_code == 403 and r.json() == {"error": "This action is not allowed"}
    nothing_written()


@pytest.mark.django_db
def test_registrations_are_throttled_per_address(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "1000/min", "register": "2/min", "register_username": "1000/min"},
    )
    clear_throttles()
    try:
        _, grant = app_token()
        token = grant["access_token"]
        assert register({**GOOD, "username": "first", "email": "first@example.org"}, token).status_code == 200
        assert register({**GOOD, "username": "bad name"}, token).status_code == 422  # refusals count too
        r = register(GOOD, token)
        assert r.status_code == 429 and r.json() == {"error": "Too many requests"} and r["Retry-After"]
        nothing_written()
    finally:
        clear_throttles()


@pytest.mark.django_db
def test_registrations_are_throttled_per_username(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "1000/min", "register": "1000/min", "register_username": "1/min"},
    )
    clear_throttles()
    try:
        _, grant = app_token()
        assert register({**GOOD, "password": ""}, grant["access_token"]).status_code == 422
        assert register({**GOOD, "username": "NEWBIE"}, grant["access_token"]).status_code == 429
        nothing_written()
    finally:
        clear_throttles()


# ------------------------------------------------------------------ the real client


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_mastodon_py_create_account_live(live_stack):
    """Mastodon.py 2.3.3 end to end: its client_credentials step, its POST, its scope check,
    the token it keeps; then its `return_detailed_error` path reads our `details`."""
    from mastodon import MastodonIllegalArgumentError

    from tests.mastodon.clients import client, registered_app

    url = live_stack.url
    app = registered_app(url)
    api = client(url, app)
    token = api.create_account("newbie", PASSWORD, "newbie@example.org", agreement=True)
    assert token and api.access_token == token
    assert api.account_verify_credentials().username == "newbie"  # its own registration, read back
    assert api.status_post("hello from a new account").content == "<p>hello from a new account</p>"

    other = client(url, app)
    token, error = other.create_account("NewBie", "", "newbie@example.org", return_detailed_error=True)
    assert token is None and error.error.startswith("Validation failed: ")
    assert error.details.username[0].error == "ERR_TAKEN" and error.details.email[0].error == "ERR_TAKEN"
    assert error.details.password[0].error == "ERR_BLANK" and error.details.agreement[0].error == "ERR_ACCEPTED"
    with pytest.raises(MastodonIllegalArgumentError, match="Validation failed"):
        other.create_account("second", PASSWORD, "second@example.org", agreement=False)
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_sign_ups_for_one_email_leave_one_user():
    """The e-mail has no unique index: the sign-up's advisory lock on the address decides."""
    from socialapp.common.errors import Conflict
    from socialapp.write.oauth.models import Application
    from socialapp.write.oauth.services import app_sign_up
    from tests.write.test_races import race

    register_app()
    app = Application.objects.get()
    results = race(lambda i: app_sign_up(app=app, username=f"racer{i}", email="Same@example.org", password=PASSWORD)[0])
    assert sum(isinstance(r, User) for r in results) == 1
    assert all(isinstance(r, (User, Conflict)) for r in results), results
    assert User.objects.filter(email__iexact="same@example.org").count() == 1
    assert Event.objects.filter(event_type="user.registered").count() == 1
