"""Data generation: synthetic users, follows, posts and texts, bulk-loaded with COPY, at the
scale of the benchmarks (millions of rows in seconds, where the command services would take
hours). The rows are what the command services and the projectors would have written.

- `seed_social(rng, scale)`: the feeds benchmark's data set, write model and read model;
- `seed_search_corpus(rng, n_posts)`: the search benchmark's posts index and search state;
- the pieces they are made of: `copy_rows`, `truncate`, `power_law_follows`, `post_text`, ...
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections

from bench.common import sql
from bench.measure import stopwatch

FEEDS_ID_BASE = 1 << 50  # seeded post ids, below the time-ordered ids of posts created during a run
SEARCH_ID_BASE = 1 << 52
T0 = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = [
    "crème", "brûlée", "café", "straße", "über", "naïve", "façade", "jalapeño", "smörgåsbord", "déjà", "vu", "coffee",
    "tea", "bread", "cheese", "garden", "river", "mountain", "city", "night", "morning", "music", "guitar", "piano",
    "football", "running", "holiday", "travel", "photo", "sunset", "beach", "winter", "summer", "autumn", "spring",
    "rain", "snow", "book", "movie",
]  # fmt: skip
TAGS = [f"tag{i}" for i in range(200)]


# ------------------------------------------------------------------------------ pieces
def copy_rows(alias: str, table: str, columns: Sequence[str] | str, rows: Iterable[Sequence[Any]]) -> None:
    """Bulk-load rows with COPY (psycopg 3); `columns` as a list or one space-separated string."""
    if isinstance(columns, str):
        columns = columns.split()
    connections[alias].ensure_connection()
    raw = connections[alias].connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def truncate(alias: str, *tables: str, cascade: bool = False) -> None:
    sql(alias, f"TRUNCATE {', '.join(tables)}{' CASCADE' if cascade else ''}")


def power_law_follows(rng: random.Random, users: list[int]) -> set[tuple[int, int]]:
    """(follower, followee) pairs: out-degrees Pareto-distributed, followees chosen with weight
    1/rank^1.1, and the top 0.5% of accounts followed by 60% of users (celebrities)."""
    n = len(users)
    weights = [1 / (rank**1.1) for rank in range(1, n + 1)]
    follows: set[tuple[int, int]] = set()
    for u in users:
        k = min(n - 1, int(rng.paretovariate(1.2) * 8))
        follows.update((u, v) for v in rng.choices(users, weights=weights, k=k) if v != u)
    for v in users[: max(1, n // 200)]:
        follows.update((u, v) for u in rng.sample(users, int(n * 0.6)) if u != v)
    return follows


def heavy_tailed_posts(rng: random.Random, users: list[int], n_posts: int) -> list[tuple[int, int, datetime]]:
    """(post_id, author_id, created_at), ids time-ordered. Posting activity is heavy-tailed too,
    but not tied to popularity (big accounts are not necessarily the busiest posters)."""
    activity = users[:]
    rng.shuffle(activity)
    authors = rng.choices(activity, weights=[1 / (rank**0.8) for rank in range(1, len(users) + 1)], k=n_posts)
    return [(FEEDS_ID_BASE + i * 4096, a, T0 + timedelta(seconds=i)) for i, a in enumerate(authors)]


def post_text(rng: random.Random) -> tuple[str, list[str]]:
    """5-25 words (accented ones among them, for folding) and 0-2 hashtags appended."""
    tags = rng.sample(TAGS, k=rng.randint(0, 2))
    text = " ".join(rng.choices(WORDS, k=rng.randint(5, 25)))
    return text + "".join(f" #{t}" for t in tags), tags


def post_payload(post_id: int, author_id: int, text: str, tags: list[str], at: datetime) -> dict:
    """The payload of a `post.created` event."""
    return {
        "post_id": post_id,
        "author_id": author_id,
        "author_username": f"user{author_id}",
        "author_display_name": f"User {author_id}",
        "body": text,
        "hashtags": tags,
        "mentions": [],
        "created_at": at.isoformat(),
    }


def search_doc(payload: dict) -> dict:
    """The posts index document the search projector makes of a `post.created` payload (the same
    builder: language, stems and every field of the current mapping)."""
    from socialapp.read.search.documents import post_document

    return post_document(
        post_id=payload["post_id"],
        author_id=payload["author_id"],
        author_username=payload["author_username"],
        author_display_name=payload["author_display_name"],
        body=payload["body"],
        hashtags=payload["hashtags"],
        mentions=[],
        created_at=payload["created_at"],
        like_count=0,
        comment_count=0,
        visibility=payload.get("visibility") or "public",
        language=payload.get("language") or "",
        sensitive=bool(payload.get("sensitive")),
    )


# ------------------------------------------------------------------------------ feeds
def seed_social(rng: random.Random, scale: float) -> dict:
    """At scale 1: 10,000 users, 1,000,000 posts, power-law follows; write model and read model
    (profiles, posts, follow edges, feed tables, home feeds filled as the projectors would, capped
    at FEED_MAX_ENTRIES). Replaces what the tables held. Returns the data set's figures."""
    n_users = max(50, int(10_000 * scale))
    n_posts = max(1000, int(1_000_000 * scale))
    with stopwatch() as timer:
        truncate("default", "accounts_user", "posts_post", "posts_like", "follows_follow", "comments_comment",
                 cascade=True)  # fmt: skip
        truncate("read", "read_profile", "read_follow_edge", "read_profile_post", "read_post_author", "read_post",
                 "read_comment", "read_like", "read_post_tag", "feed_author", "feed_follow", "feed_post", "feed_entry",
                 "feed_fanout_job", "projection_applied_event")  # fmt: skip
        users = list(range(1, n_users + 1))
        follows = power_law_follows(rng, users)
        posts = heavy_tailed_posts(rng, users, n_posts)
        load_write_model(users, follows, posts)
        followers = load_read_model(users, follows, posts)
        fill_home_feeds(settings.FEED_MAX_ENTRIES)
        for alias in ("default", "read"):
            sql(alias, "ANALYZE")
        entries = sql("read", "SELECT count(*) FROM feed_entry")[0][0]
    return {
        "users": n_users,
        "posts": n_posts,
        "follows": len(follows),
        "feed_entries": entries,
        "max_followers": max(followers.values()),
        "seconds": round(timer.seconds, 1),
    }


