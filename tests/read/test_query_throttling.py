"""The general rate limits on query requests (socialapp/read/common/throttling.py): far from the
limit a process sends its count to the shared window in batches; near it, and at the refusal,
every request is counted in Redis exactly as on the command side, in the same window."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from tests.command_support import client_for, make_user
from tests.support import clear_throttles, wait_for

pytestmark = pytest.mark.django_db(databases=["default", "read"])
FEED = "/api/socialapp/v1/feed"


@pytest.fixture
def rate(monkeypatch, clean_read_models):
    def set_rate(user: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": user})

    clear_throttles()
    yield set_rate
    clear_throttles()


def shared_count(user_id: int) -> int:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    [key] = client.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*throttle_user_{user_id}:n")
    return int(client.get(key))


def test_far_from_the_limit_queries_are_counted_without_a_round_trip_each(rate, monkeypatch):
    """One request opens the client's window in this process; the next ones are counted here and
    the flusher thread adds them to the shared counter: nothing is lost."""
    rate("1000/min")
    user = make_user()
    c = client_for(user)
    backend, me, round_trips = cache._cache, threading.get_ident(), []
    original = type(backend).get_client

    def counting(self, *args, **kwargs):
        if threading.get_ident() == me:
            round_trips.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(backend), "get_client", counting)
    remaining = [int(c.get(FEED)["X-RateLimit-Remaining"]) for _ in range(10)]
    assert remaining[0] == 999 and remaining == sorted(remaining, reverse=True) and remaining[-1] <= 990
    throttle_round_trips = [a for a in round_trips if a and "throttle_user" in str(a[0])]
    assert len(throttle_round_trips) == 1, throttle_round_trips  # the window's first request only
    wait_for(lambda: shared_count(user.pk) == 10, timeout=5, what="the flusher to add the counted requests")


def test_near_the_limit_every_query_is_counted_and_the_limit_is_exact(rate):
    rate("10/min")
    user = make_user()
    c = client_for(user)
    codes = [c.get(FEED).status_code for _ in range(12)]
    assert codes == [200] * 10 + [429, 429]
    assert shared_count(user.pk) == 12  # refused requests count too, as on the command side
    refused = c.get(FEED)
    assert refused["X-RateLimit-Remaining"] == "0" and 0 < int(refused["Retry-After"]) <= 61


def test_commands_and_queries_share_one_window(rate):
    rate("5/min")
    user = make_user()
    c = client_for(user)
    assert [c.get(FEED).status_code for _ in range(3)] == [200] * 3
    assert [c.patch("/api/socialapp/v1/me", {"bio": f"{i}"}, format="json").status_code for i in range(2)] == [200] * 2
    assert c.get(FEED).status_code == 429
