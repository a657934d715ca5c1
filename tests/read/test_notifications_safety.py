"""Issue 15's notifications: a pending follow request (`follow_request`), a resolved report
(`report_resolved`). Both idempotent and order-independent; the convergence check and a rebuild
from the log agree with live application."""

from __future__ import annotations

import itertools

import pytest

from socialapp.events.projector import REGISTRY, EventMessage
from socialapp.read.common.sql import fetchall
from tests.read.api_support import make_site
from tests.read.conftest import apply_all, logged, reset
from tests.read.factory import World

pytestmark = pytest.mark.django_db(databases=["default", "read"])

ONLY = ("notifications",)


def request(w: World, follower: int, followee: int, event_type: str, version: int) -> EventMessage:
    payload = {
        "follower_id": follower,
        "followee_id": followee,
        "follower_username": w.users[follower].username,
        "followee_username": w.users[followee].username,
        "at": w._now(),
    }
    return w._emit(event_type, "follow_request", f"{follower}:{followee}", version, payload, follower)


def resolved(w: World, report_id: int, reporter: int, target: int, action: str) -> EventMessage:
    payload = {
        "report_id": report_id,
        "reporter_id": reporter,
        "reporter_username": w.users[reporter].username,
        "target_id": target,
        "action": action,
        "at": w._now(),
    }
    return w._emit("report.resolved", "report", report_id, 2, payload, 999)


def rows() -> list[tuple]:
    return fetchall(
        "SELECT recipient_id, kind, actor_id, actor_username, source_key, position, report_id, report_action"
        " FROM read_notification WHERE kind IN ('follow_request', 'report_resolved') ORDER BY 1, 2, 5"
    )


def test_a_follow_request_notifies_the_followee_until_answered(clean_read_models) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    first = request(w, bob, ann, "follow.requested", 1)
    apply_all([first, first], ONLY)
    assert rows() == [(ann, "follow_request", bob, "bob", f"follow_request:{bob}:{ann}", first.position, None, None)]
    for version, answer in enumerate(
        ("follow.request_approved", "follow.request_rejected", "follow.request_withdrawn"), start=2
    ):
        apply_all([request(w, bob, ann, answer, version)], ONLY)
        assert rows() == [], answer
    # Asking again is a new version of the pair's aggregate: shown again.
    again = request(w, bob, ann, "follow.requested", 5)
    apply_all([again], ONLY)
    assert [r[1] for r in rows()] == ["follow_request"]


def test_a_late_request_after_its_approval_does_not_come_back(clean_read_models) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    asked = request(w, bob, ann, "follow.requested", 1)
    approved = request(w, bob, ann, "follow.request_approved", 2)
    apply_all([w.events[0], w.events[1], approved, asked, asked], ONLY)
    assert rows() == []


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_follow_request_history_in_any_order_gives_the_same_notification(clean_read_models, order) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    history = [
        request(w, bob, ann, "follow.requested", 1),
        request(w, bob, ann, "follow.request_withdrawn", 2),
        request(w, bob, ann, "follow.requested", 3),
        request(w, bob, ann, "follow.request_rejected", 4),
    ]
    apply_all(w.events[:2], ONLY)
    apply_all([history[i] for i in order], ONLY)
    assert rows() == []
    pending = request(w, bob, ann, "follow.requested", 5)
    apply_all([pending, history[order[0]]], ONLY)
    assert [(r[0], r[1]) for r in rows()] == [(ann, "follow_request")]


def test_a_deactivated_follower_leaves_no_request_behind(clean_read_models) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    asked = request(w, bob, ann, "follow.requested", 1)
    w.deactivate(bob)
    apply_all(w.events, ONLY)
    assert rows() == []
    apply_all([asked], ONLY)  # late, after the tombstone
    assert rows() == []


def test_a_resolved_report_notifies_the_reporter_once(clean_read_models) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    done = resolved(w, 41, ann, bob, "suspend")
    w.suspend(bob)  # the target's suspension hides nothing of the reporter's
    apply_all([*w.events, done], ONLY)
    assert rows() == [(ann, "report_resolved", ann, "ann", "report:41", done.position, 41, "suspend")]


def test_a_deactivated_reporter_gets_none_in_any_order(clean_read_models) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    done = resolved(w, 42, ann, bob, "none")
    w.deactivate(ann)
    gone = w.events[-1]
    apply_all(w.events[:2], ONLY)
    apply_all([gone, done], ONLY)
    assert rows() == []
    reset(ONLY)
    apply_all([*w.events[:2], done, gone], ONLY)
    assert rows() == []


def test_our_api_lists_both_kinds() -> None:
    site = make_site("ann", "bob")
    w, i = site.world, site.ids
    request(w, i["bob"], i["ann"], "follow.requested", 1)
    resolved(w, 43, i["ann"], i["bob"], "delete_post")
    site.apply()
    r = site.client("ann").get("/api/socialapp/v1/notifications")
    assert r.status_code == 200
    results = r.json()["results"]
    assert [n["kind"] for n in results] == ["report_resolved", "follow_request"]
    assert results[0]["report"] == {"id": "43", "action": "delete_post"} and results[0]["actor"]["username"] == "ann"
    assert results[1]["actor"] == {"id": str(i["bob"]), "username": "bob"} and results[1]["report"] is None


def test_the_convergence_check_and_a_rebuild_agree(clean_read_models) -> None:
    w = World()
    ann, bob, cat = w.register("ann"), w.register("bob"), w.register("cat")
    request(w, bob, ann, "follow.requested", 1)
    request(w, cat, ann, "follow.requested", 1)
    request(w, cat, ann, "follow.request_approved", 2)
    w.follow(cat, ann)
    resolved(w, 44, ann, bob, "none")
    events = logged(w.events)
    apply_all(events, ONLY)
    live = rows()
    assert [r[1] for r in live] == ["follow_request", "report_resolved"]
    report = REGISTRY["notifications"].check()
    assert report.ok and report.checked > 0, report
    REGISTRY["notifications"].rebuild_strategy().run()
    assert rows() == live
