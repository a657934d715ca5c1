"""Read-model rows as the Mastodon renderers take them (socialapp.mastodon.common.entities).

Every Mastodon query that shows statuses or accounts goes through here, so they all apply the
read side's one visibility rule (socialapp.read.common.visibility: live, and visible to the
viewer as opened on purpose) and a comment shows only while its post does. The keyset queries
that choose a page's ids apply the rule in their own context (home, public, tag, thread...: where
mutes hide and where only public statuses list); hydration here re-checks it as DETAIL, so no
path can show a status its viewer may not open. A page
is fetched as ids first (by the caller's keyset query) and then hydrated here in three statements
(posts, comments, then their authors), whatever its length.

Posts and comments share one id space (socialapp_next_id), so a status id names either: posts are
statuses at the top of a thread, comments are replies (`in_reply_to_id` is the comment answered,
or the post).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from socialapp.common.text import parse_hashtags
from socialapp.mastodon.common import entities
from socialapp.mastodon.common.entities import AccountRow, StatusRow
from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import (
    Context,
    account_listed,
    comment_live,
    comment_visible,
    post_live,
    post_visible,
)

# Registered (a profile event may have come first and left a placeholder with a version but no
# username), neither deactivated nor suspended: socialapp.read.profiles.selectors.VISIBLE.
ACCOUNT_VISIBLE = "pr.registered_at IS NOT NULL AND pr.deactivated_at IS NULL AND NOT pr.suspended"
ACCOUNT_COLUMNS = (
    "pr.user_id, pr.username, pr.display_name, pr.bio, pr.registered_at, pr.follower_count,"
    " pr.following_count, pr.post_count,"
    # Mastodon's last_status_at: one probe of read_post_author_idx (when, not what: liveness only).
    f" (SELECT p.created_at FROM read_post p WHERE p.author_id = pr.user_id AND {post_live('p')}"
    " ORDER BY p.post_id DESC LIMIT 1),"
    " pr.locked"
)


# The viewer's placeholder in the statements of the Mastodon queries (a user id, or None).
VIEWER = "%(viewer)s"


def comment_shown(context: Context, alias: str = "c", viewer: str = VIEWER) -> str:
    """A comment row that is live and that the viewer may see in `context`, its post included."""
    return comment_visible(alias, viewer, context)


def post_shown(context: Context, alias: str = "p", viewer: str = VIEWER) -> str:
    """A post row that is live and that the viewer may see in `context`."""
    return post_visible(alias, viewer, context)


def listed(user_col: str, viewer: str = VIEWER) -> str:
    """An account (column) that may appear in the viewer's lists: neither blocks the other."""
    return account_listed(user_col, viewer)


def _account(row: Sequence[Any]) -> AccountRow:
    return AccountRow(
        id=row[0],
        username=row[1],
        display_name=row[2],
        note=row[3],
        created_at=row[4],
        followers_count=row[5],
        following_count=row[6],
        statuses_count=row[7],
        last_status_at=row[8],
        locked=bool(row[9]),
    )


def account_rows(user_ids: Iterable[int]) -> dict[int, AccountRow]:
    """Visible accounts by id (an account hidden or unknown is simply absent)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = fetchall(
        f"SELECT {ACCOUNT_COLUMNS} FROM read_profile pr WHERE pr.user_id = ANY(%s) AND {ACCOUNT_VISIBLE}", [ids]
    )
    return {row[0]: _account(row) for row in rows}


def accounts(user_ids: Sequence[int], *, base_url: str) -> list[dict[str, Any]]:
    """Account entities in the given order, skipping the ones not visible."""
    found = account_rows(user_ids)
    return [entities.account(found[i], base_url=base_url) for i in user_ids if i in found]


_POSTS_SQL = f"""
SELECT p.post_id, p.author_id, p.body, p.created_at, p.edited_at, p.spoiler_text, p.sensitive, p.hashtags,
       p.mentions, NULL::bigint, NULL::bigint, p.like_count, p.comment_count,
       EXISTS (SELECT 1 FROM read_like l WHERE l.post_id = p.post_id AND l.user_id = %(viewer)s AND l.active),
       p.visibility, p.language
FROM read_post p WHERE p.post_id = ANY(%(ids)s) AND {post_shown(Context.DETAIL)}
"""
_COMMENTS_SQL = f"""
SELECT c.comment_id, c.author_id, c.body, c.created_at, c.edited_at, c.spoiler_text, c.sensitive, NULL,
       c.mentions, COALESCE(c.in_reply_to_id, c.post_id),
       COALESCE(c.in_reply_to_account_id, (SELECT p.author_id FROM read_post p WHERE p.post_id = c.post_id)),
       0,
       (SELECT count(*) FROM read_comment r WHERE r.post_id = c.post_id AND r.in_reply_to_id = c.comment_id
          AND {comment_live("r")}),
       false, c.visibility, ''
FROM read_comment c WHERE c.comment_id = ANY(%(ids)s) AND {comment_shown(Context.DETAIL)}
"""


def as_json(value: Any) -> Any:
    """A jsonb column as Python (Django's psycopg loader hands raw SQL jsonb back as text)."""
    return json.loads(value) if isinstance(value, str) else value


def status_rows(status_ids: Iterable[int], *, viewer_id: int | None) -> dict[int, StatusRow]:
    """Visible statuses (posts and comments) by id, with their authors; `favourited` is None for
    an anonymous viewer (Mastodon leaves the viewer's flags out then)."""
    ids = sorted(set(status_ids))
    if not ids:
        return {}
    params = {"ids": ids, "viewer": viewer_id}
    rows = [*fetchall(_POSTS_SQL, params), *fetchall(_COMMENTS_SQL, params)]
    authors = account_rows(row[1] for row in rows)
    out: dict[int, StatusRow] = {}
    for row in rows:
        author = authors.get(row[1])
        if author is None:
            continue  # an author without a visible profile: not shown, as everywhere
        out[row[0]] = StatusRow(
            id=row[0],
            account=author,
            body=row[2],
            created_at=row[3],
            edited_at=row[4],
            spoiler_text=row[5],
            sensitive=row[6],
            hashtags=list(row[7]) if row[7] is not None else parse_hashtags(row[2]),
            mentions=as_json(row[8]) or [],
            in_reply_to_id=row[9],
            in_reply_to_account_id=row[10],
            favourites_count=row[11],
            replies_count=row[12],
            favourited=None if viewer_id is None else bool(row[13]),
            visibility=row[14] or "public",
            language=row[15] or "",  # comments have none
        )
    return out


def statuses(status_ids: Sequence[int], *, viewer_id: int | None, base_url: str) -> list[dict[str, Any]]:
    """Status entities in the given order, skipping the ones not visible."""
    found = status_rows(status_ids, viewer_id=viewer_id)
    return [entities.status(found[i], base_url=base_url) for i in status_ids if i in found]


def base_url(request: Any) -> str:
    """scheme://host[:port] of the request: the prefix of every uri/url we render."""
    return request.build_absolute_uri("/").rstrip("/")
