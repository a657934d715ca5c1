"""Notifications: mentions added by edits, and ids that follow apply order (not log position)
so that pagination and the read marker stay right when positions commit out of order."""

from __future__ import annotations

import pytest

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import execute, fetchall
from socialapp.read.notifications.projector import NotificationsProjector
from tests.read.api_support import make_site
from tests.read.conftest import apply_all, logged, reset, second_apply_waiting, snapshot
from tests.read.factory import World, shuffled_within_aggregates

pytestmark = pytest.mark.django_db(databases=["default", "read"])

ONLY = ("notifications",)


def mentions() -> list[tuple[int, str, int | None, int | None]]:
    return fetchall(
        "SELECT recipient_id, source_key, post_id, comment_id FROM read_notification WHERE kind = 'mention'"
        " ORDER BY 1, 2"
    )


def edit_scenario() -> tuple[World, dict[str, int]]:
    w = World()
    ann, bob, cat, dan = (w.register(n) for n in ("ann", "bob", "cat", "dan"))
    p = w.post(ann, "hello")
    w.edit(p, "hello @bob")  # bob newly mentioned: notified
    w.edit(p, "hello @bob again")  # still mentioned: nothing new
    w.edit(p, "hello")  # removed ...
    w.edit(p, "hello @bob @cat")  # ... and re-added (no second one for bob); cat newly mentioned
    c = w.comment(cat, p, "nice")
    w.edit_comment(c, "nice @dan @ann")  # dan mentioned; ann (the post's author) has her comment notification
    w.edit_comment(c, "nice @dan")
    return w, {"ann": ann, "bob": bob, "cat": cat, "dan": dan, "post": p, "comment": c}


def test_edit_adds_one_mention_notification_per_user_and_source(clean_read_models) -> None:
    w, i = edit_scenario()
    apply_all(w.events, ONLY)
    assert mentions() == [
        (i["bob"], f"post:{i['post']}", i["post"], None),
        (i["cat"], f"post:{i['post']}", i["post"], None),
        (i["dan"], f"comment:{i['comment']}", i["post"], i["comment"]),
    ]
    kinds = fetchall("SELECT kind FROM read_notification WHERE recipient_id = %s", [i["ann"]])
    assert kinds == [("comment",)]
    # bob's notification is the one his first mention caused (the first edit), not a later one
    first_edit = w.events[5]
    assert first_edit.event_type == "post.edited"
    rows = fetchall("SELECT position FROM read_notification WHERE recipient_id = %s", [i["bob"]])
    assert rows == [(first_edit.position,)]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_edit_mentions_are_order_and_duplicate_tolerant(clean_read_models, seed: int) -> None:
    w, _ = edit_scenario()
    apply_all(w.events, ONLY)
    in_order = snapshot()["read_notification"], recorded()
    reset(ONLY)
    apply_all(shuffled_within_aggregates(w.events, seed=seed), ONLY)
    assert (snapshot()["read_notification"], recorded()) == in_order


def recorded() -> list[list[tuple]]:
    return [fetchall(f"SELECT * FROM {t} ORDER BY 1, 2") for t in NotificationsProjector.tables]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_convergence_check_and_rebuild_with_edit_mentions() -> None:
    w, _ = edit_scenario()
    from_log = logged(w.events, REGISTRY["notifications"].event_types())
    reset(ONLY)
    apply_all(shuffled_within_aggregates(from_log, seed=5), ONLY)
    live = recorded()
    assert len(mentions()) == 3
    report = REGISTRY["notifications"].check()
    assert report.ok and report.checked > 0, report
    REGISTRY["notifications"].rebuild_strategy().run()
    assert recorded() == live  # same rows, same ids


def test_newer_edit_first_then_older_edit(clean_read_models) -> None:
    w, _ = edit_scenario()
    ev = w.events
    # ann, bob, cat, dan registered; post.created; then the edits in reverse, comment events in order
    apply_all([*ev[:5], *reversed(ev[5:9]), *ev[9:]], ONLY)
    got = mentions()
    reset(ONLY)
    apply_all(ev, ONLY)
    assert got == mentions()


