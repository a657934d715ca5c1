"""The staff dashboard in a real browser (the fixtures of test_admin_and_docs.py): a superuser
opens /admin/dashboard/ from the admin index; the page fetches the JSON endpoint with the admin's
session, Chart.js (Debian's libjs-chart.js, served as our static files) draws every chart, and
the page polls again on its own. The activity tables hold an hour of synthetic traffic, applied
through the projector. SAVE_SCREENSHOTS=1 writes docs/figures/dashboard.png (committed)."""

from __future__ import annotations

import os
import random
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from socialapp.events.log import EventMessage
from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import execute
from socialapp.write.accounts.models import User
from tests.browser.test_admin_and_docs import PASSWORD, _styled, _wait, browser  # noqa: F401 - fixtures

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, databases=["default", "read"]),
]
FIGURES = Path(settings.BASE_DIR) / "docs" / "figures"
CANVASES = ("chart-commands", "chart-events", "chart-users", "chart-posts", "chart-tags", "chart-lag", "chart-dead")
TYPES = {"post.created": 5, "post.liked": 9, "comment.created": 3, "user.followed": 2, "profile.updated": 1}


def an_hour_of_traffic() -> int:
    """Events spread over the last hour (more of them lately), applied by the activity projector,
    and a minute-by-minute lag sample per projector; returns the number of events."""
    rng = random.Random(17)
    now = timezone.now()
    events = []
    for minute in range(60):
        at = now - timedelta(minutes=minute)
        for event_type, weight in TYPES.items():
            for _ in range(rng.randint(weight // 2, weight + weight * (60 - minute) // 30)):
                events.append(
                    EventMessage(
                        event_id=uuid.uuid4(),
                        position=len(events) + 1,
                        event_type=event_type,
                        aggregate_type="post",
                        aggregate_id=str(len(events)),
                        aggregate_version=1,
                        actor_id=rng.randint(1, 40),
                        occurred_at=(at - timedelta(seconds=rng.randint(0, 59))).isoformat(),
                        schema_version=1,
                        payload={},
                    )
                )
    REGISTRY["activity"].apply_batch(events)
    for minute in range(60):
        for name in sorted(REGISTRY):
            lag = max(0, int(40 * (1 - abs(minute - 20) / 10))) if name == "search" else rng.randint(0, 3)
            execute(
                "INSERT INTO activity_projection_sample (sampled_at, projector, applied, lag, ready, dead)"
                " VALUES (%s, %s, 0, %s, 0, %s)",
                [now - timedelta(minutes=minute), name, lag, 1 if name == "notifications" and minute < 30 else 0],
            )
    return len(events)


def test_the_dashboard_draws_its_charts_from_the_json_and_refreshes(live_server, browser):  # noqa: F811
    admin = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    assert an_hour_of_traffic() > 100

    browser.get(live_server.url + reverse("admin:login"))
    _wait(browser, lambda d: d.find_elements(By.ID, "id_username"), "the login form")
    browser.find_element(By.ID, "id_username").send_keys(admin.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    link = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#dashboard-link a"), "the index's link")
    link[0].click()

    _wait(browser, lambda d: d.execute_script("return window.dashboardFetches") >= 1, "the first fetch")
    _styled(browser)
    assert not browser.find_elements(By.ID, "dashboard-no-charts")
    drawn = browser.execute_script(
        "return arguments[0].map(id => { const c = Chart.getChart(id);"
        " return c ? c.data.datasets.reduce((n, d) => n + d.data.filter(v => v).length, 0) : -1; })",
        list(CANVASES),
    )
    charts = dict(zip(CANVASES, drawn, strict=True))
    assert all(n >= 0 for n in charts.values()), charts  # every canvas has its chart
    for with_data in ("chart-commands", "chart-events", "chart-users", "chart-posts", "chart-lag", "chart-dead"):
        assert charts[with_data] > 0, charts
    assert "commands" in browser.find_element(By.ID, "dashboard-totals").text
    # Live: the page polls again by itself.
    _wait(browser, lambda d: d.execute_script("return window.dashboardFetches") >= 2, "the next poll")
    assert "updated" in browser.find_element(By.ID, "dashboard-status").text

    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        FIGURES.mkdir(parents=True, exist_ok=True)
        browser.set_window_size(1400, 1300)
        _wait(browser, lambda d: d.execute_script("return window.dashboardFetches") >= 3, "a poll at the new size")
        browser.save_screenshot(str(FIGURES / "dashboard.png"))
