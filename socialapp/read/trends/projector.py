"""The trends projector: fact rows and time-bucketed counters of hashtag uses and engagement.

Each handler locks the one fact row its event is about, computes what that fact contributed to
the counters before and after the event (`*_contribution`), and moves the counters by the
difference (`Deltas`: summed over the batch, written once per table at the end of `handle`,
in the same transaction). A fact's contribution depends only on its row, and the row only on which events were
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

import json
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from socialapp.events.catalogue import EventType
from socialapp.events.projector import EventMessage, Projector, handles, register
from socialapp.read.common.sql import READ, execute, fetchall, fetchone

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


def _created_post_row(event: EventMessage) -> tuple:
    """The row `post` writes for a `post.created` over a fresh placeholder (POST_COLUMNS order)."""
    p = event.payload
    return (
        int(p["author_id"]),
        occurred(event),
        (p.get("visibility") or "public") == "public",
        bool(p.get("sensitive", False)),
        False,
        event.aggregate_version,
        [str(t).lower() for t in dict.fromkeys(p.get("hashtags") or [])],
    )


@dataclass
class Deltas:
    """The counter changes of one batch, summed: handlers add to it, `flush` writes each counter
    table with one upsert and one zero-row delete for the whole batch (the facts they read are
    written at once; the counters are only ever written here)."""

    tag: dict[tuple[str, datetime, datetime, int], int] = field(default_factory=dict)
    engagement: dict[tuple[int, datetime], list[int]] = field(default_factory=dict)

    def move_tag_uses(self, removed: Iterable[Use], added: Iterable[Use]) -> None:
        for sign, uses in ((-1, removed), (1, added)):
            for tag, at, author in uses:
                key = (tag, _minute(at), _hour(at), author)
                self.tag[key] = self.tag.get(key, 0) + sign

    def move_engagement(
        self, post_id: int, column: str, removed_at: datetime | None, added_at: datetime | None
    ) -> None:
        """One engaging account of `column` (likes or comments) moves from the hour of
        `removed_at` to the hour of `added_at` (either None: nothing there)."""
        index = 0 if column == "likes" else 1
        for sign, at in ((-1, removed_at), (1, added_at)):
            if at is not None:
                counts = self.engagement.setdefault((post_id, _hour(at)), [0, 0])
                counts[index] += sign

    def flush(self) -> None:
        per_minute: dict[tuple[str, datetime], int] = {}
        per_hour: dict[tuple[str, datetime, int], int] = {}
        for (tag, minute, hour, author), delta in self.tag.items():
            per_minute[(tag, minute)] = per_minute.get((tag, minute), 0) + delta
            per_hour[(tag, hour, author)] = per_hour.get((tag, hour, author), 0) + delta
        # Sorted keys: concurrent batches lock shared counter rows in one order (no deadlock cycle).
        minutes = sorted((k, d) for k, d in per_minute.items() if d)
        hours = sorted((k, d) for k, d in per_hour.items() if d)
        posts = sorted((k, d) for k, d in self.engagement.items() if any(d))
        self.tag, self.engagement = {}, {}
        if minutes:
            _upsert("trends_tag_minute", ("tag", "minute"), ("text", "timestamptz"), ("uses",), minutes)
        if hours:
            _upsert(
                "trends_tag_account_hour",
                ("tag", "hour", "account_id"),
                ("text", "timestamptz", "bigint"),
                ("uses",),
                hours,
            )
        if posts:
            _upsert("trends_post_hour", ("post_id", "hour"), ("bigint", "timestamptz"), ("likes", "comments"), posts)


def _upsert(
    table: str, keys: tuple[str, ...], types: tuple[str, ...], counts: tuple[str, ...], rows: list[tuple[Any, Any]]
) -> None:
    """Add each row's deltas to the counters of `table` (inserting missing rows), then delete
    the rows of these keys whose counts all fell to zero."""
    columns = [*keys, *counts]
    key_arrays = [[k[i] for k, _ in rows] for i in range(len(keys))]
    count_arrays = [[(d if isinstance(d, list) else [d])[i] for _, d in rows] for i in range(len(counts))]
    casts = [f"%s::{t}[]" for t in types] + ["%s::int[]"] * len(counts)
    execute(
        f"INSERT INTO {table} AS c ({', '.join(columns)}) SELECT * FROM unnest({', '.join(casts)})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(f"{c} = c.{c} + EXCLUDED.{c}" for c in counts),
        [*key_arrays, *count_arrays],
    )
    execute(
        f"DELETE FROM {table} c USING unnest({', '.join(casts[: len(keys)])}) AS k({', '.join(keys)})"
        f" WHERE {' AND '.join(f'c.{k} = k.{k}' for k in keys)} AND {' AND '.join(f'c.{c} <= 0' for c in counts)}",
        key_arrays,
    )


def first_live_comment(post_id: int, author_id: int) -> datetime | None:
    row = fetchone(
        "SELECT min(at) FROM trends_comment WHERE post_id = %s AND author_id = %s AND at IS NOT NULL AND NOT deleted",
        [post_id, author_id],
        using=READ,
    )
    return row[0] if row else None


#: The batch being handled (set by `TrendsProjector.handle`, per thread or task).
_deltas: ContextVar[Deltas | None] = ContextVar("trends_deltas", default=None)


@register
class TrendsProjector(Projector):
    name = "trends"
    tables = TABLES

    def handle(self, events: Sequence[EventMessage]) -> None:
        """Each event updates its fact row; the counters' deltas of the whole batch are summed
        and written once at the end (in the same transaction)."""
        deltas = Deltas()
        token = _deltas.set(deltas)
        try:
            rest = self._first_events(events)
            for event in rest:
                self.handlers[event.event_type](self, event)
        finally:
            _deltas.reset(token)
        deltas.flush()

    def _first_events(self, events: Sequence[EventMessage]) -> list[EventMessage]:
        """The batch's most frequent case set-based: a `post.created`, `post.liked` or
        `post.unliked` whose fact row does not exist yet inserts the row its handler would write
        over a fresh placeholder, in one statement per table (ON CONFLICT DO NOTHING tells which
        rows were new), and adds the same contribution. Returns the events left to their handlers
        (a fact row already there: an edit or a delete arrived first, a later like of the pair)."""
        posts: dict[int, EventMessage] = {}
        likes: dict[tuple[int, int], EventMessage] = {}
        rest: list[EventMessage] = []
        for event in events:
            p = event.payload
            if event.event_type == EventType.POST_CREATED and int(p["post_id"]) not in posts:
                posts[int(p["post_id"])] = event
            elif (
                event.event_type in (EventType.POST_LIKED, EventType.POST_UNLIKED)
                and (key := (int(p["post_id"]), int(p["user_id"]))) not in likes
            ):
                likes[key] = event
            else:
                rest.append(event)
        if posts:
            rows = {pid: _created_post_row(e) for pid, e in posts.items()}
            ids = sorted(rows)
            columns = [list(c) for c in zip(*(rows[pid] for pid in ids), strict=True)]
            new = {
                r[0]
                for r in fetchall(
                    "INSERT INTO trends_post (post_id, author_id, created_at, public, sensitive, deleted, version,"
                    " hashtags) SELECT p.post_id, p.author_id, p.created_at, p.public, p.sensitive, p.deleted, p.version,"
                    " h.tags FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[],"
                    " %s::bool[], %s::bool[], %s::bool[], %s::int[]) WITH ORDINALITY"
                    " AS p(post_id, author_id, created_at, public, sensitive, deleted, version, n)"
                    " JOIN LATERAL (SELECT coalesce(array_agg(e.t ORDER BY e.i), '{}') AS tags"
                    " FROM jsonb_array_elements_text((%s::jsonb)->(p.n::int - 1)) WITH ORDINALITY AS e(t, i)) h ON true"
                    " ON CONFLICT (post_id) DO NOTHING RETURNING post_id",
                    [ids, *columns[:6], json.dumps([list(c) for c in columns[6]])],
                    using=READ,
                )
            }
            for pid in ids:
                if pid in new:
                    self.deltas.move_tag_uses((), post_contribution(rows[pid]))
                else:
                    rest.append(posts[pid])
        if likes:
            keys = sorted(likes)
            liked = [likes[k].event_type == EventType.POST_LIKED for k in keys]
            at = [occurred(likes[k]) for k in keys]
            new_pairs = set(
                fetchall(
                    "INSERT INTO trends_like (post_id, user_id, active, version, at)"
                    " SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bool[], %s::int[], %s::timestamptz[])"
                    " ON CONFLICT (post_id, user_id) DO NOTHING RETURNING post_id, user_id",
                    [[k[0] for k in keys], [k[1] for k in keys], liked, [likes[k].aggregate_version for k in keys], at],
                    using=READ,
                )
            )
            for i, key in enumerate(keys):
                if key in new_pairs:
                    self.deltas.move_engagement(key[0], "likes", None, at[i] if liked[i] else None)
                else:
                    rest.append(likes[key])
        return rest

    @property
    def deltas(self) -> Deltas:
        current = _deltas.get()
        assert current is not None, "trends handlers run inside handle()"
        return current

    @handles(EventType.POST_CREATED, EventType.POST_EDITED, EventType.POST_DELETED)
    def post(self, event: EventMessage) -> None:
        p = event.payload
        post_id = int(p["post_id"])
        row = _locked("trends_post", "post_id", post_id, POST_COLUMNS)
        author_id, created_at, public, sensitive, deleted, version, hashtags = row
        author_id = int(p.get("author_id") or author_id)
        v = event.aggregate_version
        if event.event_type == EventType.POST_DELETED:
            # A tombstone erases what it hides (the tags, the sensitive flag), so the row is the
            # same whether the delete arrives before or after the post's other events.
            deleted, hashtags, sensitive, version = True, [], False, max(version, v)
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
        self.deltas.move_tag_uses(post_contribution(row), post_contribution(new))

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
        self.deltas.move_engagement(post_id, "likes", at if active else None, now_at if liked else None)

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
        self.deltas.move_engagement(post_id, "comments", before, first_live_comment(post_id, author_id))

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
