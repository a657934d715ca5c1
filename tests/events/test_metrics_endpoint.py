"""/metrics: a bearer secret, not the client address, lets a scraper in; and the figures come from
a shared cache entry, so a flood of scrapes costs the databases one computation."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from socialapp.events.metrics import forget_cached_metrics

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_metrics_need_the_bearer_secret_whatever_the_address():
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", **bearer("guess")).status_code == 401
    r = client.get("/metrics", REMOTE_ADDR="8.8.8.8", **bearer(settings.METRICS_TOKEN))
    assert r.status_code == 200 and b"socialapp_events_appended_total" in r.content
    assert b"socialapp_metrics_age_seconds" in r.content
    with override_settings(METRICS_TOKEN=""):
        assert client.get("/metrics", **bearer("")).status_code == 404


def _counting_queries(requests: int) -> dict[str, int]:
    client = Client()
    with CaptureQueriesContext(connections["default"]) as write, CaptureQueriesContext(connections["read"]) as read:
        for _ in range(requests):
            assert client.get("/metrics", **bearer(settings.METRICS_TOKEN)).status_code == 200
    return {
        alias: sum("count(" in q["sql"].lower() for q in ctx.captured_queries)
        for alias, ctx in (("default", write), ("read", read))
    }


def test_many_scrapes_cost_one_computation():
    forget_cached_metrics()
    one = _counting_queries(1)
    assert one["default"] >= 1 and one["read"] >= 1  # a computation does count
    forget_cached_metrics()
    assert _counting_queries(25) == one
    assert _counting_queries(25) == {"default": 0, "read": 0}  # within METRICS_CACHE_SECONDS: none
