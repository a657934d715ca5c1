"""Home feeds: read model vs single-model join, fan-out vs raw COPY, commit-to-visible latency,
rebuild rate.

    python -m bench.feeds            # or `make bench`; BENCH_FEEDS_SCALE=0.02 by default

Knobs: BENCH_FEEDS_SCALE, BENCH_FEEDS_READ_SECONDS (8), BENCH_FEEDS_CONCURRENCY (4 readers),
BENCH_FEEDS_WRITE_RATE (20 posts/s during the reads), BENCH_FEEDS_LARGE_FOLLOWERS (5000: the most
followed user is topped up to this many followers, at most every other user, so scale >= 0.5 for
the full figure), BENCH_FEEDS_LATENCY_SAMPLES (1000 per group), BENCH_FEEDS_BACKGROUND_RATE (200
posts/s during the latency samples), BENCH_FEEDS_CHUNK_WORKERS (2), BENCH_FEEDS_BACKGROUND_WRITERS (4 threads
taking the background posts' starts, open loop), BENCH_FEEDS_FANOUT_POSTS (10
per top author), BENCH_FEEDS_WARMUP (20 untimed calls before each series), BENCH_FEEDS_ONLY_REBUILD (1: the
rebuild figure alone, printed, no result file). The data set is
bench/seed.py's `seed_social`. Run it with DJANGO_DEBUG=0 (settings.dev turns DEBUG on,
and Django then records every query; the JSON says which it was).

Runs in databases of its own (`benchfeeds_<name>`, created and migrated like test databases, kept
between runs and reseeded), so it never touches development data. At scale 1 the data set is
10,000 users, 1,000,000 posts and power-law follows (a few accounts with thousands of
followers); the default scale keeps a run to a couple of minutes on a 2-core machine.

Figures (bench/results/feeds.json and feeds.png):
- rebuild: `projections rebuild home_feed` (the projector's rebuild strategy) over a log made of
  the seeded follows and posts (follows spread among the posts), events/s, and whether the
  rebuilt feeds are exactly the ones the seed filled by the same rule;
- feed read p50/p99/req/s from the read model (`selectors.home_feed`, the SQL `GET feed` runs)
  and from the single-model join over follows and posts on the write tables (same readers, same
  page size, same output columns), each while a writer thread adds posts to both models at a
  fixed rate; ratio = read-model req/s / join req/s;
- fan-out rows/s of the `home_feed` projector (post.created events of the most followed
  accounts, chunk jobs run as the Celery task would, trims included) vs raw COPY rows/s of the
  same number of rows into `feed_entry`; ratio; and a bare `INSERT ... SELECT` of the same posts'
  rows from the follow table (no lock, conflict handling, trim or RETURNING): the ceiling of a
  fan-out that keeps reader ids in the database; the rows the trims took meanwhile
  (`trimmed_rows`: the seeded feeds are at their cap); and `statement_parts_ms`, one post to the
  most followed author's followers as one statement, built up from the bare insert to the chunk
  statement, each rolled back, median of 5;
- commit-to-visible: from a post's commit in the write model to the commit of its last chunk,
  i.e. its presence in every follower's feed, for ordinary accounts and the large one, p50 /
  p99 / max over BENCH_FEEDS_LATENCY_SAMPLES posts each, while background writers add posts at
  BENCH_FEEDS_BACKGROUND_RATE (achieved rate reported). Measured in process: the event is applied
  by the projectors as a worker would and chunk jobs run on worker threads, which signal the
  end of a post's last chunk (no polling); the relay and broker hop is measured by
  bench/pipeline.py and adds to it. Then the large author's again with no background
  (`large_without_background`): the fan-out's own time, under the queueing the background adds.
"""

from __future__ import annotations

import json
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from bench.common import sql, use_own_databases  # noqa: E402
from bench.load import closed_loop, open_loop, paced  # noqa: E402
from bench.measure import quantiles_ms, stopwatch, to_ms  # noqa: E402
from bench.report import Bars, bar_charts, write_json  # noqa: E402
from bench.seed import copy_rows, fill_home_feeds, seed_social, truncate  # noqa: E402
from socialapp.events.projector import REGISTRY, EventMessage  # noqa: E402
from socialapp.read.common.sql import execute  # noqa: E402

