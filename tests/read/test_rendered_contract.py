"""The contract's guard: the JSON that PostgreSQL renders for the query API
(socialapp/read/common/rendered.py) is, member for member and in the same order, what the
documented DRF serializers produce from the same read-model rows.

`old_*` below are the column selections the serializer-based views used; each served body is
compared with `serializer(old rows).data` pushed through DRF's JSONRenderer. Rows are made
varied on purpose: edited and unedited, unicode and escapes, mentions (stored with integer
ids), timestamps with zero, trailing-zero and one-microsecond fractions, liked and not liked,
anonymous and signed-in viewers, read and unread notifications.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import signing
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from socialapp.read.common.sql import execute, fetchdicts
from socialapp.read.feeds.serializers import PublicCommentOut, PublicPostOut
from socialapp.read.notifications.serializers import NotificationOut
from socialapp.read.profiles.serializers import FollowListItemOut, MeOut, PublicProfileOut
from tests.read.api_support import make_site

pytestmark = pytest.mark.django_db(databases=["default", "read"])

OLD_POST = (
    "SELECT p.post_id, p.author_id, p.author_username, p.author_display_name, p.body, p.hashtags, p.mentions,"
    " p.visibility, p.created_at, p.edited_at, p.like_count, p.comment_count, p.version, EXISTS (SELECT 1 FROM read_like l"
    " WHERE l.post_id = p.post_id AND l.user_id = %(v)s AND l.active) AS liked_by_me FROM read_post p"
    " WHERE p.post_id = %(id)s"
)
OLD_COMMENT = (
    "SELECT c.comment_id, c.post_id, c.author_id, c.author_username, c.author_display_name, c.body, c.mentions,"
    " c.visibility, c.created_at, c.edited_at FROM read_comment c WHERE c.comment_id = %(id)s"
)
OLD_PROFILE = (
    "SELECT p.user_id, p.username, p.display_name, p.bio, p.registered_at, p.follower_count, p.following_count,"
    " p.post_count, p.version, EXISTS (SELECT 1 FROM read_follow_edge e WHERE e.follower_id = %(v)s"
    " AND e.followee_id = p.user_id AND e.active) AS followed_by_me, EXISTS (SELECT 1 FROM read_follow_edge e"
    " WHERE e.follower_id = p.user_id AND e.followee_id = %(v)s AND e.active) AS follows_me,"
    " EXISTS (SELECT 1 FROM read_block b WHERE b.blocker_id = %(v)s AND b.blocked_id = p.user_id AND b.active)"
    " AS blocking, EXISTS (SELECT 1 FROM read_block b WHERE b.blocker_id = p.user_id AND b.blocked_id = %(v)s"
    " AND b.active) AS blocked_by, EXISTS (SELECT 1 FROM read_mute m WHERE m.muter_id = %(v)s"
    " AND m.muted_id = p.user_id AND m.active AND (m.expires_at IS NULL OR m.expires_at > now())) AS muting,"
    " EXISTS (SELECT 1 FROM read_follow_request r WHERE r.follower_id = %(v)s AND r.followee_id = p.user_id"
    " AND r.active) AS requested FROM read_profile p WHERE p.user_id = %(id)s"
)
OLD_NOTIFICATION = (
    "SELECT n.seq, n.kind, n.actor_id, n.actor_username, n.post_id, n.comment_id, n.report_id, n.report_action,"
    " n.created_at,"
    " n.seq > COALESCE((SELECT up_to FROM read_notification_marker WHERE recipient_id = n.recipient_id), 0)"
    " AS unread FROM read_notification n WHERE n.recipient_id = %(v)s AND n.seq = %(id)s"
)


def old_row(sql: str, **params: Any) -> dict[str, Any]:
    rows = fetchdicts(sql, params)
    assert len(rows) == 1
    row = rows[0]
    if isinstance(row.get("mentions"), str):  # jsonb arrives as text, as the old selectors decoded it
        row["mentions"] = json.loads(row["mentions"])
    return row


def ordered(content: bytes) -> Any:
    """JSON with every object as a list of (key, value) pairs: equality checks member order too."""
    return json.loads(content, object_pairs_hook=list)


def old_bytes(serializer: Any, row: dict[str, Any]) -> bytes:
    return JSONRenderer().render(serializer(row).data)


@pytest.fixture
def site(clean_read_models):
    s = make_site("ann", "bob", "cat")
    w, i = s.world, s.ids
    w.update_profile(i["ann"], 'Ann "Ä" Ünïcødé 🐍', 'line\nbreak\ttab \\ back "quote" \u2028 <b>')
    w.follow(i["bob"], i["ann"])
    w.follow(i["cat"], i["ann"])
    w.follow(i["ann"], i["bob"])
    s.plain = w.post(i["ann"], "plain post #django")
    s.mentioning = w.post(i["ann"], "hi @bob and @cat and @bob again #django #CQRS ✓ \u0001")
    s.edited = w.post(i["ann"], "first text #django")
    w.edit(s.edited, "edited text @bob #django")
    s.deleted = w.post(i["ann"], "gone")
    w.delete(s.deleted)
    w.like(i["bob"], s.mentioning)
    w.like(i["cat"], s.plain)
    s.comment = w.comment(i["bob"], s.mentioning, "reply to @ann 😀")
    s.edited_comment = w.comment(i["cat"], s.mentioning, "before")
    w.edit_comment(s.edited_comment, "after @bob")
    # Issue 15's kinds: a pending follow request to ann, and a report of hers resolved.
    pair = {"follower_id": i["cat"], "followee_id": i["ann"], "follower_username": "cat", "followee_username": "ann"}
    w._emit("follow.requested", "follow_request", f"{i['cat']}:{i['ann']}", 1, {**pair, "at": w._now()}, i["cat"])
    resolved = {"report_id": 77, "reporter_id": i["ann"], "reporter_username": "ann", "target_id": i["bob"]}
    w._emit("report.resolved", "report", 77, 2, {**resolved, "action": "suspend", "at": w._now()}, None)
    s.apply()
    # Microsecond variety the factory's whole-second clock does not give: none, trailing zeros, one.
    execute("UPDATE read_post SET created_at = created_at + interval '0.12 seconds' WHERE post_id = %s", [s.plain])
    execute("UPDATE read_post SET edited_at = edited_at + interval '0.000001 seconds' WHERE post_id = %s", [s.edited])
    execute(
        "UPDATE read_comment SET created_at = created_at + interval '0.654321 seconds' WHERE comment_id = %s",
        [s.comment],
    )
    execute(
        "UPDATE read_profile SET registered_at = registered_at + interval '0.5 seconds' WHERE user_id = %s", [i["bob"]]
    )
    execute(
        "UPDATE read_follow_edge SET since = since + interval '0.000010 seconds' WHERE follower_id = %s", [i["cat"]]
    )
    return s


VIEWERS = [None, "ann", "bob", "cat"]


def get(site: Any, viewer: str | None, url: str, **query: Any) -> bytes:
    response = site.client(viewer).get(url, query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.content


@pytest.mark.parametrize("viewer", VIEWERS)
def test_post_lists_and_single_posts_match_the_serializer(site, viewer) -> None:
    v = site.ids.get(viewer) if viewer else None
    urls = ["/api/socialapp/v1/users/ann/posts", "/api/socialapp/v1/tags/django/posts"] + (
        ["/api/socialapp/v1/feed"] if viewer else []
    )
    for url in urls:
        body = ordered(get(site, viewer, url, limit=100))
        served = [dict(item)["id"] for item in dict(body)["results"]]
        assert served, url
        expected = [ordered(old_bytes(PublicPostOut, old_row(OLD_POST, v=v, id=int(pid)))) for pid in served]
        assert dict(body)["results"] == expected, url
    for pid in (site.plain, site.mentioning, site.edited):
        served = get(site, viewer, f"/api/socialapp/v1/posts/{pid}")
        assert ordered(served) == ordered(old_bytes(PublicPostOut, old_row(OLD_POST, v=v, id=pid)))


def test_the_varied_rows_are_there(site) -> None:
    """The comparison above would prove little if the rows were uniform."""
    post = json.loads(get(site, "bob", f"/api/socialapp/v1/posts/{site.mentioning}"))
    assert post["mentions"] == [
        {"user_id": str(site.ids["bob"]), "username": "bob"},
        {"user_id": str(site.ids["cat"]), "username": "cat"},
    ]
    assert post["liked_by_me"] is True and post["author"]["display_name"] == 'Ann "Ä" Ünïcødé 🐍'
    assert json.loads(get(site, None, f"/api/socialapp/v1/posts/{site.plain}"))["created_at"].endswith(".120000Z")
    edited = json.loads(get(site, None, f"/api/socialapp/v1/posts/{site.edited}"))
    assert edited["edited_at"].endswith(".000001Z") and "." not in edited["created_at"]
    assert json.loads(get(site, None, f"/api/socialapp/v1/posts/{site.plain}"))["edited_at"] is None


@pytest.mark.parametrize("viewer", [None, "cat"])
def test_comments_match_the_serializer(site, viewer) -> None:
    body = ordered(get(site, viewer, f"/api/socialapp/v1/posts/{site.mentioning}/comments"))
    served = [dict(item)["id"] for item in dict(body)["results"]]
    assert served == [str(site.comment), str(site.edited_comment)]
    expected = [ordered(old_bytes(PublicCommentOut, old_row(OLD_COMMENT, id=int(c)))) for c in served]
    assert dict(body)["results"] == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_profiles_and_follow_lists_match_the_serializer(site, viewer) -> None:
    v = site.ids.get(viewer) if viewer else None
    for name in ("ann", "bob"):
        served = get(site, viewer, f"/api/socialapp/v1/users/{name}")
        expected = old_bytes(PublicProfileOut, old_row(OLD_PROFILE, v=v, id=site.ids[name]))
        assert ordered(served) == ordered(expected)
    for direction, me, other in (
        ("followers", "followee_id", "follower_id"),
        ("following", "follower_id", "followee_id"),
    ):
        body = ordered(get(site, viewer, f"/api/socialapp/v1/users/ann/{direction}"))
        rows = fetchdicts(
            f"SELECT p.*, e.since FROM read_follow_edge e JOIN read_profile p ON p.user_id = e.{other}"
            f" WHERE e.{me} = %s AND e.active ORDER BY e.since DESC, e.{other} DESC",
            [site.ids["ann"]],
        )
        assert rows
        assert dict(body)["results"] == ordered(JSONRenderer().render(FollowListItemOut(rows, many=True).data))


def test_me_matches_the_serializer(site) -> None:
    served = get(site, "ann", "/api/socialapp/v1/me")
    row = {**old_row(OLD_PROFILE, v=None, id=site.ids["ann"]), "email": "ann@example.org"}
    assert ordered(served) == ordered(old_bytes(MeOut, row))


def test_notifications_match_the_serializer(site) -> None:
    ann = site.client("ann")
    first = json.loads(get(site, "ann", "/api/socialapp/v1/notifications"))["results"]
    assert (
        ann.post("/api/socialapp/v1/notifications/read", {"up_to": first[-1]["id"]}, format="json").status_code == 200
    )
    body = ordered(get(site, "ann", "/api/socialapp/v1/notifications", limit=2))
    members = dict(body)
    assert [k for k, _ in body] == ["results", "next", "unread_count"]
    served = [dict(item)["id"] for item in members["results"]]
    expected = [
        ordered(old_bytes(NotificationOut, old_row(OLD_NOTIFICATION, v=site.ids["ann"], id=int(n)))) for n in served
    ]
    assert members["results"] == expected
    assert {dict(item)["unread"] for item in members["results"]} == {True}
    assert [dict(item)["kind"] for item in members["results"]] == ["report_resolved", "follow_request"]
    assert dict(dict(members["results"][0])["report"]) == {"id": "77", "action": "suspend"}
    assert signing.loads(members["next"], salt="socialapp.read.cursor") == [
        f"notifications:{site.ids['ann']}",
        [int(served[-1])],
    ]


def test_a_page_carries_the_cursor_and_link_of_its_last_item(site) -> None:
    response = site.client("bob").get("/api/socialapp/v1/users/ann/posts", {"limit": 1})
    body = json.loads(response.content)
    scope, key = signing.loads(body["next"], salt="socialapp.read.cursor")
    assert (scope, key) == (f"user-posts:{site.ids['ann']}", [int(body["results"][0]["id"])])
    assert response["Link"].endswith('rel="next"') and "cursor=" in response["Link"]
    last = site.client("bob").get("/api/socialapp/v1/users/ann/posts", {"limit": 100})
    assert json.loads(last.content)["next"] is None and "Link" not in last


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("/api/socialapp/v1/feed", 1),
        ("/api/socialapp/v1/tags/django/posts", 1),
        ("/api/socialapp/v1/posts/{post}", 1),
        ("/api/socialapp/v1/users/ann", 1),
        ("/api/socialapp/v1/me", 1),
        ("/api/socialapp/v1/users/ann/posts", 2),
        ("/api/socialapp/v1/users/ann/followers", 2),
        ("/api/socialapp/v1/posts/{post}/comments", 2),
        ("/api/socialapp/v1/notifications", 2),
    ],
)
def test_each_response_is_at_most_two_statements_on_read(site, url, most) -> None:
    """The page (the viewer's overlay inside it) and at most one lookup; nothing per item."""
    client = site.client("bob")
    url = url.format(post=site.mentioning)
    with CaptureQueriesContext(connections["read"]) as read:
        assert client.get(url).status_code == 200
    assert 1 <= len(read.captured_queries) <= most, [q["sql"][:120] for q in read.captured_queries]
