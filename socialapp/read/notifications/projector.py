"""The notifications projector: follows, likes, comments and mentions addressed to a user.

Every handler first locks the gate rows of the aggregates its notification depends on (FOR
SHARE) while deletions and deactivations lock theirs FOR UPDATE: a comment notification can
never be written after its post's deletion removed the others. Nobody is notified of their own
actions.
"""

from __future__ import annotations

from socialapp.events.projector import CheckReport, EventMessage, Projector, handles, register
from socialapp.read.common.sql import execute, fetchall, fetchone

TABLES = ("read_notification", "read_notification_gate")  # the read marker is not projected


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


def _notify(
    event: EventMessage,
    recipient: int,
    kind: str,
    actor: int,
    actor_username: str,
    source_key: str,
    post_id: int | None = None,
    comment_id: int | None = None,
) -> None:
    if recipient == actor:
        return
    execute(
        "INSERT INTO read_notification (recipient_id, position, kind, actor_id, actor_username, post_id, comment_id,"
        " source_key, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [recipient, event.position, kind, actor, actor_username, post_id, comment_id, source_key, event.occurred_at],
    )


def _mention_ids(mentions: list[dict]) -> list[int]:
    return [int(m["user_id"]) for m in mentions or []]


@register
class NotificationsProjector(Projector):
    def check(self) -> CheckReport:
        """Live tables == a replay of the events they applied (socialapp.read.common.check)."""
        from socialapp.read.common.check import replay_check

        return replay_check(self)

    name = "notifications"
    tables = TABLES

    def _pairwise(self, event: EventMessage, key: str, users: list[int], extra: list[str]) -> bool | None:
        """Version gate for like/follow aggregates: None = stale; else whether anyone is gone."""
        gates = _gates([key, *extra, *(f"user:{u}" for u in users)], "SHARE")
        if gates[key][0] >= event.aggregate_version:
            return None
        execute("UPDATE read_notification_gate SET version = %s WHERE key = %s", [event.aggregate_version, key])
        return any(gone for k, (_, gone) in gates.items() if k != key)

    @handles("user.followed", "user.unfollowed")
    def follow(self, event: EventMessage) -> None:
        p = event.payload
        key = f"follow:{p['follower_id']}:{p['followee_id']}"
        gone = self._pairwise(event, key, [p["follower_id"], p["followee_id"]], [])
        if gone is None:
            return
        execute("DELETE FROM read_notification WHERE source_key = %s", [key])
        if event.event_type == "user.followed" and not gone:
            _notify(event, p["followee_id"], "follow", p["follower_id"], p["follower_username"], key)

    @handles("post.liked", "post.unliked")
    def like(self, event: EventMessage) -> None:
        p = event.payload
        key = f"like:{p['post_id']}:{p['user_id']}"
        gone = self._pairwise(event, key, [p["user_id"], p["post_author_id"]], [f"post:{p['post_id']}"])
        if gone is None:
            return
        execute("DELETE FROM read_notification WHERE source_key = %s", [key])
        if event.event_type == "post.liked" and not gone:
            _notify(event, p["post_author_id"], "like", p["user_id"], p["username"], key, post_id=p["post_id"])

    @handles("post.created")
    def post_created(self, event: EventMessage) -> None:
        p = event.payload
        mentioned = _mention_ids(p.get("mentions"))
        gates = _gates([f"post:{p['post_id']}", *(f"user:{u}" for u in [p["author_id"], *mentioned])])
        if gates[f"post:{p['post_id']}"][1] or gates[f"user:{p['author_id']}"][1]:
            return
        for uid in mentioned:
            if not gates[f"user:{uid}"][1]:
                _notify(
                    event,
                    uid,
                    "mention",
                    p["author_id"],
                    p["author_username"],
                    f"post:{p['post_id']}",
                    post_id=p["post_id"],
                )

    @handles("comment.created")
    def comment_created(self, event: EventMessage) -> None:
        p = event.payload
        post_key, comment_key = f"post:{p['post_id']}", f"comment:{p['comment_id']}"
        mentioned = _mention_ids(p.get("mentions"))
        users = [p["author_id"], p["post_author_id"], *mentioned]
        gates = _gates([post_key, comment_key, *(f"user:{u}" for u in users)])
        if gates[post_key][1] or gates[comment_key][1] or gates[f"user:{p['author_id']}"][1]:
            return
        args = {"post_id": p["post_id"], "comment_id": p["comment_id"]}
        if not gates[f"user:{p['post_author_id']}"][1]:
            _notify(event, p["post_author_id"], "comment", p["author_id"], p["author_username"], comment_key, **args)
        for uid in mentioned:
            if uid != p["post_author_id"] and not gates[f"user:{uid}"][1]:
                _notify(event, uid, "mention", p["author_id"], p["author_username"], comment_key, **args)

    @handles("comment.deleted")
    def comment_deleted(self, event: EventMessage) -> None:
        key = f"comment:{event.payload['comment_id']}"
        _gates([key], "UPDATE")
        execute("UPDATE read_notification_gate SET gone = true WHERE key = %s", [key])
        execute("DELETE FROM read_notification WHERE comment_id = %s", [event.payload["comment_id"]])

    @handles("post.deleted")
    def post_deleted(self, event: EventMessage) -> None:
        key = f"post:{event.payload['post_id']}"
        _gates([key], "UPDATE")
        execute("UPDATE read_notification_gate SET gone = true WHERE key = %s", [key])
        execute("DELETE FROM read_notification WHERE post_id = %s", [event.payload["post_id"]])

    @handles("user.deactivated")
    def deactivated(self, event: EventMessage) -> None:
        uid = event.payload["user_id"]
        key = f"user:{uid}"
        _gates([key], "UPDATE")
        execute("UPDATE read_notification_gate SET gone = true WHERE key = %s", [key])
        execute("DELETE FROM read_notification WHERE actor_id = %s OR recipient_id = %s", [uid, uid])


def mark_read(*, recipient_id: int, up_to: int | None = None) -> int:
    """The read side's own command: mark notifications up to `up_to` (default: all) read."""
    if up_to is None:
        row = fetchone("SELECT max(position) FROM read_notification WHERE recipient_id = %s", [recipient_id])
        up_to = (row[0] if row else None) or 0
    execute(
        "INSERT INTO read_notification_marker (recipient_id, up_to) VALUES (%s, %s) ON CONFLICT (recipient_id)"
        " DO UPDATE SET up_to = GREATEST(read_notification_marker.up_to, EXCLUDED.up_to)",
        [recipient_id, up_to],
    )
    return unread_count(recipient_id)


def unread_count(recipient_id: int) -> int:
    row = fetchone(
        "SELECT count(*) FROM read_notification n WHERE recipient_id = %s AND position >"
        " COALESCE((SELECT up_to FROM read_notification_marker WHERE recipient_id = %s), 0)",
        [recipient_id, recipient_id],
    )
    return int(row[0]) if row else 0
