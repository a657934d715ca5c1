"""The posts projector: posts and comments as read, like and comment counts, hashtag timelines.

Order-proofing: content fields move only forward in aggregate version; a post or comment row
is created as a placeholder by whichever event comes first and remembers deletion as a
tombstone, so a late `comment.created` after `post.deleted` adds a hidden row and never shows
the post again. Deletion and author deactivation scrub: a hidden post or comment keeps no body,
hashtags, mentions, content warning, language or edit time, and every handler that may write
content ends by scrubbing the row if it is hidden (`_scrub_posts`, `_scrub_comments`), so that
every order of the same events leaves the same row (a late, older create or edit never brings
content back). A comment is hidden when it is deleted, its author is deactivated or its post
is deleted; comment handlers lock the post row before the comment's, and `post.deleted` updates
the post first, so a comment written concurrently with its post's deletion is scrubbed by one
or the other.
Edit history (read_status_version) is one row per create or edit event, keyed by its aggregate
version: a repeated event adds nothing, an older edit arriving late still takes its place, and the
scrubs delete a hidden status's versions (after every write, as for content), so no order of
events leaves a version of a deleted status. Likes carry the log position of their latest event
(Mastodon's favourite id, for a user's favourites list).
Visibility (docs/privacy.md) never changes: `post.created`/`comment.created` set it (and
`post.edited` repeats it) whatever the version; events from before it existed mean `public`.
The audience (`audience_ids`) is a function of the row's own columns, recomputed with the
scrub after every write (`_post_audience`, `_comment_audience`): a post's is the users its
current mentions name, a comment's also its post's author (`post_author_id`) and the answered
comment's author, so every order of the same events leaves the same audience.
Counts move by deltas on real flips; a handler locks the acting user's author
row first (FOR SHARE), deactivation locks it FOR UPDATE, which serialises the two.
A run of `post.created` in one batch is applied set-based with the same rows and pushes, locking
its authors' rows in user-id order, then its posts' rows in post-id order (posts_batch).

Pushes (socialapp.read.push, after the commit): a live public post's creation is an `update` for
the public and hashtag streams, its deletion a `delete` there; an edit that took effect is a
`status.update` there if public, and for the author's and every reader's stream whose home feed
holds it (the home feed's rows, read here) or the author's channel if the feed merges the author's
posts at read time. Comments are in no timeline (socialapp.mastodon.queries.timelines): no push.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from socialapp.events.catalogue import EventType
from socialapp.events.projector import EventMessage, Projector, handles, register, runs_of
from socialapp.read.common.sql import READ, execute, fetchall, fetchone, versioned_toggle
from socialapp.read.common.suspension import apply_suspension
from socialapp.read.common.visibility import Visibility
from socialapp.read.feeds.projectors import posts_batch
from socialapp.read.push.messages import ROUTE_PUBLIC, Kind, StatusFacts, route_author, route_hashtag, route_user
from socialapp.read.push.publisher import event_effect, publish_after_commit, pushing

# The shortest run of `post.created` applied set-based (`PostsProjector.handle`): a creation alone
# cost about as much either way when measured (a little less Python, more PostgreSQL for the
# larger statements), so a lone one keeps its handler.
MIN_RUN = 2

TABLES = ("read_post_author", "read_post", "read_comment", "read_like", "read_post_tag", "read_status_version")


def _author(user_id: int, *, exclusive: bool = False) -> tuple[bool, int, str, str]:
    """Placeholder-create and lock the author row: (deactivated, version, username, display)."""
    execute(
        "INSERT INTO read_post_author (user_id, username, display_name, version, deactivated)"
        " VALUES (%s, '', '', 0, false) ON CONFLICT (user_id) DO NOTHING",
        [user_id],
    )
    mode = "UPDATE" if exclusive else "SHARE"
    row = fetchone(
        f"SELECT deactivated, version, username, display_name FROM read_post_author WHERE user_id = %s FOR {mode}",
        [user_id],
    )
    assert row is not None
    return row


def _placeholder_post(post_id: int) -> None:
    execute(
        "INSERT INTO read_post (post_id, author_id, author_username, author_display_name, body, hashtags,"
        " mentions, like_count, comment_count, version, deleted, author_deactivated)"
        " VALUES (%s, 0, '', '', '', '{}', '[]', 0, 0, 0, false, false) ON CONFLICT (post_id) DO NOTHING",
        [post_id],
    )


def _placeholder_comment(comment_id: int, post_id: int) -> tuple[bool, bool]:
    """Create if missing and lock the comment row: (created seen, deleted)."""
    execute(
        "INSERT INTO read_comment (comment_id, post_id, author_id, author_username, author_display_name,"
        " body, mentions, version, deleted, author_deactivated) VALUES (%s, %s, 0, '', '', '', '[]', 0,"
        " false, false) ON CONFLICT (comment_id) DO NOTHING",
        [comment_id, post_id],
    )
    row = fetchone(
        "SELECT created_at IS NOT NULL, deleted FROM read_comment WHERE comment_id = %s FOR UPDATE", [comment_id]
    )
    assert row is not None
    return row


def _set_created(table: str, key: str, row_id: int, p: dict[str, Any], author: tuple[bool, int, str, str]) -> None:
    """A post's or comment's author and creation time, from its `*.created` payload `p` and its
    locked `_author` row: the display name is the row's once a profile event reached it (version
    > 0), else the payload's."""
    deactivated, author_version, _, display = author
    execute(
        f"UPDATE {table} SET author_id = %s, author_username = %s, author_display_name = %s, created_at = %s,"
        f" author_deactivated = %s WHERE {key} = %s",
        [
            p["author_id"],
            p["author_username"],
            display if author_version else p.get("author_display_name") or "",
            p["created_at"],
            deactivated,
            row_id,
        ],
    )


