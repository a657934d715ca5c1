"""The staff dashboard's read model and endpoint (socialapp.read.activity; docs/analytics.md).

The counters are checked against the log itself: what the commands appended, bucketed by each
event's own occurred_at, must be exactly what the `activity` projector keeps, through the real
pipeline (commands -> relay -> worker). Then: a batch applied twice or in another order changes
nothing, pruning keeps `projections check` green and drift is still found, samples of lag and dead
letters, and the endpoint's auth (401/403/200), windows and shapes.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from socialapp.events.log import log_events
from socialapp.events.models import Event
from socialapp.events.projector import REGISTRY
from socialapp.read.activity import selectors
from socialapp.read.activity.commands import COMMAND_OF, command_of
from socialapp.read.activity.projector import TABLES
from socialapp.read.activity.sampling import prune, sample_projections
from socialapp.read.common.sql import execute, fetchall
from socialapp.read.trends.ranking import refresh as refresh_trends
from socialapp.read.trends.selectors import top_tags as trending_tags
from socialapp.write.accounts.services import token_issue
from socialapp.write.comments.services import comment_create
from socialapp.write.follows.services import user_follow
from socialapp.write.posts.services import post_create, post_like
from tests.command_support import make_user
from tests.events.helpers import append_messages
from tests.pipeline_support import running_pipeline
from tests.read.conftest import reset
from tests.read.factory import World

URL = "/api/socialapp/v1/admin/dashboard"
BOTH = ["default", "read"]


def tables() -> dict[str, list[tuple]]:
    return {t: fetchall(f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES}


def expected_from_log() -> dict[str, list[tuple]]:
    """The activity tables as the log implies them (computed here in Python, not in SQL)."""
    log = list(Event.objects.order_by("position"))
    minute = [e.occurred_at.replace(second=0, microsecond=0) for e in log]
    events = Counter((m, e.event_type) for m, e in zip(minute, log, strict=True))
    commands = Counter((m, command_of(e.event_type)) for m, e in zip(minute, log, strict=True))
    actors = {(m, e.actor_id) for m, e in zip(minute, log, strict=True) if e.actor_id is not None}
    return {
        "activity_event_minute": sorted((b, t, n) for (b, t), n in events.items()),
        "activity_command_minute": sorted((b, c, n) for (b, c), n in commands.items()),
        "activity_actor_minute": sorted(actors),
        "activity_actor_hour": sorted({(m.replace(minute=0), a) for m, a in actors}),
    }


def test_every_event_type_stands_for_a_command() -> None:
    assert set(COMMAND_OF) == set(REGISTRY["activity"].event_types())
    assert command_of("post.created") == "post" and command_of("post.liked") == "like"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_commands_through_the_pipeline_are_counted_and_rebuild_and_check_agree() -> None:
    with running_pipeline(["activity"]) as pipeline:
        alice, bob, cat = make_user("alice"), make_user("bob"), make_user("cat")
        first = post_create(author=alice, body="hello #dashboards")
        post_create(author=alice, body="again")
        post_like(post_id=first.pk, user=bob)
        post_like(post_id=first.pk, user=cat)
        user_follow(follower=bob, username="alice")
        comment_create(post_id=first.pk, author=cat, body="nice")
        logged = list(Event.objects.all())
        pipeline.wait_applied(logged)

    live = tables()
    assert live == expected_from_log()
    per_type = Counter(e.event_type for e in logged)
    assert per_type["post.created"] == 2 and per_type["post.liked"] == 2

    body = selectors.dashboard("15m")
    totals = {s["name"]: s["total"] for s in body["commands"]}
    assert totals == {"register": 3, "post": 2, "like": 2, "follow": 1, "comment": 1}
    assert {s["name"]: s["total"] for s in body["events"]} == dict(per_type)
    actors = {e.actor_id for e in logged if e.actor_id is not None}
    assert body["active_users"]["total"] == len(actors) == 3
    assert sum(body["posts_per_hour"]["values"]) == 2

    # Samples: the activity projector has applied everything, profiles (not running) nothing.
    assert sample_projections() == len(REGISTRY)
    sampled = dict(fetchall("SELECT projector, lag FROM activity_projection_sample"))
    assert sampled["activity"] == 0
    assert sampled["profiles"] == sum(n for t, n in per_type.items() if t in REGISTRY["profiles"].event_types())
    lag = {p["name"]: p["lag"][-1] for p in selectors.dashboard("15m")["projections"]}
    assert lag["activity"] == 0 and lag["profiles"] > 0

    out = StringIO()
    call_command("projections", "check", "activity", stdout=out)
    call_command("projections", "rebuild", "activity", stdout=StringIO())
    assert tables() == live
    call_command("projections", "check", "activity", stdout=out)
    execute("UPDATE activity_event_minute SET events = events + 1 WHERE event_type = 'post.created'")
    with pytest.raises(Exception, match="diverged: activity"):
        call_command("projections", "check", "activity", stdout=out)


def world_events() -> list:
    w = World()
    # Ids far from the real users' that the endpoint tests register (their events share the log).
    a, b, c = (w.register(name, uid=900_000 + i) for i, name in enumerate(("ann", "ben", "cid")))
    pid = w.post(a, "hi #x")
    w.like(b, pid)
    w.like(b, pid, on=False)
    w.follow(c, a)
    w.comment(c, pid, "yo")
    w.post(b, "more")
    return w.events


@pytest.mark.django_db(databases=BOTH)
def test_a_batch_applied_twice_or_in_another_order_gives_the_same_counters() -> None:
    projector = REGISTRY["activity"]
    events = world_events()
    reset(["activity"])
    assert all(projector.apply_batch(events))
    once = tables()
    assert sum(n for _b, _t, n in once["activity_event_minute"]) == len(events)
    assert not any(projector.apply_batch(events))  # duplicates: skipped
    assert projector.apply_batch(events[:1] * 2) == [False, False]
    assert tables() == once

    reset(["activity"])
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    for start in range(0, len(shuffled), 3):  # other batches, other order, one event twice
        projector.apply_batch(shuffled[start : start + 3] + shuffled[start : start + 1])
    assert tables() == once


@pytest.mark.django_db(databases=BOTH)
def test_pruning_keeps_the_check_green_and_drift_is_still_found(settings) -> None:
    settings.ACTIVITY_RETENTION_DAYS = 8
    reset(["activity"])
    rows = append_messages(world_events())
    old = [r.position for r in rows[: len(rows) // 2]]
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "UPDATE event_log SET occurred_at = occurred_at - interval '30 days' WHERE position = ANY(%s)", [old]
        )
    messages = [m for batch in log_events(REGISTRY["activity"].event_types()) for m in batch]
    REGISTRY["activity"].apply_batch(messages)
    cutoff = timezone.now() - timedelta(days=8)
    assert fetchall("SELECT count(*) FROM activity_event_minute WHERE bucket < %s", [cutoff])[0][0] > 0

    deleted = prune()
    assert deleted["activity_event_minute"] > 0
    assert fetchall("SELECT count(*) FROM activity_event_minute WHERE bucket < %s", [cutoff])[0][0] == 0
    report = REGISTRY["activity"].check()
    assert report.ok and report.checked > 0, report

    execute("DELETE FROM activity_actor_hour")
    report = REGISTRY["activity"].check()
    assert not report.ok and any(k.startswith("activity_actor_hour:") for k in report.lost), report


@pytest.mark.django_db(databases=BOTH)
def test_samples_are_pruned_after_retention(settings) -> None:
    settings.ACTIVITY_RETENTION_DAYS = 1
    now = timezone.now()
    sample_projections(now - timedelta(days=2))
    sample_projections(now)
    assert prune(now)["activity_projection_sample"] == len(REGISTRY)
    assert fetchall("SELECT count(DISTINCT sampled_at) FROM activity_projection_sample")[0][0] == 1
    # The beat task (run here in-process): one more sample, nothing left to prune.
    from socialapp.read.activity.tasks import sample_and_prune

    done = sample_and_prune()
    assert done["sampled"] == len(REGISTRY) and done["activity_projection_sample"] == 0
    assert fetchall("SELECT count(DISTINCT sampled_at) FROM activity_projection_sample")[0][0] == 2


# ------------------------------------------------------------------------------- the endpoint


@pytest.fixture
def staff(db):
    return make_user("staffer", is_staff=True)


@pytest.fixture
def member(db):
    return make_user("member")


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user)}")
    return client


@pytest.mark.django_db(databases=BOTH)
def test_the_endpoint_is_for_staff_only(staff, member) -> None:
    anonymous = APIClient().get(URL)
    assert anonymous.status_code == 401 and anonymous["Content-Type"].startswith("application/problem+json")
    for client in (bearer(member), _session(member)):
        denied = client.get(URL)
        assert denied.status_code == 403 and denied.json()["status"] == 403, denied.content
    for client in (bearer(staff), _session(staff)):
        assert client.get(URL).status_code == 200
    staff_token = bearer(staff)
    with CaptureQueriesContext(connections["default"]) as default:  # a bearer token: the read side only
        assert staff_token.get(URL).status_code == 200
        assert APIClient().get(URL).status_code == 401
    assert default.captured_queries == []


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.django_db(databases=BOTH)
def test_windows_fix_the_buckets_and_every_series_has_one_value_per_bucket(staff) -> None:
    reset(["activity"])
    REGISTRY["activity"].apply_batch(append_messages_now(world_events()))
    sample_projections()
    actors = Event.objects.exclude(actor_id=None).values("actor_id").distinct().count()
    assert actors == 4  # the three of the world and the staff member's registration
    client = bearer(staff)
    sizes = {"15m": (15, 60), "1h": (60, 60), "6h": (72, 300), "24h": (96, 900), "7d": (168, 3600)}
    for window, (count, seconds) in sizes.items():
        r = client.get(URL, {"window": window})
        assert r.status_code == 200, r.content
        body = r.json()
        assert (body["window"], body["bucket_seconds"], len(body["buckets"])) == (window, seconds, count)
        series = [*body["commands"], *body["events"]]
        assert series and all(len(s["values"]) == count for s in series)
        assert len(body["active_users"]["values"]) == count and body["active_users"]["total"] == actors
        assert all(len(p["lag"]) == count and len(p["dead"]) == count for p in body["projections"])
        assert {p["name"] for p in body["projections"]} == set(REGISTRY)
        assert len(body["posts_per_hour"]["buckets"]) == (168 if window == "7d" else 24)
        assert body["top_tags"] == trending_tags(window="1h" if window == "15m" else window, limit=10)
        assert "X-Read-Lag" in r
    assert client.get(URL).json()["window"] == "1h"
    bad = client.get(URL, {"window": "2y"})
    assert bad.status_code == 400 and "window" in bad.json()["errors"], bad.content


@pytest.mark.django_db(databases=BOTH)
def test_top_tags_are_the_trends_ranking(staff) -> None:
    """The dashboard shows the trends model's ranking, not a count of its own (docs/analytics.md);
    its 15-minute window shows the last hour's, the shortest window trends rank."""
    reset(["trends"])
    w = World()
    posters = [w.register(f"tagger{i}", uid=910_000 + i) for i in range(4)]
    for uid in posters:
        w.post(uid, "up #rising")
    w.post(posters[0], "alone #quiet")
    REGISTRY["trends"].apply_batch(append_messages_now(w.events))
    refresh_trends()
    client = bearer(staff)
    for window in ("15m", "1h", "24h"):
        top = client.get(URL, {"window": window}).json()["top_tags"]
        assert [t["name"] for t in top] == ["rising"], top
        assert top[0]["accounts"] == 4 and top[0]["score"] > 0
        assert top == trending_tags(window="1h" if window == "15m" else window, limit=10)


