"""The profiles projector: profiles, their counts and the follow lists.

Counts move by deltas, and only when the underlying fact really flips (an edge becomes active,
a post becomes live), so duplicates and stale events change nothing. Every handler first locks
the profile rows it touches in user-id order (placeholders are created for users not seen yet):
that serialises a follow with a concurrent deactivation of either party, which is what keeps
the deltas exact, and the fixed order avoids deadlocks.

Deactivation scrubs what the user wrote about themselves (display name, bio, e-mail); the user
events that may write them end with `_scrub_if_deactivated`, so a late registration or profile
update never brings them back and every order leaves the same row.

Batches (`handle`): the profile rows of a whole batch are locked once, in id order, before any
handler runs (two workers' batches cannot deadlock on them), and each run of consecutive
`post.created` events, the most frequent type, is applied with two set-based statements instead
of four per event. The other events run their handlers in log order between the runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from socialapp.events.catalogue import EventType
from socialapp.events.projector import EventMessage, Projector, handles, register, runs_of
from socialapp.read.common.sql import execute, fetchall, fetchone, versioned_toggle
from socialapp.read.common.suspension import apply_suspension

TABLES = ("read_profile", "read_follow_edge", "read_profile_post")


def lock_profiles(user_ids: list[int]) -> dict[int, bool]:
    """Create placeholders, lock rows in id order; returns {user_id: deactivated}."""
    ids = sorted(set(user_ids))
    execute(
        "INSERT INTO read_profile (user_id, display_name, bio, version, follower_count,"
        " following_count, post_count) SELECT unnest(%s::bigint[]), '', '', 0, 0, 0, 0"
        " ON CONFLICT (user_id) DO NOTHING",
        [ids],
    )
    rows = fetchall(
        "SELECT user_id, deactivated_at IS NOT NULL FROM read_profile WHERE user_id = ANY(%s)"
        " ORDER BY user_id FOR UPDATE",
        [ids],
    )
    return dict(rows)


def _scrub_if_deactivated(user_id: int) -> None:
    execute(
        "UPDATE read_profile SET display_name = '', bio = '' WHERE user_id = %s"
        " AND deactivated_at IS NOT NULL AND (display_name <> '' OR bio <> '')",
        [user_id],
    )


def _users_of(event: EventMessage) -> list[int]:
    """The profiles an event's handler locks first (a deactivation also locks its neighbours,
    which only its handler finds)."""
    p = event.payload
    if event.event_type in (EventType.USER_FOLLOWED, EventType.USER_UNFOLLOWED):
        return [int(p["follower_id"]), int(p["followee_id"])]
    if event.event_type in (EventType.POST_CREATED, EventType.POST_DELETED):
        return [int(p["author_id"])]
    return [int(p["user_id"])]


@register
class ProfilesProjector(Projector):
    name = "profiles"
    tables = TABLES

    def handle(self, events: Sequence[EventMessage]) -> None:
        """Lock the batch's profiles once (id order), then apply runs of `post.created` set-based
        and every other event with its handler, in log order."""
        if len(events) > 1:
            lock_profiles([uid for event in events for uid in _users_of(event)])
        for is_run, part in runs_of(events, EventType.POST_CREATED):
            if is_run:
                self._posts_created(part)
            else:
                self.handlers[part[0].event_type](self, part[0])

    def _posts_created(self, events: Sequence[EventMessage]) -> None:
        """`post_created` for many events at once: a post counts once (the first insert of its
        row), and only for an author not deactivated (their counts stay 0)."""
        posts = [int(e.payload["post_id"]) for e in events]
        authors = [int(e.payload["author_id"]) for e in events]
        lock_profiles(authors)
        execute(
            "WITH new AS (INSERT INTO read_profile_post (post_id, author_id, deleted)"
            " SELECT post_id, author_id, false FROM unnest(%s::bigint[], %s::bigint[]) AS p(post_id, author_id)"
            " ON CONFLICT (post_id) DO NOTHING RETURNING author_id)"
            " UPDATE read_profile p SET post_count = post_count + n.count"
            " FROM (SELECT author_id, count(*) FROM new GROUP BY author_id) AS n"
            " WHERE p.user_id = n.author_id AND p.deactivated_at IS NULL",
            [posts, authors],
        )

    @handles(EventType.USER_REGISTERED)
    def registered(self, event: EventMessage) -> None:
        p = event.payload
        lock_profiles([p["user_id"]])
        # Immutable facts are set whatever the order; mutable ones only by a newer version.
        execute(
            "UPDATE read_profile SET username = %s, username_lower = lower(%s),"
            " registered_at = %s,"
            " display_name = CASE WHEN version < %s THEN %s ELSE display_name END,"
            " bio = CASE WHEN version < %s THEN %s ELSE bio END,"
            " locked = CASE WHEN version < %s THEN %s ELSE locked END,"
            " version = GREATEST(version, %s) WHERE user_id = %s",
            [
                p["username"],
                p["username"],
                p["registered_at"],
                event.aggregate_version,
                p.get("display_name") or "",
                event.aggregate_version,
                p.get("bio") or "",
                event.aggregate_version,
                bool(p.get("locked", False)),
                event.aggregate_version,
                p["user_id"],
            ],
        )
        _scrub_if_deactivated(p["user_id"])

    @handles(EventType.PROFILE_UPDATED)
    def updated(self, event: EventMessage) -> None:
        p = event.payload
        lock_profiles([p["user_id"]])
        execute(
            "UPDATE read_profile SET display_name = %s, bio = %s, locked = %s, version = %s"
            " WHERE user_id = %s AND version < %s",
            [
                p.get("display_name") or "",
                p.get("bio") or "",
                bool(p.get("locked", False)),  # carried whether or not it changed (docs/events.md)
                event.aggregate_version,
                p["user_id"],
                event.aggregate_version,
            ],
        )
        _scrub_if_deactivated(p["user_id"])

    @handles(EventType.USER_DEACTIVATED)
    def deactivated(self, event: EventMessage) -> None:
        p = event.payload
        uid = p["user_id"]
        neighbours = [
            r[0]
            for r in fetchall(
                "SELECT followee_id FROM read_follow_edge WHERE follower_id = %s AND active"
                " UNION SELECT follower_id FROM read_follow_edge WHERE followee_id = %s AND active",
                [uid, uid],
            )
        ]
        state = lock_profiles([uid, *neighbours])
        if state[uid]:
            return  # already deactivated: final, nothing more to undo
        execute(
            "UPDATE read_profile SET deactivated_at = %s, username = COALESCE(username, %s),"
            " follower_count = 0, following_count = 0, post_count = 0,"
            " username_lower = COALESCE(username_lower, lower(%s)) WHERE user_id = %s",
            [p["deactivated_at"], p.get("username"), p.get("username"), uid],
        )
        _scrub_if_deactivated(uid)
        # Edges with an active other side stop counting on that side.
        execute(
            "UPDATE read_profile p SET follower_count = follower_count - 1 FROM read_follow_edge e"
            " WHERE e.follower_id = %s AND e.active AND p.user_id = e.followee_id AND p.deactivated_at IS NULL",
            [uid],
        )
        execute(
            "UPDATE read_profile p SET following_count = following_count - 1 FROM read_follow_edge e"
            " WHERE e.followee_id = %s AND e.active AND p.user_id = e.follower_id AND p.deactivated_at IS NULL",
            [uid],
        )

    @handles(EventType.USER_FOLLOWED, EventType.USER_UNFOLLOWED)
    def follow(self, event: EventMessage) -> None:
        p = event.payload
        follower, followee = int(p["follower_id"]), int(p["followee_id"])
        state = lock_profiles([follower, followee])
        active = event.event_type == EventType.USER_FOLLOWED
        was_active = versioned_toggle(
            "read_follow_edge",
            {"follower_id": follower, "followee_id": followee},
            event.aggregate_version,
            active=active,
            since=p["at"],
            position=event.position,
        )
        if was_active is None or was_active == active or state[follower] or state[followee]:
            return  # stale (never undo a newer event), no flip, or a party is gone: counts stay
        delta = 1 if active else -1
        execute("UPDATE read_profile SET following_count = following_count + %s WHERE user_id = %s", [delta, follower])
        execute("UPDATE read_profile SET follower_count = follower_count + %s WHERE user_id = %s", [delta, followee])

    @handles(EventType.POST_CREATED)
    def post_created(self, event: EventMessage) -> None:
        self._posts_created([event])

    @handles(EventType.POST_DELETED)
    def post_deleted(self, event: EventMessage) -> None:
        p = event.payload
        state = lock_profiles([p["author_id"]])
        row = fetchone("SELECT deleted FROM read_profile_post WHERE post_id = %s FOR UPDATE", [p["post_id"]])
        execute(
            "INSERT INTO read_profile_post (post_id, author_id, deleted) VALUES (%s, %s, true)"
            " ON CONFLICT (post_id) DO UPDATE SET deleted = true",
            [p["post_id"], p["author_id"]],
        )
        if row is not None and not row[0] and not state[p["author_id"]]:
            execute("UPDATE read_profile SET post_count = post_count - 1 WHERE user_id = %s", [p["author_id"]])

    @handles(EventType.USER_SUSPENDED, EventType.USER_UNSUSPENDED)
    def suspension(self, event: EventMessage) -> None:
        """Hide or show again: a flag only (counts untouched), so lifting it restores exactly."""
        lock_profiles([event.payload["user_id"]])
        apply_suspension("read_profile", event)
