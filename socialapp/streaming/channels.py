"""The streams a client may open, what each one binds, and in which visibility context its
statuses are checked.

Mastodon's names (`user`, `user:notification`, `public`, `public:local`, `public:remote`,
`hashtag`, `hashtag:local`, and the `:media` variants) are the vocabulary of both APIs. Every
account is local and no status has media, so `public:local` is `public`, and `public:remote` and
the `:media` streams are valid but silent (heartbeats only), as Mastodon's would be for an
instance without federation or media. `list` and `direct` are not offered (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from socialapp.read.common.visibility import Context
from socialapp.read.push.messages import ROUTE_PUBLIC, route_author, route_hashtag, route_user

USER = "user"
NOTIFICATIONS = "user:notification"
PUBLIC = ("public", "public:local")
HASHTAG = ("hashtag", "hashtag:local")
SILENT = ("public:remote", "public:media", "public:local:media", "public:remote:media")
KNOWN = frozenset({USER, NOTIFICATIONS, *PUBLIC, *HASHTAG, *SILENT})
AUTHENTICATED = frozenset({USER, NOTIFICATIONS})
# Our own API's `stream` parameter, mapped onto the same channels.
OURS = {"user": USER, "public": "public", "hashtag": "hashtag"}


class StreamError(Exception):
    """A stream that can't be opened: `status` and a message for the client."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class Channel:
    name: str
    tag: str | None = None  # hashtag streams: folded as the read side stores tags

    @classmethod
    def parse(cls, name: str | None, tag: str | None) -> Channel:
        if not name:
            raise StreamError(400, "No stream type provided")
        if name not in KNOWN:
            raise StreamError(404, "Unknown stream type")
        if name in HASHTAG:
            folded = (tag or "").strip().lstrip("#").lower()
            if not folded:
                raise StreamError(400, "No tag for stream provided")
            if len(folded) > 200:
                raise StreamError(400, "Tag too long")
            return cls(name, folded)
        return cls(name)

    @property
    def needs_user(self) -> bool:
        return self.name in AUTHENTICATED

    @property
    def required_scope(self) -> str:
        """Mastodon's: read:notifications for notifications only, read:statuses otherwise."""
        return "read:notifications" if self.name == NOTIFICATIONS else "read:statuses"

    @property
    def stream(self) -> list[str]:
        """The `stream` array Mastodon's WebSocket events carry."""
        return [self.name, self.tag] if self.tag is not None else [self.name]

    @property
    def label(self) -> str:
        return self.name

    def keys(self, user_id: int | None, celebrities: frozenset[int] = frozenset()) -> set[str]:
        """Routing keys this channel needs bound while it is open."""
        if self.name == USER and user_id is not None:
            return {route_user(user_id), *(route_author(a) for a in celebrities)}
        if self.name == NOTIFICATIONS and user_id is not None:
            return {route_user(user_id)}
        if self.name in PUBLIC:
            return {ROUTE_PUBLIC}
        if self.name in HASHTAG and self.tag is not None:
            return {route_hashtag(self.tag)}
        return set()

    @property
    def context(self) -> Context:
        """The visibility context its statuses are checked in."""
        if self.name in PUBLIC:
            return Context.PUBLIC
        if self.name in HASHTAG:
            return Context.TAG
        return Context.STREAM

    @property
    def wants_statuses(self) -> bool:
        return self.name == USER or self.name in PUBLIC or self.name in HASHTAG

    @property
    def wants_notifications(self) -> bool:
        return self.name in (USER, NOTIFICATIONS)
