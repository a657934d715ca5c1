"""The read benchmark's data set and naive feed (bench/network.py, bench/naive.py): the follow
graph has the promised brackets at the smallest scale, seeded feeds respect the cap, and the
naive join over the write tables serves the same page as the product. No server, no wrk."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from bench.common import sql
from bench.network import NetworkShape, brackets, follow_graph, pairs, seed_network


def _indexes_and_constraints(alias: str) -> set[tuple[str, str]]:
    indexes = sql(alias, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    constraints = sql(
        alias,
        "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
        " WHERE n.nspname = 'public'",
    )
    return set(indexes) | set(constraints)


def test_pairs_crosses_chunk_boundaries() -> None:
    a, b = np.arange(7), np.arange(7) * 10
    assert list(pairs(a, b, chunk=3)) == [(i, i * 10) for i in range(7)]


def test_the_full_scale_is_the_issues_and_every_bracket_exists_at_the_smallest() -> None:
    full = NetworkShape.at(1.0)
    assert (full.users, full.posts) == (50_000, 2_000_000)
    assert full.users * full.celebrity_share >= 20_000  # a few accounts with >= 20,000 followers

    shape = NetworkShape.at(0.0001)  # the floor: 2,000 users
    follower, followee = follow_graph(shape)
    following = np.bincount(follower, minlength=shape.users + 1)[1:]
    followers = np.bincount(followee, minlength=shape.users + 1)[1:]
    found = brackets(following)
    assert found["<=50"] >= 100 and found["50-500"] >= 1000 and found[">=500"] >= 50 and found[">=1000"] >= 5, found
    assert 120 <= np.median(following) <= 180
    assert not (follower == followee).any()
    assert len(np.unique(follower * (shape.users + 1) + followee)) == len(follower)  # each pair once
    # heavy-tailed in-degrees: the celebrities are followed by ~45% of users, the median account by few
    assert (followers[: shape.celebrities] > 0.4 * shape.users).all()
    assert np.median(followers) < 0.1 * shape.users


@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_seeded_feeds_are_capped_and_the_naive_join_serves_the_product_page(settings) -> None:
    from socialapp.write.accounts.models import User
    from socialapp.write.accounts.services import token_issue

    cap = 40
    settings.FEED_MAX_ENTRIES = cap
    shape = NetworkShape(users=300, posts=4000, median_followees=30, celebrities=2, celebrity_share=0.5)
    schema = {alias: _indexes_and_constraints(alias) for alias in ("default", "read")}
    figures = seed_network(shape, cap=cap, celebrity_threshold=100)
    # the load dropped foreign keys and secondary indexes: all of them are back (the naive join needs them)
    assert {alias: _indexes_and_constraints(alias) for alias in ("default", "read")} == schema

    assert figures["accounts_over_celebrity_threshold"] >= 2
    (longest, readers) = sql(
        "read", "SELECT max(n), count(*) FROM (SELECT count(*) AS n FROM feed_entry GROUP BY reader_id) s"
    )[0]
    assert longest == cap and readers == shape.users
    assert sql("read", "SELECT count(*) FROM feed_post WHERE NOT fanned_out")[0][0] > 0  # left to the merge
    assert sql("read", "SELECT count(*) FROM feed_entry e JOIN feed_post p USING (post_id)"
                       " WHERE NOT p.fanned_out AND e.reader_id <> p.author_id")[0][0] == 0  # fmt: skip

    # a celebrity's follower with few followees: the page needs the read-time merge
    (merged_reader,) = sql(
        "read",
        "SELECT f.follower_id FROM feed_follow f WHERE f.followee_id = 1 ORDER BY"
        " (SELECT count(*) FROM feed_follow g WHERE g.follower_id = f.follower_id), f.follower_id LIMIT 1",
    )[0]
    others = [r[0] for r in sql("read", "SELECT user_id FROM feed_author WHERE user_id > 2 ORDER BY user_id LIMIT 4")]
    settings.ROOT_URLCONF = "bench.urls"
    pages = {}
    for reader in [merged_reader, *others]:
        token = token_issue(user=User.objects.get(pk=reader), label="test")
        client = Client(headers={"authorization": f"Bearer {token}"})
        product, naive = client.get("/api/socialapp/v1/feed?limit=30"), client.get("/bench/naive-feed?limit=30")
        assert product.status_code == naive.status_code == 200
        assert len(product.json()["results"]) == 30
        assert naive.json()["results"] == product.json()["results"]  # same posts, fields and counts
        pages[reader] = product.json()["results"]
    assert any(post["author"]["id"] == "1" for post in pages[merged_reader])
