"""GET /api/v1/instance, /api/v2/instance (with and without the slash), custom emojis and
preferences: the version clients parse, the limits they read, counts from the read models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from socialapp.common.text import BODY_MAX_LENGTH
from socialapp.mastodon.queries.instance import VERSION
from tests.mastodon.query_support import build_site, clean_read_models, no_default_queries  # noqa: F401

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def mastodon_py_version(version: str) -> tuple[int, int, int]:
    """Mastodon.py 2.3.3's reading of `version` (internals.__normalize_version_string, then
    versions.parse_version_string), restated for the cases we serve."""
    head = version.split(" ")[0].split("+")[0]
    return tuple(int(part) for part in head.split(".")[:3])  # type: ignore[return-value]


@pytest.mark.parametrize("url", ["/api/v1/instance", "/api/v1/instance/"])
def test_v1_instance(site, url) -> None:
    r = no_default_queries(APIClient(), url)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["uri"] == "testserver" and body["version"] == VERSION
    assert mastodon_py_version(body["version"]) == (4, 2, 0)  # >= 4.0 (v2 instance), < 4.3 (no api_versions)
    assert body["urls"] == {"streaming_api": "ws://testserver"}  # STREAMING_API_URL empty: our own origin
    # ann, bob, cat, dan (eve deactivated, sam suspended); ann's five posts and bob's one
    assert body["stats"] == {"user_count": 4, "status_count": 6, "domain_count": 0}
    assert body["configuration"]["statuses"]["max_characters"] == BODY_MAX_LENGTH == 500
    assert body["configuration"]["statuses"]["max_media_attachments"] == 0
    assert body["registrations"] is True and body["approval_required"] is False  # POST /api/v1/accounts
    assert body["rules"] == [] and body["languages"] == ["en"]
    assert body["translation"] == {"enabled": False}  # toot's TUI reads it there
    for key in ("title", "short_description", "description", "email", "thumbnail", "contact_account"):
        assert key in body


@pytest.mark.parametrize("url", ["/api/v2/instance", "/api/v2/instance/"])
def test_v2_instance(site, url) -> None:
    r = no_default_queries(APIClient(), url)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["domain"] == "testserver" and body["version"] == VERSION
    assert "api_versions" not in body  # we claim 4.2: Mastodon.py only wants them from 4.3
    assert body["configuration"]["urls"]["streaming"] == "ws://testserver"
    assert body["configuration"]["statuses"]["max_characters"] == 500
    assert body["configuration"]["translation"] == {"enabled": False}
    assert body["registrations"]["enabled"] is True and body["registrations"]["approval_required"] is False
    assert body["usage"] == {"users": {"active_month": 4}}
    assert set(body["contact"]) == {"email", "account"}


def test_instance_is_read_only(site) -> None:
    r = APIClient().post("/api/v1/instance", {})
    assert r.status_code == 405


def test_custom_emojis_and_preferences(site) -> None:
    assert no_default_queries(APIClient(), "/api/v1/custom_emojis").json() == []
    anonymous = APIClient().get("/api/v1/preferences")
    assert anonymous.status_code == 401 and anonymous.json() == {"error": "The access token is invalid"}
    r = no_default_queries(site.client("ann"), "/api/v1/preferences")
    assert r.status_code == 200
    assert r.json()["posting:default:visibility"] == "public"
    assert r.json()["reading:expand:spoilers"] is False


def test_no_mastodon_query_route_touches_default(site) -> None:
    """Every GET route of the instance, accounts, statuses and timelines modules (and the shared
    status path), signed in and anonymous, answers without one SQL statement on `default`."""
    from socialapp.mastodon.queries import accounts, instance, statuses, timelines

    routes = [str(p.pattern) for m in (instance, accounts, statuses, timelines) for p in m.urlpatterns]
    routes.append("api/v1/statuses/<id:status_id>")
    assert len(routes) >= 17
    for route in routes:
        url = "/" + (
            route.replace("<id:account_id>", str(site.ids["ann"]))
            .replace("<id:status_id>", str(site.bob_post))
            .replace("<tag:tag>", "django")
        )
        for client in (site.client("bob"), APIClient()):
            r = no_default_queries(client, url, **({"acct": "ann"} if "lookup" in url else {}))
            assert r.status_code in (200, 401), (url, r.status_code, r.content)


def test_closed_registrations_are_said_closed(site, settings) -> None:
    settings.MASTODON_REGISTRATIONS_OPEN = False
    assert APIClient().get("/api/v1/instance").json()["registrations"] is False
    assert APIClient().get("/api/v2/instance").json()["registrations"]["enabled"] is False


def test_instance_extras_as_mastodon_serves_them(site, settings) -> None:
    """rules, peers, languages, translation languages, extended description and /health: what
    Mastodon.py 2.3.3 calls at or below 4.2, in Mastodon's shapes, anonymous, from no database."""
    anonymous = APIClient()
    assert no_default_queries(anonymous, "/api/v1/instance/rules").json() == []
    assert no_default_queries(anonymous, "/api/v1/instance/peers").json() == []  # we federate with nobody
    languages = no_default_queries(anonymous, "/api/v1/instance/languages").json()
    assert {"code": "en", "name": "English"} in languages and {"code": "fr", "name": "French"} in languages
    assert len(languages) == 183 and all(len(entry["code"]) == 2 for entry in languages)  # what statuses take
    assert no_default_queries(anonymous, "/api/v1/instance/translation_languages").json() == {}
    assert no_default_queries(anonymous, "/api/v1/instance/extended_description").json() == {
        "updated_at": None,
        "content": "",
    }
    settings.MASTODON_INSTANCE_EXTENDED_DESCRIPTION = "Be kind.\n\nNo <script> here."
    described = anonymous.get("/api/v1/instance/extended_description").json()
    assert described["content"] == "<p>Be kind.</p><p>No &lt;script&gt; here.</p>"
    health = anonymous.get("/health")
    assert health.status_code == 200 and health.content == b"OK"  # Mastodon.py: "OK" means healthy
    assert health["Content-Type"].startswith("text/plain")
    assert anonymous.post("/health").status_code == 405
    assert anonymous.get("/healthz").status_code == 200  # our own probe is untouched
    assert anonymous.post("/api/v1/instance/rules").status_code == 405