_SCRUB = (
    "body = '', hashtags = '{}', mentions = '[]', edited_at = NULL, spoiler_text = '', sensitive = false, language = ''"
)


def _scrub_posts(where: str, params: list[Any]) -> None:
    """Erase the content of the hidden (deleted, author deactivated) posts matched by `where`
    (the content warning is content too), their edit history included; then their audience
    follows their (possibly erased) mentions."""
    _scrub_post_versions(where, params)
    execute(
        f"UPDATE read_post SET {_SCRUB} WHERE ({where}) AND (deleted OR author_deactivated)"
        " AND (body <> '' OR hashtags <> '{}' OR mentions <> '[]' OR edited_at IS NOT NULL"
        " OR spoiler_text <> '' OR sensitive OR language <> '')",
        params,
    )
    _post_audience(where, params)


def _mention_ids(column: str) -> str:
    """SQL: the user ids of a stored mentions list (jsonb)."""
    return f"SELECT (m->>'user_id')::bigint FROM jsonb_array_elements({column}) m"


def _post_audience(where: str, params: list[Any]) -> None:
    """A post's audience: the users its current mentions name (sorted, distinct)."""
    audience = f"ARRAY(SELECT DISTINCT x FROM ({_mention_ids('mentions')}) s(x) WHERE x IS NOT NULL ORDER BY x)"
    execute(
        f"UPDATE read_post SET audience_ids = {audience} WHERE ({where}) AND audience_ids IS DISTINCT FROM {audience}",
        params,
    )


def _comment_audience(where: str, params: list[Any]) -> None:
    """A comment's audience: the users its mentions name, its post's author and the answered
    comment's author (sorted, distinct; `where` on alias `c`)."""
    audience = (
        f"ARRAY(SELECT DISTINCT x FROM ({_mention_ids('c.mentions')} UNION ALL SELECT c.in_reply_to_account_id"
        " UNION ALL SELECT c.post_author_id) s(x) WHERE x IS NOT NULL AND x <> 0 ORDER BY x)"
    )
    execute(
        f"UPDATE read_comment c SET audience_ids = {audience} WHERE ({where})"
        f" AND c.audience_ids IS DISTINCT FROM {audience}",
        params,
    )


def _set_visibility(table: str, key: str, row_id: int, p: dict[str, Any]) -> None:
    """The status's visibility, fixed at creation: set from any event that carries it (created,
    and a post's edits repeat it), whatever its version."""
    if "visibility" in p:
        execute(
            f"UPDATE {table} SET visibility = %s WHERE {key} = %s AND visibility <> %s",
            [p["visibility"], row_id, p["visibility"]],
        )


def _scrub_post_versions(where: str, params: list[Any]) -> None:
    """Delete the versions of the hidden posts matched by `where` (on read_post's columns)."""
    execute(
        "DELETE FROM read_status_version v USING read_post WHERE v.status_id = read_post.post_id"
        f" AND ({where}) AND (read_post.deleted OR read_post.author_deactivated)",
        params,
    )


