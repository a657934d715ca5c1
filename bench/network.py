"""The read benchmark's data set: a network shaped like a real one, in the write tables and in
the read models, loaded with COPY (bench/seed.py's `copy_rows`) and derived server-side where a
read model is a function of another table (feed_follow from read_follow_edge, ...).

Shape (`NetworkShape.at(scale)`; scale 1 = the sizes of issue 12):
- users: 50,000; follow out-degrees log-normal (median ~150, about 3% of readers follow
  >= 1,000), followees drawn partly by a Zipf popularity law, partly uniformly: in-degrees are
  heavy-tailed; a few celebrities are followed by 45% of users (>= 20,000 followers at scale 1,
  above FEED_CELEBRITY_THRESHOLD: their posts are not fanned out, the read-time merge serves them);
- posts: 2,000,000, authors heavy-tailed by activity, every celebrity among the posters;
- likes (1.5 per post) and comments (0.25 per post) Zipf-distributed over posts (a few posts
  with thousands), each (post, user) liked at most once;
- every home feed as the pipeline leaves it: own posts and followees' fanned-out posts, the
  newest FEED_MAX_ENTRIES of them.

The graph is generated with numpy (vectorised: millions of edges in seconds); rows go through
COPY; secondary indexes and foreign keys of the loaded tables are dropped for the load and
recreated after it (one sorted build, one validating join, instead of millions of row checks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
from django.db import connections

from bench.common import sql
from bench.measure import stopwatch
from bench.seed import T0, WORDS, copy_rows, truncate

READS_ID_BASE = 1 << 51  # seeded post, like and comment ids; live ids (socialapp.common.ids) are far above
POST_SPACING_SECONDS = 1


@dataclass(frozen=True)
class NetworkShape:
    """How big and how skewed the network is; `version` changes when the generator does."""

    users: int
    posts: int
    median_followees: int = 150
    followee_sigma: float = 1.0  # log-normal out-degree: 3% of readers follow >= 6.6x the median
    celebrities: int = 5
    celebrity_share: float = 0.45  # of all users follow each celebrity
    zipf_share: float = 0.35  # of a reader's followees drawn by popularity, the rest uniformly
    popularity_exponent: float = 0.7  # weight 1/rank^e: heavy-tailed follower counts, a few above the threshold
    likes_per_post: float = 1.5
    comments_per_post: float = 0.25
    seed: int = 12
    version: int = 2

    @classmethod
    def at(cls, scale: float) -> NetworkShape:
        """Scale 1: 50,000 users and 2,000,000 posts. At least 2,000 users, so that even a tiny
        run has readers in every followee bracket (<= 50, 50-500, >= 500)."""
        return cls(users=max(2_000, round(50_000 * scale)), posts=max(20_000, round(2_000_000 * scale)))

    def params(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------ the graph (numpy)
def follow_graph(shape: NetworkShape) -> tuple[np.ndarray, np.ndarray]:
    """(follower ids, followee ids), unique pairs, no self-follows; user ids 1..users, the
    celebrities are 1..celebrities (also the top of the popularity law)."""
    gen = np.random.default_rng(shape.seed)
    n = shape.users
    degree = np.exp(gen.normal(math.log(shape.median_followees), shape.followee_sigma, n))
    degree = np.clip(degree.astype(np.int64), 1, n - 1)
    popularity = np.cumsum(1.0 / np.arange(1, n + 1) ** shape.popularity_exponent)
    popularity /= popularity[-1]
    total = int(degree.sum())
    followers = np.repeat(np.arange(n, dtype=np.int64), degree)
    by_zipf = gen.random(total) < shape.zipf_share
    followees = np.where(
        by_zipf, np.searchsorted(popularity, gen.random(total)), gen.integers(0, n, total, dtype=np.int64)
    )
    parts = [np.stack([followers, followees], 1)]
    for c in range(shape.celebrities):  # user index c is user id c + 1
        fans = np.flatnonzero(gen.random(n) < shape.celebrity_share)
        parts.append(np.stack([fans, np.full(len(fans), c)], 1))
    pairs = np.concatenate(parts)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    keys = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return keys // n + 1, keys % n + 1


def heavy_tail(gen: np.random.Generator, n_items: int, k: int, exponent: float) -> np.ndarray:
    """k draws over n_items indexes with weight 1/rank^exponent, ranks randomly permuted (the
    most drawn items are anywhere in the index range, e.g. anywhere in time for posts)."""
    cdf = np.cumsum(1.0 / np.arange(1, n_items + 1) ** exponent)
    cdf /= cdf[-1]
    return gen.permutation(n_items)[np.searchsorted(cdf, gen.random(k))]


def post_authors(shape: NetworkShape) -> np.ndarray:
    """The author id of each post, post i being the i-th oldest; every celebrity posts (0.1% of
    all posts each), the others by a heavy-tailed activity unrelated to popularity."""
    gen = np.random.default_rng(shape.seed + 1)
    authors = heavy_tail(gen, shape.users, shape.posts, 0.8) + 1
    for c in range(1, shape.celebrities + 1):
        authors[gen.random(shape.posts) < 0.001] = c
    return authors


def engagements(shape: NetworkShape, per_post: float, salt: int) -> tuple[np.ndarray, np.ndarray]:
    """(post index, user id) pairs, heavy-tailed over posts, one per pair."""
    gen = np.random.default_rng(shape.seed + salt)
    k = round(shape.posts * per_post)
    posts = heavy_tail(gen, shape.posts, k, 0.8)
    users = gen.integers(1, shape.users + 1, k, dtype=np.int64)
    keys = np.unique(posts * (shape.users + 1) + users)
    return keys // (shape.users + 1), keys % (shape.users + 1)


def brackets(followee_counts: np.ndarray) -> dict[str, int]:
    """How many readers fall in each followee bracket of the benchmark."""
    return {
        "<=50": int((followee_counts <= 50).sum()),
        "50-500": int(((followee_counts > 50) & (followee_counts < 500)).sum()),
        ">=500": int((followee_counts >= 500).sum()),
        ">=1000": int((followee_counts >= 1000).sum()),
    }


# ------------------------------------------------------------------------------ loading
@contextmanager
def bulk_loading(alias: str, tables: list[str]) -> Iterator[None]:
    """Drop the tables' foreign keys and secondary indexes (not primary keys nor unique
    constraints) for a bulk load, recreate them after it."""
    fks = sql(
        alias,
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
        [tables],
    )
    indexes = sql(
        alias,
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i"
        " WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    )
    for table, name, _ in fks:
        sql(alias, f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        sql(alias, f"DROP INDEX {name}")
    try:
        yield
    finally:
        sql(alias, "SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            sql(alias, definition)
        for table, name, definition in fks:
            sql(alias, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


WRITE_TABLES = ["accounts_user", "follows_follow", "posts_post", "posts_like", "comments_comment"]
READ_TABLES = [
    "read_profile", "read_post_author", "read_post", "read_profile_post", "read_post_tag", "read_follow_edge",
    "read_like", "read_comment", "feed_author", "feed_follow", "feed_post",
]  # fmt: skip
CLEARED_READ_TABLES = [*READ_TABLES, "feed_entry", "feed_fanout_job", "projection_applied_event", "read_notification"]


def pairs(a: np.ndarray, b: np.ndarray, chunk: int = 1_000_000) -> Iterator[tuple[int, int]]:
    """Python ints of two parallel arrays, a chunk at a time (13M follows would be 1 GB of lists)."""
    for i in range(0, len(a), chunk):
        yield from zip(a[i : i + chunk].tolist(), b[i : i + chunk].tolist(), strict=True)


class Phases:
    """Seconds per phase of the seed (where the time goes, to size a full-scale seed)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        with stopwatch() as timer:
            yield
        self.seconds[name] = round(timer.seconds, 1)


