"""Credential throttles: counted per address and per username, in the shared Redis, and not
fooled by a client-written X-Forwarded-For."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.command_support import PASSWORD
from tests.support import REPO, child_env, clear_throttles

pytestmark = pytest.mark.django_db

RATES = {
    "anon": "1000/min",
    "user": "1000/min",
    "login": "3/min",
    "login_username": "3/min",
    "register": "3/min",
    "register_username": "3/min",
    "admin_login": "3/min",
    "admin_login_username": "3/min",
}


@pytest.fixture(autouse=True)
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", RATES)
    clear_throttles()
    yield
    clear_throttles()


def login(username: str, *, address: str = "203.0.113.7", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post(
        "/api/socialapp/v1/auth/token", {"username": username, "password": "wrong-password"}, format="json", **extra
    )


def test_rotating_x_forwarded_for_does_not_bypass_the_address_limit():
    codes = [login(f"user{i}", forwarded=f"198.51.100.{i}").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    r = login("someone-else", forwarded="192.0.2.200")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0


def test_trusted_proxy_count_picks_the_address_the_proxy_appended():
    proxied = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with override_settings(REST_FRAMEWORK=proxied):
        # One trusted proxy (same socket address): the last X-Forwarded-For entry is the client.
        codes = [login(f"u{i}", address="10.0.0.2", forwarded=f"6.6.6.6, 198.51.100.{i}").status_code for i in range(4)]
        assert codes == [401] * 4
        codes = [
            login(f"v{i}", address="10.0.0.2", forwarded=f"198.51.100.{i}, 192.0.2.9").status_code for i in range(4)
        ]
        assert codes == [401, 401, 401, 429]


def test_username_limit_trips_across_addresses_and_letter_case():
    names = ["Victim", "victim", "VICTIM", "vIcTiM"]
    codes = [login(name, address=f"198.51.100.{i}").status_code for i, name in enumerate(names)]
    assert codes == [401, 401, 401, 429]
    assert login("bystander", address="198.51.100.99").status_code == 401


def test_register_is_limited_per_address_and_per_username():
    def register(username: str, address: str):
        data = {"username": username, "email": f"{username}@example.org", "password": "short"}
        return APIClient().post("/api/socialapp/v1/auth/register", data, format="json", REMOTE_ADDR=address)

    assert [register(f"new{i}", "203.0.113.50").status_code for i in range(4)][-1] == 429
    assert [register("Taken", f"203.0.113.{60 + i}").status_code for i in range(4)][-1] == 429


def test_counters_live_in_redis_and_a_second_process_sees_them():
    assert [login(f"p{i}", address="203.0.113.77").status_code for i in range(3)] == [401] * 3
    # A fresh client of the same Redis sees the counter (not process memory) ...
    location = settings.CACHES["default"]["LOCATION"]
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = redis.Redis.from_url(location).keys(f"{prefix}:*throttle_login_203.0.113.77")
    assert len(keys) == 1, keys
    # ... and another process, which never saw a request from that address, refuses its first one.
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from rest_framework.test import APIClient
        r = APIClient().post("/api/socialapp/v1/auth/token", {"username": "p9", "password": "x"}, format="json",
                             REMOTE_ADDR="203.0.113.77")
        print(r.status_code)
        """
    )
    env = child_env(API_THROTTLE_LOGIN="3/min", API_THROTTLE_ANON="1000/min")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip().splitlines()[-1:] == ["429"], done.stdout + done.stderr


def test_admin_login_is_throttled_per_address_and_per_username(django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client = Client()

    def attempt(username: str, address: str):
        return client.post("/admin/login/", {"username": username, "password": "nope"}, REMOTE_ADDR=address)

    assert [attempt(f"x{i}", "203.0.113.90").status_code for i in range(4)] == [200, 200, 200, 429]
    assert [attempt("Boss", f"203.0.113.{100 + i}").status_code for i in range(4)] == [200, 200, 200, 429]
    # The right password does not get through a tripped counter either.
    r = client.post("/admin/login/", {"username": "boss", "password": PASSWORD}, REMOTE_ADDR="203.0.113.120")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0


def test_an_unreachable_cache_lets_requests_through_instead_of_failing_them():
    dead = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}  # nothing listens on port 1
    with override_settings(CACHES={"default": dead}):
        assert login("anyone").status_code == 401  # not a 500: the throttle fails open, with a warning
        r = Client().get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["cache"] == {"status": "down"}


def test_user_rate_is_one_window_counter_per_client(monkeypatch):
    """The general rates count in one Redis integer per client and window (one round trip per
    request, socialapp.common.throttling.WindowCounterMixin): the limit holds, Retry-After is what
    is left of the window, and another client has a counter of its own."""
    from rest_framework.throttling import UserRateThrottle

    from tests.command_support import client_for, make_user

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**RATES, "user": "3/min"})
    first, second = make_user(), make_user()
    c = client_for(first)
    codes = [c.patch("/api/socialapp/v1/me", {"bio": f"{i}"}, format="json").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.patch("/api/socialapp/v1/me", {"bio": "z"}, format="json")
    assert r.status_code == 429 and 0 < int(r["Retry-After"]) <= 61
    assert client_for(second).patch("/api/socialapp/v1/me", {"bio": "a"}, format="json").status_code == 200
    location = settings.CACHES["default"]["LOCATION"]
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    [key] = redis.Redis.from_url(location).keys(f"{prefix}:*throttle_user_{first.pk}:n")
    assert int(redis.Redis.from_url(location).get(key)) == 5  # refused requests count too
    assert 0 < redis.Redis.from_url(location).ttl(key) <= 60


@pytest.mark.django_db(databases=["default", "read"])
def test_our_api_announces_its_rate_limits_on_commands_queries_and_the_429(monkeypatch):
    """X-RateLimit-Limit/-Remaining/-Reset on our API as on the Mastodon routes (one
    implementation: socialapp.common.throttling.RateLimitHeadersMixin): on a command, a query and
    the 429 that ends the window; the OpenAPI document lists them on every throttled answer."""
    from datetime import UTC, datetime

    from rest_framework.throttling import UserRateThrottle

    from tests.command_support import client_for, make_user

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**RATES, "user": "3/min"})
    c = client_for(make_user())
    first = c.patch("/api/socialapp/v1/me", {"bio": "a"}, format="json")
    second = c.get("/api/socialapp/v1/feed")
    third = c.get("/api/socialapp/v1/notifications")
    refused = c.get("/api/socialapp/v1/feed")
    assert [r.status_code for r in (first, second, third, refused)] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in (first, second, third, refused)] == ["2", "1", "0", "0"]
    for r in (first, second, third, refused):
        assert r["X-RateLimit-Limit"] == "3"
        reset = datetime.strptime(r["X-RateLimit-Reset"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert 0 < (reset - datetime.now(UTC)).total_seconds() <= 61


def test_the_openapi_document_lists_the_rate_limit_headers_of_our_api():
    from django.test import Client as PlainClient

    schema = PlainClient().get("/api/socialapp/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, method, status in [
        ("/api/socialapp/v1/feed", "get", "200"),
        ("/api/socialapp/v1/feed", "get", "429"),
        ("/api/socialapp/v1/posts", "post", "201"),
        ("/api/socialapp/v1/auth/register", "post", "400"),
    ]:
        headers = schema["paths"][path][method]["responses"][status]["headers"]
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers), (path, status)
    assert "X-RateLimit-Limit" not in schema["paths"]["/api/socialapp/v1/feed"]["get"]["responses"]["401"].get(
        "headers", {}
    )
