"""Account commands through the API: success, every refusal, and the events they append."""

import pytest
from rest_framework.test import APIClient

from socialapp.events.consistency import HEADER, read_token
from socialapp.events.models import Event
from socialapp.write.accounts.models import User
from tests.command_support import PASSWORD, client_for, events, make_user
from tests.support import clear_throttles

pytestmark = pytest.mark.django_db


def register(**fields):
    data = {"username": "carol", "email": "carol@example.org", "password": PASSWORD, **fields}
    return APIClient().post("/api/socialapp/v1/auth/register", data, format="json")


def test_register_returns_account_token_and_consistency_token():
    r = register(display_name="Carol ✨", bio="hi")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["username"] == "carol" and body["display_name"] == "Carol ✨" and body["token"]
    assert isinstance(body["id"], str)
    [event] = events(event_type="user.registered")
    assert read_token(r[HEADER]) == [(event.position, "user.registered")]
    assert event.aggregate_type == "user" and event.aggregate_id == body["id"] and event.aggregate_version == 1
    assert event.payload == {
        "user_id": int(body["id"]),
        "username": "carol",
        "display_name": "Carol ✨",
        "bio": "hi",
        "locked": False,
        "registered_at": event.payload["registered_at"],
    }
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.patch("/api/socialapp/v1/me", {"bio": "x"}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "a" * 31}, "username"),
        ({"username": "bad-name"}, "username"),
        ({"username": "émile"}, "username"),
        ({"username": "trailing\n"}, "username"),
        ({"email": "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".org"}, "email"),
        ({"password": "p" * 1025}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "123"}, "password"),
        ({"password": "qwertyuiop"}, "password"),  # a common password
        ({"display_name": "x" * 51}, "display_name"),
        ({"bio": "x" * 301}, "bio"),
        ({"display_name": "a\x00b"}, "display_name"),
    ],
)
def test_register_refuses_bad_input_and_appends_nothing(fields, field):
    r = register(**fields)
    assert r.status_code == 400
    problem = r.json()
    assert problem["status"] == 400 and problem["type"] == "/problems/validation-error"
    assert field in problem["errors"]
    assert not User.objects.exists() and not Event.objects.exists()


def test_username_is_unique_without_regard_to_case():
    assert register(username="Carol").status_code == 201
    r = register(username="cAROL")
    assert r.status_code == 409 and r.json()["errors"] == {"username": ["This username is taken."]}
    assert Event.objects.count() == 1


def test_token_for_username_and_password_without_regard_to_case():
    make_user("dave")
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "DAVE", "password": PASSWORD}, format="json")
    assert r.status_code == 200 and r.json()["token"]
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "dave", "password": "wrong"}, format="json")
    assert r.status_code == 401 and r.json()["type"] == "/problems/authentication-failed"
    assert r["WWW-Authenticate"] == "Bearer"


def test_commands_need_a_token():
    r = APIClient().patch("/api/socialapp/v1/me", {"bio": "x"}, format="json")
    assert r.status_code == 401 and r.json()["status"] == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert bad.post("/api/socialapp/v1/posts", {"body": "x"}, format="json").status_code == 401


def test_profile_update_appends_new_values_and_unchanged_appends_nothing(alice):
    c = client_for(alice)
    r = c.patch("/api/socialapp/v1/me", {"display_name": "  Alice A.  "}, format="json")
    assert r.status_code == 200 and r.json()["display_name"] == "Alice A."
    [event] = events(event_type="profile.updated")
    assert event.payload == {"user_id": alice.id, "display_name": "Alice A.", "bio": "", "locked": False}
    assert event.aggregate_version == 2
    r = c.patch("/api/socialapp/v1/me", {"display_name": "Alice A."}, format="json")
    assert r.status_code == 200
    assert read_token(r[HEADER]) == [(event.position, "profile.updated")]  # the last event, again
    assert Event.objects.filter(event_type="profile.updated").count() == 1


@pytest.mark.parametrize(
    "data", [{}, {"display_name": "x" * 51}, {"bio": "y" * 301}, {"display_name": "two\nlines"}, {"bio": ["x"]}]
)
def test_profile_update_refuses_bad_input(alice, data):
    r = client_for(alice).patch("/api/socialapp/v1/me", data, format="json")
    assert r.status_code == 400
    alice.refresh_from_db()
    assert alice.version == 1 and not events(event_type="profile.updated")


def test_deactivate_self_is_final_and_kills_the_token(alice):
    c = client_for(alice)
    r = c.post("/api/socialapp/v1/me/deactivate")
    assert r.status_code == 200 and r.json()["deactivated_at"]
    [event] = events(event_type="user.deactivated")
    assert event.payload["by"] == "self" and event.payload["username"] == "alice" and event.actor_id == alice.id
    assert c.post("/api/socialapp/v1/me/deactivate").status_code == 401
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json")
    assert r.status_code == 401


def test_malformed_json_is_a_400_problem(alice):
    r = client_for(alice).generic("PATCH", "/api/socialapp/v1/me", "{nope", content_type="application/json")
    assert r.status_code == 400 and r.json()["type"] == "/problems/malformed-request"


def test_rate_limit_answers_429_with_retry_after(alice, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "100/min"})
    clear_throttles()
    c = client_for(alice)
    codes = [c.patch("/api/socialapp/v1/me", {"bio": f"{i}"}, format="json").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    r = c.patch("/api/socialapp/v1/me", {"bio": "z"}, format="json")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0 and r.json()["type"] == "/problems/rate-limited"
    assert Event.objects.filter(event_type="profile.updated").count() == 2
