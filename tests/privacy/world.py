"""The factory's World (tests/read/factory.py, which plays the command side of issue 15 as
docs/events.md specifies it: visibilities, blocks with the unfollows they imply, mutes, follow
requests, locking) and `relate`, the events that make a viewer's relation to an author true."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.privacy.oracle import Facts
from tests.read.factory import World


class PrivacyWorld(World):
    def lock(self, uid: int) -> None:
        u = self.users[uid]
        self.update_profile(uid, u.display_name, u.bio, locked=True)


def relate(world: World, author: int, viewer: int, facts: Facts) -> None:
    """The events that make `facts` true between `viewer` and `author` (mentions are the posts'
    business: `facts.addressed` viewers are named in them)."""
    if facts.follows:  # the author is locked: an approved request (approval appends the follow)
        world.request_follow(viewer, author)
        world.approve(viewer, author)
    if facts.requested:
        world.request_follow(viewer, author)
    if facts.blocked_by_author:
        world.block(author, viewer)
    if facts.blocks_author:
        world.block(viewer, author)
    if facts.undone == "block":
        world.block(author, viewer)
        world.block(author, viewer, on=False)
    if facts.undone == "mute":
        world.mute(viewer, author)
        world.mute(viewer, author, on=False)
    if facts.mute:
        expired = facts.mute == "expired"
        expires_at = (timezone.now() - timedelta(hours=1)).isoformat() if expired else None
        world.mute(viewer, author, notifications=facts.mute != "without notifications", expires_at=expires_at)
