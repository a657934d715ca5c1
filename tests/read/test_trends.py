"""Trends: the projector's counters, the refresh's ranking and the endpoints (ours and Mastodon's).

Events come from the factory's World (as the command side appends them) with the occurred_at a
test chooses (tests/read/trends_support.py), applied to the real projectors on the test read
database; `refresh(now=NOW)` ranks as of the same clock. The pipeline path (commands -> relay ->
worker) is tests/read/test_trends_pipeline.py; rebuild and check test_trends_rebuild.py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import execute, fetchall
from socialapp.read.trends.ranking import refresh
from socialapp.read.trends.selectors import tag_history, top_tags
from tests.read.api_support import make_site
from tests.read.conftest import apply_all, reset
from tests.read.factory import World
from tests.read.trends_support import NOW, ago, at, trends_snapshot

pytestmark = pytest.mark.django_db(databases=["default", "read"])

ALL = ("profiles", "posts", "home_feed", "notifications", "relations", "trends")
API = "/api/socialapp/v1"


def users(world: World, n: int, prefix: str = "u") -> list[int]:
    return [world.register(f"{prefix}{i}") for i in range(n)]


def names(window: str = "24h") -> list[str]:
    return [t["name"] for t in top_tags(window=window, limit=50)]


# ------------------------------------------------------------------------------ tag ranking


def test_a_tag_used_by_many_accounts_trends_over_one_spammed_by_one_account(settings) -> None:
    settings.TRENDS_MIN_ACCOUNTS = 3
    w = World()
    crowd, (spammer,) = users(w, 4), users(w, 1, "spam")
    for i, uid in enumerate(crowd):
        at(w, ago(minutes=i), lambda uid=uid: w.post(uid, "look #rising"))
    for i in range(30):
        at(w, ago(minutes=i % 50), lambda i=i: w.post(spammer, f"buy #spam {i}"))
    apply_all(w.events, ["trends"])
    refresh(now=NOW)
    assert names() == ["rising"]
    (rising,) = top_tags()
    assert rising["uses"] == 4 and rising["accounts"] == 4 and rising["score"] > 0
    # Even with no minimum, thirty uses by one account weigh as one account-hour: below four.
    settings.TRENDS_MIN_ACCOUNTS = 1
    refresh(now=NOW)
    assert names()[:2] == ["rising", "spam"]
    spam = top_tags()[1]
    assert spam["uses"] == 30 and spam["accounts"] == 1 and spam["score"] < rising["score"]


def test_a_tag_at_its_usual_level_does_not_trend_but_a_new_one_does(settings) -> None:
    settings.TRENDS_MIN_ACCOUNTS = 3
    w = World()
    crowd = users(w, 4)
    for day in range(1, 8):  # every day of the baseline, the same four accounts use #daily
        for uid in crowd:
            at(w, ago(days=day), lambda uid=uid: w.post(uid, "#daily"))
    for uid in crowd:
        at(w, ago(minutes=5), lambda uid=uid: w.post(uid, "#daily #fresh"))
    apply_all(w.events, ["trends"])
    refresh(now=NOW)
    assert names() == ["fresh"]  # observed 4 account-hours = expected 4: not trending
    # Over 7 days #daily rose from 4 account-hours (the week before: day 7) to 28: it trends there.
    assert names("7d") == ["daily", "fresh"]


def test_windows_count_only_their_hours(settings) -> None:
    settings.TRENDS_MIN_ACCOUNTS = 2
    w = World()
    a, b = users(w, 2)
    at(w, ago(hours=3), lambda: w.post(a, "#older"))
    at(w, ago(hours=3), lambda: w.post(b, "#older"))
    at(w, NOW, lambda: w.post(a, "#now"))
    at(w, NOW, lambda: w.post(b, "#now"))
    apply_all(w.events, ["trends"])
    refresh(now=NOW)
    assert names("1h") == ["now"]
    assert set(names("6h")) == set(names("24h")) == {"now", "older"}


def test_suspended_and_deactivated_accounts_drop_out_of_tags_and_an_unsuspension_restores(settings) -> None:
    settings.TRENDS_MIN_ACCOUNTS = 3
    w = World()
    a, b, c = users(w, 3)
    for uid in (a, b, c):
        at(w, ago(minutes=1), lambda uid=uid: w.post(uid, "#x"))
    apply_all(w.events, ["trends"])
    refresh(now=NOW)
    assert names() == ["x"]
    mark = len(w.events)
    w.suspend(a)
    apply_all(w.events[mark:], ["trends"])
    refresh(now=NOW)
    assert names() == []  # two shown accounts left: below the minimum
    mark = len(w.events)
    w.unsuspend(a)
    apply_all(w.events[mark:], ["trends"])
    refresh(now=NOW)
    assert names() == ["x"]
    mark = len(w.events)
    w.deactivate(b)
    apply_all(w.events[mark:], ["trends"])
    refresh(now=NOW)
    assert names() == []


def test_only_public_posts_count_and_deletes_remove_uses() -> None:
    w = World()
    a, b = users(w, 2)
    at(w, NOW, lambda: w.post(a, "#open"))
    at(w, NOW, lambda: w.post(a, "#hidden", visibility="unlisted"))
    at(w, NOW, lambda: w.post(b, "#hidden", visibility="followers"))
    gone = at(w, NOW, lambda: w.post(b, "#open #gone"))
    w.delete(gone)
    apply_all(w.events, ["trends"])
    assert fetchall("SELECT tag, uses FROM trends_tag_minute ORDER BY tag") == [("open", 1)]
    assert fetchall("SELECT tag, account_id, uses FROM trends_tag_account_hour") == [("open", a, 1)]


def test_an_edit_moves_uses_at_the_posts_creation_time() -> None:
    w = World()
    (a,) = users(w, 1)
    created = ago(hours=2)
    pid = at(w, created, lambda: w.post(a, "#before #kept"))
    at(w, NOW, lambda: w.edit(pid, "#after #kept"))
    apply_all(w.events, ["trends"])
    minute = created.replace(second=0)
    assert fetchall("SELECT tag, minute, uses FROM trends_tag_minute ORDER BY tag") == [
        ("after", minute, 1),
        ("kept", minute, 1),
    ]


# ----------------------------------------------------------------------- order independence


def rich_world() -> World:
    """Posts, edits, deletes, likes and unlikes, comments and their deletes, suspensions."""
    w = World()
    uids = users(w, 6)
    rng = random.Random(17)
    posts = []
    for i in range(12):
        when = ago(hours=rng.randrange(0, 48), minutes=rng.randrange(0, 60))
        posts.append(at(w, when, lambda i=i: w.post(uids[i % 6], f"#t{i % 4} #t{(i + 1) % 5} hello")))
    for pid in posts[:4]:
        at(w, NOW, lambda pid=pid: w.edit(pid, f"#t{pid % 3} edited"))
    for pid in posts:
        for uid in rng.sample(uids, 3):
            at(w, ago(minutes=rng.randrange(0, 600)), lambda pid=pid, uid=uid: w.like(uid, pid))
        for uid in rng.sample(uids, 2):
            at(w, ago(minutes=rng.randrange(0, 600)), lambda pid=pid, uid=uid: w.like(uid, pid, on=False))
            at(w, ago(minutes=rng.randrange(0, 600)), lambda pid=pid, uid=uid: w.like(uid, pid))
        cids = [
            at(w, ago(minutes=rng.randrange(0, 600)), lambda pid=pid, uid=uid: w.comment(uid, pid, "nice"))
            for uid in rng.sample(uids, 3) * 2
        ]
        for cid in cids[:2]:
            at(w, NOW, lambda cid=cid: w.delete_comment(cid))
    at(w, NOW, lambda: w.delete(posts[5]))
    for e in w.events:  # a sensitive post (the factory's posts have no flag), later deleted
        if e.event_type == "post.created" and e.payload["post_id"] == posts[5]:
            e.payload["sensitive"] = True
    w.suspend(uids[1])
    w.unsuspend(uids[1])
    w.suspend(uids[2])
    w.deactivate(uids[3])
    return w


def test_any_order_and_duplicates_give_the_same_rows() -> None:
    events = rich_world().events
    apply_all(events, ["trends"])
    in_order = trends_snapshot()
    assert in_order["trends_post_hour"] and in_order["trends_tag_account_hour"]
    for seed in (1, 2):
        reset(["trends"])
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        apply_all(shuffled + shuffled[: len(shuffled) // 3], ["trends"])  # and some delivered twice
        assert trends_snapshot() == in_order, seed
    # Batches (one transaction each, the counters' deltas summed per batch), shuffled too.
    reset(["trends"])
    shuffled = list(events)
    random.Random(3).shuffle(shuffled)
    for i in range(0, len(shuffled), 40):
        outcomes = REGISTRY["trends"].apply_batch(shuffled[i : i + 40])
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert trends_snapshot() == in_order
    # The counters equal what the final facts imply.
    assert fetchall("SELECT count(*) FROM trends_post_hour WHERE likes < 0 OR comments < 0") == [(0,)]
    assert fetchall("SELECT coalesce(sum(likes), 0) FROM trends_post_hour") == fetchall(
        "SELECT count(*) FROM trends_like WHERE active"
    )


# ------------------------------------------------------------------------ posts and the API


@pytest.fixture
def site(settings):
    """Ann posts two posts that Bob, Cat and Dan like and comment on; Eve blocks Ann."""
    settings.TRENDS_MIN_ACCOUNTS = 2
    s = make_site("ann", "bob", "cat", "dan", "eve", "fay")
    w, ids = s.world, s.ids
    hot = at(w, ago(minutes=30), lambda: w.post(ids["ann"], "hot #topic"))
    warm = at(w, ago(minutes=20), lambda: w.post(ids["bob"], "warm #topic"))
    for name in ("bob", "cat", "dan"):
        at(w, ago(minutes=10), lambda name=name: w.like(ids[name], hot))
        at(w, ago(minutes=10), lambda name=name: w.comment(ids[name], hot, "yes"))
    at(w, ago(minutes=5), lambda: w.like(ids["cat"], warm))
    w.block(ids["eve"], ids["ann"])
    w.mute(ids["fay"], ids["ann"])
    apply_all(w.events, ALL)
    refresh(now=NOW)
    s.hot, s.warm = hot, warm  # type: ignore[attr-defined]
    return s


def post_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(p["id"]) for p in response.json()["results"]]


def test_trending_posts_rank_by_engagement_and_render_like_other_posts(site) -> None:
    r = site.client().get(f"{API}/trends/posts")
    assert post_ids(r) == [site.hot, site.warm]
    assert r["X-Read-Lag"]
    first = r.json()["results"][0]
    assert first["author"]["username"] == "ann" and first["hashtags"] == ["topic"] and first["like_count"] == 3
    assert first["liked_by_me"] is False
    mine = site.client("cat").get(f"{API}/trends/posts").json()["results"]
    assert [p["liked_by_me"] for p in mine] == [True, True]
    assert post_ids(site.client().get(f"{API}/trends/posts", {"limit": 1, "offset": 1})) == [site.warm]


def test_a_viewer_never_sees_trending_posts_of_accounts_they_block_mute_or_are_blocked_by(site) -> None:
    assert post_ids(site.client("eve").get(f"{API}/trends/posts")) == [site.warm]  # eve blocks ann
    assert post_ids(site.client("fay").get(f"{API}/trends/posts")) == [site.warm]  # fay mutes ann
    mark = len(site.world.events)
    site.world.block(site.ids["ann"], site.ids["dan"])
    apply_all(site.world.events[mark:], ALL)
    assert post_ids(site.client("dan").get(f"{API}/trends/posts")) == [site.warm]  # ann blocks dan
    assert post_ids(site.client("bob").get(f"{API}/trends/posts")) == [site.hot, site.warm]
    statuses = site.client("eve").get("/api/v1/trends/statuses").json()
    assert [int(s["id"]) for s in statuses] == [site.warm]


def test_deleted_posts_and_suspended_authors_drop_out_at_once_and_at_refresh(site) -> None:
    w, ids = site.world, site.ids
    mark = len(w.events)
    w.suspend(ids["ann"])
    apply_all(w.events[mark:], ALL)
    assert post_ids(site.client().get(f"{API}/trends/posts")) == [site.warm]  # before any refresh
    refresh(now=NOW)
    assert fetchall("SELECT post_id FROM trends_post_rank WHERE period = '24h'") == [(site.warm,)]
    mark = len(w.events)
    w.unsuspend(ids["ann"])
    w.delete(site.warm)
    apply_all(w.events[mark:], ALL)
    assert post_ids(site.client().get(f"{API}/trends/posts")) == []  # ann's post is not re-ranked yet
    refresh(now=NOW)
    assert post_ids(site.client().get(f"{API}/trends/posts")) == [site.hot]


def test_trending_tags_and_history(site) -> None:
    r = site.client().get(f"{API}/trends/tags")
    assert r.status_code == 200, r.content
    assert r.json() == {"window": "24h", "results": [{"name": "topic", "score": 4.0, "uses": 2, "accounts": 2}]}
    assert r["X-Read-Lag"]
    r = site.client().get(f"{API}/tags/Topic/history")
    assert r.status_code == 200, r.content
    history = r.json()["history"]
    today = datetime.now(UTC).date()
    assert [h["day"] for h in history] == [str(today - timedelta(days=i)) for i in range(7)]
    assert sum(h["uses"] for h in history) == 2 and sum(h["accounts"] for h in history) == 2
    assert r.json()["tag"] == "topic"
    assert top_tags() == [{"name": "topic", "score": 4.0, "uses": 2, "accounts": 2}]


def test_ranked_tags_histories_are_the_refreshs_and_equal_the_live_ones(settings) -> None:
    """A page of trending tags reads their histories from the refresh's cache (docs/analytics.md):
    the same figures as computed live, as of that refresh; a tag outside the ranking is computed
    live, and the next refresh brings the cache up to date."""
    reset(["trends"])
    settings.TRENDS_MIN_ACCOUNTS = 3
    w = World()
    crowd = users(w, 4, "hist")
    for i, uid in enumerate(crowd[:3]):
        at(w, ago(minutes=i), lambda uid=uid: w.post(uid, "now #cached"))
    at(w, ago(days=2), lambda: w.post(crowd[0], "then #cached and #unranked"))
    apply_all(w.events, ["trends"])
    refresh(now=NOW)
    assert names() == ["cached"]
    assert fetchall("SELECT sum(uses) FROM trends_tag_history WHERE tag = 'cached'") == [(4,)]
    both = tag_history(["cached", "unranked"], now=NOW)
    assert [sum(h["uses"] for h in both[t]) for t in ("cached", "unranked")] == [4, 1]
    assert both["cached"][2] == {"day": ago(days=2).date(), "uses": 1, "accounts": 1}
    execute("DELETE FROM trends_tag_history")  # the live path gives the same figures
    execute("UPDATE trends_tag_rank SET refreshed_at = refreshed_at - interval '2 days'")
    assert tag_history(["cached", "unranked"], now=NOW) == both
    refresh(now=NOW)
    mark = len(w.events)
    at(w, ago(minutes=1), lambda: w.post(crowd[3], "late #cached"))
    apply_all(w.events[mark:], ["trends"])
    assert tag_history(["cached"], now=NOW) == {"cached": both["cached"]}  # as of the last refresh
    refresh(now=NOW)
    assert sum(h["uses"] for h in tag_history(["cached"], now=NOW)["cached"]) == 5


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("trends/tags", {"window": "2h"}),
        ("trends/tags", {"limit": "0"}),
        ("trends/tags", {"limit": "abc"}),
        ("trends/tags", {"limit": "101"}),
        ("trends/posts", {"offset": "-1"}),
        ("trends/posts", {"window": "24H"}),
        ("trends/posts", {"offset": "99999999999999999999999"}),
    ],
)
def test_bad_parameters_are_400_problems(site, path: str, params: dict) -> None:
    r = site.client().get(f"{API}/{path}", params)
    assert r.status_code == 400, r.content
    assert r["Content-Type"].startswith("application/problem+json")


# ------------------------------------------------------------------------------- Mastodon


def test_mastodon_trending_tags_have_mastodons_shape_history_and_paging(site) -> None:
    r = site.client().get("/api/v1/trends/tags")
    assert r.status_code == 200, r.content
    (tag,) = r.json()
    assert set(tag) == {"name", "url", "history", "following"} and tag["name"] == "topic"
    assert tag["url"].endswith("/tags/topic")
    assert len(tag["history"]) == 7
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert [h["day"] for h in tag["history"]] == [
        str(int((midnight - timedelta(days=i)).timestamp())) for i in range(7)
    ]
    assert all(isinstance(h["uses"], str) and isinstance(h["accounts"], str) for h in tag["history"])
    assert sum(int(h["uses"]) for h in tag["history"]) == 2
    assert site.client().get("/api/v1/trends").json() == r.json()  # the deprecated alias
    page = site.client().get("/api/v1/trends/tags", {"limit": 1})
    assert 'rel="next"' in page["Link"] and "offset=1" in page["Link"]
    assert site.client().get("/api/v1/trends/tags", {"offset": 1}).json() == []


def test_mastodon_trending_statuses_and_links(site) -> None:
    r = site.client("bob").get("/api/v1/trends/statuses")
    assert r.status_code == 200, r.content
    assert [int(s["id"]) for s in r.json()] == [site.hot, site.warm]
    assert r.json()[0]["account"]["username"] == "ann" and r.json()[0]["favourited"] is True
    assert [t["name"] for t in r.json()[0]["tags"]] == ["topic"]
    r = site.client().get("/api/v1/trends/statuses", {"limit": 1, "offset": 1})
    assert [int(s["id"]) for s in r.json()] == [site.warm]
    assert 'rel="next"' in r["Link"]
    assert site.client().get("/api/v1/trends/links").json() == []
    assert site.client().get("/api/v1/trends/statuses", {"limit": 500}).status_code == 200  # clamped


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/trends/tags", {"limit": "abc"}, 422),  # as our search: Mastodon's validation status
        ("/api/v1/trends/statuses", {"offset": "-1"}, 400),
        ("/api/v1/trends/links", {"limit": "x"}, 422),
    ],
)
def test_mastodon_bad_parameters_are_4xx_errors(site, path: str, params: dict, status: int) -> None:
    r = site.client().get(path, params)
    assert r.status_code == status, r.content
    assert "error" in r.json()


def test_mastodon_search_hashtags_carry_history(site, settings) -> None:
    from socialapp.mastodon.queries.trends import tag_entities

    (tag,) = tag_entities(["topic"], base_url="http://testserver")
    assert len(tag["history"]) == 7 and sum(int(h["accounts"]) for h in tag["history"]) == 2


def test_the_beat_refreshes_every_trends_refresh_seconds(settings) -> None:
    from socialapp.read.trends import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["trends-refresh"]
    assert entry["task"] == "trends.refresh" and entry["schedule"] == settings.TRENDS_REFRESH_SECONDS
    settings.TRENDS_MIN_ACCOUNTS = 1
    w = World()
    (a,) = users(w, 1)
    at(w, datetime.now(UTC), lambda: w.post(a, "#live"))
    apply_all(w.events, ["trends"])
    tasks.refresh.apply().get()
    assert names("1h") == ["live"]


def test_mastodon_tag_by_name(site) -> None:
    r = site.client().get("/api/v1/tags/Topic")
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "topic" and len(r.json()["history"]) == 7
    assert sum(int(h["uses"]) for h in r.json()["history"]) == 2
    r = site.client().get("/api/v1/tags/never")
    assert r.status_code == 404 and "error" in r.json()
