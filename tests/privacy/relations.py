"""The viewers of the privacy tests, each with one relation to the author (docs/privacy.md's
second table and what lies just beside it: a follow request that was never approved, a mute that
has expired, an addressed viewer who is blocked, a block and a mute that were undone)."""

from __future__ import annotations

from tests.privacy.oracle import Facts

RELATIONS: dict[str, Facts] = {
    "author": Facts(author=True),
    "stranger": Facts(),
    "anonymous": Facts(anonymous=True),
    "follower": Facts(follows=True),
    "requested": Facts(requested=True),
    "blocked": Facts(blocked_by_author=True),
    "blocker": Facts(blocks_author=True),
    "muter": Facts(mute="with notifications"),
    "quiet_muter": Facts(mute="without notifications"),
    "expired_muter": Facts(mute="expired"),
    "mentioned": Facts(addressed=True),
    "mentioned_blocked": Facts(addressed=True, blocked_by_author=True),
    "unblocked": Facts(undone="block"),
    "unmuted": Facts(undone="mute"),
}
SIGNED_IN = [name for name, facts in RELATIONS.items() if not facts.anonymous]
