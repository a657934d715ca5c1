"""Blocks, mutes, follow requests and per-post visibility for read-path tests: events in the
shapes docs/events.md gives ("Safety and privacy"), appended to a factory World; a status's
visibility and audience can also be set on its row directly (`set_visibility`), so that a read
path's test does not lean on the posts projector (tests/read/test_visibility_projections.py
covers that), and the small world both APIs' per-path tests share (`visibility_site`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


def visibility_site() -> Any:
    """ann, bob, cat, dan: bob follows ann and cat, dan follows bob; ann and cat post (#tea, cat
    mentions bob), cat and dan answer ann's post, cat likes it. Not yet applied."""
    from tests.read.api_support import make_site
    from tests.read.conftest import reset

    reset(ALL)
    s = make_site("ann", "bob", "cat", "dan")
    w, i = s.world, s.ids
    w.follow(i["bob"], i["ann"])
    w.follow(i["bob"], i["cat"])
    w.follow(i["dan"], i["bob"])
    s.ann_post = w.post(i["ann"], "ann says hi #tea")
    s.cat_post = w.post(i["cat"], "cat says hi #tea @bob")
    s.cat_comment = w.comment(i["cat"], s.ann_post, "cat answers")
    s.dan_comment = w.comment(i["dan"], s.ann_post, "dan answers")
    w.like(i["cat"], s.ann_post)
    return s