def _scrub_comments(where: str, params: list[Any]) -> None:
    """Erase the content of the hidden comments matched by `where`: deleted, author deactivated,
    or on a deleted post. What a comment answers is structure, not content: it stays. Their edit
    history goes too."""
    execute(
        "DELETE FROM read_status_version v USING read_comment c WHERE v.status_id = c.comment_id"
        " AND (" + where + ") AND (c.deleted OR c.author_deactivated OR EXISTS (SELECT 1 FROM read_post p"
        " WHERE p.post_id = c.post_id AND p.deleted))",
        params,
    )
    execute(
        "UPDATE read_comment c SET body = '', mentions = '[]', edited_at = NULL, spoiler_text = '',"
        " sensitive = false WHERE (" + where + ")"
        " AND (c.deleted OR c.author_deactivated OR EXISTS (SELECT 1 FROM read_post p"
        " WHERE p.post_id = c.post_id AND p.deleted))"
        " AND (c.body <> '' OR c.mentions <> '[]' OR c.edited_at IS NOT NULL OR c.spoiler_text <> '' OR c.sensitive)",
        params,
    )
    _comment_audience(where, params)


def _lock_post(post_id: int) -> None:
    """Placeholder-create and lock the post row (FOR NO KEY UPDATE, the lock its count updates
    take anyway; a shared lock would deadlock two comments' count updates): a comment handler
    then serialises with the post's deletion, so one of them scrubs the comment."""
    _placeholder_post(post_id)
    fetchone("SELECT 1 FROM read_post WHERE post_id = %s FOR NO KEY UPDATE", [post_id])


def _replace_tags(post_id: int) -> None:
    execute("DELETE FROM read_post_tag WHERE post_id = %s", [post_id])
    execute(
        "INSERT INTO read_post_tag (tag, post_id) SELECT DISTINCT unnest(hashtags), post_id FROM read_post"
        " WHERE post_id = %s AND NOT deleted",
        [post_id],
    )


def _set_post_content(p: dict[str, Any], version: int, *, edited_at: str | None = None) -> int:
    """This version's body, hashtags, mentions, content warning and language (and edit time),
    unless the row holds a newer version (then 0 rows change). The caller rebuilds the tag
    timeline once it has scrubbed (`_replace_tags`). Events from before posts had a language
    carry none: ""."""
    return execute(
        "UPDATE read_post SET body = %s, hashtags = %s, mentions = %s, spoiler_text = %s, sensitive = %s,"
        " language = %s, edited_at = COALESCE(%s::timestamptz, edited_at),"
        " version = %s, author_id = CASE WHEN author_id = 0 THEN %s ELSE author_id END"
        " WHERE post_id = %s AND version < %s",
        [
            p["body"],
            p.get("hashtags") or [],
            json.dumps(p.get("mentions") or []),
            p.get("spoiler_text") or "",
            bool(p.get("sensitive")),
            p.get("language") or "",
            edited_at,
            version,
            p["author_id"],
            p["post_id"],
            version,
        ],
    )


def _set_comment_content(p: dict[str, Any], version: int, *, edited_at: str | None = None) -> None:
    """This version's body, mentions and content warning (and edit time), unless the row holds a
    newer version. (Events written before content warnings existed carry none: blank, false.)"""
    execute(
        "UPDATE read_comment SET body = %s, mentions = %s, spoiler_text = %s, sensitive = %s,"
        " edited_at = COALESCE(%s::timestamptz, edited_at), version = %s WHERE comment_id = %s AND version < %s",
        [
            p["body"],
            json.dumps(p.get("mentions") or []),
            p.get("spoiler_text") or "",
            bool(p.get("sensitive")),
            edited_at,
            version,
            p["comment_id"],
            version,
        ],
    )


def _add_version(status_id: int, version: int, p: dict[str, Any], at: str, *, hashtags: bool) -> None:
    """Record this event's content as version `version` of the status (none if already there).
    The caller holds the status's row lock (the post's for a post, the comment's for a comment)
    and scrubs afterwards, which deletes it again if the status is hidden: a deletion committed
    first is seen by that scrub, one committed later deletes it itself."""
    execute(
        "INSERT INTO read_status_version (status_id, version, body, spoiler_text, sensitive, mentions, hashtags,"
        " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [
            status_id,
            version,
            p["body"],
            p.get("spoiler_text") or "",
            bool(p.get("sensitive")),
            json.dumps(p.get("mentions") or []),
            (p.get("hashtags") or []) if hashtags else None,
            at,
        ],
    )


