"""Trends (issue 17): what the analytics projectors add to the pipeline's cost, and the trends
endpoints with a million tag uses in the window.

    python -m bench.trends        # or `make bench-trends`; BENCH_TRENDS_* knobs below

1. **Cost** (`cost`). A realistic history is made through the real command services on this
   benchmark's own write database (users, a heavy-tailed follow graph, posts with Zipf-ranked
   hashtags, likes and unlikes, comments, profile edits, a few deletes: BENCH_TRENDS_COMMANDS
   commands), and read back from the log as the pipeline carries it. Then every projector applies
   that same event stream in-process, on empty tables, in batches of EVENTS_BATCH_SIZE through
   `apply_batch` (the worker's own call: tracking rows, the handlers' SQL, the commit), after a
   warm-up pass. `trends_share` = the trends projector's seconds / the seconds of the projectors
   the pipeline had before issue 17 (home_feed, posts, profiles, notifications, relations);
   the issue's target is <= 0.10. The activity projector (the dashboard's) is reported the
   same way. Conservative on purpose: the denominator leaves out the search projector and
   Elasticsearch, the fan-out chunk tasks (queued, not run here), the relay and the broker; each
   of those would make the share smaller.
   `trends_events_per_s` against `pipeline_events_per_s` (the stream's events over the seconds
   of all those projectors together) says whether trends keeps up at the pipeline's full rate.
2. **Endpoints** (`endpoints`). The trends counters are loaded set-based with what the projector
   leaves for BENCH_TRENDS_USES tag uses (default 1,000,000) spread over the last 24 hours
   (BENCH_TRENDS_TAGS tags with Zipf-like popularity, BENCH_TRENDS_ACCOUNTS accounts), and the
   7 days before them with half that rate (the tags' baselines); `refresh()` ranks every window
   (timed: `refresh_seconds`). Then the query server (the shipped `web-queries` line, DEBUG off)
   answers `GET /api/socialapp/v1/trends/tags` and Mastodon's `GET /api/v1/trends/tags`, with
   `/healthz` as the framework's floor, under wrk (warm-up, >= 10,000 requests each,
   bench/reads.py's runner), first with 8 connections (throughput, and queueing: on 2 cores
   even /healthz's p99 is well above its median), then with 1 (each request's own latency).
   The target: p99 <= 10 ms.

Figures go to bench/results/trends.json and trends.png. Own databases (benchtrends_*) and vhost.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import django
import django.apps
import requests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "false")
if not django.apps.apps.ready and not django.apps.apps.loading:
    django.setup()

from django.conf import settings
from django.db import connections
from django.utils import timezone

from bench import reads
from bench.common import bench_env, drop_vhost, sql, use_own_databases, use_own_vhost
from bench.measure import stopwatch
from bench.report import Bars, bar_charts, print_figures, write_json
from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.log import EventMessage, log_events
from socialapp.events.projector import REGISTRY

COMMANDS = int(os.environ.get("BENCH_TRENDS_COMMANDS", "8000"))
USES = int(os.environ.get("BENCH_TRENDS_USES", "1000000"))
TAGS = int(os.environ.get("BENCH_TRENDS_TAGS", "20000"))
ACCOUNTS = int(os.environ.get("BENCH_TRENDS_ACCOUNTS", "100000"))
VHOST = "socialapp_bench_trends"
BEFORE = ("home_feed", "posts", "profiles", "notifications", "relations")  # the pipeline before issue 17
ANALYTICS = ("trends", "activity")
TARGETS = {"trends_share": 0.10, "tags_p99_ms": 10.0}
ENDPOINTS = {
    "healthz": "/healthz",
    "trends_tags": "/api/socialapp/v1/trends/tags?window=24h",
    "mastodon_trends_tags": "/api/v1/trends/tags",
}


# ------------------------------------------------------------------------------ 1. cost
def make_history(rng: random.Random, commands: int) -> int:
    """Commands through the real services (the events are the services'), unless this database
    already holds a history of that size. Returns the log's length."""
    from socialapp.common.errors import DomainError
    from socialapp.write.accounts.services import user_register

    sql("default", "CREATE TABLE IF NOT EXISTS bench_trends_history (commands integer NOT NULL)")
    made = sql("default", "SELECT count(*) FROM event_log")[0][0]
    if made and sql("default", "SELECT commands FROM bench_trends_history") == [(commands,)]:
        print(f"reusing the {made} events of an earlier run", flush=True)
        return made
    sql("default", "TRUNCATE event_log, accounts_user, bench_trends_history CASCADE")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # not what is measured
    n_users = max(20, commands // 25)
    users = [
        user_register(username=f"trend{i}", email=f"trend{i}@example.org", password="bench-pass-1")
        for i in range(n_users)
    ]
    tags = [f"topic{i}" for i in range(max(10, n_users))]
    weights = [1 / (rank + 1) for rank in range(len(tags))]  # Zipf: a few tags in most posts
    posts: list[tuple[int, Any]] = []
    liked: list[tuple[int, Any]] = []
    for _ in range(commands - n_users):
        with contextlib.suppress(DomainError):  # e.g. a like of a post deleted meanwhile, as a client may
            command(rng, users, tags, weights, posts, liked)
    sql("default", "INSERT INTO bench_trends_history VALUES (%s)", [commands])
    return sql("default", "SELECT count(*) FROM event_log")[0][0]


def command(
    rng: random.Random,
    users: list,
    tags: list[str],
    weights: list[float],
    posts: list[tuple[int, Any]],
    liked: list[tuple[int, Any]],
) -> None:
    """One command of the mix, through its service (the imports are the command side's)."""
    from socialapp.write.accounts.services import profile_update
    from socialapp.write.comments.services import comment_create
    from socialapp.write.follows.services import user_follow
    from socialapp.write.posts.services import post_create, post_delete, post_like, post_unlike

    n_users = len(users)
    user = rng.choice(users)
    kind = rng.random()
    if kind < 0.15:
        other = users[min(int(rng.paretovariate(1.2)) - 1, n_users - 1)]  # heavy-tailed followees
        if other.pk != user.pk:
            user_follow(follower=user, username=other.username)
    elif kind < 0.50 or not posts:
        chosen = set(rng.choices(tags, weights, k=rng.choice((0, 1, 1, 2, 3))))
        body = "words " + " ".join(f"#{t}" for t in chosen)
        posts.append((post_create(author=user, body=body).pk, user))
    elif kind < 0.78:
        post_id, _author = rng.choice(posts[-200:])
        post_like(post_id=post_id, user=user)
        liked.append((post_id, user))
    elif kind < 0.84 and liked:
        post_id, liker = liked.pop(rng.randrange(len(liked)))
        post_unlike(post_id=post_id, user=liker)
    elif kind < 0.97:
        post_id, _author = rng.choice(posts[-200:])
        comment_create(post_id=post_id, author=user, body="nice")
    elif kind < 0.99:
        profile_update(user_id=user.pk, display_name=f"T {rng.randrange(1000)}")
    else:
        post_id, author = posts.pop(rng.randrange(len(posts)))
        post_delete(post_id=post_id, actor=author)


def the_stream() -> list[EventMessage]:
    return [event for batch in log_events(ALL_EVENT_TYPES) for event in batch]


def reset(name: str) -> None:
    projector = REGISTRY[name]
    sql("read", f"TRUNCATE {', '.join(projector.tables)}")
    sql("read", "DELETE FROM projection_applied_event WHERE projector = %s", [name])


def apply_seconds(name: str, events: Sequence[EventMessage]) -> float:
    """One projector applies the stream in worker-sized batches, on empty tables, after a warm-up
    pass over the first 500 events (then emptied again)."""
    projector = REGISTRY[name]
    mine = [e for e in events if e.event_type in projector.handlers]
    size = settings.EVENTS_BATCH_SIZE

    def run(stream: Sequence[EventMessage]) -> None:
        for start in range(0, len(stream), size):
            outcomes = projector.apply_batch(stream[start : start + size])
            failed = [o for o in outcomes if isinstance(o, Exception)]
            if failed:
                raise RuntimeError(f"{name}: {failed[0]!r}")

    reset(name)
    run(mine[:500])
    reset(name)
    with stopwatch() as timer:
        run(mine)
    return timer.seconds


def cost(rng: random.Random, commands: int = COMMANDS) -> dict:
    with stopwatch() as timer:
        made = make_history(rng, commands)
    events = the_stream()
    by_type: dict[str, int] = {}
    for e in events:
        by_type[e.event_type] = by_type.get(e.event_type, 0) + 1
    print(f"history: {made} events in {timer.seconds:.0f} s", flush=True)
    seconds = {name: round(apply_seconds(name, events), 3) for name in (*BEFORE, *ANALYTICS)}
    for name, s in seconds.items():
        print(f"  {name:14} {s:7.2f} s", flush=True)
    before = sum(seconds[n] for n in BEFORE)
    handled = {n: sum(1 for e in events if e.event_type in REGISTRY[n].handlers) for n in seconds}
    return {
        "events": len(events),
        "events_by_type": by_type,
        "history_seconds": round(timer.seconds, 1),
        "batch_size": settings.EVENTS_BATCH_SIZE,
        "apply_seconds": seconds,
        "events_handled": handled,
        "events_per_s": {n: round(handled[n] / seconds[n]) for n in seconds},
        "pipeline_events_per_s": round(len(events) / before),
        "trends_events_per_s": round(handled["trends"] / seconds["trends"]),
        "trends_share": round(seconds["trends"] / before, 3),
        "activity_share": round(seconds["activity"] / before, 3),
    }


# ------------------------------------------------------------------------------ 2. endpoints
def load_counters(uses: int, tags: int, accounts: int) -> dict:
    """What the trends projector leaves for `uses` tag uses in the 24-hour window (its 24 hour
    buckets, up to now) and half that rate over the 7 days before it: the per-(tag, hour, account)
    and per-(tag, minute) counters, built set-based (through the projector this would be an hour
    of events). Tags are drawn log-uniformly (Zipf-like: tag1 the most used)."""
    from socialapp.read.trends.ranking import window_start

    for table in REGISTRY["trends"].tables:
        sql("read", f"TRUNCATE {table}")
    now = timezone.now()
    start = window_start("24h", now)
    sample = (
        "SELECT 'tag' || floor(exp(random() * ln({tags})))::int AS tag,"
        " %(start)s::timestamptz - {back} + random() * {span} AS at,"
        " floor(random() * {accounts})::bigint AS account FROM generate_series(1, {n})"
    )
    window = sample.format(
        tags=tags,
        accounts=accounts,
        n=uses,
        back="interval '0 hours'",
        span="(%(now)s::timestamptz - %(start)s::timestamptz)",
    )
    before = sample.format(
        tags=tags, accounts=accounts, n=uses * 7 // 2, back="interval '168 hours'", span="interval '168 hours'"
    )
    with stopwatch() as timer:
        sql("read", f"CREATE TEMP TABLE bench_uses AS {window} UNION ALL {before}", {"start": start, "now": now})
        sql(
            "read",
            "INSERT INTO trends_tag_account_hour (tag, hour, account_id, uses)"
            " SELECT tag, date_trunc('hour', at), account, count(*) FROM bench_uses GROUP BY 1, 2, 3",
        )
        sql(
            "read",
            "INSERT INTO trends_tag_minute (tag, minute, uses)"
            " SELECT tag, date_trunc('minute', at), count(*) FROM bench_uses GROUP BY 1, 2",
        )
        sql("read", "DROP TABLE bench_uses")
        sql("read", "ANALYZE trends_tag_account_hour")
        sql("read", "ANALYZE trends_tag_minute")
    in_window = sql(
        "read", "SELECT coalesce(sum(uses), 0), count(*) FROM trends_tag_account_hour WHERE hour >= %s", [start]
    )[0]
    return {
        "uses_in_window": int(in_window[0]),
        "account_hour_rows_in_window": in_window[1],
        "account_hour_rows": sql("read", "SELECT count(*) FROM trends_tag_account_hour")[0][0],
        "minute_rows": sql("read", "SELECT count(*) FROM trends_tag_minute")[0][0],
        "load_seconds": round(timer.seconds, 1),
    }


def timed(run: Callable[[], object], times: int) -> list[float]:
    out = []
    for _ in range(times):
        t = time.perf_counter()
        run()
        out.append(round(time.perf_counter() - t, 3))
    return out


def endpoints() -> dict:
    from socialapp.read.trends.ranking import refresh
    from socialapp.read.trends.selectors import top_tags

    data = load_counters(USES, TAGS, ACCOUNTS)
    print(f"counters: {data}", flush=True)
    refreshes = timed(refresh, 3)
    ranked = top_tags(window="24h", limit=20)
    assert ranked, "nothing trends: the load above should make many tags trend"
    web = reads.start_web(bench_env(API_THROTTLE_USER="1000000/s", API_THROTTLE_ANON="1000000/s"), "web-queries")
    try:
        for path in ENDPOINTS.values():  # the pages wrk will time are the right ones
            answer = requests.get(f"http://127.0.0.1:{reads.PORT}{path}", timeout=10)
            assert answer.ok and (path == "/healthz" or answer.json()), (path, answer.status_code, answer.text[:200])
        figures = {name: reads.figure(path, None) for name, path in ENDPOINTS.items()}
        # One connection: each request's own service time, no queueing behind the others on
        # this 2-core machine (at 8 connections even /healthz queues: its p99 is the floor).
        reads.CONNECTIONS, reads.THREADS = 1, 1
        try:
            alone = {name: reads.figure(path, None) for name, path in ENDPOINTS.items()}
        finally:
            reads.CONNECTIONS, reads.THREADS = 8, 2
    finally:
        web.stop()
    return {
        **data,
        "refresh_seconds": refreshes,
        "top_tag": ranked[0],
        "http": figures,
        "http_one_connection": alone,
        "tags_share_of_healthz": round(figures["trends_tags"]["req_per_s"] / figures["healthz"]["req_per_s"], 3),
    }


# ------------------------------------------------------------------------------ main
def main() -> dict:
    use_own_databases("benchtrends")
    use_own_vhost(VHOST)
    settings.STREAMING_PUSH = False  # the push publishes are left out of both sides of the ratio
    try:
        rng = random.Random(17)
        result = {"cost": cost(rng), "endpoints": endpoints(), "targets": TARGETS}
    finally:
        connections.close_all()
        drop_vhost(VHOST)
    c, e = result["cost"], result["endpoints"]
    result["verdict"] = {
        "trends_share_ok": c["trends_share"] <= TARGETS["trends_share"],
        "trends_keeps_up": c["trends_events_per_s"] >= c["pipeline_events_per_s"],
        "tags_p99_ok_8_connections": e["http"]["trends_tags"]["p99_ms"] <= TARGETS["tags_p99_ms"],
        "tags_p99_ok_1_connection": e["http_one_connection"]["trends_tags"]["p99_ms"] <= TARGETS["tags_p99_ms"],
        "mastodon_tags_p99_ok_1_connection": e["http_one_connection"]["mastodon_trends_tags"]["p99_ms"]
        <= TARGETS["tags_p99_ms"],
    }
    write_json("trends", result)
    chart(result)
    print_figures(
        {
            "trends_share": c["trends_share"],
            "activity_share": c["activity_share"],
            "trends_events_per_s": c["trends_events_per_s"],
            "pipeline_events_per_s": c["pipeline_events_per_s"],
            "uses_in_window": e["uses_in_window"],
            "refresh_seconds": e["refresh_seconds"],
            **{f"{k}_p99_ms": v["p99_ms"] for k, v in e["http"].items()},
            **{f"{k}_p99_ms_1_conn": v["p99_ms"] for k, v in e["http_one_connection"].items()},
            **{f"{k}_req_per_s": v["req_per_s"] for k, v in e["http"].items()},
            **result["verdict"],
        }
    )
    return result


def chart(result: dict) -> None:
    c, http, alone = result["cost"], result["endpoints"]["http"], result["endpoints"]["http_one_connection"]
    names = [*BEFORE, *ANALYTICS]
    bar_charts(
        "trends",
        [
            Bars("apply seconds, same event stream", names, [c["apply_seconds"][n] for n in names], rotate=30),
            Bars("p99 ms (wrk, 8 conn.)", list(http), [http[k]["p99_ms"] for k in http], rotate=30),
            Bars("p99 ms (wrk, 1 conn.)", list(alone), [alone[k]["p99_ms"] for k in alone], rotate=30),
            Bars("requests/s", list(http), [http[k]["req_per_s"] for k in http], rotate=30),
        ],
    )


if __name__ == "__main__":
    main()
