"""The refresh job: scores every tag and post over each window and writes the rank tables.

Ranking reads up to 14 days of counters across all tags, which is far too much for a request;
the job does it every TRENDS_REFRESH_SECONDS (Celery beat, `trends.refresh`) with set-based SQL
and keeps the best TRENDS_RANK_SIZE per window, so an endpoint reads a few indexed rows. Every
window's rows are replaced in one transaction: readers see the old rankings or the new ones.
Tags of all windows come from one scan of the last 14 days of hourly counters.

Tag score (docs/analytics.md, "Trends"): `observed` is the tag's distinct accounts per hour,
summed over the window's hours (one account counts at most once an hour, so one account spamming
a tag cannot trend it); `expected` is the same figure for the 7 days before the window, scaled to
the window's length (its average per window-length period). A tag ranks when observed > expected
and at least TRENDS_MIN_ACCOUNTS distinct accounts used it in the window; its score is
(observed - expected)^2 / max(expected, 1). Accounts suspended or deactivated when the job runs
count for nothing; their uses come back with an unsuspension.

Post score: LIKE_WEIGHT x likers + COMMENT_WEIGHT x commenters in the window (each account once
per kind and post), for created, public, non-sensitive, undeleted posts of shown authors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from socialapp.read.common.sql import READ, execute, fetchall

#: The windows, by name, in hours: the current (partial) hour and the ones before it.
WINDOWS: dict[str, int] = {"1h": 1, "6h": 6, "24h": 24, "7d": 168}
DEFAULT_WINDOW = "24h"
BASELINE_HOURS = 7 * 24
LIKE_WEIGHT, COMMENT_WEIGHT = 1, 2

HIDDEN_ACCOUNT = "EXISTS (SELECT 1 FROM trends_author a WHERE a.user_id = {col} AND (a.suspended OR a.deactivated))"


def _tag_rank_sql() -> str:
    """One statement for every window: a single scan of the counters of the last 14 days (the
    longest window and its baseline), aggregated per (tag, account) then per tag with one set of
    FILTERed sums per window, scored, ranked per window and cut at %(size)s."""
    per_account, per_tag, unpivot = [], [], []
    for i, name in enumerate(WINDOWS):
        per_account += [
            f"count(*) FILTER (WHERE h.hour >= %(start_{i})s) AS ah{i}",
            f"sum(h.uses) FILTER (WHERE h.hour >= %(start_{i})s) AS u{i}",
            f"count(*) FILTER (WHERE h.hour >= %(base_{i})s AND h.hour < %(start_{i})s) AS b{i}",
        ]
        per_tag += [
            f"sum(ah{i}) AS ah{i}",
            f"sum(u{i}) AS u{i}",
            f"count(*) FILTER (WHERE ah{i} > 0) AS a{i}",
            f"sum(b{i})::float8 / %(periods_{i})s AS e{i}",
        ]
        unpivot.append(f"('{name}', t.ah{i}, t.u{i}, t.a{i}, t.e{i})")
    return f"""