def test_activity_counts_weeks_from_the_read_models(site) -> None:
    """Twelve buckets, newest first, as Mastodon: today alone is bucket 0, the seven days before
    it bucket 1, and so on; statuses (posts and comments that show) and registrations per bucket,
    logins "0"; every value a string."""
    from django.core.cache import cache

    from socialapp.common.ids import min_id_for
    from socialapp.mastodon.queries.instance import ACTIVITY_CACHE_KEY
    from socialapp.read.feeds.models import ReadComment, ReadPost
    from socialapp.read.profiles.models import Profile

    now = datetime.now(UTC)
    ann, cat = site.ids["ann"], site.ids["cat"]

    def status(days_ago: float, n: int, **extra) -> int:
        moment = now - timedelta(days=days_ago)
        ReadPost.objects.using("read").create(
            post_id=min_id_for(moment) + n, author_id=ann, author_username="ann", body="x", created_at=moment,
            version=1, **extra,
        )  # fmt: skip
        return min_id_for(moment) + n

    status(0, 1)
    recent = status(1, 2)
    status(2, 3, deleted=True)  # deleted: does not count
    status(20, 4)
    status(200, 5)  # older than twelve weeks
    ReadComment.objects.using("read").create(
        comment_id=min_id_for(now - timedelta(days=3)), post_id=recent, author_id=ann, author_username="ann",
        body="y", created_at=now - timedelta(days=3), version=1,
    )  # fmt: skip
    Profile.objects.using("read").filter(user_id=cat).update(registered_at=now - timedelta(days=8))
    cache.delete(ACTIVITY_CACHE_KEY)

    body = no_default_queries(APIClient(), "/api/v1/instance/activity").json()
    assert len(body) == 12
    assert all(set(week) == {"week", "statuses", "logins", "registrations"} for week in body)
    assert all(isinstance(value, str) for week in body for value in week.values())
    assert [week["statuses"] for week in body] == ["1", "2", "0", "1", *["0"] * 8]
    assert [week["registrations"] for week in body] == ["0", "0", "1", *["0"] * 9]
    assert {week["logins"] for week in body} == {"0"}
    weeks = [int(week["week"]) for week in body]
    assert weeks == sorted(weeks, reverse=True) and weeks[0] - weeks[1] == 7 * 86400
    assert weeks[0] <= now.timestamp() < weeks[0] + 86400  # the start of today (UTC)


@pytest.mark.parametrize(
    ("configured", "secure", "expected"),
    [
        ("", False, "ws://testserver"),
        ("", True, "wss://testserver"),
        ("ws://127.0.0.1:8100/", False, "ws://127.0.0.1:8100"),
        ("wss://streaming.example", False, "wss://streaming.example"),
    ],
)
def test_instance_documents_advertise_the_streaming_server(site, settings, configured, secure, expected) -> None:
    """Mastodon.py reads `urls.streaming_api` (v1, else v2's `configuration.urls.streaming`) and
    opens its streams there: the configured origin, else this request's own as ws/wss."""
    settings.STREAMING_API_URL = configured
    client = APIClient()
    v1 = client.get("/api/v1/instance", secure=secure).json()
    v2 = client.get("/api/v2/instance", secure=secure).json()
    assert v1["urls"]["streaming_api"] == expected
    assert v2["configuration"]["urls"]["streaming"] == expected