def test_edit_of_deleted_post_or_by_deactivated_author_notifies_nobody(clean_read_models) -> None:
    w = World()
    ann, bob, cat = w.register("ann"), w.register("bob"), w.register("cat")
    p = w.post(ann, "one")
    q = w.post(cat, "two")
    edit_p = len(w.events)
    w.edit(p, "one @bob")
    w.delete(p)
    w.deactivate(cat)
    w.events.append(w.events[edit_p])  # the edit delivered again after the deletion
    w.edit(q, "two @bob")  # the write model would refuse; the read model must not notify anyway
    apply_all(w.events, ONLY)
    assert mentions() == []
    assert fetchall("SELECT * FROM read_notification WHERE recipient_id = %s", [bob]) == []


# ---------------------------------------------------------------- ids in apply order


@pytest.fixture
def late_site(clean_read_models):
    s = make_site("ann", "bob", "cat", "dan")
    w, i = s.world, s.ids
    w.follow(i["bob"], i["ann"])  # lower position: it will commit (be applied) late
    w.follow(i["cat"], i["ann"])
    w.follow(i["dan"], i["ann"])
    registered, (early, mid, late) = w.events[:4], w.events[4:7]
    assert early.position < mid.position < late.position
    apply_all([*registered, mid, late])
    s.late_event = early  # type: ignore[attr-defined]
    return s


def test_late_notification_is_unread_after_mark_read(late_site) -> None:
    ann = late_site.client("ann")
    assert ann.post("/api/socialapp/v1/notifications/read", {}, format="json").json() == {"unread_count": 0}
    apply_all([late_site.late_event])  # lower log position, applied after the marker was set
    body = ann.get("/api/socialapp/v1/notifications").json()
    assert body["unread_count"] == 1
    newest = body["results"][0]
    assert newest["actor"]["username"] == "bob" and newest["unread"] is True
    assert [n["unread"] for n in body["results"]] == [True, False, False]