SCALE = float(os.environ.get("BENCH_FEEDS_SCALE", "0.02"))
# Only the rebuild figure (printed, no result file written): for working on the rebuild alone.
ONLY_REBUILD = os.environ.get("BENCH_FEEDS_ONLY_REBUILD", "") not in ("", "0")
READ_SECONDS = float(os.environ.get("BENCH_FEEDS_READ_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_FEEDS_CONCURRENCY", "4"))
WRITE_RATE = float(os.environ.get("BENCH_FEEDS_WRITE_RATE", "20"))  # posts per second during reads
LARGE_FOLLOWERS = int(os.environ.get("BENCH_FEEDS_LARGE_FOLLOWERS", "5000"))  # the large author's (capped by users)
LATENCY_SAMPLES = int(os.environ.get("BENCH_FEEDS_LATENCY_SAMPLES", "1000"))  # per group (ordinary, large)
BACKGROUND_RATE = float(os.environ.get("BENCH_FEEDS_BACKGROUND_RATE", "200"))  # posts/s during latency samples
CHUNK_WORKERS = int(os.environ.get("BENCH_FEEDS_CHUNK_WORKERS", "2"))  # threads running chunk jobs
BACKGROUND_WRITERS = int(os.environ.get("BENCH_FEEDS_BACKGROUND_WRITERS", "4"))  # threads taking the background starts
FANOUT_POSTS = int(os.environ.get("BENCH_FEEDS_FANOUT_POSTS", "10"))  # posts per top author, fan-out vs COPY
WARMUP = int(os.environ.get("BENCH_FEEDS_WARMUP", "20"))  # untimed calls before each measured series

# The single-model alternative: the same page, output columns and readers, straight from the write tables.
NAIVE_FEED = """
SELECT p.id, p.author_id, u.username, u.display_name, p.body, p.hashtags, p.mentions, p.created_at, p.edited_at,
  (SELECT count(*) FROM posts_like l WHERE l.post_id = p.id AND l.active) AS like_count,
  (SELECT count(*) FROM comments_comment c WHERE c.post_id = p.id AND c.deleted_at IS NULL) AS comment_count,
  EXISTS (SELECT 1 FROM posts_like l WHERE l.post_id = p.id AND l.user_id = %(r)s AND l.active) AS liked_by_me
FROM posts_post p JOIN accounts_user u ON u.id = p.author_id
WHERE p.deleted_at IS NULL AND u.deactivated_at IS NULL
  AND (p.author_id = %(r)s OR p.author_id IN (
       SELECT f.followee_id FROM follows_follow f WHERE f.follower_id = %(r)s AND f.active))
ORDER BY p.id DESC LIMIT 20
"""


# ------------------------------------------------------------------------------ writes during the run
_seq = iter(range(10**9))
_position = iter(range(10**12, 10**13))


def new_post(author: int) -> tuple[int, EventMessage]:
    """Write model insert + commit; returns the post id and its event (as the relay carries it)."""
    pid = int(time.time() * 1000) * 4096 * 2 + next(_seq)  # time-ordered, above the seeded ids
    now = datetime.now(UTC)
    with transaction.atomic():
        sql(
            "default",
            "INSERT INTO posts_post (id, author_id, body, hashtags, mentions, created_at, version)"
            " VALUES (%s, %s, 'bench', '[]', '[]', %s, 1)",
            [pid, author, now],
        )
    payload = {"post_id": pid, "author_id": author, "author_username": f"user{author}", "author_display_name": "",
               "body": "bench", "hashtags": [], "mentions": [], "created_at": now.isoformat()}  # fmt: skip
    return pid, EventMessage(
        uuid.uuid4(), next(_position), "post.created", "post", str(pid), 1, None, now.isoformat(), 1, payload
    )


