"""Suspension in the read models: hidden everywhere deactivation hides (profiles, follow lists,
posts, comments, feeds, hashtag timelines, notifications) and, once lifted, every answer is
exactly what it was; any delivery order, duplicates and a rebuild give the same rows."""

from __future__ import annotations

import itertools

import pytest

from tests.read.api_support import make_site
from tests.read.conftest import apply_all, reset, snapshot
from tests.read.factory import shuffled_within_aggregates

pytestmark = pytest.mark.django_db(databases=["default", "read"])


@pytest.fixture
def site(clean_read_models):
    s = make_site("ann", "bob", "cat")
    w, i = s.world, s.ids
    w.follow(i["bob"], i["ann"])
    w.follow(i["ann"], i["bob"])
    w.follow(i["cat"], i["bob"])
    s.ann_post = w.post(i["ann"], "ann on #cqrs")  # type: ignore[attr-defined]
    s.bob_post = w.post(i["bob"], "bob post @ann #cqrs")  # type: ignore[attr-defined]
    w.like(i["bob"], s.ann_post)  # type: ignore[attr-defined]
    w.comment(i["bob"], s.ann_post, "bob says hi")  # type: ignore[attr-defined]
    w.comment(i["cat"], s.bob_post, "cat replies")  # type: ignore[attr-defined]
    s.apply()
    return s


def answers(site) -> dict[tuple[str, str], tuple[int, object]]:
    """What ann and cat see on every list and page that could show bob or his content."""
    urls = [
        "/api/socialapp/v1/feed",
        "/api/socialapp/v1/users/bob",
        "/api/socialapp/v1/users/bob/posts",
        "/api/socialapp/v1/users/ann",
        "/api/socialapp/v1/users/ann/followers",
        "/api/socialapp/v1/users/ann/following",
        "/api/socialapp/v1/users/bob/followers",
        f"/api/socialapp/v1/posts/{site.bob_post}",
        f"/api/socialapp/v1/posts/{site.bob_post}/comments",
        f"/api/socialapp/v1/posts/{site.ann_post}/comments",
        "/api/socialapp/v1/tags/cqrs/posts",
        "/api/socialapp/v1/notifications",
    ]
    out = {}
    for viewer, url in itertools.product(("ann", "cat"), urls):
        r = site.client(viewer).get(url)
        out[(viewer, url)] = (r.status_code, r.json())
    return out


def test_suspended_user_is_hidden_everywhere_and_restored_exactly(site) -> None:
    before = answers(site)
    assert before[("ann", "/api/socialapp/v1/users/bob")][0] == 200
    site.world.suspend(site.ids["bob"])
    site.apply()
    during = answers(site)
    assert during[("ann", "/api/socialapp/v1/users/bob")][0] == 404
    assert during[("ann", f"/api/socialapp/v1/posts/{site.bob_post}")][0] == 404
    assert during[("ann", f"/api/socialapp/v1/posts/{site.bob_post}/comments")][0] == 404
    bob_id = str(site.ids["bob"])
    text = repr({k: v for k, v in during.items() if k[1] != "/api/socialapp/v1/users/ann"})
    assert "bob post" not in text and "bob says hi" not in text and f"'id': '{bob_id}'" not in text, text
    assert [n["kind"] for n in during[("ann", "/api/socialapp/v1/notifications")][1]["results"]] == []
    assert during[("ann", "/api/socialapp/v1/notifications")][1]["unread_count"] == 0
    assert before[("ann", "/api/socialapp/v1/notifications")][1]["unread_count"] > 0
    site.world.unsuspend(site.ids["bob"])
    site.apply()
    assert answers(site) == before


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_any_order_duplicates_and_rebuild_give_the_same_rows(site, seed) -> None:
    w, i = site.world, site.ids
    w.suspend(i["bob"])
    w.unsuspend(i["bob"])
    w.suspend(i["bob"])
    w.update_profile(i["bob"], "Bob B.", "")
    w.suspend(i["cat"])
    w.unsuspend(i["cat"])
    site.apply()
    in_order = snapshot()
    reset()
    apply_all(shuffled_within_aggregates(w.events, seed=seed))
    assert snapshot() == in_order
    reset()
    apply_all(w.events)  # a rebuild from the log
    assert snapshot() == in_order
    assert site.client("ann").get("/api/socialapp/v1/users/bob").status_code == 404
    assert site.client("ann").get("/api/socialapp/v1/users/cat").status_code == 200


def test_suspension_and_deactivation_in_either_order_agree(site) -> None:
    w, i = site.world, site.ids
    w.suspend(i["bob"])
    w.deactivate(i["bob"])
    w.unsuspend(i["bob"])  # lifted after deactivation: stays gone for good
    site.apply()
    in_order = snapshot()
    assert site.client("ann").get("/api/socialapp/v1/users/bob").status_code == 404
    for seed in range(3):
        reset()
        apply_all(shuffled_within_aggregates(w.events, seed=seed))
        assert snapshot() == in_order