def test_late_notification_is_seen_by_a_client_that_already_paged(late_site) -> None:
    ann = late_site.client("ann")
    first = ann.get("/api/socialapp/v1/notifications", {"limit": 1}).json()
    seen = [n["id"] for n in first["results"]]
    rest = ann.get("/api/socialapp/v1/notifications", {"limit": 1, "cursor": first["next"]}).json()
    seen += [n["id"] for n in rest["results"]]
    apply_all([late_site.late_event])
    top = ann.get("/api/socialapp/v1/notifications", {"limit": 1}).json()["results"][0]  # a client polls for new ones
    assert top["actor"]["username"] == "bob" and top["id"] not in seen
    assert int(top["id"]) > max(int(x) for x in seen)
    # marking read up to what the client saw leaves the late one unread
    up_to = max(seen, key=int)
    assert ann.post("/api/socialapp/v1/notifications/read", {"up_to": up_to}, format="json").json() == {
        "unread_count": 1
    }
    # the older pages are unchanged: walking from the top gives every notification once, newest first
    everything, cursor = [], None
    while True:
        page = ann.get("/api/socialapp/v1/notifications", {"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        everything += [n["id"] for n in page["results"]]
        if not (cursor := page["next"]):
            break
    assert len(everything) == len(set(everything)) == 3
    assert everything == sorted(everything, key=int, reverse=True)


def test_ids_survive_a_rebuild(late_site) -> None:
    apply_all([late_site.late_event])
    before = fetchall("SELECT recipient_id, position, seq FROM read_notification ORDER BY seq")
    reset(ONLY)
    apply_all(late_site.world.events, ONLY)  # a rebuild replays in log order
    assert fetchall("SELECT recipient_id, position, seq FROM read_notification ORDER BY seq") == before


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_ids_of_one_recipient_commit_in_order_under_concurrent_applies() -> None:
    """While one apply that drew an id for ann is uncommitted, a second apply for ann waits on
    her lock (so it can never commit a higher id first), then draws a higher one."""
    reset(ONLY)
    w = World()
    ann, bob, cat = w.register("ann"), w.register("bob"), w.register("cat")
    w.follow(bob, ann)
    w.follow(cat, ann)
    registered, first, second = w.events[:3], w.events[3], w.events[4]
    apply_all(registered, ONLY)
    for uid in (ann, bob, cat):  # existing gate rows: the only thing left to wait on is ann's lock
        execute("INSERT INTO read_notification_gate VALUES (%s, 0, false)", [f"user:{uid}"])
    with second_apply_waiting(REGISTRY["notifications"], first, second, "advisory"):
        assert fetchall("SELECT * FROM read_notification") == []  # nothing committed yet
    rows = fetchall("SELECT actor_id, seq FROM read_notification WHERE recipient_id = %s ORDER BY seq", [ann])
    assert [r[0] for r in rows] == [bob, cat]


def _loop(w: World, follower: int, followee: int, post: int, times: int) -> None:
    for _ in range(times):
        w.follow(follower, followee)
        w.like(follower, post)
        w.follow(follower, followee, on=False)
        w.like(follower, post, on=False)
    w.follow(follower, followee)
    w.like(follower, post)


def _like_follow_rows(recipient: int) -> list[tuple]:
    return fetchall(
        "SELECT kind, seq, position, actor_id, created_at FROM read_notification WHERE recipient_id = %s"
        " AND kind IN ('like', 'follow') ORDER BY kind",
        [recipient],
    )


def test_a_like_or_follow_loop_notifies_once_per_window(clean_read_models, settings) -> None:
    """A follow/unfollow or like/unlike loop within the window: the target keeps the first
    notification (same id, position and time), never a new one per repetition."""
    settings.NOTIFICATIONS_DEDUP_WINDOW_SECONDS = 3600
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    post = w.post(ann, "hello")
    w.follow(bob, ann)
    w.like(bob, post)
    first_follow, first_like = w.events[-2], w.events[-1]
    apply_all(w.events, ONLY)
    before = _like_follow_rows(ann)
    assert [(r[0], r[2]) for r in before] == [("follow", first_follow.position), ("like", first_like.position)]
    start = len(w.events)
    w.follow(bob, ann, on=False)
    w.like(bob, post, on=False)
    _loop(w, bob, ann, post, times=5)
    apply_all(w.events[start:], ONLY)
    assert _like_follow_rows(ann) == before
    in_order = snapshot()["read_notification"]
    for seed in (1, 2, 3):  # any order, duplicates included, gives the same notifications
        reset(ONLY)
        apply_all(shuffled_within_aggregates(w.events, seed=seed), ONLY)
        assert snapshot()["read_notification"] == in_order, seed


def _refollowed() -> tuple[World, int]:
    """bob follows ann, unfollows and follows again (events 2, 3 and 4 of the world): ann's id."""
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    w.follow(bob, ann)
    w.follow(bob, ann, on=False)
    w.follow(bob, ann)
    return w, ann


def test_a_repetition_in_a_later_window_notifies_again(clean_read_models, settings) -> None:
    """Windows are by the events' own time (deterministic under replay), not by now()."""
    import dataclasses
    from datetime import datetime, timedelta

    settings.NOTIFICATIONS_DEDUP_WINDOW_SECONDS = 3600
    w, ann = _refollowed()
    t0 = datetime.fromisoformat(w.events[2].occurred_at)
    later = dataclasses.replace(w.events[4], occurred_at=(t0 + timedelta(hours=2)).isoformat())
    unfollow = dataclasses.replace(w.events[3], occurred_at=(t0 + timedelta(minutes=10)).isoformat())
    events = [*w.events[:3], unfollow, later]
    apply_all(events, ONLY)
    assert fetchall("SELECT position FROM read_notification WHERE recipient_id = %s", [ann]) == [(later.position,)]
    rows = fetchall("SELECT seq, position FROM read_notification WHERE recipient_id = %s", [ann])
    reset(ONLY)
    apply_all(list(reversed(events)), ONLY)
    assert fetchall("SELECT seq, position FROM read_notification WHERE recipient_id = %s", [ann]) == rows


def test_a_zero_window_notifies_every_time(clean_read_models, settings) -> None:
    settings.NOTIFICATIONS_DEDUP_WINDOW_SECONDS = 0
    w, ann = _refollowed()
    apply_all(w.events, ONLY)
    assert fetchall("SELECT position FROM read_notification WHERE recipient_id = %s", [ann]) == [
        (w.events[-1].position,)
    ]
