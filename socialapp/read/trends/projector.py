"""The trends projector: fact rows and time-bucketed counters of hashtag uses and engagement.

Each handler locks the one fact row its event is about, computes what that fact contributed to
the counters before and after the event (`*_contribution`), and moves the counters by the
difference. A fact's contribution depends only on its row, and the row only on which events were
applied (never on their order: versions decide, deletes are tombstones), so the counters equal
the sum of the final facts' contributions whatever the order: duplicates, redeliveries and a
rebuild from the log give the same rows, and the base class's replay check and schema-swap
rebuild cover every table here. Times are the events' own `occurred_at`, never now().

- A post counts its tags (`trends_tag_minute`, `trends_tag_account_hour`) once it is created,
  public and not deleted, at its creation time, with the newest version's tags: an edit that
  changes the tags moves uses, a delete removes them.
- A like counts one liker in the hour of the newest like event (post.liked/unliked alternate the
  versions of one aggregate per pair: the newest version wins).
- A comment makes its author one commenter of the post, in the hour of their first live comment
  there (so an account commenting ten times counts once).
- Authors: suspended/deactivated are flags only; the refresh job and the selectors leave their
  uses and posts out (so an unsuspension restores them without recounting).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from socialapp.events.catalogue import EventType
from socialapp.events.projector import EventMessage, Projector, handles, register
from socialapp.read.common.sql import READ, execute, fetchone

TABLES = (
    "trends_post",
    "trends_like",
    "trends_comment",
    "trends_author",
    "trends_tag_minute",
    "trends_tag_account_hour",
    "trends_post_hour",
)

# (tag, created_at, author_id): one use of a tag.
Use = tuple[str, datetime, int]


def occurred(event: EventMessage) -> datetime:
    at = datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _minute(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _locked(table: str, key: str, value: int, columns: str) -> tuple:
    """The fact row (inserted as a placeholder if new), locked for this transaction: one
    statement (the no-op update of the key takes the row lock and returns the row as it is)."""
    row = fetchone(
        f"INSERT INTO {table} ({key}) VALUES (%s) ON CONFLICT ({key}) DO UPDATE SET {key} = EXCLUDED.{key}"
        f" RETURNING {columns}",
        [value],
        using=READ,
    )
    assert row is not None
    return row


# ----------------------------------------------------------------------------------- tag uses

POST_COLUMNS = "author_id, created_at, public, sensitive, deleted, version, hashtags"


def post_contribution(row: tuple) -> list[Use]:
    author_id, created_at, public, _sensitive, deleted, _version, hashtags = row
    if created_at is None or not public or deleted:
        return []
    return [(tag, created_at, author_id) for tag in hashtags]


def move_tag_uses(removed: Iterable[Use], added: Iterable[Use]) -> None:
    """Apply the difference between two sets of uses to both tag counters (set-based: one
    statement per table and direction); rows that reach zero are deleted."""
    deltas: dict[tuple[str, datetime, datetime, int], int] = {}
    for sign, uses in ((-1, removed), (1, added)):
        for tag, at, author in uses:
            key = (tag, _minute(at), _hour(at), author)
            deltas[key] = deltas.get(key, 0) + sign
    changes = sorted((k, d) for k, d in deltas.items() if d)  # a stable order: fewer lock cycles
    if not changes:
        return
    per_minute: dict[tuple[str, datetime], int] = {}
    per_hour: dict[tuple[str, datetime, int], int] = {}
    for (tag, minute, hour, author), delta in changes:
        per_minute[(tag, minute)] = per_minute.get((tag, minute), 0) + delta
        per_hour[(tag, hour, author)] = per_hour.get((tag, hour, author), 0) + delta
    minutes = [(k, d) for k, d in sorted(per_minute.items()) if d]
    hours = [(k, d) for k, d in sorted(per_hour.items()) if d]
    if minutes:
        execute(
            "INSERT INTO trends_tag_minute AS c (tag, minute, uses)"
            " SELECT * FROM unnest(%s::text[], %s::timestamptz[], %s::int[])"
            " ON CONFLICT (tag, minute) DO UPDATE SET uses = c.uses + EXCLUDED.uses",
            [[k[0] for k, _ in minutes], [k[1] for k, _ in minutes], [d for _, d in minutes]],
        )
        execute(
            "DELETE FROM trends_tag_minute c USING unnest(%s::text[], %s::timestamptz[]) AS k(tag, minute)"
            " WHERE c.tag = k.tag AND c.minute = k.minute AND c.uses <= 0",
            [[k[0] for k, _ in minutes], [k[1] for k, _ in minutes]],
        )
    if hours:
        execute(
            "INSERT INTO trends_tag_account_hour AS c (tag, hour, account_id, uses)"
            " SELECT * FROM unnest(%s::text[], %s::timestamptz[], %s::bigint[], %s::int[])"
            " ON CONFLICT (tag, hour, account_id) DO UPDATE SET uses = c.uses + EXCLUDED.uses",
            [[k[0] for k, _ in hours], [k[1] for k, _ in hours], [k[2] for k, _ in hours], [d for _, d in hours]],
        )
        execute(
            "DELETE FROM trends_tag_account_hour c"
            " USING unnest(%s::text[], %s::timestamptz[], %s::bigint[]) AS k(tag, hour, account_id)"
            " WHERE c.tag = k.tag AND c.hour = k.hour AND c.account_id = k.account_id AND c.uses <= 0",
            [[k[0] for k, _ in hours], [k[1] for k, _ in hours], [k[2] for k, _ in hours]],
        )


# --------------------------------------------------------------------------------- engagement


def move_engagement(post_id: int, column: str, removed_at: datetime | None, added_at: datetime | None) -> None:
    """One engaging account of `column` (likes or comments) moves from the hour of `removed_at`
    to the hour of `added_at` (either None: nothing there)."""
    old = _hour(removed_at) if removed_at else None
    new = _hour(added_at) if added_at else None
    if old == new:
        return
    if new is not None:
        execute(
            f"INSERT INTO trends_post_hour AS c (post_id, hour, {column}) VALUES (%s, %s, 1)"
            f" ON CONFLICT (post_id, hour) DO UPDATE SET {column} = c.{column} + 1",
            [post_id, new],
        )
    if old is not None:
        execute(
            f"UPDATE trends_post_hour SET {column} = {column} - 1 WHERE post_id = %s AND hour = %s",
            [post_id, old],
        )
        execute(
            "DELETE FROM trends_post_hour WHERE post_id = %s AND hour = %s AND likes <= 0 AND comments <= 0",
            [post_id, old],
        )


def first_live_comment(post_id: int, author_id: int) -> datetime | None:
    row = fetchone(
        "SELECT min(at) FROM trends_comment WHERE post_id = %s AND author_id = %s AND at IS NOT NULL AND NOT deleted",
        [post_id, author_id],
        using=READ,
    )
    return row[0] if row else None


@register
class TrendsProjector(Projector):
    name = "trends"
    tables = TABLES

    @handles(EventType.POST_CREATED, EventType.POST_EDITED, EventType.POST_DELETED)
    def post(self, event: EventMessage) -> None:
        p = event.payload
        post_id = int(p["post_id"])
        row = _locked("trends_post", "post_id", post_id, POST_COLUMNS)
        author_id, created_at, public, sensitive, deleted, version, hashtags = row
        author_id = int(p.get("author_id") or author_id)
        v = event.aggregate_version
        if event.event_type == EventType.POST_DELETED:
            deleted, hashtags, version = True, [], max(version, v)
        else:
            if event.event_type == EventType.POST_CREATED:
                created_at = occurred(event)
            public = (p.get("visibility") or "public") == "public"
            if v > version and not deleted:
                hashtags = [str(t).lower() for t in dict.fromkeys(p.get("hashtags") or [])]
                sensitive = bool(p.get("sensitive", False))
                version = v
            elif v > version:
                version = v
        new = (author_id, created_at, public, sensitive, deleted, version, hashtags)
        if new == row:
            return
        execute(
            "UPDATE trends_post SET author_id = %s, created_at = %s, public = %s, sensitive = %s, deleted = %s,"
            " version = %s, hashtags = %s WHERE post_id = %s",
            [*new, post_id],
        )
        move_tag_uses(post_contribution(row), post_contribution(new))

    @handles(EventType.POST_LIKED, EventType.POST_UNLIKED)
    def like(self, event: EventMessage) -> None:
        p = event.payload
        post_id, user_id = int(p["post_id"]), int(p["user_id"])
        active, version, at = fetchone(
            "INSERT INTO trends_like (post_id, user_id) VALUES (%s, %s)"
            " ON CONFLICT (post_id, user_id) DO UPDATE SET user_id = EXCLUDED.user_id RETURNING active, version, at",
            [post_id, user_id],
            using=READ,
        )  # type: ignore[misc]
        if event.aggregate_version <= version:
            return  # a duplicate or an older event: the newer one already decided
        liked, now_at = event.event_type == EventType.POST_LIKED, occurred(event)
        execute(
            "UPDATE trends_like SET active = %s, version = %s, at = %s WHERE post_id = %s AND user_id = %s",
            [liked, event.aggregate_version, now_at, post_id, user_id],
        )
        move_engagement(post_id, "likes", at if active else None, now_at if liked else None)

    @handles(EventType.COMMENT_CREATED, EventType.COMMENT_DELETED)
    def comment(self, event: EventMessage) -> None:
        p = event.payload
        post_id, author_id = int(p["post_id"]), int(p["author_id"])
        # One lock per (post, commenter): their comments' first live time is computed over rows
        # that concurrent applies of the same pair would otherwise change under us.
        execute("SELECT pg_advisory_xact_lock(hashtext('trends:comment'), hashtext(%s))", [f"{post_id}:{author_id}"])
        before = first_live_comment(post_id, author_id)
        comment_id = int(p["comment_id"])
        _locked("trends_comment", "comment_id", comment_id, "at")
        if event.event_type == EventType.COMMENT_CREATED:
            execute(
                "UPDATE trends_comment SET post_id = %s, author_id = %s, at = %s WHERE comment_id = %s",
                [post_id, author_id, occurred(event), comment_id],
            )
        else:
            execute(
                "UPDATE trends_comment SET post_id = %s, author_id = %s, deleted = true WHERE comment_id = %s",
                [post_id, author_id, comment_id],
            )
        move_engagement(post_id, "comments", before, first_live_comment(post_id, author_id))

    @handles(EventType.USER_SUSPENDED, EventType.USER_UNSUSPENDED, EventType.USER_DEACTIVATED)
    def author(self, event: EventMessage) -> None:
        user_id = int(event.payload["user_id"])
        _locked("trends_author", "user_id", user_id, "user_id")
        if event.event_type == EventType.USER_DEACTIVATED:
            execute("UPDATE trends_author SET deactivated = true WHERE user_id = %s", [user_id])
            return
        # Only suspend/unsuspend move `suspension_version`: a deactivation's version must not
        # make an older suspension event look stale (the flag would then depend on the order).
        execute(
            "UPDATE trends_author SET suspended = %s, suspension_version = %s WHERE user_id = %s"
            " AND suspension_version < %s",
            [event.event_type == EventType.USER_SUSPENDED, event.aggregate_version, user_id, event.aggregate_version],
        )
