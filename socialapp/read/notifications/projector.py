"""The notifications projector: follows, likes, comments and mentions addressed to a user.

Every handler first locks the gate rows of the aggregates its notification depends on (FOR
SHARE) while deletions and deactivations lock theirs FOR UPDATE: a comment notification can
never be written after its post's deletion removed the others. Nobody is notified of their own
actions. Ids (`seq`) are drawn under a per-recipient lock so that they commit in order, and are
remembered in the unprojected `read_notification_ref` so that a rebuild keeps them. Mentions:
one notification per (user, post or comment) ever, over all versions (docs/read-models.md).
Likes and follows: one notification per (actor, target, kind) and window of
NOTIFICATIONS_DEDUP_WINDOW_SECONDS, so a like/unlike or follow/unfollow loop does not notify
every time: a repetition in the same window brings back the window's first notification, with
its id (already read if it was read), never a new one (`_record_occurrence`, `_notify_once`).

Since issue 15: a follow request notifies the followee (`follow_request`) while it is pending:
approving, rejecting or withdrawing it removes the notification. The follow_request aggregate
(one per pair, versions counting across request after request) orders them like follows, so a
late `follow.requested` never brings back a request already answered. A resolved report notifies
its reporter (`report_resolved`, with the report's id and the action taken); its actor is the
reporter: the moderator who resolved it is never shown, and the reported account may be
suspended or gone by then (docs/moderation.md).

Pushes (socialapp.read.push, after the commit): each notification written with a NEW id (its ref
drawn for the first time) is a `notification` for its recipient's stream; one that comes back
with its old id (a repetition inside the dedup window, a mention's earlier version arriving late)
was pushed when it first appeared and is not pushed again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from socialapp.events.catalogue import EventType
from socialapp.events.projector import REGISTRY, EventMessage, Projector, handles, register
from socialapp.read.common.sql import READ, execute, fetchall, fetchone
from socialapp.read.push.messages import Kind, NotificationFacts, StatusFacts, route_user
from socialapp.read.push.publisher import event_effect, publish_after_commit

TABLES = (
    "read_notification",
    "read_notification_gate",
    "read_notification_source",
    "read_notification_mention",
    "read_notification_suspension",
    "read_notification_occurrence",
)
# not projected: the read marker and the home marker (the read side's own command, markers.py), what the reader cleared or
# dismissed (dismissals.py) and read_notification_ref (ids)


def _gates(keys: list[str], mode: str = "SHARE") -> dict[str, tuple[int, bool]]:
    keys = sorted(set(keys))
    execute(
        "INSERT INTO read_notification_gate (key, version, gone) SELECT unnest(%s::text[]), 0, false"
        " ON CONFLICT (key) DO NOTHING",
        [keys],
    )
    rows = fetchall(
        f"SELECT key, version, gone FROM read_notification_gate WHERE key = ANY(%s) ORDER BY key FOR {mode}", [keys]
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def _mark_gone(key: str) -> None:
    """Tombstone a deleted post or comment or a deactivated user; the upsert holds the row's
    lock until commit, so handlers that locked it FOR SHARE finished first or see it gone."""
    execute(
        "INSERT INTO read_notification_gate (key, version, gone) VALUES (%s, 0, true)"
        " ON CONFLICT (key) DO UPDATE SET gone = true",
        [key],
    )


def _lock_recipients(recipients: list[int]) -> None:
    """Per-recipient lock held until commit, taken in id order (no deadlock) before any id is
    drawn: one recipient's ids are then drawn and committed in the same order, so a reader who
    has seen id N never later sees a new notification below N."""
    for recipient in sorted(set(recipients)):
        execute("SELECT pg_advisory_xact_lock(hashtextextended('read_notification:' || %s::text, 0))", [recipient])


def _seq(recipient: int, ref: str) -> int:
    """The notification's id: the one it had before (rebuild, replay), else a new one (negated:
    a first appearance, which `_insert` pushes)."""
    row = fetchone(
        "INSERT INTO read_notification_ref (recipient_id, ref, seq) VALUES (%s, %s, nextval('read_notification_seq'))"
        " ON CONFLICT DO NOTHING RETURNING seq",
        [recipient, ref],
        using=READ,
    )
    if row is not None:
        return -int(row[0])
    row = fetchone("SELECT seq FROM read_notification_ref WHERE recipient_id = %s AND ref = %s", [recipient, ref])
    assert row is not None
    return int(row[0])


def _insert(event: EventMessage, *row: Any, report: tuple[int | None, str | None] = (None, None)) -> None:
    """(recipient_id, position, seq, kind, actor_id, actor_username, post_id, comment_id,
    source_key, created_at), and a report_resolved's (report_id, report_action); callers hold
    the recipient's lock (`_lock_recipients`). A negative `seq` (from `_seq`) is a new id: the
    notification's first appearance, pushed to the recipient's stream after the commit."""
    recipient, position, seq, kind, actor, _, post_id, comment_id, *_ = row
    written = execute(
        "INSERT INTO read_notification (recipient_id, position, seq, kind, actor_id, actor_username, post_id,"
        " comment_id, source_key, created_at, report_id, report_action)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [recipient, position, abs(seq), *row[3:], *report],
    )
    if seq < 0 and written:
        facts = NotificationFacts(id=-seq, recipient_id=int(recipient), actor_id=actor, type=kind)
        status = _status_facts(event, post_id, comment_id)
        message = event_effect(
            Kind.NOTIFICATION, -seq, event, recipients=(int(recipient),), notification=facts, status=status
        )
        publish_after_commit(message, [route_user(recipient)], using=READ, projector=REGISTRY.get("notifications"))


def _status_facts(event: EventMessage, post_id: int | None, comment_id: int | None) -> StatusFacts | None:
    """The facts of the status a notification is about (the comment, else the post): from the
    posts projector's row once it has the status, else from the event when it is the status's
    own (a mention or a comment notification applied here first), else what the event knows (a
    like's post: its author; the visibility rule always lets the author see their post)."""
    if post_id is None and comment_id is None:
        return None
    p = event.payload
    if comment_id is not None:
        row = fetchone(
            "SELECT author_id, visibility, audience_ids FROM read_comment WHERE comment_id = %s"
            " AND created_at IS NOT NULL",
            [comment_id],
            using=READ,
        )
        if row is None and int(p.get("comment_id") or 0) == int(comment_id):
            row = (p.get("author_id") or 0, p.get("visibility") or "public", _payload_audience(p, comment=True))
        author, visibility, audience = row or (0, "public", ())
        return StatusFacts(
            id=int(comment_id), author_id=int(author), visibility=visibility, audience_ids=tuple(audience or ()),
            post_id=int(post_id) if post_id is not None else None,
        )  # fmt: skip
    row = fetchone(
        "SELECT author_id, visibility, audience_ids, hashtags FROM read_post WHERE post_id = %s"
        " AND created_at IS NOT NULL",
        [post_id],
        using=READ,
    )
    if row is None and "comment_id" not in p and "visibility" in p and int(p.get("post_id") or 0) == int(post_id):
        row = (p["author_id"], p["visibility"], _payload_audience(p), p.get("hashtags") or ())
    if row is None:
        row = (p.get("post_author_id") or p.get("author_id") or 0, p.get("visibility") or "public", (), ())
    author, visibility, audience, hashtags = row
    return StatusFacts(
        id=int(post_id), author_id=int(author), visibility=visibility, audience_ids=tuple(audience or ()),
        hashtags=tuple(hashtags or ()),
    )  # fmt: skip


def _payload_audience(p: dict[str, Any], *, comment: bool = False) -> tuple[int, ...]:
    """A status's audience as the posts projector derives it from the same facts (its mentions,
    and for a comment its post's and the answered comment's authors)."""
    ids = set(_mention_ids(p.get("mentions")))
    if comment:
        ids |= {int(u) for u in (p.get("post_author_id"), p.get("in_reply_to_account_id")) if u}
    return tuple(sorted(ids))


def _notify(
    event: EventMessage,
    recipient: int,
    kind: str,
    actor: int,
    actor_username: str,
    source_key: str,
    post_id: int | None = None,
    comment_id: int | None = None,
    *,
    at: tuple[int, Any] | None = None,
) -> None:
    """Notify `recipient` (never of their own action) at the event's position and time, or at
    `at` (position, occurred_at) when given."""
    if recipient == actor:
        return
    position, occurred_at = at or (event.position, event.occurred_at)
    _lock_recipients([recipient])
    _insert(
        event,
        recipient,
        position,
        _seq(recipient, str(position)),
        kind,
        actor,
        actor_username,
        post_id,
        comment_id,
        source_key,
        occurred_at,
    )


def _record_mentions(event: EventMessage, source_key: str, mentioned: list[int]) -> None:
    """Union over versions, keeping the earliest version's position (order-independent)."""
    if mentioned:
        execute(
            "INSERT INTO read_notification_mention (source_key, user_id, position, occurred_at)"
            " SELECT %s, unnest(%s::bigint[]), %s, %s ON CONFLICT (source_key, user_id) DO UPDATE"
            " SET position = EXCLUDED.position, occurred_at = EXCLUDED.occurred_at"
            " WHERE EXCLUDED.position < read_notification_mention.position",
            [source_key, sorted(set(mentioned)), event.position, event.occurred_at],
        )


def _materialize_mentions(event: EventMessage, source_key: str) -> None:
    """One `mention` notification per (user, post or comment) ever mentioned by any version,
    once the creation (the author) is known and while nothing involved is gone. Callers hold the
    gate locks of the source, its post, its author and the mentioned users."""
    source = fetchone(
        "SELECT post_id, comment_id, author_id, author_username, post_author_id FROM read_notification_source"
        " WHERE key = %s",
        [source_key],
    )
    if source is None:
        return  # the `created` event comes later and will do it
    post_id, comment_id, author, username, post_author = source
    recorded = fetchall(
        "SELECT user_id, position, occurred_at FROM read_notification_mention WHERE source_key = %s ORDER BY user_id",
        [source_key],
    )
    gates = _gates([f"user:{r[0]}" for r in recorded]) if recorded else {}  # before any row is touched
    rows = [r for r in recorded if r[0] not in (author, post_author) and not gates[f"user:{r[0]}"][1]]
    if not rows:
        return
    _lock_recipients([r[0] for r in rows])
    for uid, position, occurred_at in rows:
        current = fetchone(
            "SELECT position FROM read_notification WHERE recipient_id = %s AND source_key = %s AND kind = 'mention'",
            [uid, source_key],
        )
        if current is not None and current[0] == position:
            continue
        execute(
            "DELETE FROM read_notification WHERE recipient_id = %s AND source_key = %s AND kind = 'mention'",
            [uid, source_key],
        )  # an earlier version arrived late: same notification (same id), earlier cause
        seq = _seq(uid, f"mention:{source_key}")
        _insert(event, uid, position, seq, "mention", author, username, post_id, comment_id, source_key, occurred_at)


def _window_of(moment: datetime) -> int:
    return int(moment.timestamp() // settings.NOTIFICATIONS_DEDUP_WINDOW_SECONDS)


def _bucket(event: EventMessage) -> int:
    """The dedup window the event falls in, by its `occurred_at` (not now(): replays agree)."""
    if settings.NOTIFICATIONS_DEDUP_WINDOW_SECONDS <= 0:
        return event.position  # no dedup: every event its own bucket
    return _window_of(datetime.fromisoformat(event.occurred_at))


def _record_occurrence(event: EventMessage, key: str) -> None:
    """Remember the earliest like/follow of this aggregate in the event's window (any order)."""
    execute(
        "INSERT INTO read_notification_occurrence (source_key, bucket, position, occurred_at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (source_key, bucket) DO UPDATE SET position = EXCLUDED.position,"
        " occurred_at = EXCLUDED.occurred_at WHERE (EXCLUDED.occurred_at, EXCLUDED.position)"
        " < (read_notification_occurrence.occurred_at, read_notification_occurrence.position)",
        [key, _bucket(event), event.position, event.occurred_at],
    )


def _notify_once(
    event: EventMessage,
    recipient: int,
    kind: str,
    actor: int,
    actor_username: str,
    key: str,
    post_id: int | None = None,
) -> None:
    """Write the notification of `key` as its window's first occurrence: same position, time and
    id for every repetition in the window. Callers hold the aggregate's gate and have deleted the
    key's standing notification."""
    if recipient == actor:
        return
    row = fetchone(
        "SELECT position, occurred_at FROM read_notification_occurrence WHERE source_key = %s AND bucket = %s",
        [key, _bucket(event)],
    )
    assert row is not None  # recorded by the caller
    _notify(event, recipient, kind, actor, actor_username, key, post_id, at=row)


def _same_bucket(created_at: datetime, event: EventMessage) -> bool:
    return settings.NOTIFICATIONS_DEDUP_WINDOW_SECONDS > 0 and _window_of(created_at) == _bucket(event)


def _mention_ids(mentions: list[dict]) -> list[int]:
    return [int(m["user_id"]) for m in mentions or []]


# The events whose notification is deduplicated per window (a loop of them notifies once).
_OCCURRING = (EventType.POST_LIKED, EventType.USER_FOLLOWED, EventType.FOLLOW_REQUESTED)


@register
class NotificationsProjector(Projector):
    name = "notifications"
    tables = TABLES

    def _pairwise(self, event: EventMessage, key: str, users: list[int], extra: list[str]) -> bool | None:
        """Version gate for like/follow aggregates: None = stale; else whether anyone is gone. The
        aggregate's own gate is locked FOR UPDATE (events of one aggregate serialise), the others
        FOR SHARE. A like or follow is recorded as an occurrence even when stale; a stale one
        earlier in the window of the standing notification takes its place (`_notify_once`)."""
        stale = _gates([key], "UPDATE")[key][0] >= event.aggregate_version
        gates = _gates([*extra, *(f"user:{u}" for u in users)])
        gone = any(gone for _, gone in gates.values())
        if event.event_type in _OCCURRING:
            _record_occurrence(event, key)
        if stale:
            if not gone and event.event_type in _OCCURRING:
                standing = fetchone("SELECT created_at FROM read_notification WHERE source_key = %s", [key])
                if standing is not None and _same_bucket(standing[0], event):
                    return False  # re-notify: the window's first occurrence may now be this one
            return None
        execute("UPDATE read_notification_gate SET version = %s WHERE key = %s", [event.aggregate_version, key])
        return gone

    @handles(EventType.USER_FOLLOWED, EventType.USER_UNFOLLOWED)
    def follow(self, event: EventMessage) -> None:
        p = event.payload
        key = f"follow:{p['follower_id']}:{p['followee_id']}"
        gone = self._pairwise(event, key, [p["follower_id"], p["followee_id"]], [])
        if gone is None:
            return
        execute("DELETE FROM read_notification WHERE source_key = %s", [key])
        # A follow the followee made happen (approving a request; the envelope's actor is the
        # approver) tells them nothing new: they saw the request. Mastodon notifies nobody either.
        approved = event.actor_id is not None and int(event.actor_id) == int(p["followee_id"])
        if event.event_type == EventType.USER_FOLLOWED and not gone and not approved:
            _notify_once(event, p["followee_id"], "follow", p["follower_id"], p["follower_username"], key)

    @handles(
        EventType.FOLLOW_REQUESTED,
        EventType.FOLLOW_REQUEST_APPROVED,
        EventType.FOLLOW_REQUEST_REJECTED,
        EventType.FOLLOW_REQUEST_WITHDRAWN,
    )
    def follow_request(self, event: EventMessage) -> None:
        """Shown while pending: the newest version of the pair's request decides (a late
        `follow.requested` after its answer is stale and changes nothing)."""
        p = event.payload
        key = f"follow_request:{p['follower_id']}:{p['followee_id']}"
        gone = self._pairwise(event, key, [p["follower_id"], p["followee_id"]], [])
        if gone is None:
            return
        execute("DELETE FROM read_notification WHERE source_key = %s", [key])
        if event.event_type == EventType.FOLLOW_REQUESTED and not gone:
            _notify_once(event, p["followee_id"], "follow_request", p["follower_id"], p["follower_username"], key)

    @handles(EventType.REPORT_RESOLVED)
    def report_resolved(self, event: EventMessage) -> None:
        """Tell the reporter the outcome. A report is resolved once: no version to compare; the
        reporter's tombstone (deactivation) keeps it from coming back after the deletion."""
        p = event.payload
        reporter = int(p["reporter_id"])
        if _gates([f"user:{reporter}"])[f"user:{reporter}"][1]:
            return
        _lock_recipients([reporter])
        _insert(
            event,
            reporter,
            event.position,
            _seq(reporter, str(event.position)),
            "report_resolved",
            reporter,
            p.get("reporter_username", ""),
            None,
            None,
            f"report:{p['report_id']}",
            event.occurred_at,
            report=(int(p["report_id"]), p["action"]),
        )

    @handles(EventType.POST_LIKED, EventType.POST_UNLIKED)
    def like(self, event: EventMessage) -> None:
        p = event.payload
        key = f"like:{p['post_id']}:{p['user_id']}"
        gone = self._pairwise(event, key, [p["user_id"], p["post_author_id"]], [f"post:{p['post_id']}"])
        if gone is None:
            return
        execute("DELETE FROM read_notification WHERE source_key = %s", [key])
        if event.event_type == EventType.POST_LIKED and not gone:
            _notify_once(event, p["post_author_id"], "like", p["user_id"], p["username"], key, post_id=p["post_id"])

    @handles(EventType.POST_CREATED, EventType.POST_EDITED)
    def post_written(self, event: EventMessage) -> None:
        """Creation and edits alike record their mentions (whatever else holds, so the recorded
        facts are order-independent), then notify if the post and its author are live. The own
        gate is locked FOR UPDATE so that a creation and an edit never miss each other."""
        p = event.payload
        key = f"post:{p['post_id']}"
        mentioned = _mention_ids(p.get("mentions"))
        gone = _gates([key], "UPDATE")[key][1]
        gates = _gates([f"user:{u}" for u in [p["author_id"], *mentioned]])
        if event.event_type == EventType.POST_CREATED:
            execute(
                "INSERT INTO read_notification_source (key, post_id, author_id, author_username)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [key, p["post_id"], p["author_id"], p["author_username"]],
            )
        _record_mentions(event, key, mentioned)
        if not gone and not gates[f"user:{p['author_id']}"][1]:
            _materialize_mentions(event, key)

    @handles(EventType.COMMENT_CREATED, EventType.COMMENT_EDITED)
    def comment_written(self, event: EventMessage) -> None:
        p = event.payload
        post_key, comment_key = f"post:{p['post_id']}", f"comment:{p['comment_id']}"
        mentioned = _mention_ids(p.get("mentions"))
        gone = _gates([comment_key], "UPDATE")[comment_key][1]
        created = event.event_type == EventType.COMMENT_CREATED
        source = (
            (p["author_id"], p["post_author_id"])
            if created
            else fetchone(
                "SELECT author_id, post_author_id FROM read_notification_source WHERE key = %s", [comment_key]
            )
        )  # an edit may come before its creation: it only records, the creation notifies
        gates = _gates([post_key, *(f"user:{u}" for u in [*(source or ()), *mentioned] if u is not None)])
        if created:
            execute(
                "INSERT INTO read_notification_source (key, post_id, comment_id, author_id, author_username,"
                " post_author_id) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [comment_key, p["post_id"], p["comment_id"], p["author_id"], p["author_username"], p["post_author_id"]],
            )
        _record_mentions(event, comment_key, mentioned)
        if source is None or gone or gates[post_key][1] or gates[f"user:{source[0]}"][1]:
            return
        author, post_author = source
        if created and not gates[f"user:{post_author}"][1]:
            _notify(
                event,
                post_author,
                "comment",
                author,
                p["author_username"],
                comment_key,
                post_id=p["post_id"],
                comment_id=p["comment_id"],
            )
        _materialize_mentions(event, comment_key)

    @handles(EventType.COMMENT_DELETED)
    def comment_deleted(self, event: EventMessage) -> None:
        _mark_gone(f"comment:{event.payload['comment_id']}")
        execute("DELETE FROM read_notification WHERE comment_id = %s", [event.payload["comment_id"]])

    @handles(EventType.POST_DELETED)
    def post_deleted(self, event: EventMessage) -> None:
        _mark_gone(f"post:{event.payload['post_id']}")
        execute("DELETE FROM read_notification WHERE post_id = %s", [event.payload["post_id"]])

    @handles(EventType.USER_DEACTIVATED)
    def deactivated(self, event: EventMessage) -> None:
        uid = event.payload["user_id"]
        _mark_gone(f"user:{uid}")
        execute("DELETE FROM read_notification WHERE actor_id = %s OR recipient_id = %s", [uid, uid])

    @handles(EventType.USER_SUSPENDED, EventType.USER_UNSUSPENDED)
    def suspension(self, event: EventMessage) -> None:
        """Hide (or show again) what a suspended user caused: a flag the queries check, the
        notifications themselves stay, so lifting it restores them exactly."""
        execute(
            "INSERT INTO read_notification_suspension (user_id, suspended, version) VALUES (%s, %s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET suspended = EXCLUDED.suspended, version = EXCLUDED.version"
            " WHERE read_notification_suspension.version < EXCLUDED.version",
            [int(event.payload["user_id"]), event.event_type == EventType.USER_SUSPENDED, event.aggregate_version],
        )
