"""`manage.py events export|stats`: the event log for analysts (docs/analytics.md, "Audit trail
and past state").

`export` streams the log as JSON lines on stdout, one event per line in log (position) order,
each exactly as the bus carries it (`Event.as_message`); a progress bar goes to stderr (tqdm,
already a requirement: `deadletters retry` uses it; shown only on a terminal). It reads through
a server-side cursor in chunks, so memory stays flat however long the log is. `stats` prints the
number of events per type and per day, counted by PostgreSQL (GROUP BY), with the same filters.

Filters: `--since` and `--until` take a position (digits) or an ISO-8601 time (UTC if no
offset) and select the half-open range [since, until); `--type` names event types, repeated or
comma-separated. Both commands only read the log, which is why they live with it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.models import Event

CHUNK = 2000  # rows per fetch of the server-side cursor
FIELDS = (
    "event_id",
    "position",
    "event_type",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "actor_id",
    "occurred_at",
    "schema_version",
    "payload",
)


def bound(raw: str, option: str) -> int | dt.datetime:
    """A position (digits) or a time (ISO 8601; no offset means UTC)."""
    if raw.isascii() and raw.isdigit():
        return int(raw)
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"{option} must be a position or an ISO-8601 time, not {raw!r}")
    return timezone.make_aware(moment, dt.UTC) if timezone.is_naive(moment) else moment


def event_types(values: list[str]) -> list[str]:
    types = [t.strip() for value in values for t in value.split(",") if t.strip()]
    unknown = sorted(set(types) - set(ALL_EVENT_TYPES))
    if unknown:
        raise CommandError(f"unknown event type(s): {', '.join(unknown)} (known: {', '.join(ALL_EVENT_TYPES)})")
    return types


def selected(options: dict[str, Any]) -> QuerySet[Event]:
    rows = Event.objects.all()
    for option, lookup in (("since", "gte"), ("until", "lt")):
        if options.get(option):
            value = bound(options[option], f"--{option}")
            field = "position" if isinstance(value, int) else "occurred_at"
            rows = rows.filter(**{f"{field}__{lookup}": value})
    if options.get("type"):
        rows = rows.filter(event_type__in=event_types(options["type"]))
    return rows


class Command(BaseCommand):
    help = "Export the event log as JSON lines (export), or count its events per type and per day (stats)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("export", "stream the log as JSON lines to stdout, in position order"),
            ("stats", "events per type and per day"),
        ):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("--since", help="from this position or ISO-8601 time on (inclusive)")
            sub.add_argument("--until", help="up to this position or ISO-8601 time (exclusive)")
            sub.add_argument("--type", action="append", default=[], help="event type(s), repeated or comma-separated")
        actions.choices["export"].add_argument(
            "--no-progress", action="store_true", help="no progress bar on stderr (it only shows on a terminal anyway)"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        rows = selected(options)
        if action == "export":
            self.export(rows, progress=not options["no_progress"])
        else:
            self.stats(rows)

    def export(self, rows: QuerySet[Event], *, progress: bool) -> None:
        total = rows.count() if progress else None
        out = self.stdout
        with tqdm(total=total, unit="ev", file=sys.stderr, disable=None if progress else True) as bar:
            # values_list + iterator: a server-side cursor on PostgreSQL, CHUNK rows at a time.
            for n, row in enumerate(rows.order_by("position").values_list(*FIELDS).iterator(chunk_size=CHUNK), 1):
                event = dict(zip(FIELDS, row, strict=True))
                event["event_id"] = str(event["event_id"])
                event["occurred_at"] = event["occurred_at"].isoformat()
                out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
                if n % CHUNK == 0:
                    bar.update(CHUNK)
            bar.update(bar.total - bar.n if bar.total else 0)

    def stats(self, rows: QuerySet[Event]) -> None:
        per_type = rows.order_by().values("event_type").annotate(n=Count("position")).order_by("-n", "event_type")
        per_day = rows.order_by().annotate(day=TruncDate("occurred_at")).values("day").annotate(n=Count("position"))
        types = [(r["event_type"], r["n"]) for r in per_type]
        width = max([len(t) for t, _ in types] + [10])
        self.stdout.write("events per type")
        for event_type, n in types:
            self.stdout.write(f"  {event_type:<{width}}  {n:>10}")
        self.stdout.write("events per day (UTC)")
        for r in per_day.order_by("day"):
            self.stdout.write(f"  {r['day'].isoformat():<{width}}  {r['n']:>10}")
        self.stdout.write(f"total  {sum(n for _, n in types)}")
