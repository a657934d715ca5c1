"""Events as docs/events.md defines them, built by hand: the search projector's test input."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from socialapp.events.projector import EventMessage

_position = itertools.count(1_000_000)
BASE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def event(event_type: str, aggregate_type: str, aggregate_id: Any, version: int, payload: dict) -> EventMessage:
    return EventMessage(
        event_id=uuid.uuid4(),
        position=next(_position),
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        aggregate_version=version,
        actor_id=None,
        occurred_at=datetime.now(UTC).isoformat(),
        schema_version=1,
        payload=payload,
    )


def registered(user_id: int, username: str, display_name: str = "", version: int = 1) -> EventMessage:
    payload = {
        "user_id": user_id,
        "username": username,
        "display_name": display_name or username.title(),
        "bio": "",
        "registered_at": BASE_TIME.isoformat(),
    }
    return event("user.registered", "user", user_id, version, payload)


def profile_updated(user_id: int, display_name: str, version: int) -> EventMessage:
    return event(
        "profile.updated", "user", user_id, version, {"user_id": user_id, "display_name": display_name, "bio": ""}
    )


def deactivated(user_id: int, username: str, version: int) -> EventMessage:
    payload = {"user_id": user_id, "username": username, "deactivated_at": BASE_TIME.isoformat(), "by": "self"}
    return event("user.deactivated", "user", user_id, version, payload)


def suspension(user_id: int, version: int, *, suspended: bool) -> EventMessage:
    kind, at = ("user.suspended", "suspended_at") if suspended else ("user.unsuspended", "unsuspended_at")
    return event(kind, "user", user_id, version, {"user_id": user_id, at: BASE_TIME.isoformat()})


def _tags_mentions(body: str) -> tuple[list[str], list[dict]]:
    tags: list[str] = []
    mentions: list[dict] = []
    for word in body.split():
        word = word.strip(".,!?")
        if word.startswith("#") and word[1:].lower() not in tags:
            tags.append(word[1:].lower())
        if word.startswith("@"):
            mentions.append({"user_id": abs(hash(word)) % 10_000, "username": word[1:]})
    return tags, mentions


def post_created(
    post_id: int,
    author_id: int,
    author: str,
    body: str,
    *,
    minutes: int = 0,
    version: int = 1,
    visibility: str | None = None,
    language: str | None = None,
    sensitive: bool | None = None,
) -> EventMessage:
    tags, mentions = _tags_mentions(body)
    payload = {
        "post_id": post_id,
        "author_id": author_id,
        "author_username": author,
        "author_display_name": author.title(),
        "body": body,
        "hashtags": tags,
        "mentions": mentions,
        "created_at": (BASE_TIME + timedelta(minutes=minutes)).isoformat(),
    }
    if visibility is not None:  # None: an event from before issue 15 (public)
        payload["visibility"] = visibility
    _optional(payload, language=language, sensitive=sensitive)
    return event("post.created", "post", post_id, version, payload)


def _optional(payload: dict, **fields: Any) -> None:
    """Fields later issues added (None: an older event without them): `language` (issue 18),
    `sensitive` (with content warnings)."""
    payload.update({k: v for k, v in fields.items() if v is not None})


def post_edited(
    post_id: int,
    author_id: int,
    body: str,
    version: int,
    visibility: str | None = None,
    *,
    language: str | None = None,
    sensitive: bool | None = None,
) -> EventMessage:
    tags, mentions = _tags_mentions(body)
    payload = {
        "post_id": post_id,
        "author_id": author_id,
        "body": body,
        "hashtags": tags,
        "mentions": mentions,
        "edited_at": BASE_TIME.isoformat(),
    }
    if visibility is not None:
        payload["visibility"] = visibility
    _optional(payload, language=language, sensitive=sensitive)
    return event("post.edited", "post", post_id, version, payload)


def post_deleted(post_id: int, author_id: int, version: int) -> EventMessage:
    payload = {"post_id": post_id, "author_id": author_id, "deleted_at": BASE_TIME.isoformat(), "deleted_by": author_id}
    return event("post.deleted", "post", post_id, version, payload)


def liked(post_id: int, user_id: int, version: int, *, unlike: bool = False) -> EventMessage:
    payload = {
        "post_id": post_id,
        "user_id": user_id,
        "username": f"u{user_id}",
        "post_author_id": 0,
        "at": BASE_TIME.isoformat(),
    }
    return event("post.unliked" if unlike else "post.liked", "like", f"{post_id}:{user_id}", version, payload)


def comment_created(comment_id: int, post_id: int, author_id: int, body: str = "a comment") -> EventMessage:
    payload = {
        "comment_id": comment_id,
        "post_id": post_id,
        "post_author_id": 0,
        "author_id": author_id,
        "author_username": f"user{author_id}",
        "author_display_name": f"User {author_id}",
        "body": body,
        "mentions": [],
        "in_reply_to_id": None,
        "in_reply_to_account_id": 0,
        "spoiler_text": "",
        "sensitive": False,
        "visibility": "public",
        "created_at": BASE_TIME.isoformat(),
    }
    return event("comment.created", "comment", comment_id, 1, payload)


def comment_edited(comment_id: int, post_id: int, body: str, version: int = 2) -> EventMessage:
    payload = {
        "comment_id": comment_id,
        "post_id": post_id,
        "body": body,
        "mentions": [],
        "spoiler_text": "",
        "sensitive": False,
        "edited_at": BASE_TIME.isoformat(),
    }
    return event("comment.edited", "comment", comment_id, version, payload)


def comment_deleted(comment_id: int, post_id: int, author_id: int, version: int = 2) -> EventMessage:
    payload = {
        "comment_id": comment_id,
        "post_id": post_id,
        "author_id": author_id,
        "deleted_at": BASE_TIME.isoformat(),
        "deleted_by": author_id,
    }
    return event("comment.deleted", "comment", comment_id, version, payload)