INSERT INTO trends_tag_rank (period, rank, tag, score, uses, accounts, refreshed_at)
WITH per_account AS (
  SELECT h.tag, h.account_id, {", ".join(per_account)}
  FROM trends_tag_account_hour h
  WHERE h.hour >= %(scan_start)s AND h.hour <= %(now)s AND NOT {HIDDEN_ACCOUNT.format(col="h.account_id")}
  GROUP BY h.tag, h.account_id
), per_tag AS (
  SELECT tag, {", ".join(per_tag)} FROM per_account GROUP BY tag
), scored AS (
  SELECT w.period, t.tag, w.uses, w.accounts,
    power(w.observed - w.expected, 2) / greatest(w.expected, 1) AS score
  FROM per_tag t CROSS JOIN LATERAL (VALUES {", ".join(unpivot)}) AS w(period, observed, uses, accounts, expected)
  WHERE w.accounts >= %(min_accounts)s AND w.observed > w.expected
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY period ORDER BY score DESC, accounts DESC, tag) AS rank FROM scored
)
SELECT period, rank, tag, score, uses, accounts, %(now)s FROM ranked WHERE rank <= %(size)s
"""


TAG_RANK_SQL = _tag_rank_sql()

POST_RANK_SQL = f"""
INSERT INTO trends_post_rank (period, rank, post_id, score, likes, comments, refreshed_at)
WITH win AS (
  SELECT e.post_id, sum(e.likes) AS likes, sum(e.comments) AS comments,
    ({LIKE_WEIGHT} * sum(e.likes) + {COMMENT_WEIGHT} * sum(e.comments))::float8 AS score
  FROM trends_post_hour e JOIN trends_post p ON p.post_id = e.post_id
  WHERE e.hour >= %(start)s AND e.hour <= %(now)s AND p.created_at IS NOT NULL AND p.public
    AND NOT p.sensitive AND NOT p.deleted AND NOT {HIDDEN_ACCOUNT.format(col="p.author_id")}
  GROUP BY e.post_id
)
SELECT %(window)s, row_number() OVER (ORDER BY score DESC, post_id DESC), post_id, score, likes, comments, %(now)s
FROM win WHERE score > 0 ORDER BY score DESC, post_id DESC LIMIT %(size)s
"""


HISTORY_DAYS = 7


def history_sql(tags: str) -> str:
    """Uses and distinct accounts per UTC day of the tags `tags` selects (an SQL condition on
    `h.tag`) over [%(history_start)s, + HISTORY_DAYS days), accounts hidden now left out: the
    one definition of a tag's history, for the refresh's cache and for tags asked one by one."""
    return (
        "SELECT h.tag, (h.hour AT TIME ZONE 'UTC')::date AS day, sum(h.uses)::int, count(DISTINCT h.account_id)::int"
        f" FROM trends_tag_account_hour h WHERE {tags} AND h.hour >= %(history_start)s"
        f" AND h.hour < %(history_start)s + interval '{HISTORY_DAYS} days'"
        f" AND NOT {HIDDEN_ACCOUNT.format(col='h.account_id')} GROUP BY 1, 2"
    )


def history_start(now: datetime) -> datetime:
    """UTC midnight HISTORY_DAYS - 1 days before `now`'s date: the history's first day."""
    first = now.astimezone(UTC).date() - timedelta(days=HISTORY_DAYS - 1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


# The ranked tags' histories, cached with the ranking: a page of trending tags is then three
# indexed reads, where computing ten histories live costs a scan of each tag's week of counters.
CACHE_HISTORY_SQL = (
    "INSERT INTO trends_tag_history (tag, day, uses, accounts, day_of)"
    f" SELECT *, %(today)s FROM ({history_sql('h.tag IN (SELECT tag FROM trends_tag_rank)')}) AS d"
)


def window_start(window: str, now: datetime) -> datetime:
    """The first hour bucket of `window` at `now`: the current hour and the WINDOWS[window] - 1 before."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour - timedelta(hours=WINDOWS[window] - 1)


def refresh(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Recompute both rankings of every window as of `now` (default: the clock; tests pass the
    time their events claim), in one transaction. Returns {window: {"tags": n, "posts": n}}."""
    now = now or timezone.now()
    tag_params: dict[str, object] = {
        "now": now,
        "min_accounts": settings.TRENDS_MIN_ACCOUNTS,
        "size": settings.TRENDS_RANK_SIZE,
    }
    for i, (window, hours) in enumerate(WINDOWS.items()):
        start = window_start(window, now)
        tag_params |= {
            f"start_{i}": start,
            f"base_{i}": start - timedelta(hours=BASELINE_HOURS),
            f"periods_{i}": BASELINE_HOURS / hours,
        }
    tag_params["scan_start"] = min(v for k, v in tag_params.items() if k.startswith("base_"))
    with transaction.atomic(using=READ):
        execute("DELETE FROM trends_tag_rank")
        execute(TAG_RANK_SQL, tag_params)
        execute("DELETE FROM trends_tag_history")
        start = history_start(now)
        execute(CACHE_HISTORY_SQL, {"history_start": start, "today": start.date() + timedelta(days=HISTORY_DAYS - 1)})
        execute("DELETE FROM trends_post_rank")
        for window in WINDOWS:
            params = {
                "window": window,
                "now": now,
                "start": window_start(window, now),
                "size": settings.TRENDS_RANK_SIZE,
            }
            execute(POST_RANK_SQL, params)
        counts = {window: {"tags": 0, "posts": 0} for window in WINDOWS}
        for table, kind in (("trends_tag_rank", "tags"), ("trends_post_rank", "posts")):
            for period, n in fetchall(f"SELECT period, count(*) FROM {table} GROUP BY period", using=READ):
                counts[period][kind] = n
    return counts
