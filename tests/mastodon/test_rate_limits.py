"""Mastodon's rate-limit headers from our window counters: X-RateLimit-Limit/-Remaining/-Reset on
every counted answer, and a 429 in Mastodon's shape that carries them too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.throttling import SimpleRateThrottle

from socialapp.common.throttling import rate_limit_headers
from tests.read.api_support import make_site
from tests.support import clear_throttles

pytestmark = pytest.mark.django_db(databases=["default", "read"])


@pytest.fixture
def tight(monkeypatch) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "2/min"})
    clear_throttles()
    yield
    clear_throttles()


def reset_of(response) -> datetime:
    text = response["X-RateLimit-Reset"]
    assert text.endswith("Z") and "." in text  # ISO 8601 with microseconds, as Mastodon
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_user_requests_count_down_then_429(tight) -> None:
    client = make_site("ann").client("ann")
    before = datetime.now(UTC)
    seen = []
    for _ in range(3):
        response = client.get("/api/v1/notifications")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        seen.append(response["X-RateLimit-Remaining"])
        assert before < reset_of(response) <= datetime.now(UTC) + timedelta(seconds=61)
    assert seen == ["2", "1", "0"]
    refused = client.get("/api/v1/notifications")
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert refused["X-RateLimit-Limit"] == "3" and refused["X-RateLimit-Remaining"] == "0"
    assert int(refused["Retry-After"]) >= 1
    assert reset_of(refused) > before


def test_anonymous_callers_are_counted_per_address(tight) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    first = client.get("/api/v2/search")  # a 400 (no q), counted all the same
    assert first.status_code == 400
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    client.get("/api/v2/search")
    assert client.get("/api/v2/search").status_code == 429


def test_the_most_limited_counter_is_announced() -> None:
    class Counted:
        def __init__(self, window):
            self.window = window

    now = datetime(2026, 1, 1, tzinfo=UTC)
    headers = rate_limit_headers([Counted((100, 10, 30.0)), Counted((5, 4, 12.0)), Counted(None)], now)
    assert headers == {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "1",
        "X-RateLimit-Reset": "2026-01-01T00:00:12.000000Z",
    }
    assert rate_limit_headers([Counted(None)]) == {}  # the cache was down: nothing to announce
