"""Work on stored feeds besides applying events: trim to the cap, regenerate, evict.

The home-feed projector (socialapp.read.feeds.projectors.home_feed) and the fan-out chunk jobs
trim; regeneration is the explicit step the feed view takes when a reader's first page comes back
empty (a new user, or a feed dropped by `evict`), never a side effect of a selector. It takes the
lock the projector takes for a reader's feed (their `feed_author` row, FOR UPDATE, as a follow or
a deactivation does), so it never interleaves with a follow merge, an unfollow or a deactivation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from socialapp.read.common.sql import READ, execute, fetchone

#: SQL: the feed_post row `p` is addressed to `{reader}` (a `followers` or `direct` post that
#: mentions them): such an entry is the reader's whether or not they follow the author.
ADDRESSED_TO = "p.visibility IN ('followers', 'direct') AND p.audience_ids @> ARRAY[{reader}]::bigint[]"


def trim(reader_ids: list[int]) -> int:
    """Cut each given feed back to FEED_MAX_ENTRIES newest entries (exact: the author's own feed,
    follow merges and regeneration use it)."""
    if not reader_ids:
        return 0
    return execute(
        "DELETE FROM feed_entry f USING (SELECT r.reader_id, c.post_id AS cutoff FROM unnest(%s::bigint[]) AS r(reader_id)"
        " CROSS JOIN LATERAL (SELECT post_id FROM feed_entry WHERE reader_id = r.reader_id"
        " ORDER BY post_id DESC OFFSET %s LIMIT 1) c) t WHERE f.reader_id = t.reader_id AND f.post_id <= t.cutoff",
        [reader_ids, settings.FEED_MAX_ENTRIES],
    )


def trim_overfull_sql(readers: str) -> str:
    """A DELETE that trims to FEED_MAX_ENTRIES those of `readers` (a SELECT of one bigint column,
    its parameters named) whose feed holds more than FEED_MAX_ENTRIES + FEED_TRIM_SLACK entries;
    the others are left alone. Parameters `cap` and `over` come from `trim_params()`.

    Per reader: one index probe at offset cap + slack (an index walk of that many entries); only
    a feed found past it pays the second walk to its cut-off. The lateral joins run as a nested
    loop, so the cut-off is looked up for overfull feeds only."""
    return (
        "DELETE FROM feed_entry f USING (SELECT r.reader_id, c.post_id AS cutoff FROM (" + readers + ") AS r(reader_id)"
        " CROSS JOIN LATERAL (SELECT 1 FROM feed_entry WHERE reader_id = r.reader_id"
        " ORDER BY post_id DESC OFFSET %(over)s LIMIT 1) o"
        " CROSS JOIN LATERAL (SELECT post_id FROM feed_entry WHERE reader_id = r.reader_id"
        " ORDER BY post_id DESC OFFSET %(cap)s LIMIT 1) c) t WHERE f.reader_id = t.reader_id AND f.post_id <= t.cutoff"
    )


def trim_params() -> dict[str, int]:
    """`cap` and `over` (cap + slack) for `trim_overfull_sql`."""
    cap = int(settings.FEED_MAX_ENTRIES)
    return {"cap": cap, "over": cap + max(0, int(settings.FEED_TRIM_SLACK))}


def trim_overfull(reader_ids: list[int]) -> int:
    """Trim to the cap those of these feeds that are past cap + slack (amortised trimming)."""
    if not reader_ids:
        return 0
    return execute(
        trim_overfull_sql("SELECT unnest(%(readers)s::bigint[])"), {"readers": list(reader_ids), **trim_params()}
    )


def regenerate(reader_id: int) -> int:
    """Rebuild a feed from the followees' recent fanned-out posts (never a `direct` one: following
    alone does not deliver those), the posts addressed to the reader (a `followers` or `direct`
    post that mentions them, from anyone) and the reader's own posts: the fan-out's rule
    (docs/read-models.md, "Fan-out by visibility"). Callers hold the reader's `feed_author` lock
    (`regenerate_if_empty`)."""
    cap = settings.FEED_MAX_ENTRIES
    return execute(
        "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT %(r)s, post_id, author_id FROM ("
        " SELECT p.post_id, p.author_id FROM (SELECT followee_id FROM feed_follow WHERE follower_id = %(r)s AND active"
        "  UNION SELECT %(r)s) a CROSS JOIN LATERAL (SELECT post_id, author_id FROM feed_post"
        "  WHERE author_id = a.followee_id AND NOT deleted AND (author_id = %(r)s OR (fanned_out"
        "  AND visibility <> 'direct')) ORDER BY post_id DESC LIMIT %(cap)s) p"
        " UNION SELECT p.post_id, p.author_id FROM feed_post p WHERE NOT p.deleted"
        f" AND {ADDRESSED_TO.format(reader='%(r)s')}"
        " ORDER BY post_id DESC LIMIT %(cap)s) s ON CONFLICT DO NOTHING",
        {"r": reader_id, "cap": cap},
    )


def regenerate_if_empty(reader_id: int) -> bool:
    """Regenerate an empty or evicted feed; True if it did. Under the reader's `feed_author` lock
    (FOR UPDATE, as the projector's follow and deactivation handlers take it), re-checked there:
    a concurrent unfollow or deactivation commits first and is seen, or waits for this one. The
    row is never created here (only events create projector rows, so a check's replay agrees)."""
    if fetchone("SELECT 1 FROM feed_entry WHERE reader_id = %s LIMIT 1", [reader_id]) is not None:
        return False
    with transaction.atomic(using=READ):
        author = fetchone("SELECT deactivated FROM feed_author WHERE user_id = %s FOR UPDATE", [reader_id])
        if author is None or author[0]:
            return False  # never posted nor followed: nothing to regenerate; deactivated: stays dropped
        if fetchone("SELECT 1 FROM feed_entry WHERE reader_id = %s LIMIT 1", [reader_id]) is not None:
            return False  # another request regenerated it meanwhile
        regenerate(reader_id)
    return True


def evict(reader_ids: list[int]) -> int:
    """Drop feeds (e.g. of readers inactive for long); they come back on their next read."""
    return execute("DELETE FROM feed_entry WHERE reader_id = ANY(%s)", [reader_ids])