def post_body(i: int) -> tuple[str, str]:
    """A short text with one hashtag, cheap and deterministic (no RNG per word at 2M posts)."""
    tag = f"tag{i % 200}"
    return f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]} {WORDS[(i * 13) % len(WORDS)]} #{tag}", tag


def seed_network(shape: NetworkShape, *, cap: int, celebrity_threshold: int) -> dict:
    """Replace the contents of both databases with the network; returns its figures."""
    from datetime import timedelta

    phases = Phases()
    with phases("generate"):
        follower, followee = follow_graph(shape)
        authors = post_authors(shape)
        like_post, like_user = engagements(shape, shape.likes_per_post, 2)
        comment_post, comment_user = engagements(shape, shape.comments_per_post, 3)
        n = shape.users
        follower_count = np.bincount(followee, minlength=n + 1)
        following_count = np.bincount(follower, minlength=n + 1)
        post_count = np.bincount(authors, minlength=n + 1)
        like_count = np.bincount(like_post, minlength=shape.posts)
        comment_count = np.bincount(comment_post, minlength=shape.posts)
        celebrity = follower_count > celebrity_threshold
        post_ids = READS_ID_BASE + np.arange(shape.posts, dtype=np.int64) * 4096
        post_id_list = post_ids.tolist()
        times = [T0 + timedelta(seconds=i * POST_SPACING_SECONDS) for i in range(shape.posts)]

    for alias in ("default", "read"):  # builds and validations over millions of rows outlast DATABASE_STATEMENT_TIMEOUT
        sql(alias, "SET statement_timeout = 0")
    truncate("default", "event_log", *WRITE_TABLES, cascade=True)
    truncate("read", *CLEARED_READ_TABLES)
    users = range(1, n + 1)
    with phases("write_tables"), bulk_loading("default", WRITE_TABLES):
        copy_rows("default", "accounts_user",
                  "id password is_superuser username first_name last_name email is_staff is_active date_joined"
                  " display_name bio version",
                  ((u, "!", False, f"user{u}", "", "", f"user{u}@example.org", False, True, T0, f"User {u}", "", 1)
                   for u in users))  # fmt: skip
        copy_rows("default", "follows_follow", "follower_id followee_id active changed_at version",
                  ((a, b, True, T0, 1) for a, b in pairs(follower, followee)))  # fmt: skip
        copy_rows("default", "posts_post", "id author_id body hashtags mentions created_at version",
                  ((pid, a, body, f'["{tag}"]', "[]", times[i], 1)
                   for i, (pid, a) in enumerate(pairs(post_ids, authors))
                   for body, tag in [post_body(i)]))  # fmt: skip
        copy_rows("default", "posts_like", "id post_id user_id active changed_at version",
                  ((k + 1, post_id_list[p], u, True, T0, 1)
                   for k, (p, u) in enumerate(pairs(like_post, like_user))))  # fmt: skip
        copy_rows("default", "comments_comment", "id post_id author_id body mentions created_at version",
                  ((READS_ID_BASE + k, post_id_list[p], u, "nice", "[]", times[p], 1)
                   for k, (p, u) in enumerate(pairs(comment_post, comment_user))))  # fmt: skip
    for table in ("accounts_user", "posts_like"):  # the next ids the command side gives
        sql("default", f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    with phases("read_models"), bulk_loading("read", READ_TABLES):
        copy_rows("read", "read_profile",
                  "user_id username username_lower display_name bio registered_at version follower_count"
                  " following_count post_count",
                  ((u, f"user{u}", f"user{u}", f"User {u}", "", T0, 1, int(follower_count[u]),
                    int(following_count[u]), int(post_count[u])) for u in users))  # fmt: skip
        copy_rows("read", "read_post_author", "user_id username display_name version deactivated",
                  ((u, f"user{u}", f"User {u}", 1, False) for u in users))  # fmt: skip
        copy_rows("read", "read_post",
                  "post_id author_id author_username author_display_name body hashtags mentions created_at"
                  " like_count comment_count version deleted author_deactivated",
                  ((pid, a, f"user{a}", f"User {a}", body, [tag], "[]", times[i], int(like_count[i]),
                    int(comment_count[i]), 1, False, False)
                   for i, (pid, a) in enumerate(pairs(post_ids, authors))
                   for body, tag in [post_body(i)]))  # fmt: skip
        sql(
            "read",
            "INSERT INTO read_profile_post (post_id, author_id, deleted) SELECT post_id, author_id, false FROM read_post",
        )
        sql("read", "INSERT INTO read_post_tag (tag, post_id) SELECT hashtags[1], post_id FROM read_post")
        copy_rows("read", "read_follow_edge", "follower_id followee_id active version since",
                  ((a, b, True, 1, T0) for a, b in pairs(follower, followee)))  # fmt: skip
        sql("read", "INSERT INTO feed_follow (followee_id, follower_id, active, version)"
                    " SELECT followee_id, follower_id, true, 1 FROM read_follow_edge")  # fmt: skip
        copy_rows("read", "read_like", "post_id user_id active version",
                  ((post_id_list[p], u, True, 1) for p, u in pairs(like_post, like_user)))  # fmt: skip
        copy_rows("read", "read_comment",
                  "comment_id post_id author_id author_username author_display_name body mentions created_at version"
                  " deleted author_deactivated",
                  ((READS_ID_BASE + k, post_id_list[p], u, f"user{u}", f"User {u}", "nice", "[]", times[p], 1, False,
                    False) for k, (p, u) in enumerate(pairs(comment_post, comment_user))))  # fmt: skip
        copy_rows("read", "feed_author", "user_id follower_count deactivated has_unfanned",
                  ((u, int(follower_count[u]), False, bool(celebrity[u] and post_count[u])) for u in users))  # fmt: skip
        sql("read", "INSERT INTO feed_post (post_id, author_id, fanned_out, deleted)"
                    " SELECT p.post_id, p.author_id, NOT a.has_unfanned, false FROM read_post p"
                    " JOIN feed_author a ON a.user_id = p.author_id")  # fmt: skip
    with phases("home_feeds"), bulk_loading("read", ["feed_entry"]):
        fill_home_feeds(n, cap)
    with phases("vacuum_analyze"):  # the visibility map too (index-only scans), unless in a test's transaction
        for alias in ("default", "read"):
            sql(alias, "ANALYZE" if connections[alias].in_atomic_block else "VACUUM ANALYZE")
    counts = follower_count[1:]
    return {
        "users": n,
        "posts": shape.posts,
        "follows": len(follower),
        "likes": len(like_post),
        "comments": len(comment_post),
        "feed_entries": sql("read", "SELECT count(*) FROM feed_entry")[0][0],
        "median_followees": float(np.median(following_count[1:])),
        "followee_brackets": brackets(following_count[1:]),
        "max_followers": int(counts.max()),
        "accounts_over_celebrity_threshold": int(celebrity.sum()),
        "max_likes_on_a_post": int(like_count.max()),
        "max_comments_on_a_post": int(comment_count.max()),
        "seed_phase_seconds": phases.seconds,
    }


def fill_home_feeds(n_users: int, cap: int, batch: int = 1000, threads: int = 2) -> None:
    """Every reader's feed as the projector leaves it (its own posts and its followees' fanned-out
    posts, the newest `cap`), the way `maintenance.regenerate` builds one, a batch of readers per
    statement (one reader is one index range per followee, then a top-`cap` sort), batches on
    `threads` connections (the longest phase of a full-scale seed; one per core)."""

    def fill(start: int) -> None:
        sql("read", "SET statement_timeout = 0")  # this thread's own connection
        sql(
            "read",
            "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT r.user_id, s.post_id, s.author_id"
            " FROM feed_author r CROSS JOIN LATERAL (SELECT p.post_id, p.author_id FROM"
            " (SELECT followee_id FROM feed_follow WHERE follower_id = r.user_id AND active UNION ALL SELECT r.user_id) a"
            " CROSS JOIN LATERAL (SELECT post_id, author_id FROM feed_post WHERE author_id = a.followee_id"
            " AND NOT deleted AND (fanned_out OR author_id = r.user_id) ORDER BY post_id DESC LIMIT %s) p"
            " ORDER BY p.post_id DESC LIMIT %s) s WHERE r.user_id >= %s AND r.user_id < %s",
            [cap, cap, start, start + batch],
        )

    starts = range(1, n_users + 1, batch)
    if connections["read"].in_atomic_block:  # a test's transaction: other connections would not see its rows
        for start in starts:
            fill(start)
        return
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(threaded(fill), starts))


def threaded(work: Callable[[int], None]) -> Callable[[int], None]:
    """`work` on a pool thread, closing that thread's connections after each call."""

    def run(arg: int) -> None:
        try:
            work(arg)
        finally:
            connections.close_all()

    return run
