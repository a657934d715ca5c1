"""The one visibility rule: who may see a status (post or comment) or an account, where.

Every read path asks this module, never its own copy: feeds, timelines, profiles' post lists,
post detail, comments, likes lists, notifications, search and streams. docs/privacy.md states the
rule as one table; `RULE` below is that table in code, and the three renderings of it (SQL for
the read database, an Elasticsearch filter, a Python predicate for pushed events) are derived from
the same few facts, with a test that runs all three over every combination
(tests/read/test_visibility_rule.py).

The facts a status carries (read models keep them on the row, the search index on the document):
`author_id`, `visibility` (public, unlisted, followers, direct; fixed at creation) and
`audience_ids` (the users it addresses beyond its visibility: those it mentions and, for a
comment, the post's author and the answered comment's). The facts about the viewer live in the
relations projector's tables (socialapp.read.relations): blocks, mutes, approved follows.

Liveness (created, not deleted, author neither deactivated nor suspended) is part of the rule:
`post_visible` and `comment_visible` combine it with access, and callers use only those two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.utils import timezone

# The vocabulary is shared with the command side (which must not import this module); re-exported
# here, so that read paths import everything about visibility from one place.
from socialapp.common.visibility import RESTRICTION as RESTRICTION
from socialapp.common.visibility import Visibility as Visibility
from socialapp.common.visibility import most_restricted as most_restricted


class Context(StrEnum):
    """Where a status is read. The context decides two things only: whether the status must be
    listable there (public and hashtag timelines, search) and whether mutes hide it."""

    HOME = "home"  # the home feed / timeline
    PUBLIC = "public"  # the public timeline
    TAG = "tag"  # hashtag timelines
    PROFILE = "profile"  # an account's own statuses, opened on purpose
    DETAIL = "detail"  # one status, opened on purpose (also the post above a thread)
    THREAD = "thread"  # the comments / replies under a status
    NOTIFICATIONS = "notifications"  # the status a notification is about
    SEARCH = "search"
    LIKES = "likes"  # the viewer's own favourites
    STREAM = "stream"  # pushed to a connected client (issue 16)


@dataclass(frozen=True)
class Rule:
    #: Contexts in which only public statuses are shown, to everyone, their author included.
    public_only: frozenset[Context] = frozenset({Context.PUBLIC, Context.TAG})
    #: Contexts in which only public statuses are shown, except to their author.
    public_or_own: frozenset[Context] = frozenset({Context.SEARCH})
    #: Contexts in which the viewer's mutes hide the muted author's statuses. Opening a muted
    #: account's profile or one of its statuses on purpose still shows them (as in Mastodon).
    muted_hidden: frozenset[Context] = frozenset(
        {Context.HOME, Context.PUBLIC, Context.TAG, Context.THREAD, Context.SEARCH, Context.STREAM}
    )
    #: Who sees a status of each visibility, besides its author (who always does, outside the
    #: listing rules above), provided neither has blocked the other.
    audience: dict[Visibility, str] = field(
        default_factory=lambda: {
            Visibility.PUBLIC: "everyone",
            Visibility.UNLISTED: "everyone",
            Visibility.FOLLOWERS: "followers and addressed",
            Visibility.DIRECT: "addressed",
        }
    )


RULE = Rule()


# ------------------------------------------------------------------------------------------ SQL


def _v(viewer: str) -> str:
    return f"{viewer}::bigint"


def blocking(blocker: str, blocked: str) -> str:
    """SQL: `blocker` blocks `blocked` (a primary-key probe)."""
    return (
        f"EXISTS (SELECT 1 FROM read_block bk WHERE bk.blocker_id = {blocker} AND bk.blocked_id = {blocked}"
        " AND bk.active)"
    )


def blocked_between(a: str, b: str) -> str:
    """SQL: either of users `a` and `b` blocks the other (two primary-key / index probes)."""
    return f"({blocking(a, b)} OR {blocking(b, a)})"


def mute_in_force(alias: str) -> str:
    """SQL: the read_mute row `alias` mutes now (an expired mute is no mute: no event ends it)."""
    return f"{alias}.active AND ({alias}.expires_at IS NULL OR {alias}.expires_at > now())"


def muting(muter: str, muted: str, *, notifications_only: bool = False) -> str:
    """SQL: `muter` has an unexpired mute of `muted` (that also mutes notifications, if asked)."""
    also = " AND mt.notifications" if notifications_only else ""
    return (
        f"EXISTS (SELECT 1 FROM read_mute mt WHERE mt.muter_id = {muter} AND mt.muted_id = {muted}"
        f" AND {mute_in_force('mt')}{also})"
    )


def following(follower: str, followee: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM read_relation_follow fw"
        f" WHERE fw.follower_id = {follower} AND fw.followee_id = {followee} AND fw.active)"
    )


def requesting(follower: str, followee: str) -> str:
    """SQL: `follower` has a pending request to follow `followee`."""
    return (
        "EXISTS (SELECT 1 FROM read_follow_request rq"
        f" WHERE rq.follower_id = {follower} AND rq.followee_id = {followee} AND rq.active)"
    )


def status_access(alias: str, viewer: str, context: Context) -> str:
    """SQL: may `viewer` (a placeholder such as "%(viewer)s", bound to a user id or NULL for an
    anonymous reader) see the status row `alias` in `context`? Access only: see `post_visible`."""
    v, a = _v(viewer), alias
    if context in RULE.public_only:
        listing = f"{a}.visibility = 'public' AND "
    elif context in RULE.public_or_own:
        listing = f"({a}.visibility = 'public' OR {a}.author_id = {v}) AND "
    else:
        listing = ""
    muted = f" AND NOT {muting(v, f'{a}.author_id')}" if context in RULE.muted_hidden else ""
    return (
        f"({listing}({a}.author_id = {v} OR (NOT {blocked_between(v, f'{a}.author_id')}{muted} AND ("
        f"{a}.visibility IN ('public', 'unlisted')"
        f" OR ({a}.visibility = 'followers' AND ({v} = ANY({a}.audience_ids) OR {following(v, f'{a}.author_id')}))"
        f" OR ({a}.visibility = 'direct' AND {v} = ANY({a}.audience_ids))))))"
    )


def author_shown(author: str) -> str:
    """SQL: the user `author` (a column) is not suspended (deactivation is on the rows)."""
    return f"NOT EXISTS (SELECT 1 FROM read_post_author sa WHERE sa.user_id = {author} AND sa.suspended)"


def post_live(alias: str = "p") -> str:
    """SQL: a read_post row that exists for everyone it may be shown to."""
    return (
        f"{alias}.created_at IS NOT NULL AND NOT {alias}.deleted AND NOT {alias}.author_deactivated"
        f" AND {author_shown(f'{alias}.author_id')}"
    )


def comment_live(alias: str = "c") -> str:
    return (
        f"{alias}.created_at IS NOT NULL AND NOT {alias}.deleted AND NOT {alias}.author_deactivated"
        f" AND {author_shown(f'{alias}.author_id')}"
    )


def post_visible(alias: str, viewer: str, context: Context) -> str:
    """SQL: the read_post row `alias` is live and `viewer` may see it in `context`."""
    return f"{post_live(alias)} AND {status_access(alias, viewer, context)}"


def comment_visible(alias: str, viewer: str, context: Context) -> str:
    """SQL: the read_comment row `alias` is live, the viewer may see its post (as opened on
    purpose: a thread under a muted author's post is still readable there) and the comment itself
    in `context`."""
    return (
        f"{comment_live(alias)} AND {status_access(alias, viewer, context)} AND EXISTS (SELECT 1 FROM read_post"
        f" vp WHERE vp.post_id = {alias}.post_id AND {post_visible('vp', viewer, Context.DETAIL)})"
    )


def account_listed(user: str, viewer: str) -> str:
    """SQL: the account `user` may appear in `viewer`'s lists (followers, following, who liked,
    search results, suggestions): not when either blocks the other. A blocked account's profile
    stays reachable by id (the blocker must be able to unblock it); its statuses do not."""
    return f"NOT {blocked_between(_v(viewer), user)}"


def actor_shown(actor: str, viewer: str) -> str:
    """SQL: a notification caused by `actor` is shown to `viewer`: neither blocks the other, and
    the viewer does not mute the actor with notifications muted."""
    v = _v(viewer)
    return f"NOT {blocked_between(v, actor)} AND NOT {muting(v, actor, notifications_only=True)}"


# ------------------------------------------------------------------- the viewer, for search and streams


@dataclass(frozen=True)
class Relations:
    """A viewer's relations, loaded once per request (search) or connection (streams)."""

    user_id: int
    blocks: frozenset[int] = frozenset()  # users the viewer blocks
    blocked_by: frozenset[int] = frozenset()  # users who block the viewer
    mutes: frozenset[int] = frozenset()  # unexpired mutes
    notification_mutes: frozenset[int] = frozenset()  # unexpired mutes that also mute notifications
    follows: frozenset[int] = frozenset()  # approved follows

    @property
    def hidden_authors(self) -> frozenset[int]:
        return self.blocks | self.blocked_by


