"""The JSON a client receives, rendered by the query side's own visibility-checked selectors.

A push message carries ids and facts, never JSON: the shape depends on the API (Mastodon's Status
or our post) and on the host the client connected to (Mastodon's absolute URLs). So the server
renders, once per status per process and variant, and keeps the result in an LRU
(STREAMING_RENDER_CACHE) for the other connections that receive the same message:

- Mastodon's Status: socialapp.mastodon.queries.rows (the hydration every Mastodon timeline
  uses), as its author would open it: the rows' DETAIL rule then checks only that the status is
  live and its author neither suspended nor deactivated; whether this connection's viewer may
  see it is the hub's per-connection `can_see`. The viewer's own flags (`favourited`...) are
  dropped for an anonymous connection and false for an authenticated one, as Mastodon renders a
  status new to a timeline.
- our post: socialapp.read.feeds.selectors.post_detail, the selector of
  GET /api/socialapp/v1/posts/{id} (with `liked_by_me` false, as an anonymous reader sees it).
- notifications: per recipient, through the selectors of the notifications endpoints of each API
  (they apply the recipient's blocks, notification mutes and the status's visibility in SQL),
  filtered to the one notification.

Keys carry the message's (position, event type): an edit is a new event, so it renders afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import orjson

from socialapp.mastodon.common import entities
from socialapp.mastodon.queries import notifications as mastodon_notifications
from socialapp.mastodon.queries import rows
from socialapp.read.common.sql import fetchall
from socialapp.read.feeds import selectors as feed_selectors
from socialapp.read.notifications import selectors as notification_selectors

VIEWER_FLAGS = ("favourited", "reblogged", "muted", "bookmarked", "pinned")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def mastodon_status(status_id: int, author_id: int, base_url: str) -> dict[str, Any] | None:
    """The Status entity, or None when it isn't live (deleted, author suspended/deactivated)."""
    found = rows.status_rows([status_id], viewer_id=author_id).get(status_id)
    if found is None:
        return None
    status = entities.status(found, base_url=base_url)
    for flag in VIEWER_FLAGS:
        status.pop(flag, None)
    return status


def with_viewer_flags(status: dict[str, Any], authenticated: bool) -> str:
    if not authenticated:
        return _dumps(status)
    return _dumps({**status, **dict.fromkeys(VIEWER_FLAGS, False)})


def our_post(post_id: int, author_id: int) -> dict[str, Any] | None:
    found = feed_selectors.post_detail(post_id=post_id, viewer_id=author_id)
    if found is None:
        return None
    post = orjson.loads(found[1])
    post["liked_by_me"] = False
    return post


def mastodon_notification(seq: int, recipient_id: int, base_url: str) -> str | None:
    """What GET /api/v1/notifications/:id answers the recipient, or None (hidden, or a kind
    Mastodon has no type for)."""
    found = fetchall(
        f"SELECT n.seq, n.kind, n.actor_id, {mastodon_notifications.STATUS_ID}, n.created_at"
        " FROM read_notification n WHERE n.recipient_id = %(r)s AND n.seq = %(seq)s"
        f" AND {notification_selectors.SHOWN} AND {mastodon_notifications.ABOUT_VISIBLE}",
        {"r": recipient_id, "seq": seq},
    )
    body = mastodon_notifications.render(found, viewer_id=recipient_id, base_url=base_url)
    return _dumps(body[0]) if body else None


def our_notification(seq: int, recipient_id: int) -> dict[str, Any] | None:
    """The item GET /api/socialapp/v1/notifications lists for this notification, or None."""
    found = notification_selectors.notifications(recipient_id=recipient_id, before=seq + 1, limit=1)
    if not found or int(found[0][0]) != seq:
        return None
    return orjson.loads(found[0][1])


class LRU:
    """A small least-recently-used map (the event loop's thread only)."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> tuple[bool, Any]:
        if key in self._items:
            self._items.move_to_end(key)
            return True, self._items[key]
        return False, None

    def put(self, key: Hashable, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
