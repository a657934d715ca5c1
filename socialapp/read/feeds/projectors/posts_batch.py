"""A run of `post.created` events applied set-based (PostsProjector.handle).

Why: `post_created` costs thirteen statements, one round trip each, per post; a batch of a few
posts paid that many times over. Here a run of consecutive creations costs nine whatever its
length (the facts query only while pushing), each over the whole run (the events as one jsonb
array, `jsonb_to_recordset`).

The rows are the ones `post_created` leaves, event by event: the statements are the same steps
over sets (placeholders, author and creation time, visibility, content if newer, version row,
scrub, audience, tags), and within a run they cannot interfere, because a creation changes only
its own post's rows and reads its author's row without changing it. So the run requires distinct
post ids, and a visibility that is absent or set (a `null` one leaves the row's as it is, which
the upsert cannot tell from absent); `PostsProjector.handle` sends any other run through the
handlers. Lock order as in the handlers (socialapp.read.feeds.projectors.posts): the authors' rows
FOR SHARE first, in user-id order, then the posts' rows, in post-id order (the upsert's input is
sorted after every author lock is taken: a sort reads all its input before it returns a row).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from socialapp.events.projector import EventMessage
from socialapp.read.common.sql import READ, execute, fetchall

# The run's events, as `jsonb_to_recordset` reads the array `rows` builds.
_EVENTS = (
    "jsonb_to_recordset(%s::jsonb) AS e(post_id bigint, author_id bigint, author_username text,"
    " author_display_name text, created_at timestamptz, visibility text, version integer, body text,"
    " hashtags text[], mentions jsonb, spoiler_text text, sensitive boolean, language text)"
)

AUTHOR_PLACEHOLDERS = (
    "INSERT INTO read_post_author (user_id, username, display_name, version, deactivated)"
    " SELECT DISTINCT u, '', '', 0, false FROM unnest(%s::bigint[]) AS u ORDER BY 1"
    " ON CONFLICT (user_id) DO NOTHING"
)

# `_set_created`, `_set_visibility` and `_set_post_content` of every post at once, on a row that
# is inserted here if no event created its placeholder yet. The display name is the author row's
# once a profile event reached it (version > 0), else the payload's.
UPSERT_POSTS = f"""
WITH a AS MATERIALIZED (
    SELECT user_id, deactivated, version, display_name FROM read_post_author
    WHERE user_id = ANY(%s::bigint[]) ORDER BY user_id FOR SHARE
)
INSERT INTO read_post AS p (post_id, author_id, author_username, author_display_name, created_at,
    author_deactivated, visibility, body, hashtags, mentions, spoiler_text, sensitive, language, version,
    like_count, comment_count, deleted)
SELECT e.post_id, e.author_id, e.author_username,
    CASE WHEN a.version > 0 THEN a.display_name ELSE e.author_display_name END, e.created_at,
    a.deactivated, e.visibility, e.body, e.hashtags, e.mentions, e.spoiler_text, e.sensitive, e.language,
    e.version, 0, 0, false
FROM {_EVENTS} JOIN a ON a.user_id = e.author_id
ORDER BY e.post_id
ON CONFLICT (post_id) DO UPDATE SET
    author_id = EXCLUDED.author_id, author_username = EXCLUDED.author_username,
    author_display_name = EXCLUDED.author_display_name, created_at = EXCLUDED.created_at,
    author_deactivated = EXCLUDED.author_deactivated, visibility = EXCLUDED.visibility,
    body = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.body ELSE p.body END,
    hashtags = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.hashtags ELSE p.hashtags END,
    mentions = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.mentions ELSE p.mentions END,
    spoiler_text = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.spoiler_text ELSE p.spoiler_text END,
    sensitive = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.sensitive ELSE p.sensitive END,
    language = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.language ELSE p.language END,
    version = GREATEST(p.version, EXCLUDED.version)
"""

# `_add_version` of every post (the scrub that follows deletes a hidden post's).
ADD_VERSIONS = (
    "INSERT INTO read_status_version (status_id, version, body, spoiler_text, sensitive, mentions, hashtags,"
    " created_at) SELECT e.post_id, e.version, e.body, e.spoiler_text, e.sensitive, e.mentions, e.hashtags,"
    f" e.created_at FROM {_EVENTS} ORDER BY 1, 2 ON CONFLICT DO NOTHING"
)

DELETE_TAGS = "DELETE FROM read_post_tag WHERE post_id = ANY(%s::bigint[])"
INSERT_TAGS = (
    "INSERT INTO read_post_tag (tag, post_id) SELECT DISTINCT unnest(hashtags), post_id FROM read_post"
    " WHERE post_id = ANY(%s::bigint[]) AND NOT deleted"
)


def batchable(events: Sequence[EventMessage]) -> bool:
    """Whether the run can go set-based (see the module docstring)."""
    posts = [e.payload["post_id"] for e in events]
    return len(set(posts)) == len(posts) and all(e.payload.get("visibility", "public") is not None for e in events)


def rows(events: Sequence[EventMessage]) -> str:
    """The run as one jsonb array (`_EVENTS`), with the defaults the handlers apply to older events."""
    out: list[dict[str, Any]] = []
    for event in events:
        p = event.payload
        out.append(
            {
                "post_id": int(p["post_id"]),
                "author_id": int(p["author_id"]),
                "author_username": p["author_username"],
                "author_display_name": p.get("author_display_name") or "",
                "created_at": p["created_at"],
                "visibility": p.get("visibility", "public"),
                "version": event.aggregate_version,
                "body": p["body"],
                "hashtags": p.get("hashtags") or [],
                "mentions": p.get("mentions") or [],
                "spoiler_text": p.get("spoiler_text") or "",
                "sensitive": bool(p.get("sensitive")),
                "language": p.get("language") or "",
            }
        )
    return json.dumps(out)


def create_posts(events: Sequence[EventMessage]) -> list[int]:
    """The run's author placeholders, posts and version rows; the caller then scrubs the hidden
    ones and rebuilds their tags (`replace_tags`), as `post_created` does. Returns the post ids,
    sorted."""
    posts = sorted(int(e.payload["post_id"]) for e in events)
    authors = sorted({int(e.payload["author_id"]) for e in events})
    data = rows(events)
    execute(AUTHOR_PLACEHOLDERS, [authors])
    if execute(UPSERT_POSTS, [authors, data]) != len(events):  # every author row exists: not reached
        raise RuntimeError("a post of the run found no author row")
    execute(ADD_VERSIONS, [data])
    return posts


def replace_tags(posts: list[int]) -> None:
    """`_replace_tags` of every post (after the scrub: a deleted post has none)."""
    execute(DELETE_TAGS, [posts])
    execute(INSERT_TAGS, [posts])


FACTS = (
    "SELECT p.post_id, p.author_id, p.visibility, p.audience_ids, p.hashtags, p.created_at IS NOT NULL"
    " AND NOT p.deleted AND NOT p.author_deactivated AND NOT coalesce(a.suspended, false)"
    " FROM read_post p LEFT JOIN read_post_author a ON a.user_id = p.author_id"
    " WHERE p.post_id = ANY(%s::bigint[])"
)


def facts_rows(posts: list[int]) -> list[tuple]:
    """`_post_facts`'s row for each of `posts`, with the post id first."""
    return fetchall(FACTS, [posts], using=READ)
