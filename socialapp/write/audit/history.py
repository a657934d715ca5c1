"""An aggregate's history and past state, read from the event log and folded by the replay.

The audit trail lives on the command side because it reads the log itself, the source of truth,
on `default`, and folds it with the command side's own `socialapp.write.replay` (the code the
replay property tests check against the write tables): a past state here is the write model as
it was, not a read model's copy of it. It only reads; nothing here writes.

`as_of` is a version of the aggregate (an integer) or a moment (an ISO-8601 time): the state
after that version's event, or after the last event that occurred at or before that moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.events.catalogue import AggregateType, EventType
from socialapp.events.models import Event
from socialapp.write import replay

VERSION_MAX = 2**31 - 1  # aggregate_version is a PostgreSQL integer
AS_OF_MAX_LENGTH = 40  # the longest ISO-8601 time we take, with a fraction and an offset
PROFILE_FIELDS = ("username", "display_name", "bio", "locked", "deactivated", "suspended")


@dataclass(frozen=True)
class AsOf:
    """One of the two: a version of the aggregate, or a moment."""

    version: int | None = None
    at: dt.datetime | None = None


def parse_as_of(raw: str | None) -> AsOf | None:
    """`as_of` from the query string: digits are a version, anything else must be an ISO-8601
    time (no offset: UTC). Anything else is a 400 naming the parameter, never a guess."""
    if raw is None or raw == "":
        return None
    message = "as_of must be a version (a positive integer) or an ISO-8601 time."
    if len(raw) > AS_OF_MAX_LENGTH:
        raise ValidationFailed.on("as_of", message)
    if raw.isascii() and raw.isdigit():
        version = int(raw)
        if not 1 <= version <= VERSION_MAX:
            raise ValidationFailed.on("as_of", message)
        return AsOf(version=version)
    try:
        moment = parse_datetime(raw)
    except ValueError:  # well formed, impossible (month 13)
        moment = None
    if moment is None:
        raise ValidationFailed.on("as_of", message)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return AsOf(at=moment)


def check_aggregate(aggregate_type: str, aggregate_id: str) -> None:
    """A 404 problem for an id that cannot name an aggregate of that type (a pair for a single
    aggregate or the other way round). The path converters already refused unknown types."""
    if aggregate_type not in set(AggregateType):
        raise NotFound("No such aggregate type.")
    if (":" in aggregate_id) != (aggregate_type in replay.PAIR_TYPES):
        raise NotFound(f"A {aggregate_type} has no id of this form.")


def _of(aggregate_type: str, aggregate_id: str):
    return Event.objects.filter(aggregate_type=aggregate_type, aggregate_id=aggregate_id)


def events_page(aggregate_type: str, aggregate_id: str, *, after: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` events of the aggregate after position `after`, in log order, as the log has
    them (`Event.as_message`). Served by the unique (aggregate_type, aggregate_id, version) index:
    within one aggregate, versions and positions grow together (each version is appended under
    the aggregate's row lock, after the previous one committed)."""
    rows = _of(aggregate_type, aggregate_id)
    if after is not None:
        rows = rows.filter(position__gt=after)
    return [e.as_message() for e in rows.order_by("position")[:limit]]


def aggregate_exists(aggregate_type: str, aggregate_id: str) -> bool:
    return _of(aggregate_type, aggregate_id).exists()


def _messages(rows) -> list[dict[str, Any]]:
    """Fetched whole, not through `.iterator()`: a server-side cursor is planned for its first
    rows (cursor_tuple_fraction), which here picked a walk of the whole log in position order
    over the payload indexes (0.9 s instead of 1 ms on a 0.8M-event log; docs/analytics.md)."""
    return [e.as_message() for e in rows.order_by("position")]


FOLDED = ("position", "event_type", "aggregate_type", "aggregate_id", "aggregate_version", "payload")


def _folded(rows) -> list[dict[str, Any]]:
    """Only what `replay.apply` reads (no model instances, no envelope formatting): the profile
    folds tens of thousands of events for a popular account."""
    return [dict(zip(FOLDED, row, strict=True)) for row in rows.order_by("position").values_list(*FOLDED)]


@dataclass(frozen=True)
class PastState:
    aggregate_type: str
    aggregate_id: str
    version: int
    occurred_at: str  # of the last event folded
    latest_version: int
    state: dict[str, Any]
    profile: dict[str, Any] | None