def _set_reply_target(p: dict[str, Any]) -> None:
    """What a comment answers (from its `comment.created`; it never changes, so no version
    check): the comment (null: the post) and that one's author, and the post's author. Kept on a
    hidden comment, as its post id is: structure, not content."""
    execute(
        "UPDATE read_comment SET in_reply_to_id = %s, in_reply_to_account_id = %s, post_author_id = %s"
        " WHERE comment_id = %s",
        [p.get("in_reply_to_id"), p.get("in_reply_to_account_id"), p.get("post_author_id") or 0, p["comment_id"]],
    )


# A post's facts for a push, and whether it is shown at all (live: created, not deleted, author
# neither deactivated nor suspended).
_POST_FACTS = (
    "SELECT p.author_id, p.visibility, p.audience_ids, p.hashtags, p.created_at IS NOT NULL AND NOT p.deleted"
    " AND NOT p.author_deactivated AND NOT coalesce(a.suspended, false)"
    " FROM read_post p LEFT JOIN read_post_author a ON a.user_id = p.author_id WHERE p.post_id = %s"
)


def _post_facts(post_id: int) -> tuple[StatusFacts, bool] | None:
    row = fetchone(_POST_FACTS, [post_id], using=READ)
    return None if row is None else _facts(post_id, row)


def _facts(post_id: int, row: tuple) -> tuple[StatusFacts, bool]:
    """A `_POST_FACTS` row as the push's facts and whether the post is live."""
    author, visibility, audience, hashtags, live = row
    facts = StatusFacts(
        id=post_id,
        author_id=int(author),
        visibility=visibility,
        audience_ids=tuple(audience or ()),
        hashtags=tuple(hashtags or ()),
    )
    return facts, bool(live)


def _listed_routes(facts: StatusFacts, extra_tags: tuple[str, ...] = ()) -> list[str]:
    """The public and hashtag streams, for a public status (the only ones they list)."""
    if facts.visibility != Visibility.PUBLIC:
        return []
    tags = dict.fromkeys(route_hashtag(t) for t in (*facts.hashtags, *extra_tags))
    return [ROUTE_PUBLIC, *tags]