def load_write_model(users: list[int], follows: set[tuple[int, int]], posts: list[tuple[int, int, datetime]]) -> None:
    copy_rows(
        "default",
        "accounts_user",
        "id password is_superuser username first_name last_name email is_staff is_active date_joined display_name"
        " bio version",
        (
            (u, "!", False, f"user{u}", "", "", f"user{u}@example.org", False, True, T0, f"User {u}", "", 1)
            for u in users
        ),
    )
    sql("default", "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [len(users) + 1])
    copy_rows(
        "default",
        "follows_follow",
        "follower_id followee_id active changed_at version",
        ((a, b, True, T0, 1) for a, b in follows),
    )
    copy_rows(
        "default",
        "posts_post",
        "id author_id body hashtags mentions created_at version",
        ((pid, a, f"post {pid} #tag{pid % 50}", json.dumps([f"tag{pid % 50}"]), "[]", ts, 1) for pid, a, ts in posts),
    )


def load_read_model(
    users: list[int], follows: set[tuple[int, int]], posts: list[tuple[int, int, datetime]]
) -> dict[int, int]:
    """The read model as the projectors build it (in bulk, by the same rules). Returns the
    follower count of each followed user."""
    copy_rows(
        "read",
        "read_profile",
        "user_id username username_lower display_name bio registered_at version follower_count following_count"
        " post_count",
        ((u, f"user{u}", f"user{u}", f"User {u}", "", T0, 1, 0, 0, 0) for u in users),
    )
    copy_rows(
        "read",
        "read_post_author",
        "user_id username display_name version deactivated",
        ((u, f"user{u}", f"User {u}", 1, False) for u in users),
    )
    read_posts = ((pid, a, f"user{a}", f"User {a}", f"post {pid} #tag{pid % 50}", [f"tag{pid % 50}"], "[]", ts,
                   0, 0, 1, False, False) for pid, a, ts in posts)  # fmt: skip
    copy_rows(
        "read",
        "read_post",
        "post_id author_id author_username author_display_name body hashtags mentions created_at like_count"
        " comment_count version deleted author_deactivated",
        read_posts,
    )
    copy_rows(
        "read",
        "read_follow_edge",
        "follower_id followee_id active version since",
        ((a, b, True, 1, T0) for a, b in follows),
    )
    copy_rows("read", "feed_follow", "followee_id follower_id active version", ((b, a, True, 1) for a, b in follows))
    followers: dict[int, int] = {}
    for _, b in follows:
        followers[b] = followers.get(b, 0) + 1
    copy_rows(
        "read",
        "feed_author",
        "user_id follower_count deactivated has_unfanned",
        ((u, followers.get(u, 0), False, False) for u in users),
    )
    copy_rows(
        "read", "feed_post", "post_id author_id fanned_out deleted", ((pid, a, True, False) for pid, a, _ in posts)
    )
    return followers


def fill_home_feeds(cap: int) -> None:
    """Every reader's home feed: own posts and followees' posts, the newest `cap` of them."""
    sql(
        "read",
        "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT reader_id, post_id, author_id FROM ("
        " SELECT r.reader_id, p.post_id, p.author_id, row_number() OVER (PARTITION BY r.reader_id"
        " ORDER BY p.post_id DESC) AS n FROM (SELECT follower_id AS reader_id, followee_id AS author_id FROM"
        " feed_follow UNION ALL SELECT user_id, user_id FROM feed_author) r JOIN feed_post p"
        " ON p.author_id = r.author_id) s WHERE n <= %s",
        [cap],
    )


# ------------------------------------------------------------------------------ search
def seed_search_corpus(rng: random.Random, n_posts: int) -> dict:
    """`n_posts` posts: raw parallel bulk into the posts index, COPY into the search state (as if
    the projector had applied and pushed them: nothing pending), plus their hashtags and 5,000 users. Returns the
    loading rates (raw parallel bulk is the ceiling the pipeline is compared with)."""
    from elasticsearch import helpers

    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client
    from socialapp.read.search.folding import fold

    es = get_client()
    alias = indexes.read_alias("posts")
    es.indices.put_settings(index=alias, settings={"refresh_interval": "-1"})
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    tag_count: dict[str, int] = {}
    tag_last: dict[str, datetime] = {}
    bulk_s = copy_s = 0.0
    chunk = 20_000
    for start in range(0, n_posts, chunk):
        rows = []
        for i in range(start, min(n_posts, start + chunk)):
            text, tags = post_text(rng)
            at = t0 + timedelta(seconds=i * 30)
            rows.append(post_payload(SEARCH_ID_BASE * 2 + i, 1 + i % 5000, text, tags, at))
            for t in tags:
                tag_count[t] = tag_count.get(t, 0) + 1
                tag_last[t] = at
        docs = [{"_index": alias, "_id": str(p["post_id"]), "_source": search_doc(p)} for p in rows]
        with stopwatch() as timer:
            for _ok, _item in helpers.parallel_bulk(es, docs, chunk_size=2000, thread_count=2):
                pass
        bulk_s += timer.seconds
        with stopwatch() as timer:
            copy_rows(
                "read",
                "search_post",
                "post_id author_id author_username author_display_name body hashtags mentions created_at version"
                " deleted author_deactivated like_count doc_version",
                ((p["post_id"], p["author_id"], p["author_username"], p["author_display_name"], p["body"],
                  p["hashtags"], [], p["created_at"], 1, False, False, 0, 1) for p in rows),
            )  # fmt: skip
        copy_s += timer.seconds
        if start and start % 200_000 == 0:
            print(f"  {start} posts seeded", flush=True)
    copy_rows("read", "search_hashtag", "tag post_count last_used_at doc_version",
              ((t, n, tag_last[t], 1) for t, n in tag_count.items()))  # fmt: skip
    copy_rows("read", "search_user", "user_id username display_name version deactivated doc_version",
              ((u, f"user{u}", f"User {u}", 1, False, 1) for u in range(1, 5001)))  # fmt: skip
    sql("read", "ANALYZE search_post")
    es.indices.put_settings(index=alias, settings={"refresh_interval": settings.SEARCH_REFRESH_INTERVAL})
    es.options(request_timeout=300).indices.refresh(index=alias)
    indexed = es.count(index=alias)["count"]
    if indexed < n_posts:
        raise RuntimeError(f"seeded only {indexed} of {n_posts} posts")
    # Merging a million documents takes minutes: far beyond the client's default request timeout.
    es.options(request_timeout=900).indices.forcemerge(index=alias, max_num_segments=4)
    tag_docs = (
        {"_index": indexes.read_alias("hashtags"), "_id": t,
         "_source": {"hidden": False, "tag": t, "post_count": n, "last_used_at": tag_last[t].isoformat()}}
        for t, n in tag_count.items()
    )  # fmt: skip
    user_docs = (
        {"_index": indexes.read_alias("users"), "_id": str(u),
         "_source": {"hidden": False, "user_id": u, "username": f"user{u}", "username_folded": f"user{u}",
                     "display_name": f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}",
                     "display_name_folded": fold(f"{rng.choice(WORDS)} {rng.choice(WORDS)}")}}
        for u in range(1, 5001)
    )  # fmt: skip
    helpers.bulk(es, tag_docs)
    helpers.bulk(es, user_docs)
    indexes.refresh()
    return {
        "posts": n_posts,
        "raw_parallel_bulk_docs_per_s": round(n_posts / bulk_s),
        "state_copy_rows_per_s": round(n_posts / copy_s),
    }