def past_state(aggregate_type: str, aggregate_id: str, as_of: AsOf | None) -> PastState:
    """The aggregate after `as_of` (or now), folded from its events by `replay.fold_aggregate`;
    for a user, also their profile as it read then (`profile_as_of`). 404 if the aggregate has no
    event, no such version, or did not exist yet at that moment."""
    check_aggregate(aggregate_type, aggregate_id)
    rows = _of(aggregate_type, aggregate_id)
    latest = rows.order_by("-aggregate_version").values_list("aggregate_version", flat=True).first()
    if latest is None:
        raise NotFound(f"No {aggregate_type} {aggregate_id} in the event log.")
    if as_of is not None and as_of.version is not None:
        if as_of.version > latest:
            raise NotFound(f"{aggregate_type} {aggregate_id} has no version {as_of.version} (latest: {latest}).")
        rows = rows.filter(aggregate_version__lte=as_of.version)
    elif as_of is not None and as_of.at is not None:
        rows = rows.filter(occurred_at__lte=as_of.at)
    events = _messages(rows)
    state = replay.fold_aggregate(aggregate_type, aggregate_id, events) if events else None
    if state is None:
        raise NotFound(f"{aggregate_type} {aggregate_id} did not exist yet at {as_of.at.isoformat()}.")  # type: ignore[union-attr]
    last = events[-1]
    profile = None
    if aggregate_type == AggregateType.USER:
        # Now; a moment as of itself; a version as of the moment it occurred.
        moment = None if as_of is None else as_of.at or parse_datetime(str(last["occurred_at"]))
        profile = profile_as_of(int(aggregate_id), events, moment)
    return PastState(
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        version=int(last["aggregate_version"]),
        occurred_at=str(last["occurred_at"]),
        latest_version=int(latest),
        state=state,
        profile=profile,
    )


def profile_as_of(user_id: int, user_events: list[dict[str, Any]], moment: dt.datetime | None) -> dict[str, Any]:
    """The user's profile as it read at `moment` (None: now): their own fields, and the counts
    the profiles read model keeps, from the same fold over the follow aggregates involving the
    user, the users on their other side, and the user's posts, each cut at `moment`.

    The counts follow the read model's rules (socialapp/read/profiles/projector.py): a
    deactivated user's counts are 0; a follow counts while active and while neither party is
    deactivated; a post counts until it is deleted; a suspension hides, it does not change counts.
    """
    key = str(user_id)

    def until(rows):
        return rows.filter(occurred_at__lte=moment) if moment is not None else rows

    # Indexed by payload (migration events.0005): who follows whom, posts by author.
    follows = _folded(
        until(
            Event.objects.filter(aggregate_type=AggregateType.FOLLOW).filter(
                Q(payload__follower_id=user_id) | Q(payload__followee_id=user_id)
            )
        )
    )
    post_ids = until(Event.objects.filter(event_type=EventType.POST_CREATED, payload__author_id=user_id)).values(
        "aggregate_id"
    )
    posts = _folded(until(Event.objects.filter(aggregate_type=AggregateType.POST, aggregate_id__in=post_ids)))
    # Of the users on the other side, only those deactivated by then change a count: fold theirs.
    others = {a for e in follows for a in e["aggregate_id"].split(":")} - {key}
    gone_ids = until(
        Event.objects.filter(
            aggregate_type=AggregateType.USER, aggregate_id__in=others, event_type=EventType.USER_DEACTIVATED
        )
    ).values("aggregate_id")
    neighbours = _folded(until(Event.objects.filter(aggregate_type=AggregateType.USER, aggregate_id__in=gone_ids)))
    everything = sorted([*user_events, *follows, *posts, *neighbours], key=lambda e: e["position"])
    state = replay.fold(everything)
    me = state["users"][user_id]
    gone = {uid for uid, user in state["users"].items() if user["deactivated"]}
    if me["deactivated"]:
        counts = {"follower_count": 0, "following_count": 0, "post_count": 0}
    else:
        live = [pair for pair, edge in state["follows"].items() if edge["active"] and not gone & set(pair)]
        counts = {
            "follower_count": sum(1 for _a, b in live if b == user_id),
            "following_count": sum(1 for a, _b in live if a == user_id),
            "post_count": sum(
                1 for post in state["posts"].values() if post["author_id"] == user_id and not post["deleted"]
            ),
        }
    return {**{f: me[f] for f in PROFILE_FIELDS}, **counts}
