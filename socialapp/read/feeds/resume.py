"""The resume of a home feed after a stream disconnect: `GET /api/socialapp/v1/feed?since=<id>`.

A client of the stream (`/api/socialapp/v1/stream`) that reconnects asks the feed for what it
missed, naming the last post it received. "Posts with a higher id" is NOT that set: entries do
not arrive in post-id order. A post fanned out in chunks (an author with more than
FEED_FANOUT_CHUNK followers) reaches most feeds after the commit of its `post.created`, in Celery
tasks that may run seconds (or, after a lost task message, the stale-job sweep) later, while a
newer post of a small account was fanned out inline and already pushed; a projector applies
concurrent posts in commit order, not id order; and a push published just before the
disconnect may still have been in flight. Each of these lands an OLDER post in the feed after
the client received a newer one, and `post_id > since` would skip it for good.

So each feed row records when it was written (`feed_entry.added_at`; `feed_post.added_at` for the
posts merged at read time), and the resume set is

    post_id > since  OR  (post_id < since AND added_at >= created_at(since) - FEED_RESUME_OVERLAP_SECONDS)

where created_at(since) is the time encoded in the snowflake id (socialapp.common.ids): the
client received `since`, so anything written to the feed after the client received it was
written after the post `since` was created (and `since` itself, which the client holds, is left
out). The overlap covers what happens before: a row written just before but committed, or
pushed, after the client received `since` (a statement's run to its commit, a push in flight),
and the clocks of the two databases; the pipeline's own lag (the `since` post is pushed only
after it was projected) adds to it. The price is a few duplicates (older posts written in the
window, or after `since` was created), which the client drops by id as it does for any stream
event it already holds. No lookup of the `since` entry is needed (it may have been deleted,
trimmed or merged at read time).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from socialapp.common.ids import id_to_datetime


def written_since(since: int) -> datetime:
    """Rows written at or after this moment belong to a resume from `since` (see above)."""
    return id_to_datetime(since) - timedelta(seconds=float(settings.FEED_RESUME_OVERLAP_SECONDS))


#: SQL: the feed row `{row}` (its `post_id` and `added_at`) belongs to the resume bounded by
#: %(s)s (the since id, NULL: no resume) and %(st)s (`written_since`).
IN_RESUME = (
    "(%(s)s::bigint IS NULL OR {row}.post_id > %(s)s"
    " OR ({row}.post_id < %(s)s AND {row}.added_at >= %(st)s::timestamptz))"
)