@register
class PostsProjector(Projector):
    name = "posts"
    tables = TABLES

    def _push(self, kind: Kind, event: EventMessage, facts: StatusFacts, routes: list[str], readers=()) -> None:
        if routes:
            message = event_effect(kind, facts.id, event, recipients=tuple(readers), status=facts)
            publish_after_commit(message, routes, using=READ, projector=self)

    def handle(self, events: Sequence[EventMessage]) -> None:
        """Each run of at least MIN_RUN consecutive `post.created` set-based (`_posts_created`),
        every other event with its handler, in log order."""
        for is_run, part in runs_of(events, EventType.POST_CREATED):
            if is_run and len(part) >= MIN_RUN and posts_batch.batchable(part):
                self._posts_created(part)
            else:
                for event in part:
                    self.handlers[event.event_type](self, event)

    def _posts_created(self, events: Sequence[EventMessage]) -> None:
        """`post_created` for a run at once (socialapp.read.feeds.projectors.posts_batch), with
        the same rows, and the same pushes: one query for the facts of the run's posts, then
        each live one's `update`, in the run's order."""
        posts = posts_batch.create_posts(events)
        _scrub_posts("post_id = ANY(%s::bigint[])", [posts])
        posts_batch.replace_tags(posts)
        if not pushing(self):
            return
        live = {}
        for post_id, *row in posts_batch.facts_rows(posts):
            facts, shown = _facts(int(post_id), tuple(row))
            if shown:
                live[facts.id] = facts
        for event in events:
            facts = live.get(int(event.payload["post_id"]))
            if facts is not None:
                self._push(Kind.UPDATE, event, facts, _listed_routes(facts))

    # ---------------------------------------------------------------- users
    @handles(EventType.USER_REGISTERED, EventType.PROFILE_UPDATED)
    def author_updated(self, event: EventMessage) -> None:
        p = event.payload
        uid = p["user_id"]
        _author(uid, exclusive=True)
        if "username" in p:
            execute("UPDATE read_post_author SET username = %s WHERE user_id = %s", [p["username"], uid])
        changed = execute(
            "UPDATE read_post_author SET display_name = %s, version = %s WHERE user_id = %s AND version < %s",
            [p.get("display_name") or "", event.aggregate_version, uid, event.aggregate_version],
        )
        if changed:
            for table in ("read_post", "read_comment"):
                execute(
                    f"UPDATE {table} SET author_display_name = %s WHERE author_id = %s AND author_display_name <> %s",
                    [p.get("display_name") or "", uid, p.get("display_name") or ""],
                )

    @handles(EventType.USER_DEACTIVATED)
    def deactivated(self, event: EventMessage) -> None:
        uid = event.payload["user_id"]
        if _author(uid, exclusive=True)[0]:
            return
        execute("UPDATE read_post_author SET deactivated = true WHERE user_id = %s", [uid])
        execute("UPDATE read_post SET author_deactivated = true WHERE author_id = %s", [uid])
        # Their live comments and active likes stop counting on other posts.
        execute(
            "UPDATE read_post p SET comment_count = p.comment_count - c.n FROM (SELECT post_id, count(*) AS n"
            " FROM read_comment WHERE author_id = %s AND created_at IS NOT NULL AND NOT deleted GROUP BY post_id) c"
            " WHERE p.post_id = c.post_id",
            [uid],
        )
        execute("UPDATE read_comment SET author_deactivated = true WHERE author_id = %s", [uid])
        _scrub_posts("author_id = %s", [uid])
        _scrub_comments("c.author_id = %s", [uid])
        execute(
            "DELETE FROM read_post_tag WHERE post_id IN (SELECT post_id FROM read_post WHERE author_id = %s)", [uid]
        )
        execute(
            "UPDATE read_post p SET like_count = p.like_count - 1 FROM read_like l"
            " WHERE l.user_id = %s AND l.active AND p.post_id = l.post_id",
            [uid],
        )

    # ---------------------------------------------------------------- posts
    @handles(EventType.POST_CREATED)
    def post_created(self, event: EventMessage) -> None:
        p = event.payload
        author = _author(p["author_id"])
        _placeholder_post(p["post_id"])
        _set_created("read_post", "post_id", p["post_id"], p, author)  # locks the post row
        _set_visibility("read_post", "post_id", p["post_id"], {"visibility": "public", **p})
        _set_post_content(p, event.aggregate_version)
        _add_version(p["post_id"], event.aggregate_version, p, p["created_at"], hashtags=True)
        _scrub_posts("post_id = %s", [p["post_id"]])
        _replace_tags(p["post_id"])
        found = _post_facts(int(p["post_id"])) if pushing(self) else None
        if found is not None and found[1]:
            self._push(Kind.UPDATE, event, found[0], _listed_routes(found[0]))

    @handles(EventType.POST_EDITED)
    def post_edited(self, event: EventMessage) -> None:
        p = event.payload
        deactivated = _author(p["author_id"])[0]
        _lock_post(p["post_id"])  # serialises the version's insert with the post's deletion
        if deactivated:  # the post row may be a placeholder that deactivation did not find
            execute("UPDATE read_post SET author_deactivated = true WHERE post_id = %s", [p["post_id"]])
        _set_visibility("read_post", "post_id", p["post_id"], p)
        before = _post_facts(int(p["post_id"])) if pushing(self) else None
        changed = _set_post_content(p, event.aggregate_version, edited_at=p["edited_at"])
        _add_version(p["post_id"], event.aggregate_version, p, p["edited_at"], hashtags=True)
        _scrub_posts("post_id = %s", [p["post_id"]])
        _replace_tags(p["post_id"])
        if changed and pushing(self):
            self._push_edit(event, int(p["post_id"]), before[0].hashtags if before else ())

    def _push_edit(self, event: EventMessage, post_id: int, old_tags: tuple[str, ...]) -> None:
        """A live post's edit took effect: `status.update` for the streams that may show it: the
        public and hashtag ones (the tags it had too) if public, its author's, and those of the
        readers whose home feed holds it, or the author's channel if the feed merges it at read
        time (reading the home feed's rows; a post it has not seen yet is in no feed)."""
        found = _post_facts(post_id)
        if found is None or not found[1]:
            return
        facts = found[0]
        readers = sorted(
            {
                facts.author_id,
                *(r[0] for r in fetchall("SELECT reader_id FROM feed_entry WHERE post_id = %s", [post_id], using=READ)),
            }
        )
        unfanned = fetchone(
            "SELECT NOT fanned_out FROM feed_post WHERE post_id = %s AND NOT deleted", [post_id], using=READ
        )
        channels = [route_author(facts.author_id)] if unfanned and unfanned[0] else []
        routes = [*_listed_routes(facts, old_tags), *(route_user(r) for r in readers), *channels]
        self._push(Kind.STATUS_UPDATE, event, facts, routes, readers)

    @handles(EventType.POST_DELETED)
    def post_deleted(self, event: EventMessage) -> None:
        p = event.payload
        _lock_post(p["post_id"])
        before = _post_facts(int(p["post_id"])) if pushing(self) else None  # before the scrub erases its hashtags
        if before is not None and before[1]:  # it was shown: the listing streams drop it
            self._push(Kind.DELETE, event, before[0], _listed_routes(before[0]))
        execute(
            "UPDATE read_post SET deleted = true, version = GREATEST(version, %s),"
            " author_id = CASE WHEN author_id = 0 THEN %s ELSE author_id END WHERE post_id = %s",
            [event.aggregate_version, p["author_id"], p["post_id"]],
        )
        execute("DELETE FROM read_post_tag WHERE post_id = %s", [p["post_id"]])
        _scrub_posts("post_id = %s", [p["post_id"]])
        _scrub_comments("c.post_id = %s", [p["post_id"]])

    # ---------------------------------------------------------------- comments

    @handles(EventType.COMMENT_CREATED)
    def comment_created(self, event: EventMessage) -> None:
        p = event.payload
        author = _author(p["author_id"])
        _lock_post(p["post_id"])
        created, deleted = _placeholder_comment(p["comment_id"], p["post_id"])
        _set_created("read_comment", "comment_id", p["comment_id"], p, author)
        _set_reply_target(p)
        _set_visibility("read_comment", "comment_id", p["comment_id"], {"visibility": "public", **p})
        _set_comment_content(p, event.aggregate_version)
        _add_version(p["comment_id"], event.aggregate_version, p, p["created_at"], hashtags=False)
        _scrub_comments("c.comment_id = %s", [p["comment_id"]])
        if not created and not deleted and not author[0]:  # author[0]: deactivated
            execute("UPDATE read_post SET comment_count = comment_count + 1 WHERE post_id = %s", [p["post_id"]])

    @handles(EventType.COMMENT_EDITED)
    def comment_edited(self, event: EventMessage) -> None:
        p = event.payload
        _lock_post(p["post_id"])
        _placeholder_comment(p["comment_id"], p["post_id"])
        _set_comment_content(p, event.aggregate_version, edited_at=p["edited_at"])
        _add_version(p["comment_id"], event.aggregate_version, p, p["edited_at"], hashtags=False)
        _scrub_comments("c.comment_id = %s", [p["comment_id"]])

    @handles(EventType.COMMENT_DELETED)
    def comment_deleted(self, event: EventMessage) -> None:
        p = event.payload
        deactivated = _author(p["author_id"])[0]
        _lock_post(p["post_id"])
        created, deleted = _placeholder_comment(p["comment_id"], p["post_id"])
        execute(
            "UPDATE read_comment SET deleted = true, version = GREATEST(version, %s),"
            " author_id = CASE WHEN author_id = 0 THEN %s ELSE author_id END WHERE comment_id = %s",
            [event.aggregate_version, p["author_id"], p["comment_id"]],
        )
        _scrub_comments("c.comment_id = %s", [p["comment_id"]])
        if created and not deleted and not deactivated:
            execute("UPDATE read_post SET comment_count = comment_count - 1 WHERE post_id = %s", [p["post_id"]])

    # ---------------------------------------------------------------- likes
    @handles(EventType.POST_LIKED, EventType.POST_UNLIKED)
    def like(self, event: EventMessage) -> None:
        p = event.payload
        deactivated = _author(p["user_id"])[0]
        _placeholder_post(p["post_id"])
        active = event.event_type == EventType.POST_LIKED
        was_active = versioned_toggle(
            "read_like",
            {"post_id": p["post_id"], "user_id": p["user_id"]},
            event.aggregate_version,
            active=active,
            position=event.position,
        )
        if was_active is not None and was_active != active and not deactivated:
            execute(
                "UPDATE read_post SET like_count = like_count + %s WHERE post_id = %s",
                [1 if active else -1, p["post_id"]],
            )

    # ---------------------------------------------------------------- suspension
    @handles(EventType.USER_SUSPENDED, EventType.USER_UNSUSPENDED)
    def suspension(self, event: EventMessage) -> None:
        """Hide or show the author's posts and comments: a flag on the author row that the
        queries check (socialapp.read.feeds.selectors); content and counts stay as they are."""
        _author(event.payload["user_id"], exclusive=True)
        apply_suspension("read_post_author", event)