def viewer_relations(user_id: int | None, *, now: datetime | None = None) -> Relations | None:
    """The viewer's relations from the read database (None: anonymous)."""
    if user_id is None:
        return None
    from socialapp.read.common.sql import fetchall

    now = now or timezone.now()
    rows = fetchall(
        "SELECT 'block', blocked_id, true FROM read_block WHERE blocker_id = %(u)s AND active"
        " UNION ALL SELECT 'blocked_by', blocker_id, true FROM read_block WHERE blocked_id = %(u)s AND active"
        " UNION ALL SELECT 'mute', muted_id, notifications FROM read_mute WHERE muter_id = %(u)s AND active"
        " AND (expires_at IS NULL OR expires_at > %(now)s)"
        " UNION ALL SELECT 'follow', followee_id, true FROM read_relation_follow WHERE follower_id = %(u)s AND active",
        {"u": user_id, "now": now},
    )
    sets: dict[str, set[int]] = {"block": set(), "blocked_by": set(), "mute": set(), "nmute": set(), "follow": set()}
    for kind, other, flag in rows:
        sets[kind].add(int(other))
        if kind == "mute" and flag:
            sets["nmute"].add(int(other))
    return Relations(
        user_id=user_id,
        blocks=frozenset(sets["block"]),
        blocked_by=frozenset(sets["blocked_by"]),
        mutes=frozenset(sets["mute"]),
        notification_mutes=frozenset(sets["nmute"]),
        follows=frozenset(sets["follow"]),
    )


