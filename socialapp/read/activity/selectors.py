"""The dashboard's series, read from the activity read model (read database only).

A window (`WINDOWS`) fixes the bucket size: 1 minute up to an hour, 5 minutes for 6 hours, 15
minutes for a day, an hour for 7 days. Buckets are aligned to multiples of their size (UTC) and
end with the bucket holding `now`; every series has one value per bucket, zeros included, so the
charts share one time axis. Per-minute rows are summed into the buckets (`date_bin`); distinct
active users are counted from the (minute, actor) rows, or from the (hour, actor) rows for hourly
buckets, so they stay exact. Posts per hour are the `post.created` counters summed by hour over
the window or the last 24 hours, whichever is longer. Projection lag and dead letters are the
largest sampled value in each bucket (None where no sample fell in it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from socialapp.read.common.sql import fetchall
from socialapp.read.trends.selectors import top_tags as trending


@dataclass(frozen=True)
class Window:
    name: str
    span: timedelta
    bucket: timedelta


WINDOWS: dict[str, Window] = {
    w.name: w
    for w in (
        Window("15m", timedelta(minutes=15), timedelta(minutes=1)),
        Window("1h", timedelta(hours=1), timedelta(minutes=1)),
        Window("6h", timedelta(hours=6), timedelta(minutes=5)),
        Window("24h", timedelta(hours=24), timedelta(minutes=15)),
        Window("7d", timedelta(days=7), timedelta(hours=1)),
    )
}
DEFAULT_WINDOW = "1h"
TOP_TAGS_LIMIT = 10
POSTS_HOURS_AT_LEAST = timedelta(hours=24)
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # date_bin's origin: buckets are multiples of their size from it


def top_tags(window: str) -> list[dict[str, Any]]:
    """The window's top tags for the dashboard, best first: dicts with `name`, `score`, `uses`,
    `accounts`, from the trends read model's last ranking (docs/analytics.md). Trends rank whole
    hours at least, so the 15-minute window shows the last hour's."""
    return trending(window="1h" if window == "15m" else window, limit=TOP_TAGS_LIMIT)


def bucket_starts(window: Window, now: datetime) -> list[datetime]:
    """The window's bucket starts, oldest first; the last holds `now`."""
    step = window.bucket
    last = ORIGIN + ((now - ORIGIN) // step) * step
    count = int(window.span / step)
    return [last - step * (count - 1 - i) for i in range(count)]


def _binned(sql: str, step: timedelta, start: datetime, *params: Any) -> list[tuple]:
    """Rows of `sql`, whose `{bin}` is replaced by the bucket expression of the step."""
    return fetchall(sql.format(bin="date_bin(%s, bucket, %s)"), [step, ORIGIN, start, *params])


def _series(rows: list[tuple], starts: list[datetime]) -> dict[str, list[int]]:
    """{name: values per bucket} from (bucket, name, value) rows; zeros where no row."""
    index = {start: i for i, start in enumerate(starts)}
    out: dict[str, list[int]] = {}
    for bucket, name, value in rows:
        values = out.setdefault(name, [0] * len(starts))
        if bucket in index:
            values[index[bucket]] = int(value)
    return out


def counter_series(table: str, key: str, value: str, window: Window, starts: list[datetime]) -> dict[str, list[int]]:
    rows = _binned(
        f"SELECT {{bin}} AS b, {key}, sum({value}) FROM {table} WHERE bucket >= %s GROUP BY 1, 2",
        window.bucket,
        starts[0],
    )
    return _series(rows, starts)


def active_users(window: Window, starts: list[datetime]) -> tuple[list[int], int]:
    """Distinct accounts that acted per bucket, and in the whole window."""
    table = "activity_actor_hour" if window.bucket >= timedelta(hours=1) else "activity_actor_minute"
    rows = _binned(
        f"SELECT {{bin}} AS b, '', count(DISTINCT actor_id) FROM {table} WHERE bucket >= %s GROUP BY 1",
        window.bucket,
        starts[0],
    )
    per_bucket = _series(rows, starts).get("", [0] * len(starts))
    total = fetchall(f"SELECT count(DISTINCT actor_id) FROM {table} WHERE bucket >= %s", [starts[0]])[0][0]
    return per_bucket, int(total)


def posts_per_hour(window: Window, now: datetime) -> tuple[list[datetime], list[int]]:
    hourly = Window("posts", max(window.span, POSTS_HOURS_AT_LEAST), timedelta(hours=1))
    starts = bucket_starts(hourly, now)
    rows = _binned(
        "SELECT {bin} AS b, '', sum(events) FROM activity_event_minute WHERE bucket >= %s AND event_type = %s"
        " GROUP BY 1",
        hourly.bucket,
        starts[0],
        "post.created",
    )
    return starts, _series(rows, starts).get("", [0] * len(starts))


def projection_series(window: Window, starts: list[datetime]) -> list[dict[str, Any]]:
    rows = fetchall(
        "SELECT date_bin(%s, sampled_at, %s) AS b, projector, max(lag), max(dead) FROM activity_projection_sample"
        " WHERE sampled_at >= %s GROUP BY 1, 2",
        [window.bucket, ORIGIN, starts[0]],
    )
    index = {start: i for i, start in enumerate(starts)}
    out: dict[str, dict[str, Any]] = {}
    for bucket, name, lag, dead in rows:
        entry = out.setdefault(name, {"name": name, "lag": [None] * len(starts), "dead": [None] * len(starts)})
        if bucket in index:
            entry["lag"][index[bucket]] = None if lag is None else int(lag)
            entry["dead"][index[bucket]] = None if dead is None else int(dead)
    return [out[name] for name in sorted(out)]


def _named(series: dict[str, list[int]]) -> list[dict[str, Any]]:
    """[{name, values, total}], busiest first (then by name)."""
    items = [{"name": name, "values": values, "total": sum(values)} for name, values in series.items()]
    return sorted(items, key=lambda item: (-item["total"], item["name"]))


def dashboard(window_name: str = DEFAULT_WINDOW, now: datetime | None = None) -> dict[str, Any]:
    """Every series of the dashboard for one window (the JSON endpoint's body)."""
    window = WINDOWS[window_name]
    now = now or timezone.now()
    starts = bucket_starts(window, now)
    users, users_total = active_users(window, starts)
    post_hours, posts = posts_per_hour(window, now)
    return {
        "window": window.name,
        "bucket_seconds": int(window.bucket.total_seconds()),
        "generated_at": now,
        "buckets": starts,
        "commands": _named(counter_series("activity_command_minute", "command", "commands", window, starts)),
        "events": _named(counter_series("activity_event_minute", "event_type", "events", window, starts)),
        "active_users": {"values": users, "total": users_total},
        "posts_per_hour": {"buckets": post_hours, "values": posts},
        "top_tags": top_tags(window.name),
        "projections": projection_series(window, starts),
    }