class Projectors:
    """The posts and home_feed projectors applied in process, as a worker would. Fan-out chunk
    jobs go to `jobs` (run inline by `write`, or by `chunk_workers` threads) instead of Celery;
    each post's jobs are tracked, so that the moment its last chunk committed is known without
    polling the database (`visible`)."""

    def __init__(self) -> None:
        from socialapp.read.feeds import jobs

        self.fanout = jobs  # the chunk job runner
        self.feed, self.posts = REGISTRY["home_feed"], REGISTRY["posts"]
        self.jobs: queue.Queue[int | None] = queue.Queue()
        self.lock = threading.Lock()
        self.job_post: dict[int, int] = {}  # job id -> post id
        self.waiting: dict[int, set[int]] = {}  # post id -> its jobs not run yet
        self.done: dict[int, threading.Event] = {}  # post id -> set when its last chunk committed
        self.done_at: dict[int, float] = {}
        self.local = threading.local()  # .current: the tracked post this thread is applying
        self.workers_running = False  # chunks run on worker threads (else `write` runs them)
        type(self.feed).dispatch = staticmethod(self._dispatch)

    def _dispatch(self, ids: list[int]) -> None:
        pid = getattr(self.local, "current", None)
        with self.lock:
            if pid is not None:
                self.waiting[pid] = set(ids)
                self.job_post.update(dict.fromkeys(ids, pid))
        for i in ids:
            self.jobs.put(i)

    def run_job(self, job: int) -> None:
        self.fanout.run_fanout_job(job)
        finished = time.perf_counter()
        with self.lock:
            pid = self.job_post.pop(job, None)
            if pid is None:
                return
            self.waiting[pid].discard(job)
            if not self.waiting[pid]:
                del self.waiting[pid]
                self.done_at[pid] = finished
                self.done[pid].set()

    def apply(self, event: EventMessage) -> None:
        self.posts.apply(event)
        self.feed.apply(event)

    def write(self, author: int) -> int:
        """A new post, applied and fanned out (its chunks run here, unless worker threads run)."""
        pid, event = new_post(author)
        self.apply(event)
        while not self.workers_running and not self.jobs.empty():
            if (job := self.jobs.get()) is not None:
                self.fanout.run_fanout_job(job)
        return pid

    def write_tracked(self, author: int) -> float:
        """A new post by `author` (whose chunks run on the worker threads); seconds from its commit
        in the write model to the commit of its last chunk (the apply itself, without chunks)."""
        pid, event = new_post(author)
        committed = time.perf_counter()
        done = self.done[pid] = threading.Event()
        self.local.current = pid
        try:
            self.apply(event)
        finally:
            self.local.current = None
        with self.lock:
            chunked = pid in self.waiting or pid in self.done_at
        if chunked and not done.wait(60):
            raise TimeoutError(f"post {pid}: chunks not run within 60 s")
        finished = self.done_at.pop(pid, None) if chunked else time.perf_counter()
        del self.done[pid]
        return (finished or time.perf_counter()) - committed

    @contextmanager
    def chunk_workers(self, n: int) -> Iterator[None]:
        """`n` threads running chunk jobs (the Celery task workers) for the duration of the block."""

        def worker() -> None:
            try:
                while (job := self.jobs.get()) is not None:
                    self.run_job(job)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(n)]
        self.workers_running = True
        for t in threads:
            t.start()
        try:
            yield
        finally:
            self.workers_running = False
            for _ in threads:
                self.jobs.put(None)
            for t in threads:
                t.join()


