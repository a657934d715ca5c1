"""Mastodon's relation reads: GET /api/v1/blocks, /mutes (with `mute_expires_at`),
/follow_requests (each paged by the row's log position, with Link headers), the full Relationship
of GET /api/v1/accounts/relationships, `locked` and `source.follow_requests_count` on accounts,
`visibility` on statuses (followers → private), and the `follow_request` notification type (our
`report_resolved` is not a Mastodon type and never shows). The relation facts come from the
relations projector applied to events as docs/events.md describes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from socialapp.read.common.sql import execute
from tests.mastodon.query_support import ACCOUNT_KEYS, ISO_MS, no_default_queries
from tests.read.api_support import Site, make_site
from tests.read.conftest import apply_all

pytestmark = pytest.mark.django_db(databases=["default", "read"])


class Relate:
    """Relation events of the command side (docs/events.md, "Safety and privacy"), versioned per
    aggregate as the write model versions them, applied to the relations projector."""

    def __init__(self, site: Site) -> None:
        self.site, self.versions = site, {}

    def _emit(self, event_type: str, aggregate: str, a: int, b: int, payload: dict) -> None:
        key = (aggregate, a, b)
        self.versions[key] = self.versions.get(key, 0) + 1
        event = self.site.world._emit(event_type, aggregate, f"{a}:{b}", self.versions[key], payload, a)
        apply_all([event], ["relations", "profiles", "notifications"])

    def block(self, a: int, b: int, on: bool = True) -> None:
        self._emit("user.blocked" if on else "user.unblocked", "block", a, b, {"blocker_id": a, "blocked_id": b})

    def mute(self, a: int, b: int, *, notifications: bool = True, expires_at: datetime | None = None) -> None:
        payload = {
            "muter_id": a,
            "muted_id": b,
            "notifications": notifications,
            "expires_at": expires_at.isoformat() if expires_at else None,
        }
        self._emit("user.muted", "mute", a, b, payload)

    def unmute(self, a: int, b: int) -> None:
        self._emit("user.unmuted", "mute", a, b, {"muter_id": a, "muted_id": b})

    def request(self, a: int, b: int, end: str | None = None) -> None:
        payload = {
            "follower_id": a,
            "followee_id": b,
            "follower_username": "x",
            "followee_username": "y",
            "at": self.site.world._now(),
        }
        self._emit(f"follow.{end or 'requested'}", "follow_request", a, b, payload)


@pytest.fixture
def site() -> Site:
    """ann, bob, cat, dan, eve; bob follows ann (applied to every projector)."""
    site = make_site("ann", "bob", "cat", "dan", "eve")
    site.world.follow(site.ids["bob"], site.ids["ann"])
    site.apply()
    apply_all(site.world.events, ["relations"])
    return site


def listed(site: Site, url: str, who: str = "ann", **params) -> list[dict]:
    response = no_default_queries(site.client(who), url, **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_blocks_list_newest_block_first_with_link_paging(site: Site) -> None:
    i, rel = site.ids, Relate(site)
    for name in ("bob", "cat", "dan"):
        rel.block(i["ann"], i[name])
    rel.block(i["eve"], i["ann"])  # eve's block of ann is eve's list, not ann's
    body = listed(site, "/api/v1/blocks")
    assert [a["id"] for a in body] == [str(i["dan"]), str(i["cat"]), str(i["bob"])]
    assert set(body[0]) >= ACCOUNT_KEYS
    first = no_default_queries(site.client("ann"), "/api/v1/blocks", limit=2)
    assert [a["username"] for a in first.json()] == ["dan", "cat"]
    next_url = first["Link"].split(">")[0].lstrip("<")
    assert 'rel="next"' in first["Link"] and 'rel="prev"' in first["Link"]
    second = site.client("ann").get(next_url)
    assert [a["username"] for a in second.json()] == ["bob"]
    prev_url = second["Link"].split(", ")[1].split(">")[0].lstrip("<")
    assert [a["username"] for a in site.client("ann").get(prev_url).json()] == ["dan", "cat"]
    # Unblocking takes the account off; blocking again puts it on top.
    rel.block(i["ann"], i["cat"], on=False)
    rel.block(i["ann"], i["bob"], on=False)
    rel.block(i["ann"], i["bob"])
    assert [a["username"] for a in listed(site, "/api/v1/blocks")] == ["bob", "dan"]
    assert [a["username"] for a in listed(site, "/api/v1/blocks", who="eve")] == ["ann"]
    assert listed(site, "/api/v1/blocks", who="cat") == []


def test_mutes_list_unexpired_with_their_expiry(site: Site) -> None:
    i, rel = site.ids, Relate(site)
    later = datetime.now(UTC) + timedelta(hours=1)
    rel.mute(i["ann"], i["bob"])
    rel.mute(i["ann"], i["cat"], notifications=False, expires_at=later)
    rel.mute(i["ann"], i["dan"], expires_at=datetime.now(UTC) - timedelta(seconds=1))  # already over
    rel.mute(i["ann"], i["eve"])
    rel.unmute(i["ann"], i["eve"])
    body = listed(site, "/api/v1/mutes")
    assert [a["username"] for a in body] == ["cat", "bob"]
    assert body[1]["mute_expires_at"] is None
    assert ISO_MS.match(body[0]["mute_expires_at"])
    assert body[0]["mute_expires_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert set(body[0]) >= ACCOUNT_KEYS


def test_follow_requests_list_who_asks_to_follow_you(site: Site) -> None:
    i, rel = site.ids, Relate(site)
    rel.request(i["cat"], i["ann"])
    rel.request(i["dan"], i["ann"])
    rel.request(i["eve"], i["ann"])
    rel.request(i["eve"], i["ann"], end="request_withdrawn")
    rel.request(i["ann"], i["bob"])  # ann's own request is bob's to answer
    assert [a["username"] for a in listed(site, "/api/v1/follow_requests")] == ["dan", "cat"]
    assert [a["username"] for a in listed(site, "/api/v1/follow_requests", who="bob")] == ["ann"]
    me = listed(site, "/api/v1/accounts/verify_credentials")
    assert me["source"]["follow_requests_count"] == 2
    rel.request(i["cat"], i["ann"], end="request_approved")
    assert [a["username"] for a in listed(site, "/api/v1/follow_requests")] == ["dan"]


def test_lists_are_private_scoped_and_refuse_bad_cursors(site: Site, scoped) -> None:
    for url, scope in (
        ("/api/v1/blocks", "read:blocks"),
        ("/api/v1/mutes", "read:mutes"),
        ("/api/v1/follow_requests", "read:follows"),
    ):
        assert APIClient().get(url).status_code == 401
        client = APIClient()
        scoped(client, _user("ann"), "read:statuses")
        assert client.get(url).status_code == 403
        for grant in (scope, "read", "follow"):
            scoped(client, _user("ann"), grant)
            assert client.get(url).status_code == 200, (url, grant)
        bad = site.client("ann").get(url, {"max_id": "abc"})
        assert bad.status_code == 422 and "error" in bad.json()
        assert site.client("ann").post(url).status_code == 405


def _user(name: str):
    from socialapp.write.accounts.models import User

    return User.objects.get(username=name)


def test_relationship_has_every_flag(site: Site) -> None:
    i, rel = site.ids, Relate(site)
    url = "/api/v1/accounts/relationships"
    rel.block(i["ann"], i["cat"])
    rel.block(i["dan"], i["ann"])
    rel.mute(i["ann"], i["bob"], notifications=False)
    rel.mute(i["ann"], i["eve"], expires_at=datetime.now(UTC) - timedelta(seconds=1))  # expired: no mute
    rel.request(i["ann"], i["eve"])
    rel.request(i["eve"], i["ann"])
    body = listed(site, url, **{"id[]": [i["bob"], i["cat"], i["dan"], i["eve"]]})
    got = {x["id"]: x for x in body}
    bob, cat, dan, eve = (got[str(i[n])] for n in ("bob", "cat", "dan", "eve"))
    assert (bob["followed_by"], bob["following"], bob["muting"], bob["muting_notifications"]) == (
        True,
        False,
        True,
        False,
    )
    assert (cat["blocking"], cat["blocked_by"]) == (True, False)
    assert (dan["blocking"], dan["blocked_by"]) == (False, True)
    assert (eve["muting"], eve["requested"], eve["requested_by"], eve["showing_reblogs"]) == (False, True, True, True)
    assert set(bob) == {
        "id", "following", "showing_reblogs", "notifying", "languages", "followed_by", "blocking", "blocked_by",
        "muting", "muting_notifications", "requested", "requested_by", "domain_blocking", "endorsed", "note",
    }  # fmt: skip
    rel.mute(i["ann"], i["cat"])  # notifications muted too (the default)
    cat = listed(site, url, **{"id[]": [i["cat"]]})[0]
    assert (cat["muting"], cat["muting_notifications"]) == (True, True)


def test_locked_accounts_and_status_visibility_render_as_mastodon(site: Site) -> None:
    i, w = site.ids, site.world
    execute("UPDATE read_profile SET locked = true WHERE user_id = %s", [i["ann"]])
    assert listed(site, f"/api/v1/accounts/{i['ann']}")["locked"] is True
    assert listed(site, f"/api/v1/accounts/{i['bob']}")["locked"] is False
    post = w.post(i["ann"], "for my followers")
    comment = w.comment(i["bob"], post, "seen")
    site.apply()
    execute("UPDATE read_post SET visibility = 'followers' WHERE post_id = %s", [post])
    execute("UPDATE read_comment SET visibility = 'direct' WHERE comment_id = %s", [comment])
    got = listed(site, f"/api/v1/statuses/{post}")
    assert got["visibility"] == "private" and got["account"]["locked"] is True
    assert listed(site, f"/api/v1/statuses/{comment}")["visibility"] == "direct"


def _notify(site: Site, kind: str, seq: int, actor: str) -> None:
    i = site.ids
    execute(
        "INSERT INTO read_notification (recipient_id, position, seq, kind, actor_id, actor_username, source_key,"
        " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, now())",
        [i["ann"], 10_000 + seq, 10_000 + seq, kind, i[actor], actor, f"{kind}:{seq}"],
    )


def test_follow_request_notifications_and_no_report_resolved(site: Site) -> None:
    _notify(site, "follow_request", 1, "cat")
    _notify(site, "report_resolved", 2, "dan")
    body = listed(site, "/api/v1/notifications")
    types = [(n["type"], n["account"]["username"]) for n in body]
    assert ("follow_request", "cat") in types
    assert not any(t == "report_resolved" or who == "dan" for t, who in types)
    only = listed(site, "/api/v1/notifications", **{"types[]": ["follow_request"]})
    assert [n["type"] for n in only] == ["follow_request"] and "status" not in only[0]
    assert all(
        n["type"] != "follow_request"
        for n in listed(site, "/api/v1/notifications", **{"exclude_types[]": ["follow_request"]})
    )
    one = site.client("ann").get(f"/api/v1/notifications/{10_002}")
    assert one.status_code == 404
    count = listed(site, "/api/v1/notifications/unread_count", **{"types[]": ["follow_request", "report_resolved"]})
    assert count == {"count": 1}


@pytest.mark.parametrize("url", ["/api/v1/blocks", "/api/v1/mutes", "/api/v1/follow_requests"])
def test_every_list_pages_by_position_with_next_and_prev(site: Site, url: str) -> None:
    i, rel = site.ids, Relate(site)
    for name in ("bob", "cat", "dan", "eve"):
        if url.endswith("blocks"):
            rel.block(i["ann"], i[name])
        elif url.endswith("mutes"):
            rel.mute(i["ann"], i[name])
        else:
            rel.request(i[name], i["ann"])
    first = no_default_queries(site.client("ann"), url, limit=3)
    assert [a["username"] for a in first.json()] == ["eve", "dan", "cat"]
    next_url, prev_url = (part.split(">")[0].lstrip("<") for part in first["Link"].split(", "))
    assert "max_id=" in next_url and "min_id=" in prev_url and "limit=3" in next_url
    assert [a["username"] for a in site.client("ann").get(next_url).json()] == ["bob"]
    assert site.client("ann").get(prev_url).json() == []
    since = site.client("ann").get(url, {"since_id": next_url.split("max_id=")[1]}).json()
    assert [a["username"] for a in since] == ["eve", "dan"]  # newer than cat's row, newest first
    last = site.client("ann").get(url, {"max_id": next_url.split("max_id=")[1].split("&")[0], "limit": 40})
    assert [a["username"] for a in last.json()] == ["bob"]