def append_messages_now(events: list) -> list:
    """The events appended to the log now (occurred_at = now), read back as the pipeline carries them."""
    append_messages(events)
    return [m for batch in log_events(REGISTRY["activity"].event_types()) for m in batch]


# ------------------------------------------------------------------------------- the page


@pytest.mark.django_db(databases=BOTH)
def test_the_page_is_for_staff_and_says_when_chartjs_is_missing(staff, member, settings) -> None:
    from django.test import Client

    page = "/admin/dashboard/"
    assert Client().get(page).status_code == 302  # to the admin's login
    client = Client()
    client.force_login(member)
    assert client.get(page).status_code == 302
    client.force_login(staff)
    index = client.get("/admin/")
    assert index.status_code == 200 and b'href="/admin/dashboard/"' in index.content
    with_charts = client.get(page, {"window": "6h"})
    assert with_charts.status_code == 200
    html = with_charts.content.decode()
    assert "/static/vendor/chart.js/chart.min.js" in html and 'value="6h" selected' in html
    assert 'data-url="/api/socialapp/v1/admin/dashboard"' in html and "dashboard-no-charts" not in html
    settings.STATICFILES_DIRS = []  # as on a machine without libjs-chart.js
    html = client.get(page).content.decode()
    assert "Chart.js is not installed" in html and "chart.min.js" not in html
