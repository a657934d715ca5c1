"""The world of the privacy matrix, built for streams (tests/privacy/test_streams.py).

A stream shows what happens while it is open, under the relations in force when it happens, so
the order of tests/privacy/world_site.py (statuses first, then the blocks and mutes, to prove that
lists hide by the rule what was made before a block) cannot be a stream's: here the relations come
first, then the streams are opened (`open_streams`), then the statuses, likes and answers are
appended and applied through the projectors in this process, which publish their pushes after
each commit as in production. The statuses, likes and answers are world_site's exactly, so
the same oracle (tests/privacy/oracle.py) and the same selections (test_matrix's `_home`,
`_notified`) say what each stream must deliver.

One user more, `fence`, outside the matrix: every signed-in viewer follows it, and its public,
tagged post is the world's last event. Every push of this process leaves through one publisher
channel, and the streaming server delivers one queue's messages in order, so a stream that has
received the fence has received everything before it that it was going to: what is missing then
is missing, and no test waits on an absence.

Then (`delete_everything`, once every stream has the fence) the author deletes every post and
the fence posts again: the `delete` events each stream receives are held to the same oracle (a
stream is told of a deletion only where it could have shown the status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.contrib.auth import get_user_model

from socialapp.events.projector import REGISTRY
from tests.privacy.relations import RELATIONS, SIGNED_IN
from tests.privacy.world import PrivacyWorld, relate
from tests.privacy.world_site import TAG, MatrixWorld, add_statuses, register_viewers
from tests.read.conftest import apply_all, logged

FENCE = "fence"
# Every projector but search (no stream reads Elasticsearch; a stream world needs no index), those
# whose rows a push is rendered from first: the streaming server renders a status or a
# notification when the push arrives, from `posts` (and `profiles`, `relations`), so a push of
# `home_feed` or `notifications` sent before `posts` applied the same event waits for it (the
# server retries the render). That race is a test of its own
# (tests/read/test_resume.py::test_a_feed_push_that_outruns_its_post_is_still_delivered); here every
# push finds its rows at once, so that what a stream lacks is the rule's doing.
RENDERED_FROM = ("posts", "profiles", "relations")
PROJECTORS = [*RENDERED_FROM, *(name for name in REGISTRY if name not in RENDERED_FROM and name != "search")]


def _applied_since(position: int, events: list) -> list:
    """Append the factory's events to the real log, and return (as the pipeline carries them) those
    above `position`: the ones just appended."""
    return [e for e in logged(events) if e.position > position]


def build_streamed(open_streams: Callable[[MatrixWorld], None]) -> tuple[MatrixWorld, int, int]:
    """(world, fence user id, fence post id): relations applied, `open_streams(world)` called,
    then the statuses, likes, answers and the fence applied."""
    w = PrivacyWorld()
    ids, tokens = register_viewers(w)
    fence_user = get_user_model().objects.create_user(
        username=FENCE, email=f"{FENCE}@example.org", password="x-Passw0rd!"
    )
    fence = w.register(FENCE, uid=fence_user.pk)
    mw = MatrixWorld(w, ids, tokens)
    author = ids["author"]

    # 1. Relations: the author locks the account; follows (approved) and requests; then the
    # blocks and mutes (a block after a follow, as in world_site); every viewer follows the fence.
    w.lock(author)
    for name, facts in RELATIONS.items():
        if facts.requested or facts.follows:
            relate(w, author, ids[name], facts)
    for name, facts in RELATIONS.items():
        if not facts.anonymous and not facts.author and not facts.requested:
            relate(w, author, ids[name], replace(facts, follows=False, requested=False))
    for name in SIGNED_IN:
        w.follow(ids[name], fence)
    first = _applied_since(0, [e for e in w.events if e.event_type != "user.registered"])
    apply_all(first, PROJECTORS)
    head = max(e.position for e in first)
    appended = len(w.events)

    open_streams(mw)

    # 2. What the streams show: world_site's statuses, likes and answers, then the fence.
    add_statuses(w, mw, ids, author)
    fence_post = w.post(fence, f"the fence #{TAG}", "public")

    second = _applied_since(head, w.events[appended:])
    assert second[-1].payload.get("post_id") == fence_post
    apply_all(second, PROJECTORS)
    mw.events = [*first, *second]
    return mw, fence, fence_post


def delete_everything(mw: MatrixWorld, fence: int) -> int:
    """The author deletes every post of the world, then the fence posts again; returns that post's
    id. Called once every stream has the first fence, so no update is rendered after its post
    was deleted (a stream renders a status when its push arrives)."""
    w, appended = mw.world, len(mw.world.events)
    for pid in mw.posts:
        w.delete(pid)
    fence_post = w.post(fence, f"the fence again #{TAG}", "public")
    third = _applied_since(max(e.position for e in mw.events), w.events[appended:])
    assert third[-1].payload.get("post_id") == fence_post
    apply_all(third, PROJECTORS)
    mw.events = [*mw.events, *third]
    return fence_post
