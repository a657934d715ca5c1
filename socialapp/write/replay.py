"""Replay: fold the event log from empty into the state the write tables should hold.

This is the command side's proof that its events tell the whole story: for any history,
`fold(events) == snapshot()` (the property test drives random command sequences and checks
it). It is also the audit trail's engine: `fold_aggregate` folds one aggregate's events (or a prefix
of them) into its state at that version (socialapp/write/audit, docs/analytics.md).
`fold` is pure: it takes event messages (`Event.as_message()` dicts) and knows no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from socialapp.events.catalogue import EventType

State = dict[str, dict[Any, dict[str, Any]]]

# What fold and snapshot compare of each entity besides its flag and version: the keys of its
# created event's payload, and its columns alike.
FIELDS = {
    "users": ("username", "display_name", "bio", "locked"),  # no e-mail: it stays off the log (docs/events.md)
    "posts": ("author_id", "body", "hashtags", "mentions", "spoiler_text", "sensitive", "visibility", "language"),
    "comments": (
        "post_id",
        "author_id",
        "body",
        "mentions",
        "in_reply_to_id",
        "spoiler_text",
        "sensitive",
        "visibility",
    ),
}
# Payload keys added after the first events were written: an older event without them meant
# these values (no content warning, answering the post, public, not locked, no language given).
DEFAULTS: dict[str, Any] = {
    "spoiler_text": "",
    "sensitive": False,
    "in_reply_to_id": None,
    "visibility": "public",
    "locked": False,
    "language": "",
}
# The toggled pair aggregates: state key, aggregate type, payload keys of the pair.
PAIRS = {
    "likes": ("like", "post_id", "user_id"),
    "follows": ("follow", "follower_id", "followee_id"),
    "blocks": ("block", "blocker_id", "blocked_id"),
    "mutes": ("mute", "muter_id", "muted_id"),
    "follow_requests": ("follow_request", "follower_id", "followee_id"),
}
FOLLOW_REQUEST_ENDINGS = (
    EventType.FOLLOW_REQUEST_APPROVED,
    EventType.FOLLOW_REQUEST_REJECTED,
    EventType.FOLLOW_REQUEST_WITHDRAWN,
)


def empty() -> State:
    return {"users": {}, "posts": {}, "comments": {}, "reports": {}, **{table: {} for table in PAIRS}}


def fold(events: Iterable[dict[str, Any]]) -> State:
    state = empty()
    for event in events:
        apply(state, event)
    return state


def _created(table: str, payload: dict[str, Any], flag: str) -> dict[str, Any]:
    return {**{f: payload[f] if f not in DEFAULTS else payload.get(f, DEFAULTS[f]) for f in FIELDS[table]}, flag: False}


def _content(payload: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: payload[k] if k not in DEFAULTS else payload.get(k, DEFAULTS[k]) for k in keys}


def apply(state: State, event: dict[str, Any]) -> None:
    """Apply one event. Events of one aggregate must come in version order (the log's order)."""
    kind, p, version = event["event_type"], event["payload"], event["aggregate_version"]
    users, posts, comments = state["users"], state["posts"], state["comments"]
    if kind == EventType.USER_REGISTERED:
        users[p["user_id"]] = {**_created("users", p, "deactivated"), "suspended": False}
    elif kind == EventType.PROFILE_UPDATED:
        users[p["user_id"]].update(display_name=p["display_name"], bio=p["bio"], locked=p.get("locked", False))
    elif kind == EventType.USER_DEACTIVATED:
        users[p["user_id"]]["deactivated"] = True
    elif kind in (EventType.USER_SUSPENDED, EventType.USER_UNSUSPENDED):
        users[p["user_id"]]["suspended"] = kind == EventType.USER_SUSPENDED
    elif kind == EventType.POST_CREATED:
        posts[p["post_id"]] = _created("posts", p, "deleted")
    elif kind == EventType.POST_EDITED:
        posts[p["post_id"]].update(_content(p, "body", "hashtags", "mentions", "spoiler_text", "sensitive", "language"))
    elif kind == EventType.POST_DELETED:
        posts[p["post_id"]]["deleted"] = True
    elif kind == EventType.COMMENT_CREATED:
        comments[p["comment_id"]] = _created("comments", p, "deleted")
    elif kind == EventType.COMMENT_EDITED:
        comments[p["comment_id"]].update(_content(p, "body", "mentions", "spoiler_text", "sensitive"))
    elif kind == EventType.COMMENT_DELETED:
        comments[p["comment_id"]]["deleted"] = True
    elif kind in (EventType.POST_LIKED, EventType.POST_UNLIKED):
        state["likes"][(p["post_id"], p["user_id"])] = {"active": kind == EventType.POST_LIKED}
    elif kind in (EventType.USER_FOLLOWED, EventType.USER_UNFOLLOWED):
        state["follows"][(p["follower_id"], p["followee_id"])] = {"active": kind == EventType.USER_FOLLOWED}
    elif kind in (EventType.USER_BLOCKED, EventType.USER_UNBLOCKED):
        state["blocks"][(p["blocker_id"], p["blocked_id"])] = {"active": kind == EventType.USER_BLOCKED}
    elif kind == EventType.USER_MUTED:
        options = {"notifications": p.get("notifications", True), "expires_at": p.get("expires_at")}
        state["mutes"][(p["muter_id"], p["muted_id"])] = {"active": True, **options}
    elif kind == EventType.USER_UNMUTED:
        state["mutes"][(p["muter_id"], p["muted_id"])]["active"] = False  # the options stay
    elif kind == EventType.FOLLOW_REQUESTED or kind in FOLLOW_REQUEST_ENDINGS:
        state["follow_requests"][(p["follower_id"], p["followee_id"])] = {"active": kind == EventType.FOLLOW_REQUESTED}
    elif kind == EventType.REPORT_FILED:
        state["reports"][p["report_id"]] = {"target_id": p["target_id"], "state": "open", "action": None}
    elif kind == EventType.REPORT_RESOLVED:
        state["reports"][p["report_id"]].update(state="resolved", action=p["action"])
    else:
        raise ValueError(f"unknown event type {kind!r}")
    row = state[TABLE_OF[event["aggregate_type"]]].get(key_of(event["aggregate_type"], event["aggregate_id"]))
    if row is not None:
        row["version"] = version


# Which part of the state each aggregate type folds into.
TABLE_OF = {
    "user": "users",
    "post": "posts",
    "comment": "comments",
    "report": "reports",
    **{t: k for k, (t, _a, _b) in PAIRS.items()},
}
PAIR_TYPES = frozenset(t for t, _a, _b in PAIRS.values())


def key_of(aggregate_type: str, aggregate_id: str) -> Any:
    """The state's key of an aggregate: an int id, or an (int, int) pair for the pair types."""
    if aggregate_type in PAIR_TYPES:
        a, b = aggregate_id.split(":")
        return (int(a), int(b))
    return int(aggregate_id)


def fold_aggregate(aggregate_type: str, aggregate_id: str, events: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """One aggregate's entity after `events` (its own, in version order; a prefix of them gives
    its state at that version): the audit trail's past states (socialapp/write/audit) use this,
    so they are folded by exactly the code the replay property tests check. None if the events
    never created it."""
    return fold(events)[TABLE_OF[aggregate_type]].get(key_of(aggregate_type, aggregate_id))


def snapshot() -> State:
    """The same shape, read from the write tables (rows that never had an event are left out:
    a like or follow row created by a command that then found nothing to do has version 0)."""
    from socialapp.write.accounts.models import User
    from socialapp.write.comments.models import Comment
    from socialapp.write.follows.models import Follow
    from socialapp.write.moderation.models import Report
    from socialapp.write.posts.models import Like, Post
    from socialapp.write.relations.models import Block, FollowRequest, Mute

    state = empty()
    for table, model, flag, timestamp in [
        ("users", User, "deactivated", "deactivated_at"),
        ("posts", Post, "deleted", "deleted_at"),
        ("comments", Comment, "deleted", "deleted_at"),
    ]:
        extra = ("suspended_at",) if table == "users" else ()
        for row in model.objects.values("id", *FIELDS[table], timestamp, *extra, "version"):
            row[flag] = row.pop(timestamp) is not None
            if extra:
                row["suspended"] = row.pop("suspended_at") is not None
            state[table][row.pop("id")] = row
    for table, model in [
        ("likes", Like),
        ("follows", Follow),
        ("blocks", Block),
        ("follow_requests", FollowRequest),
        ("mutes", Mute),
    ]:
        _type, a, b = PAIRS[table]
        columns = [a, b, "active", "version"] + (["notifications", "expires_at"] if model is Mute else [])
        for row in model.objects.filter(version__gt=0).values(*columns):
            if model is Mute:
                row["expires_at"] = row["expires_at"] and row["expires_at"].isoformat()
            state[table][(row.pop(a), row.pop(b))] = row
    for row in Report.objects.values("id", "target_id", "state", "action", "version"):
        state["reports"][row.pop("id")] = row
    return state


def replay_log() -> State:
    """Fold the whole event log of the write database."""
    from socialapp.events.models import Event

    return fold(e.as_message() for e in Event.objects.order_by("position").iterator())
