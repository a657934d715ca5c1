"""The push contract: one direct exchange, routing keys per audience, one small JSON message.

Routing keys (`ROUTE_*` below):
- `user.<id>`: everything addressed to one user: home-feed entries written for them, deletions
  and edits of statuses their feed holds, their notifications, and "your relations changed".
  A message for many users is published once, with their keys in RabbitMQ's `CC` header
  (sender-selected distribution): the broker delivers one copy to each streaming server's
  queue bound to any of them, and the server fans it out to its local connections from
  `recipients`. Publishing one message per follower would cost the projector a publish each and
  the broker a copy each.
- `author.<id>`: posts of authors the home feed does not fan out (FEED_CELEBRITY_THRESHOLD; their
  followers' feeds merge them at read time): a streaming server binds it for each such author
  that one of its connected users follows.
- `public`: public statuses, for the public (and public:local: every account is local) streams.
- `hashtag.<tag>`: public statuses by (folded, lower-case) hashtag.

A message names the effect and carries only ids and the facts the visibility rule needs: the
streaming server renders the client's JSON itself (once per status per process, through the
query side's own renderers), because the shape depends on the API (ours or Mastodon's) and on
the host the client connected to (Mastodon's absolute URLs). docs/streaming.md, "Why ids".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

EXCHANGE = "socialapp.streams"
#: Most routing keys one message carries in its CC header (the header must fit one AMQP frame).
MAX_CC = 1000
SCHEMA_VERSION = 1


class Kind(StrEnum):
    UPDATE = "update"  # a status entered the audience's timeline (home feed entry, public, hashtag)
    DELETE = "delete"  # a status left it (deleted, or its author deactivated/suspended)
    STATUS_UPDATE = "status.update"  # a status the audience may hold was edited
    NOTIFICATION = "notification"  # a notification was written for each recipient
    RELATIONS = "relations"  # the recipients' blocks, mutes or follows changed: reload them


def route_user(user_id: int) -> str:
    return f"user.{int(user_id)}"


def route_author(author_id: int) -> str:
    return f"author.{int(author_id)}"


ROUTE_PUBLIC = "public"


def route_hashtag(tag: str) -> str:
    """The key of a hashtag stream: the tag as the read side stores it (folded, lower-case,
    no `#`)."""
    return f"hashtag.{tag.lstrip('#').lower()}"


@dataclass(frozen=True)
class StatusFacts:
    """What the visibility rule needs about the status (socialapp.read.common.visibility)."""

    id: int  # the status id (a post's or a comment's; one id space)
    author_id: int
    visibility: str
    audience_ids: tuple[int, ...] = ()
    post_id: int | None = None  # the post a comment is on (None: the status is a post)
    hashtags: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotificationFacts:
    id: int  # read_notification.seq: the notification's id in both APIs
    recipient_id: int
    actor_id: int | None
    type: str


@dataclass(frozen=True)
class PushMessage:
    """One committed effect, for one audience.

    `key` identifies the effect for one audience and is the same on every redelivery of the event
    or re-run of a fan-out chunk: a connection never gets the same key twice (the server keeps the
    recent keys of each connection). `position` and `event_type` name the event whose effect this
    is: our stream gives the client a consistency token of it. `occurred_at` is when the command
    committed (the event's time), `committed_at` when this effect did (both epoch seconds): the
    server's push-latency histogram measures from the first.
    """

    kind: Kind
    key: str
    position: int
    event_type: str
    occurred_at: float
    committed_at: float
    recipients: tuple[int, ...] = ()  # user ids for `user.*` deliveries; () on channel keys
    status: StatusFacts | None = None
    notification: NotificationFacts | None = None
    v: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        # orjson walks the dataclasses itself (the same JSON as `asdict`, without its deep copy of
        # every recipient: a fan-out message carries hundreds).
        return orjson.dumps(self)

    @classmethod
    def decode(cls, body: bytes | str) -> PushMessage:
        """Raises ValueError on a malformed body (the server drops and counts it)."""
        try:
            data = orjson.loads(body)
            status = data.get("status")
            notification = data.get("notification")
            return cls(
                kind=Kind(data["kind"]),
                key=str(data["key"]),
                position=int(data["position"]),
                event_type=str(data["event_type"]),
                occurred_at=float(data["occurred_at"]),
                committed_at=float(data["committed_at"]),
                recipients=tuple(int(r) for r in data.get("recipients") or ()),
                status=None
                if status is None
                else StatusFacts(
                    id=int(status["id"]),
                    author_id=int(status["author_id"]),
                    visibility=str(status["visibility"]),
                    audience_ids=tuple(int(a) for a in status.get("audience_ids") or ()),
                    post_id=None if status.get("post_id") is None else int(status["post_id"]),
                    hashtags=tuple(str(t) for t in status.get("hashtags") or ()),
                ),
                notification=None
                if notification is None
                else NotificationFacts(
                    id=int(notification["id"]),
                    recipient_id=int(notification["recipient_id"]),
                    actor_id=None if notification.get("actor_id") is None else int(notification["actor_id"]),
                    type=str(notification["type"]),
                ),
                v=int(data.get("v", SCHEMA_VERSION)),
                extra=dict(data.get("extra") or {}),
            )
        except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as exc:
            raise ValueError(f"malformed push message: {exc}") from exc
