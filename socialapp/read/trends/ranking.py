"""The refresh job: scores every tag and post over each window and writes the rank tables.

Ranking reads up to 14 days of counters across all tags, which is far too much for a request;
the job does it every TRENDS_REFRESH_SECONDS (Celery beat, `trends.refresh`) with set-based SQL
and keeps the best TRENDS_RANK_SIZE per window, so an endpoint reads a few indexed rows. Each
window's rows are replaced in one transaction: readers see the old ranking or the new one.

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

from socialapp.read.common.sql import READ, execute

#: The windows, by name, in hours: the current (partial) hour and the ones before it.
WINDOWS: dict[str, int] = {"1h": 1, "6h": 6, "24h": 24, "7d": 168}
DEFAULT_WINDOW = "24h"
BASELINE_HOURS = 7 * 24
LIKE_WEIGHT, COMMENT_WEIGHT = 1, 2

HIDDEN_ACCOUNT = "EXISTS (SELECT 1 FROM trends_author a WHERE a.user_id = {col} AND (a.suspended OR a.deactivated))"

TAG_RANK_SQL = f"""
INSERT INTO trends_tag_rank (period, rank, tag, score, uses, accounts, refreshed_at)
WITH win AS (
  SELECT h.tag, count(*) AS account_hours, sum(h.uses) AS uses, count(DISTINCT h.account_id) AS accounts
  FROM trends_tag_account_hour h
  WHERE h.hour >= %(start)s AND h.hour <= %(now)s AND NOT {HIDDEN_ACCOUNT.format(col="h.account_id")}
  GROUP BY h.tag HAVING count(DISTINCT h.account_id) >= %(min_accounts)s
), base AS (
  SELECT h.tag, count(*)::float8 / %(periods)s AS expected
  FROM trends_tag_account_hour h JOIN win ON win.tag = h.tag
  WHERE h.hour >= %(base_start)s AND h.hour < %(start)s AND NOT {HIDDEN_ACCOUNT.format(col="h.account_id")}
  GROUP BY h.tag
), scored AS (
  SELECT win.tag, win.uses, win.accounts,
    power(win.account_hours - coalesce(base.expected, 0), 2) / greatest(coalesce(base.expected, 0), 1) AS score
  FROM win LEFT JOIN base ON base.tag = win.tag
  WHERE win.account_hours > coalesce(base.expected, 0)
)
SELECT %(window)s, row_number() OVER (ORDER BY score DESC, accounts DESC, tag), tag, score, uses, accounts, %(now)s
FROM scored ORDER BY score DESC, accounts DESC, tag LIMIT %(size)s
"""

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


def window_start(window: str, now: datetime) -> datetime:
    """The first hour bucket of `window` at `now`: the current hour and the WINDOWS[window] - 1 before."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour - timedelta(hours=WINDOWS[window] - 1)


def refresh(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Recompute both rankings of every window as of `now` (default: the clock; tests pass the
    time their events claim). Returns {window: {"tags": n, "posts": n}}."""
    now = now or timezone.now()
    counts: dict[str, dict[str, int]] = {}
    for window, hours in WINDOWS.items():
        start = window_start(window, now)
        params = {
            "window": window,
            "now": now,
            "start": start,
            "base_start": start - timedelta(hours=BASELINE_HOURS),
            "periods": BASELINE_HOURS / hours,
            "min_accounts": settings.TRENDS_MIN_ACCOUNTS,
            "size": settings.TRENDS_RANK_SIZE,
        }
        with transaction.atomic(using=READ):
            execute("DELETE FROM trends_tag_rank WHERE period = %s", [window])
            tags = execute(TAG_RANK_SQL, params)
            execute("DELETE FROM trends_post_rank WHERE period = %s", [window])
            posts = execute(POST_RANK_SQL, params)
        counts[window] = {"tags": tags, "posts": posts}
    return counts
