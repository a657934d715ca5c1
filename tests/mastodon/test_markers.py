"""Mastodon read markers and the unread count: the notifications marker is our own read marker
(both APIs see the same unread count), the home marker is the read side's own state beside it;
both only move forward, count their changes in `version`, and survive a rebuild."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from socialapp.events.projector import REGISTRY
from socialapp.write.accounts.services import token_issue
from tests.mastodon.query_support import ISO_MS, no_default_queries
from tests.mastodon.test_notifications import publish
from tests.mastodon.test_notifications import site as site
from tests.read.api_support import Site

pytestmark = pytest.mark.django_db(databases=["default", "read"])

URL = "/api/v1/markers"
UNREAD = "/api/v1/notifications/unread_count"
OURS = "/api/socialapp/v1/notifications"


def ids_of(site: Site) -> list[str]:
    """ann's four notification ids, newest first."""
    body = site.client("ann").get("/api/v1/notifications").json()
    assert len(body) == 4
    return [n["id"] for n in body]


def unread(site: Site, **params) -> int:
    response = site.client("ann").get(UNREAD, params)
    assert response.status_code == 200, response.content
    return response.json()["count"]


def our_unread(site: Site) -> int:
    return site.client("ann").get(OURS).json()["unread_count"]


def post(site: Site, body: dict, fmt: str = "json") -> dict:
    response = site.client("ann").post(URL, body, format=fmt)
    assert response.status_code == 200, response.content
    return response.json()


def get(site: Site, *timelines: str) -> dict:
    response = site.client("ann").get(URL, {"timeline[]": list(timelines)})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_notifications_marker_is_our_read_marker(site: Site) -> None:
    ids = ids_of(site)
    assert get(site, "home", "notifications") == {}  # never set: left out, as Mastodon
    assert unread(site) == our_unread(site) == 4

    body = post(site, {"notifications": {"last_read_id": ids[2]}})
    marker = body["notifications"]
    assert set(body) == {"notifications"} and marker["last_read_id"] == ids[2] and marker["version"] == 1
    assert ISO_MS.match(marker["updated_at"])
    assert unread(site) == our_unread(site) == 2
    assert get(site, "notifications") == body

    # Never backwards: an older id changes nothing, not even the version.
    assert post(site, {"notifications": {"last_read_id": ids[3]}}) == body
    assert unread(site) == 2
    # Our own API's mark-read moves the same marker (and its version).
    site.client("ann").post(f"{OURS}/read", {"up_to": ids[1]}, format="json")
    moved = get(site, "notifications")["notifications"]
    assert moved["last_read_id"] == ids[1] and moved["version"] == 2 and moved["updated_at"] >= marker["updated_at"]
    assert unread(site) == our_unread(site) == 1
    # Beyond the newest notification: stops at it (no client marks unarrived ones read).
    capped = post(site, {"notifications": {"last_read_id": str(int(ids[0]) + 1000)}})["notifications"]
    assert capped["last_read_id"] == ids[0] and capped["version"] == 3
    assert unread(site) == our_unread(site) == 0
    site.world.follow(site.ids["cat"], site.ids["ann"])
    publish(site)
    assert unread(site) == our_unread(site) == 1


def test_the_home_marker_and_forms(site: Site) -> None:
    body = post(site, {"home[last_read_id]": "12345"}, fmt="multipart")  # a form, as some clients send
    assert body["home"]["last_read_id"] == "12345" and body["home"]["version"] == 1
    assert post(site, {"home": {"last_read_id": "99"}})["home"]["version"] == 1  # backwards: unchanged
    both = post(site, {"home": {"last_read_id": "20000"}, "notifications": {"last_read_id": "1"}, "other": {}})
    assert set(both) == {"home", "notifications"}
    assert both["home"] == {**both["home"], "last_read_id": "20000", "version": 2}
    assert get(site, "home") == {"home": both["home"]}  # only the timelines asked for
    assert set(get(site, "home", "notifications", "public")) == {"home", "notifications"}
    assert get(site) == {}
    assert site.client("bob").get(URL, {"timeline[]": "home"}).json() == {}  # nobody else's

    # Not projected: a rebuild of the notifications read model keeps both markers.
    REGISTRY["notifications"].rebuild_strategy().run()
    assert get(site, "home", "notifications") == both


def test_bad_input_changes_nothing(site: Site) -> None:
    client = site.client("ann")
    for body in (
        {"home": {"last_read_id": "abc"}},
        {"home": {}},
        {"home": "5"},
        {"notifications": {"last_read_id": "-1"}},
        {"home": {"last_read_id": "1"}, "notifications": {"last_read_id": "x"}},
    ):
        response = client.post(URL, body, format="json")
        assert response.status_code == 422, (body, response.content)
        assert response.json()["error"].startswith("Validation failed")
    assert client.post(URL, [1], format="json").status_code in (400, 422)
    assert get(site, "home", "notifications") == {}
    assert post(site, {"public": {"last_read_id": "1"}}) == {}  # other timelines are ignored
    assert client.get(UNREAD, {"limit": "x"}).status_code == 422


def test_unread_count_filters_and_caps_as_mastodon(site: Site) -> None:
    ids = ids_of(site)
    assert unread(site, limit=2) == 2 and unread(site, limit=-3) == 3 and unread(site, limit=0) == 0
    assert unread(site, limit=5000) == 4  # at most 1000, as Mastodon
    assert unread(site, **{"types[]": ["mention"]}) == 2
    assert unread(site, **{"exclude_types[]": ["mention", "follow"]}) == 1
    assert unread(site, account_id=str(site.ids["bob"])) == 3
    # Dismissed and cleared notifications are not unread.
    site.client("ann").post(f"/api/v1/notifications/{ids[0]}/dismiss")
    assert unread(site) == our_unread(site) == 3
    site.client("ann").post("/api/v1/notifications/clear")
    assert unread(site) == our_unread(site) == 0
    assert site.client("cat").get(UNREAD).json() == {"count": 0}


def test_reads_never_touch_default(site: Site) -> None:
    post(site, {"home": {"last_read_id": "7"}})
    assert no_default_queries(site.client("ann"), UNREAD).json() == {"count": 4}
    assert set(no_default_queries(site.client("ann"), URL, **{"timeline[]": ["home"]}).json()) == {"home"}


def test_auth_and_scopes(site: Site) -> None:
    anonymous = site.client()
    for response in (anonymous.get(URL), anonymous.post(URL, {}, format="json"), anonymous.get(UNREAD)):
        assert response.status_code == 401
    ann = get_user_model().objects.get(pk=site.ids["ann"])
    client = site.client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=ann, scope='read:statuses')}")
    assert client.get(URL, {"timeline[]": "home"}).status_code == 200
    assert client.post(URL, {"home": {"last_read_id": "5"}}, format="json").status_code == 403
    assert client.get(UNREAD).status_code == 403  # read:notifications
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=ann, scope='write:statuses')}")
    assert client.post(URL, {"home": {"last_read_id": "5"}}, format="json").status_code == 200
    assert client.get(URL).status_code == 403
    assert site.client("ann").delete(URL).status_code == 405
