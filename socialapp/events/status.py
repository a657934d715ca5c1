"""What `projections status` and the /metrics gauges report: log counts, per-projector progress
and queue depths (from the RabbitMQ management API), rows the relay is backing off, the depth of
`events.unrouted`, and each projector's own figures (`Projector.status()`, e.g. fan-out jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from types import EllipsisType
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.db import connections

from socialapp.events.projector import REGISTRY
from socialapp.events.topology import UNROUTED_QUEUE, dead_queue_name, queue_name


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


def projector_names(name: str | None = None) -> list[str]:
    """Every registered projector, or only `name` (KeyError naming the registered ones)."""
    if name is None:
        return sorted(REGISTRY)
    if name not in REGISTRY:
        raise KeyError(f"no projector named {name!r}; registered: {', '.join(sorted(REGISTRY))}")
    return [name]


def log_counts() -> LogCounts:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM event_log),"
            " (SELECT count(*) FROM event_outbox o JOIN event_log e ON e.position = o.position),"
            " (SELECT coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0)"
            "  FROM event_outbox o JOIN event_log e ON e.position = o.position)"
        )
        appended, unpublished, age = cursor.fetchone()
    return LogCounts(int(appended), int(unpublished), float(age))


def backing_off() -> int:
    """Unpublished rows the broker refused or returned, waiting for their next try."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event_publish_failure f JOIN event_outbox o ON o.position = f.position")
        return int(cursor.fetchone()[0])


def unrouted_depth(queues: dict[str, dict] | None) -> int | None:
    """Messages in `events.unrouted` (published events no projector queue was bound for), from a
    `queue_infos()` listing; None when the management API was unreachable or the queue was never
    declared."""
    q = None if queues is None else queues.get(UNROUTED_QUEUE)
    return None if q is None else int(q.get("messages", 0) or 0)


def extra_status(names: list[str]) -> dict[str, dict[str, int]]:
    """Each projector's own figures (Projector.status()), for those that report any."""
    out = {}
    for name in names:
        figures = REGISTRY[name].status()
        if figures:
            out[name] = figures
    return out


def management_api() -> tuple[str, tuple[str, str]]:
    """Base address and credentials of the RabbitMQ management API (RABBITMQ_MANAGEMENT_URL)."""
    url = urlsplit(settings.RABBITMQ_MANAGEMENT_URL)
    return f"{url.scheme}://{url.hostname}:{url.port}", (url.username or "guest", url.password or "guest")


def queue_infos() -> dict[str, dict] | None:
    """The management API's view of every queue of our vhost, by name (one request), or None
    when it is unreachable."""
    base, auth = management_api()
    vhost = urlsplit(settings.CELERY_BROKER_URL).path.lstrip("/") or "/"
    columns = "name,messages,messages_ready,messages_unacknowledged,consumers"
    try:
        response = requests.get(f"{base}/api/queues/{quote(vhost, safe='')}?columns={columns}", auth=auth, timeout=3)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    return {q["name"]: q for q in response.json()}


def handled_counts() -> dict[str, int]:
    """Events in the log per event type (one scan of the type index for every projector)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT event_type, count(*) FROM event_log GROUP BY event_type")
        return {event_type: int(n) for event_type, n in cursor.fetchall()}


def applied_counts() -> dict[str, int]:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT projector, count(*) FROM projection_applied_event GROUP BY projector")
        return {name: int(n) for name, n in cursor.fetchall()}


def projector_status(
    names: list[str] | None = None, *, queues: dict[str, dict] | EllipsisType | None = ...
) -> list[ProjectorStatus]:
    """One row per projector; `queues` is a `queue_infos()` listing the caller already has
    (default: ask the management API now)."""
    applied, in_log = applied_counts(), handled_counts()
    if queues is ...:
        queues = queue_infos()
    rows = []
    for name in names or projector_names():
        types = REGISTRY[name].event_types()
        done = applied.get(name, 0)
        q = None if queues is None else queues.get(queue_name(name))
        d = None if queues is None else queues.get(dead_queue_name(name))
        rows.append(
            ProjectorStatus(
                name=name,
                event_types=types,
                applied=done,
                lag=max(0, sum(in_log.get(t, 0) for t in types) - done) if types else None,
                ready=None if q is None else int(q.get("messages_ready", q.get("messages", 0)) or 0),
                unacked=None if q is None else int(q.get("messages_unacknowledged", 0) or 0),
                consumers=None if q is None else int(q.get("consumers", 0) or 0),
                dead=None if d is None else int(d.get("messages", 0) or 0),
            )
        )
    return rows
