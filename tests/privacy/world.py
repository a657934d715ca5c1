"""The factory's World (tests/read/factory.py) with the events of issue 15, exactly as
docs/events.md ("Safety and privacy") specifies them: posts and comments with a visibility,
blocks (with the unfollows they imply), mutes (notifications, expiry), follow requests, locking.

Methods carry their own names (`post_as`, `comment_as`, ...) so that the factory can grow its own
without clashing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from tests.privacy.oracle import Facts
from tests.read.factory import World


@dataclass
class PrivacyWorld(World):
    versions: dict[tuple[str, str], int] = field(default_factory=dict)  # (aggregate type, id) -> last version
    visibilities: dict[int, str] = field(default_factory=dict)  # post or comment id -> visibility

    def _next(self, agg_type: str, agg_id: str) -> int:
        version = self.versions.get((agg_type, agg_id), 0) + 1
        self.versions[(agg_type, agg_id)] = version
        return version

    def post_as(self, uid: int, body: str, visibility: str) -> int:
        pid = self.post(uid, body)
        self.events[-1].payload["visibility"] = visibility
        self.visibilities[pid] = visibility
        return pid

    def comment_as(self, uid: int, pid: int, body: str, visibility: str) -> int:
        """A comment answering the post (its audience: its mentions and the post's author)."""
        cid = self.comment(uid, pid, body)
        self.events[-1].payload.update(
            {
                "visibility": visibility,
                "in_reply_to_id": None,
                "in_reply_to_account_id": self.posts[pid].author,
                "spoiler_text": "",
                "sensitive": False,
            }
        )
        self.visibilities[cid] = visibility
        return cid

    def lock(self, uid: int) -> None:
        u = self.users[uid]
        u.version += 1
        self._emit(
            "profile.updated",
            "user",
            uid,
            u.version,
            {"user_id": uid, "display_name": u.display_name, "bio": u.bio, "locked": True},
            uid,
        )

    def block(self, blocker: int, blocked: int) -> None:
        """`user.blocked`, and in the same transaction the unfollows and request endings it implies."""
        for follower, followee in ((blocker, blocked), (blocked, blocker)):
            if self.follows.get((follower, followee), (False, 0))[0]:
                self.follow(follower, followee, on=False)
        agg = f"{blocker}:{blocked}"
        self._emit(
            "user.blocked",
            "block",
            agg,
            self._next("block", agg),
            {"blocker_id": blocker, "blocked_id": blocked, "at": self._now()},
            blocker,
        )

    def mute(self, muter: int, muted: int, *, notifications: bool = True, expires_at: datetime | None = None) -> None:
        agg = f"{muter}:{muted}"
        self._emit(
            "user.muted",
            "mute",
            agg,
            self._next("mute", agg),
            {
                "muter_id": muter,
                "muted_id": muted,
                "notifications": notifications,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "at": self._now(),
            },
            muter,
        )

    def request_follow(self, follower: int, followee: int) -> None:
        agg = f"{follower}:{followee}"
        self._emit(
            "follow.requested",
            "follow_request",
            agg,
            self._next("follow_request", agg),
            {
                "follower_id": follower,
                "followee_id": followee,
                "follower_username": self.users[follower].username,
                "followee_username": self.users[followee].username,
                "at": self._now(),
            },
            follower,
        )


def relate(world: PrivacyWorld, author: int, viewer: int, facts: Facts) -> None:
    """The events that make `facts` true between `viewer` and `author` (mentions are the posts'
    business: `facts.addressed` viewers are named in them)."""
    if facts.follows:
        world.follow(viewer, author)
    if facts.requested:
        world.request_follow(viewer, author)
    if facts.blocked_by_author:
        world.block(author, viewer)
    if facts.blocks_author:
        world.block(viewer, author)
    if facts.mute:
        expired = facts.mute == "expired"
        world.mute(
            viewer,
            author,
            notifications=facts.mute != "without notifications",
            expires_at=timezone.now() - timedelta(hours=1) if expired else None,
        )