@dataclass(frozen=True)
class StatusFacts:
    author_id: int
    visibility: str = Visibility.PUBLIC
    audience_ids: Iterable[int] = ()


def can_see(viewer: Relations | None, status: StatusFacts, context: Context) -> bool:
    """The rule in Python, for statuses pushed to a connected viewer (liveness is the caller's)."""
    vis = Visibility(status.visibility)
    own = viewer is not None and viewer.user_id == status.author_id
    if context in RULE.public_only and vis != Visibility.PUBLIC:
        return False
    if context in RULE.public_or_own and vis != Visibility.PUBLIC and not own:
        return False
    if own:
        return True
    if viewer is not None:
        if status.author_id in viewer.hidden_authors:
            return False
        if context in RULE.muted_hidden and status.author_id in viewer.mutes:
            return False
    if vis in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    if viewer is None:
        return False
    addressed = viewer.user_id in set(status.audience_ids)
    if vis == Visibility.FOLLOWERS:
        return addressed or status.author_id in viewer.follows
    return addressed


def search_filter(viewer: Relations | None) -> list[dict[str, Any]]:
    """Elasticsearch `filter`/`must_not` clauses for the posts index (fields `author_id`,
    `visibility`) in the SEARCH context: public posts, or the viewer's own, minus the authors the
    viewer blocks, is blocked by or mutes. Returned as a list of `bool` queries to AND in."""
    if viewer is None:
        return [{"term": {"visibility": Visibility.PUBLIC.value}}]
    clauses: list[dict[str, Any]] = [
        {
            "bool": {
                "should": [
                    {"term": {"visibility": Visibility.PUBLIC.value}},
                    {"term": {"author_id": viewer.user_id}},
                ],
                "minimum_should_match": 1,
            }
        }
    ]
    hidden = sorted((viewer.hidden_authors | viewer.mutes) - {viewer.user_id})
    if hidden:
        clauses.append({"bool": {"must_not": [{"terms": {"author_id": hidden}}]}})
    return clauses
