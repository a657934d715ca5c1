"""What `projections status` and the /metrics gauges report: log counts, per-projector progress
and queue depths (from the RabbitMQ management API)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.db import connections

from socialapp.events.projector import REGISTRY
from socialapp.events.topology import dead_queue_name, queue_name


@dataclass
class LogCounts:
    appended: int
    unpublished: int
    oldest_unpublished_age: float


@dataclass
class ProjectorStatus:
    name: str
    event_types: tuple[str, ...]
    applied: int
    lag: int | None  # events of its types in the log that it has not applied
    ready: int | None
    unacked: int | None
    consumers: int | None
    dead: int | None


def log_counts() -> LogCounts:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM event_log),"
            " (SELECT count(*) FROM event_log WHERE published_at IS NULL),"
            " (SELECT coalesce(extract(epoch FROM now() - min(occurred_at)), 0) FROM event_log"
            "  WHERE published_at IS NULL)"
        )
        appended, unpublished, age = cursor.fetchone()
    return LogCounts(int(appended), int(unpublished), float(age))


def _management() -> tuple[str, tuple[str, str], str]:
    url = urlsplit(settings.RABBITMQ_MANAGEMENT_URL)
    vhost = urlsplit(settings.CELERY_BROKER_URL).path.lstrip("/") or "/"
    return f"{url.scheme}://{url.hostname}:{url.port}", (url.username or "guest", url.password or "guest"), vhost


def queue_info(name: str) -> dict | None:
    """The management API's view of a queue, or None when it is unknown or unreachable."""
    base, auth, vhost = _management()
    try:
        response = requests.get(
            f"{base}/api/queues/{quote(vhost, safe='')}/{quote(name, safe='')}", auth=auth, timeout=3
        )
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    return response.json()


def handled_event_count(event_types: tuple[str, ...]) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event_log WHERE event_type = ANY(%s)", [list(event_types)])
        return int(cursor.fetchone()[0])


def applied_counts() -> dict[str, int]:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT projector, count(*) FROM projection_applied_event GROUP BY projector")
        return {name: int(n) for name, n in cursor.fetchall()}


def projector_status(names: list[str] | None = None, *, with_lag: bool = True) -> list[ProjectorStatus]:
    applied = applied_counts()
    rows = []
    for name in names or sorted(REGISTRY):
        projector = REGISTRY[name]
        types = projector.event_types()
        done = applied.get(name, 0)
        lag = max(0, handled_event_count(types) - done) if with_lag and types else None
        q = queue_info(queue_name(name))
        d = queue_info(dead_queue_name(name))
        rows.append(
            ProjectorStatus(
                name=name,
                event_types=types,
                applied=done,
                lag=lag,
                ready=None if q is None else int(q.get("messages_ready", q.get("messages", 0)) or 0),
                unacked=None if q is None else int(q.get("messages_unacknowledged", 0) or 0),
                consumers=None if q is None else int(q.get("consumers", 0) or 0),
                dead=None if d is None else int(d.get("messages", 0) or 0),
            )
        )
    return rows
