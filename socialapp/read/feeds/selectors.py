"""Reads of posts, comments, hashtag timelines and home feeds: `read` alias only, and never a
write (regenerating an evicted feed is the view's explicit step: socialapp.read.feeds.maintenance).
Every statement here is a fixed text, prepared once per connection (socialapp.common.prepared.PreparingCursor).

Visibility is re-checked here on every read, for the viewer and the place the status is read in,
by the one rule (socialapp.read.common.visibility: liveness, per-post visibility, blocks, mutes)
rather than trusted to the removal work of the projectors: feeds are where social backends
leak deleted or hidden content, and a block or a mute must take effect on the next read without
rewriting anyone's stored feed.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.numeric import Int8

from socialapp.read.common import visibility
from socialapp.read.common.rendered import iso_datetime, mentions_json
from socialapp.read.common.sql import fetchall, fetchone
from socialapp.read.common.visibility import Context, comment_visible
from socialapp.read.feeds.resume import IN_RESUME, written_since

# The viewer's placeholder in every statement here (bound to a user id, or None when anonymous).
VIEWER = "%(viewer)s"
# A post as PublicPostOut renders it, built by PostgreSQL from the row (with the viewer's like as
# the overlay): see socialapp/read/common/rendered.py. Rows come back as (post_id, json text).
POST_JSON = (
    "json_build_object('id', p.post_id::text, 'author', json_build_object('id', p.author_id::text,"
    " 'username', p.author_username, 'display_name', p.author_display_name), 'body', p.body,"
    f" 'hashtags', to_json(p.hashtags), 'mentions', {mentions_json('p.mentions')}, 'visibility', p.visibility,"
    f" 'created_at', {iso_datetime('p.created_at')}, 'edited_at', {iso_datetime('p.edited_at')},"
    " 'like_count', p.like_count, 'comment_count', p.comment_count, 'liked_by_me',"
    " EXISTS (SELECT 1 FROM read_like l WHERE l.post_id = p.post_id AND l.user_id = %(viewer)s AND l.active))::text"
)
POST_COLUMNS = f"p.post_id, {POST_JSON} AS doc"
COMMENT_JSON = (
    "json_build_object('id', c.comment_id::text, 'post_id', c.post_id::text, 'author', json_build_object('id',"
    " c.author_id::text, 'username', c.author_username, 'display_name', c.author_display_name), 'body', c.body,"
    f" 'mentions', {mentions_json('c.mentions')}, 'visibility', c.visibility,"
    f" 'created_at', {iso_datetime('c.created_at')},"
    f" 'edited_at', {iso_datetime('c.edited_at')})::text"
)

# One rendered item: its sort key, then its JSON text.
Rendered = tuple[Any, ...]


def _bigints(params: dict[str, Any]) -> dict[str, Any]:
    """Ids (and the viewer) bound as bigint whatever their size, None as NULL: each prepared
    statement then has one parameter signature, not one per combination of the smallest integer
    types psycopg would pick for each value (socialapp.common.prepared.PreparingCursor)."""
    return {k: Int8(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in params.items()}


def _posts(where: str, params: dict[str, Any], limit: int, context: Context) -> list[Rendered]:
    return fetchall(
        f"SELECT {POST_COLUMNS} FROM read_post p WHERE {where} AND {visibility.post_visible('p', VIEWER, context)}"
        " ORDER BY p.post_id DESC LIMIT %(n)s",
        {**_bigints(params), "n": limit},
        prepare=True,
    )


MAX_ID = 2**63 - 1


def post_detail(*, post_id: int, viewer_id: int | None) -> tuple[int, str] | None:
    """(version, JSON text) of a visible post; the version feeds the ETag."""
    if not 0 < post_id <= MAX_ID:
        return None  # not an id PostgreSQL could hold: simply not found
    row = fetchone(
        f"SELECT p.version, {POST_JSON} FROM read_post p WHERE p.post_id = %(id)s"
        f" AND {visibility.post_visible('p', VIEWER, Context.DETAIL)}",
        _bigints({"id": post_id, "viewer": viewer_id}),
        prepare=True,
    )
    return (row[0], row[1]) if row else None


def post_visible(post_id: int, viewer_id: int | None) -> bool:
    """The post is live and `viewer_id` may open it (the gate of its comments and likers)."""
    if not 0 < post_id <= MAX_ID:
        return False
    return (
        fetchone(
            f"SELECT 1 FROM read_post p WHERE p.post_id = %(id)s AND {visibility.post_visible('p', VIEWER, Context.DETAIL)}",
            _bigints({"id": post_id, "viewer": viewer_id}),
            prepare=True,
        )
        is not None
    )


def user_posts(*, author_id: int, viewer_id: int | None, before: int | None, limit: int) -> list[Rendered]:
    return _posts(
        "p.author_id = %(a)s AND (%(b)s::bigint IS NULL OR p.post_id < %(b)s)",
        {"a": author_id, "b": before, "viewer": viewer_id},
        limit,
        Context.PROFILE,
    )


def tag_posts(*, tag: str, viewer_id: int | None, before: int | None, limit: int) -> list[Rendered]:
    return fetchall(
        f"SELECT {POST_COLUMNS} FROM read_post_tag t JOIN read_post p ON p.post_id = t.post_id"
        f" WHERE t.tag = %(tag)s AND (%(b)s::bigint IS NULL OR t.post_id < %(b)s)"
        f" AND {visibility.post_visible('p', VIEWER, Context.TAG)}"
        " ORDER BY t.post_id DESC LIMIT %(n)s",
        {**_bigints({"b": before, "viewer": viewer_id}), "tag": tag.lower().lstrip("#"), "n": limit},
        prepare=True,
    )


def post_comments(*, post_id: int, viewer_id: int | None, after: int | None, limit: int) -> list[Rendered] | None:
    """Oldest first, as (comment_id, JSON text); None when the post itself is not visible to the
    viewer (opened on purpose: DETAIL); the comments as a thread (THREAD: mutes hide them too)."""
    if not post_visible(post_id, viewer_id):
        return None
    return fetchall(
        f"SELECT c.comment_id, {COMMENT_JSON} FROM read_comment c WHERE c.post_id = %(p)s"
        " AND (%(a)s::bigint IS NULL OR c.comment_id > %(a)s)"
        f" AND {comment_visible('c', VIEWER, Context.THREAD)}"
        " ORDER BY c.comment_id LIMIT %(n)s",
        {**_bigints({"p": post_id, "a": after, "viewer": viewer_id}), "n": limit},
        prepare=True,
    )


# The reader (%(r)s) is the viewer: both halves of the union apply the rule in the HOME context.
HOME_VISIBLE = visibility.post_visible("p", "%(r)s", Context.HOME)


def _home_feed_sql(resume: str) -> str:
    """The home feed's statement; `resume`: a condition on each half's feed row ({row}), `TRUE`
    for the plain feed.

    Shaped for what PostgreSQL spends on it (docs/read-models.md, "What a query request costs"):
    - `entries`, the reader's newest visible fanned-out entries (a range of feed_entry's primary
      key, each post probed once for the visibility rule), is computed first, once;
    - the merge of each followed celebrity's posts left to read time looks only above the last
      of `entries` when they fill a page: an older post can never make the page (it already has
      n newer ones), so each celebrity's probe stops there instead of checking up to n of its
      posts against the rule (most pages need none or a few of them; post ids are positive, so
      0 is "no bound");
    - the page's ids are chosen before any post row is read again, so the row lookups, the
      viewer's like and the JSON are done for the n served posts only, not every candidate.
    The result is the same as the plain union of both halves' first n visible posts."""
    return f"""
WITH entries AS MATERIALIZED (
  SELECT e.post_id FROM feed_entry e JOIN read_post p ON p.post_id = e.post_id
  WHERE e.reader_id = %(r)s AND (%(b)s::bigint IS NULL OR e.post_id < %(b)s) AND {resume.format(row="e")}
    AND {HOME_VISIBLE}
  ORDER BY e.post_id DESC LIMIT %(n)s
), page AS (
  (SELECT post_id FROM entries)
  UNION
  (SELECT m.post_id FROM feed_author a JOIN feed_follow f ON f.followee_id = a.user_id AND f.follower_id = %(r)s
    CROSS JOIN LATERAL (
      SELECT fp.post_id FROM feed_post fp JOIN read_post p ON p.post_id = fp.post_id
      WHERE fp.author_id = f.followee_id AND NOT fp.fanned_out AND NOT fp.deleted
        AND fp.post_id > (SELECT CASE WHEN count(*) >= %(n)s THEN min(post_id) ELSE 0 END FROM entries)
        AND (%(b)s::bigint IS NULL OR fp.post_id < %(b)s) AND {resume.format(row="fp")} AND {HOME_VISIBLE}
      ORDER BY fp.post_id DESC LIMIT %(n)s) m
    WHERE a.has_unfanned AND f.active)
  ORDER BY post_id DESC LIMIT %(n)s
)
SELECT {POST_COLUMNS.replace("%(viewer)s", "%(r)s")}
FROM page c JOIN read_post p ON p.post_id = c.post_id
ORDER BY p.post_id DESC
"""


# Parameters: the reader %(r)s, the cursor %(b)s (NULL: first page), the limit %(n)s.
HOME_FEED_SQL = _home_feed_sql("TRUE")
# The resume after a stream disconnect (socialapp.read.feeds.resume): also %(s)s and %(st)s.
HOME_FEED_RESUME_SQL = _home_feed_sql(IN_RESUME)


def home_feed(*, reader_id: int, before: int | None, limit: int, since: int | None = None) -> list[Rendered]:
    """Fanned-out entries merged with the posts of large followees that were not fanned out
    (hybrid fan-out). An empty first page may mean an evicted feed: the view regenerates it
    (`maintenance.regenerate_if_empty`) and reads again. `since`: only the resume set after that
    post (socialapp.read.feeds.resume: newer posts, and older ones written to the feed late).
    Both statements are fixed texts, prepared once per connection (socialapp.common.prepared.PreparingCursor)."""
    params = {**_bigints({"r": reader_id, "b": before}), "n": limit}
    if since is None:
        return fetchall(HOME_FEED_SQL, params, prepare=True)
    return fetchall(
        HOME_FEED_RESUME_SQL, {**params, **_bigints({"s": since}), "st": written_since(since)}, prepare=True
    )
