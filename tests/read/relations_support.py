"""Blocks, mutes, follow requests and per-post visibility for read-path tests: events in the
shapes docs/events.md gives ("Safety and privacy"), appended to a factory World, and the
columns the posts projector will fill (visibility, audience_ids) set directly until it does."""

from __future__ import annotations

from collections.abc import Iterable

from socialapp.read.common.sql import execute
from tests.read.conftest import apply_all
from tests.read.factory import World

# Every projector a read path's rule consults, the relations one included.
ALL = ("profiles", "posts", "home_feed", "notifications", "relations")
_versions: dict[tuple[str, str], int] = {}


def _next(world: World, kind: str, key: str) -> int:
    version = _versions.get((kind, f"{id(world)}:{key}"), 0) + 1
    _versions[(kind, f"{id(world)}:{key}")] = version
    return version


def block(world: World, blocker: int, blocked: int, on: bool = True) -> None:
    key = f"{blocker}:{blocked}"
    world._emit(
        "user.blocked" if on else "user.unblocked",
        "block",
        key,
        _next(world, "block", key),
        {"blocker_id": blocker, "blocked_id": blocked, "at": world._now()},
        blocker,
    )


def mute(
    world: World, muter: int, muted: int, *, notifications: bool = True, expires_at: str | None = None, on: bool = True
) -> None:
    key = f"{muter}:{muted}"
    payload = {"muter_id": muter, "muted_id": muted, "at": world._now()}
    if on:
        payload |= {"notifications": notifications, "expires_at": expires_at}
    world._emit("user.muted" if on else "user.unmuted", "mute", key, _next(world, "mute", key), payload, muter)


def request_follow(world: World, follower: int, followee: int, event: str = "follow.requested") -> None:
    key = f"{follower}:{followee}"
    world._emit(
        event,
        "follow_request",
        key,
        _next(world, "follow_request", key),
        {
            "follower_id": follower,
            "followee_id": followee,
            "follower_username": world.users[follower].username,
            "followee_username": world.users[followee].username,
            "at": world._now(),
        },
        follower,
    )


def set_visibility(post_id: int, visibility: str, audience: Iterable[int] = ()) -> None:
    """Until the posts projector fills read_post.visibility/audience_ids (helper "vis"), tests
    set them directly; read_comment likewise through `set_comment_visibility`."""
    execute(
        "UPDATE read_post SET visibility = %s, audience_ids = %s WHERE post_id = %s",
        [visibility, list(audience), post_id],
    )


def set_comment_visibility(comment_id: int, visibility: str, audience: Iterable[int] = ()) -> None:
    execute(
        "UPDATE read_comment SET visibility = %s, audience_ids = %s WHERE comment_id = %s",
        [visibility, list(audience), comment_id],
    )


def apply_everything(world: World) -> None:
    apply_all(world.events, names=ALL)
