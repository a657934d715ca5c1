"""The audit trail's lookups on a log of decent size, with and without the payload indexes.

    DATABASE_STATEMENT_TIMEOUT=0 python -m bench.audit   # BENCH_AUDIT_USERS=20000 users, ~1M events

Runs in a database of its own (`benchaudit_<name>`, created and migrated like a test database),
never on development data. The log is generated in SQL (generate_series): users registered, posts
by a heavy-tailed author choice (user 1 writes the most), some deleted, and follows towards a
heavy-tailed followee. Then, for a heavy user and an ordinary one, it times `past_state("user")`
(the profile as it reads now: posts by author, follows on either side, their users' events) and
`events_page` of a post, with the three partial indexes of events.0005 and after dropping them.
Figures: bench/results/audit.json. BENCH_AUDIT_KEEP=1 measures the log of the previous run again.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from bench.common import sql, use_own_databases  # noqa: E402
from bench.measure import quantiles_ms, sample_ms, stopwatch  # noqa: E402
from bench.report import Bars, bar_charts, print_figures, write_json  # noqa: E402

USERS = int(os.environ.get("BENCH_AUDIT_USERS", "20000"))
SAMPLES = int(os.environ.get("BENCH_AUDIT_SAMPLES", "300"))
SAMPLES_HEAVY = 5
POSTS = USERS * 15
FOLLOWS = USERS * 25
INDEXES = {
    "event_log_post_author_idx": "((payload -> 'author_id')) WHERE event_type = 'post.created'",
    "event_log_follower_idx": "((payload -> 'follower_id')) WHERE aggregate_type = 'follow'",
    "event_log_followee_idx": "((payload -> 'followee_id')) WHERE aggregate_type = 'follow'",
}
COLUMNS = "event_id, event_type, aggregate_type, aggregate_id, aggregate_version, actor_id, occurred_at, payload, schema_version"


def seed() -> int:
    sql("default", "TRUNCATE event_log, event_outbox")
    sql(
        "default",
        f"INSERT INTO event_log ({COLUMNS}) SELECT gen_random_uuid(), 'user.registered', 'user', i::text, 1, i,"
        " timestamptz '2026-01-01' + i * interval '1 ms', jsonb_build_object('user_id', i, 'username', 'u' || i,"
        " 'display_name', '', 'bio', '', 'registered_at', '2026-01-01T00:00:00+00:00'), 1"
        f" FROM generate_series(1, {USERS}) i",
    )
    sql(
        "default",
        f"INSERT INTO event_log ({COLUMNS}) SELECT gen_random_uuid(), 'post.created', 'post', (1000000 + i)::text, 1,"
        " a, timestamptz '2026-01-02' + i * interval '1 ms', jsonb_build_object('post_id', 1000000 + i,"
        " 'author_id', a, 'body', 'hello ' || i, 'hashtags', '[]'::jsonb, 'mentions', '[]'::jsonb,"
        " 'spoiler_text', '', 'sensitive', false, 'visibility', 'public'), 1"
        f" FROM (SELECT i, 1 + floor({USERS} * power(random(), 3))::int AS a FROM generate_series(1, {POSTS}) i) s",
    )
    sql(
        "default",
        f"INSERT INTO event_log ({COLUMNS}) SELECT gen_random_uuid(), 'post.deleted', 'post', aggregate_id, 2,"
        " actor_id, occurred_at + interval '1 day', jsonb_build_object('post_id', (payload->>'post_id')::bigint,"
        " 'author_id', actor_id), 1 FROM event_log WHERE event_type = 'post.created' AND random() < 0.05",
    )
    sql(
        "default",
        f"INSERT INTO event_log ({COLUMNS}) SELECT gen_random_uuid(), 'user.followed', 'follow', f || ':' || e, 1, f,"
        " timestamptz '2026-01-03' + row_number() OVER () * interval '1 ms',"
        " jsonb_build_object('follower_id', f, 'followee_id', e, 'at', '2026-01-03T00:00:00+00:00'), 1"
        f" FROM (SELECT DISTINCT 1 + floor({USERS} * random())::int AS f, 1 + floor({USERS} * power(random(), 3))::int AS e"
        f" FROM generate_series(1, {FOLLOWS})) s WHERE f <> e",
    )
    sql("default", "TRUNCATE event_outbox")
    sql("default", "ANALYZE event_log")
    return sql("default", "SELECT count(*) FROM event_log")[0][0]


def lookups() -> dict[str, dict[str, float]]:
    from socialapp.write.audit import history

    heavy = "1"
    ordinary = str(USERS // 2)
    post = sql("default", "SELECT aggregate_id FROM event_log WHERE event_type = 'post.deleted' LIMIT 1")[0][0]
    found = {}
    for name, run in {
        "profile_heavy_user": lambda: history.past_state("user", heavy, None),
        "profile_ordinary_user": lambda: history.past_state("user", ordinary, None),
        "events_of_a_post": lambda: history.events_page("post", post, after=None, limit=20),
    }.items():
        run()
        if "heavy" in name:  # seconds each: a median of a few (no tail is claimed)
            found[name] = {**quantiles_ms(sample_ms(run, SAMPLES_HEAVY), 0.5), "samples": SAMPLES_HEAVY}
        else:  # enough samples that p99 is not the maximum
            found[name] = {**quantiles_ms(sample_ms(run, SAMPLES), 0.5, 0.99), "samples": SAMPLES}
    counts = history.past_state("user", heavy, None).profile
    found["heavy_user_counts"] = {k: counts[k] for k in ("follower_count", "following_count", "post_count")}
    return found


def main() -> None:
    use_own_databases("benchaudit", aliases=("default",))
    with stopwatch() as t:
        kept = os.environ.get("BENCH_AUDIT_KEEP") == "1" and sql("default", "SELECT count(*) FROM event_log")[0][0]
        events = kept or seed()
    result: dict = {"events": events, "seed_seconds": round(t.seconds, 1), "users": USERS}
    result["with_indexes"] = lookups()
    for name in INDEXES:
        sql("default", f"DROP INDEX IF EXISTS {name}")
    result["without_indexes"] = lookups()
    for name, definition in INDEXES.items():
        sql("default", f"CREATE INDEX {name} ON event_log {definition}")
    sizes = sql(
        "default",
        "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
        [[*INDEXES, "event_log"]],
    )
    result["sizes_mb"] = {name: round(size / 2**20, 1) for name, size in sizes}
    write_json("audit", result)
    chart(result)
    print_figures(result)


def chart(result: dict) -> None:
    names = ["profile_ordinary_user", "events_of_a_post", "profile_heavy_user"]
    bar_charts(
        "audit",
        [
            Bars(f"{kind.replace('_', ' ')}, p50 ms", names, [result[kind][n]["p50_ms"] for n in names], rotate=20)
            for kind in ("with_indexes", "without_indexes")
        ],
    )


if __name__ == "__main__":
    main()