# ------------------------------------------------------------------------------ measurements
def server_side(alias: str, query: str, readers: list[int]) -> dict:
    """PostgreSQL's own planning + execution time (EXPLAIN ANALYZE), without client overhead."""
    times = []
    for r in readers:
        plan = sql(alias, "EXPLAIN (ANALYZE, FORMAT JSON) " + query, {"r": r, "b": None, "n": 21})[0][0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        times.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
    return quantiles_ms(times, 0.5, 0.99, digits=3)


def measure_reads(name: str, call: Callable[[int], object], readers: list[int], writer: Callable[[], None]) -> dict:
    """CONCURRENCY readers for READ_SECONDS while `writer` adds WRITE_RATE posts a second."""
    with paced(writer, WRITE_RATE):
        latencies, elapsed = closed_loop(call, readers, seconds=READ_SECONDS, concurrency=CONCURRENCY)
    return {"name": name, "requests": len(latencies), **quantiles_ms(to_ms(latencies), 0.5, 0.99, digits=3),
            "req_per_s": round(len(latencies) / elapsed, 1)}  # fmt: skip


def feed_reads(readers: list[int], writer: Callable[[], None]) -> dict:
    """Read model vs single-model join, under the same write load; then server-side times."""
    from socialapp.read.feeds import selectors

    read_model = measure_reads(
        "read_model", lambda r: selectors.home_feed(reader_id=r, before=None, limit=20), readers, writer
    )
    naive = measure_reads("single_model_join", lambda r: sql("default", NAIVE_FEED, {"r": r}), readers, writer)
    server = {
        "read_model": server_side("read", selectors.HOME_FEED_SQL, readers[:200]),
        "single_model_join": server_side("default", NAIVE_FEED, readers[:200]),
    }
    return {
        "server_side_ms": server,
        "read_model": read_model,
        "single_model_join": naive,
        "ratio_req_per_s": round(read_model["req_per_s"] / max(naive["req_per_s"], 1e-9), 2),
        "ratio_p50": round(naive["p50_ms"] / max(read_model["p50_ms"], 1e-9), 2),
        "ratio_p99": round(naive["p99_ms"] / max(read_model["p99_ms"], 1e-9), 2),
        "server_ratio_p99": round(server["single_model_join"]["p99_ms"] / max(server["read_model"]["p99_ms"], 1e-9), 2),
    }


def fanout_vs_copy(projectors: Projectors, authors: list[int]) -> dict:
    """Fan-out rows/s of FANOUT_POSTS posts by each of `authors` (after WARMUP untimed ones) vs
    raw COPY of as many rows into feed_entry, one connection each."""
    for _ in range(WARMUP):
        projectors.write(authors[0])
    rows, entries_before = 0, feed_entries()
    with stopwatch() as timer:
        for author in authors:
            for _ in range(FANOUT_POSTS):
                with timer.paused():  # the write model and the posts projector are not fan-out work
                    pid, event = new_post(author)
                    projectors.posts.apply(event)
                projectors.feed.apply(event)  # timed with its chunk jobs and trims
                while not projectors.jobs.empty():
                    if (job := projectors.jobs.get()) is not None:
                        projectors.fanout.run_fanout_job(job)
                with timer.paused():
                    rows += sql("read", "SELECT count(*) FROM feed_entry WHERE post_id = %s", [pid])[0][0]
    fanout_seconds = timer.seconds
    trimmed = entries_before + rows - feed_entries()
    copy_pid = int(time.time() * 1000) * 4096 * 4
    copy_readers = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY user_id")]
    to_copy = [(copy_readers[i % len(copy_readers)], copy_pid + i // len(copy_readers), 1) for i in range(rows)]
    with stopwatch() as timer, transaction.atomic(using="read"):
        copy_rows("read", "feed_entry", ["reader_id", "post_id", "author_id"], to_copy)
    copy_seconds = timer.seconds
    sql("read", "DELETE FROM feed_entry WHERE post_id >= %s", [copy_pid])
    # The ceiling of any fan-out that never ships reader ids out of the database (the issue's
    # constraint): the same posts' rows by a bare INSERT ... SELECT from the follow table, one
    # statement per post, in one transaction as COPY had; no lock, no ON CONFLICT, no trim, no
    # RETURNING. What the real fan-out adds to it is the price of its correctness.
    bare_pid, bare_rows = copy_pid + rows + 1, 0
    with stopwatch() as timer, transaction.atomic(using="read"):
        for n, author in enumerate(a for a in authors for _ in range(FANOUT_POSTS)):
            bare_rows += execute(
                "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT follower_id, %s, followee_id"
                " FROM feed_follow WHERE followee_id = %s AND active",
                [bare_pid + n, author],
            )
    bare_seconds = timer.seconds
    sql("read", "DELETE FROM feed_entry WHERE post_id >= %s", [bare_pid])
    return {
        "rows": rows,
        "posts": FANOUT_POSTS * len(authors),
        "fanout_rows_per_s": round(rows / fanout_seconds),
        "copy_rows_per_s": round(rows / copy_seconds),
        "ratio": round((rows / fanout_seconds) / (rows / copy_seconds), 3),
        "bare_insert_select_rows": bare_rows,
        "bare_insert_select_rows_per_s": round(bare_rows / bare_seconds),
        "bare_insert_select_ratio": round((bare_rows / bare_seconds) / (rows / copy_seconds), 3),
        # The feeds are at their cap (seeded so): a capped feed loses as many entries as it gains,
        # amortised by the trims, which COPY and the bare insert never pay.
        "trimmed_rows": trimmed,
        "statement_parts_ms": statement_parts(authors[0]),
    }


def feed_entries() -> int:
    return sql("read", "SELECT count(*) FROM feed_entry")[0][0]


def statement_parts(author: int) -> dict:
    """What each part of a chunk's statement costs: the fan-out of one post to all of `author`'s
    followers as one statement, built up from the bare insert to the real statement, each run
    in a transaction rolled back (so every run finds the same feeds), median of 5 after one
    untimed run. `trim` probes and cuts the sampled readers' feeds as configured; the rolled-back
    runs find the same overfull feeds each time, so its cut is not amortised as in the fan-out."""
    from socialapp.read.feeds import jobs

    job = (
        "job AS (SELECT %(post)s::bigint AS post_id, %(author)s::bigint AS author_id,"
        " -1::bigint AS after_follower, NULL::bigint AS upto_follower)"
    )
    select = (
        "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT f.follower_id, %(post)s, f.followee_id"
        " FROM feed_follow f WHERE f.followee_id = %(author)s AND f.active"
    )
    variants = {
        "bare": select,
        "+ FOR SHARE": select + " FOR SHARE OF f",
        "+ ON CONFLICT (not used for chunks)": select + " ON CONFLICT DO NOTHING",
        "+ FOR SHARE + RETURNING per post": f"WITH added AS ({select} FOR SHARE OF f RETURNING reader_id, post_id)"
        f" {jobs._ADDED_BY_POST}",
        "chunk statement, trim off": jobs._fanout_sql(job, lock_follows=True)[0],
        "chunk statement": jobs._fanout_sql(job, lock_follows=True)[0],
    }
    followers = sql("read", "SELECT follower_count FROM feed_author WHERE user_id = %s", [author])[0][0]
    out: dict = {"followers": followers}
    post = int(time.time() * 1000) * 4096 * 8
    for name, statement in variants.items():
        params = {**jobs._params(), "post": post, "author": author}
        if name == "chunk statement, trim off":
            params["every"] = 1 << 62  # no reader is probed
        times = []
        for run in range(6):
            post += 1
            params["post"] = post
            with connections["read"].cursor() as cursor:
                cursor.execute("BEGIN")
                started = time.perf_counter()
                cursor.execute(statement, params)
                elapsed = time.perf_counter() - started
                cursor.execute("ROLLBACK")
            if run:
                times.append(elapsed * 1000)
        out[name] = round(sorted(times)[len(times) // 2], 1)
    return out


def commit_to_visible(projectors: Projectors, groups: dict[str, list[int]], users: list[int]) -> dict:
    """From a post's commit in the write model to the commit of its last chunk (when it is in
    every follower's feed), LATENCY_SAMPLES posts per group after WARMUP untimed ones, chunks on
    CHUNK_WORKERS threads, while BACKGROUND_RATE other posts a second (by random users, applied
    and fanned out the same way) load the same projectors and tables. Completion is signalled by
    the chunk workers, not polled."""
    background = {"posts": 0}
    rng = random.Random(11)
    count = threading.Lock()

    def one_background_post(_: int) -> None:
        projectors.write(rng.choice(users))
        with count:
            background["posts"] += 1

    visible = {}
    # On a schedule, not paced by the previous call: a writer thread paced by its own calls fell
    # behind (143 posts/s of 200 with two), so BACKGROUND_WRITERS threads take the starts.
    with (
        projectors.chunk_workers(CHUNK_WORKERS),
        open_loop(one_background_post, BACKGROUND_RATE, BACKGROUND_WRITERS) as starts,
    ):
        started = time.monotonic()
        for label, group in groups.items():
            for i in range(WARMUP):
                projectors.write_tracked(group[i % len(group)])
            values = to_ms([projectors.write_tracked(group[i % len(group)]) for i in range(LATENCY_SAMPLES)])
            followers = sql("read", "SELECT avg(follower_count) FROM feed_author WHERE user_id = ANY(%s)", [group])
            visible[label] = {
                **quantiles_ms(values, 0.5, 0.99, 1),  # p50, p99 and the maximum
                "samples": len(values),
                "avg_followers": round(float(followers[0][0]), 1),
            }
        elapsed = time.monotonic() - started
    visible["background_posts_per_s"] = round(background["posts"] / elapsed, 1)
    visible["background_starts_dropped"] = starts["skipped"]
    if "large" in groups:  # the same author with no background: what the fan-out itself takes
        group = groups["large"]
        with projectors.chunk_workers(CHUNK_WORKERS):
            for i in range(WARMUP):
                projectors.write_tracked(group[i % len(group)])
            values = to_ms([projectors.write_tracked(group[i % len(group)]) for i in range(LATENCY_SAMPLES)])
        visible["large_without_background"] = {**quantiles_ms(values, 0.5, 0.99, 1), "samples": len(values)}
    return visible


def ensure_large_author(target: int) -> tuple[int, int]:
    """The most followed user gets followers (the next users by id who don't follow them yet)
    until they have `target` (at most every other user), in both models; returns (user, followers)."""
    users = sql("read", "SELECT count(*) FROM feed_author")[0][0]
    star, count = sql("read", "SELECT user_id, follower_count FROM feed_author ORDER BY follower_count DESC LIMIT 1")[0]
    missing = min(target, users - 1) - count
    if missing > 0:
        new = [
            r[0]
            for r in sql(
                "read",
                "SELECT user_id FROM feed_author a WHERE user_id <> %s AND NOT EXISTS (SELECT 1 FROM feed_follow f"
                " WHERE f.followee_id = %s AND f.follower_id = a.user_id) ORDER BY user_id LIMIT %s",
                [star, star, missing],
            )
        ]
        T0 = datetime(2026, 1, 1, tzinfo=UTC)
        copy_rows("default", "follows_follow", "follower_id followee_id active changed_at version",
                  ((u, star, True, T0, 1) for u in new))  # fmt: skip
        copy_rows("read", "feed_follow", "followee_id follower_id active version", ((star, u, True, 1) for u in new))
        copy_rows("read", "read_follow_edge", "follower_id followee_id active version since",
                  ((u, star, True, 1, T0) for u in new))  # fmt: skip
        sql("read", "UPDATE feed_author SET follower_count = follower_count + %s WHERE user_id = %s", [len(new), star])
        truncate("read", "feed_entry")
        fill_home_feeds(settings.FEED_MAX_ENTRIES)  # the new followers' feeds, by the seed's rule
        sql("read", "ANALYZE")
        count += len(new)
    return star, count


# The home feed's events as the command services would have logged them for the seeded data:
# every follow and every post, follows spread at random among the posts (which keep their order).
LOG_FROM_WRITE_MODEL = """
INSERT INTO event_log (event_id, event_type, aggregate_type, aggregate_id, aggregate_version, actor_id, occurred_at,
                       schema_version, payload)
SELECT gen_random_uuid(), t, agg, agg_id, 1, actor, at, 1, payload FROM (
  SELECT 'user.followed' AS t, 'follow' AS agg, follower_id || ':' || followee_id AS agg_id, follower_id AS actor,
         changed_at AS at, jsonb_build_object('follower_id', follower_id, 'followee_id', followee_id) AS payload,
         random() * (SELECT count(*) FROM posts_post) AS k
  FROM follows_follow WHERE active
  UNION ALL
  SELECT 'post.created', 'post', id::text, author_id, created_at,
         jsonb_build_object('post_id', id, 'author_id', author_id, 'author_username', 'user' || author_id,
                            'author_display_name', '', 'body', body, 'hashtags', hashtags, 'mentions', mentions,
                            'created_at', created_at),
         row_number() OVER (ORDER BY id)
  FROM posts_post
) e ORDER BY k
"""


def rebuild_rate() -> dict:
    """`projections rebuild home_feed` (the projector's rebuild strategy) over a log of the seeded
    data: events/s, and whether it rebuilt the feeds the seed filled (the same rule: the newest
    FEED_MAX_ENTRIES of own and followed posts)."""
    from socialapp.read.feeds import jobs

    sql("default", "TRUNCATE event_log, event_outbox CASCADE")
    sql("default", LOG_FROM_WRITE_MODEL)
    sql("default", "TRUNCATE event_outbox")  # as if relayed long ago: nothing for a relay to do
    sql("default", "ANALYZE event_log")
    seeded = sql("read", "SELECT count(*), sum(hashtextextended(reader_id || ':' || post_id, 0)) FROM feed_entry")[0]
    sent: list[int] = []
    original, jobs.send_fanout_tasks = jobs.send_fanout_tasks, sent.extend  # no broker here
    try:
        with stopwatch() as timer:
            result = REGISTRY["home_feed"].rebuild_strategy().run()
    finally:
        jobs.send_fanout_tasks = original
    rebuilt = sql("read", "SELECT count(*), sum(hashtextextended(reader_id || ':' || post_id, 0)) FROM feed_entry")[0]
    events = result["replayed"] + result["caught_up"] + result["at_switch"]
    return {
        "events": events,
        "seconds": round(timer.seconds, 2),
        "events_per_s": round(events / timer.seconds),
        "feed_rows": rebuilt[0],
        "same_feeds_as_seeded": rebuilt == seeded,
        "fanout_jobs_sent": len(sent),
        **{key: value for key, value in result.items() if key.endswith("_ms")},  # the phases' times
    }


# ------------------------------------------------------------------------------ the benchmark
def main() -> dict:
    use_own_databases("benchfeeds")
    rng = random.Random(7)
    print(f"seeding at scale {SCALE} …", flush=True)
    data = seed_social(rng, SCALE)
    star, star_followers = ensure_large_author(LARGE_FOLLOWERS)
    data["large_author_followers"] = star_followers
    print(f"seeded {data}", flush=True)
    rebuild = rebuild_rate()
    # The steady state autovacuum keeps: the visibility map of settled feed rows set (an
    # insert-driven autovacuum does it), so that a trim probe's walk down a feed stays in the
    # index. A table just filled by COPY or rebuilt has none of it, and every probe then visits
    # the heap for most of the 1,250 entries it walks (measured: 35 of a 500-row chunk's 50 ms).
    sql("read", "VACUUM (ANALYZE) feed_entry")
    sql("read", "ANALYZE")
    print(f"rebuild {json.dumps(rebuild)}", flush=True)
    if ONLY_REBUILD:
        return {"scale": SCALE, "data": data, "rebuild": rebuild}
    projectors = Projectors()
    users = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY user_id")]
    readers = rng.sample(users, min(500, len(users)))  # ordinary readers, as they come
    by_followers = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY follower_count DESC")]

    reads = feed_reads(readers, lambda: projectors.write(rng.choice(users)))
    print(f"feed reads {json.dumps(reads)}", flush=True)
    fan = fanout_vs_copy(projectors, by_followers[:3])
    print(f"fan-out {json.dumps(fan)}", flush=True)
    middle = len(by_followers) // 2
    visible = commit_to_visible(projectors, {"ordinary": by_followers[middle : middle + 20], "large": [star]}, users)
    print(f"commit-to-visible {json.dumps(visible)}", flush=True)

    result = {
        "scale": SCALE,
        "data": data,
        "settings": {
            "FEED_MAX_ENTRIES": settings.FEED_MAX_ENTRIES,
            "FEED_FANOUT_CHUNK": settings.FEED_FANOUT_CHUNK,
            "FEED_FANOUT_CHUNK_MAX": settings.FEED_FANOUT_CHUNK_MAX,
            "FEED_CELEBRITY_THRESHOLD": settings.FEED_CELEBRITY_THRESHOLD,
            "FEED_TRIM_SLACK": settings.FEED_TRIM_SLACK,
            "FEED_TRIM_CHECK_EVERY": settings.FEED_TRIM_CHECK_EVERY,
            "concurrency": CONCURRENCY,
            "write_rate_per_s": WRITE_RATE,
            "read_seconds": READ_SECONDS,
            "chunk_workers": CHUNK_WORKERS,
            "background_writers": BACKGROUND_WRITERS,
            "background_rate_per_s": BACKGROUND_RATE,
            "latency_samples": LATENCY_SAMPLES,
            "debug": settings.DEBUG,
        },
        "feed_reads": reads,
        "fanout": fan,
        "commit_to_visible": visible,
        "rebuild": rebuild,
    }
    write_json("feeds", result)
    chart(result)
    print(json.dumps(result, indent=2))
    return result


def chart(result: dict) -> None:
    r, f, v, b = result["feed_reads"], result["fanout"], result["commit_to_visible"], result["rebuild"]
    groups = [k for k in v if isinstance(v[k], dict)]
    bar_charts("feeds", [
        Bars(f"home feed req/s (x{r['ratio_req_per_s']})", ["read model", "join on write tables"],
             [r["read_model"]["req_per_s"], r["single_model_join"]["req_per_s"]]),
        Bars(f"rows/s into feed_entry (ratio {f['ratio']})", ["fan-out", "bare INSERT SELECT", "raw COPY"],
             [f["fanout_rows_per_s"], f["bare_insert_select_rows_per_s"], f["copy_rows_per_s"]]),
        Bars("commit to visible in all feeds (ms)", [f"{k} p50" for k in groups] + [f"{k} p99" for k in groups],
             [v[k]["p50_ms"] for k in groups] + [v[k]["p99_ms"] for k in groups]),
        Bars("home_feed rebuild (events/s)", ["rebuild"], [b["events_per_s"]]),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
