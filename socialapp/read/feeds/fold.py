"""The home feed's bookkeeping state folded from the log in SQL (a rebuild's replay, set-based).

Replaying the log one event at a time through the projector's handlers (even batched, with the
fan-out deferred) costs a few statements per batch of Python-built parameters: most of a
rebuild. The state that replay leaves in `feed_author`, `feed_follow` and `feed_post` is a
function of the log that SQL computes directly, by the handlers' rules in log position order:

- a follow edge: its events by position, each applied only if its `aggregate_version` is above
  every earlier one of the edge (the versioned toggle); the edge is active if the last applied
  one is a follow and neither user is deactivated (a deactivation ends every edge of the user,
  and a later follow of a deactivated user is written inactive);
- a post: the first of its `post.created` and `post.deleted` events decides the row's author
  and whether it is a tombstone (a deletion first leaves a `fanned_out` tombstone); `deleted`
  if any deletion; visibility and audience from its last `post.created` (a later creation
  updates a row that exists); `fanned_out` from the author's follower count at the position of
  its first creation (the celebrity threshold), counted over the intervals in which each edge
  was active;
- an author: every user a handler touched (posts' authors and addressed audience, both ends of
  a follow, deactivated users), its active followers counted, deactivated if ever, and
  `has_unfanned` if a post of theirs created while they were active was not fanned out;
- the tracking rows of every folded event, as the replay writes them.

It equals the per-event replay for any log of these event types, in any order of positions
(tests/read/test_rebuild_fold.py compares the two, and live application). The log holds one
event per aggregate version, so a post has one `post.created`; were there two with different
facts, the fold would keep the last one's visibility and audience where the batched replay keeps
the first of a batch. The events come from the write database (another database on the server) by one binary COPY of
the fields the handlers read, extracted there from the payloads, into a temporary table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

from socialapp.events.catalogue import EventType
from socialapp.read.common.sql import READ, execute, fetchall

# The event types the fold implements; a projector handling others is replayed event by event.
FOLDED = frozenset(
    {
        EventType.POST_CREATED,
        EventType.POST_DELETED,
        EventType.USER_FOLLOWED,
        EventType.USER_UNFOLLOWED,
        EventType.USER_DEACTIVATED,
    }
)

_EVENT_TABLE = (
    "CREATE TEMP TABLE feed_fold_event (position bigint, event_id uuid, kind text, version int, post_id bigint,"
    " author_id bigint, follower_id bigint, followee_id bigint, user_id bigint, visibility text,"
    " audience bigint[]) ON COMMIT DROP"
)
# What the handlers read of each event, extracted on the write database: `addressed()` as SQL
# (the users mentioned with a user id, for a `followers` or `direct` post), the visibility as
# `payload.get("visibility") or "public"`.
_EXTRACT = (
    "COPY (SELECT position, event_id, event_type::text, aggregate_version::int, (payload->>'post_id')::bigint,"
    " (payload->>'author_id')::bigint, (payload->>'follower_id')::bigint, (payload->>'followee_id')::bigint,"
    " (payload->>'user_id')::bigint,"
    " CASE WHEN event_type = 'post.created' THEN coalesce(nullif(payload->>'visibility', ''), 'public') END,"
    " CASE WHEN event_type = 'post.created' AND payload->>'visibility' IN ('followers', 'direct') THEN"
    "  ARRAY(SELECT DISTINCT (m->>'user_id')::bigint FROM jsonb_array_elements(CASE WHEN"
    "  jsonb_typeof(payload->'mentions') = 'array' THEN payload->'mentions' ELSE '[]' END) m"
    "  WHERE jsonb_typeof(m) = 'object' AND CASE jsonb_typeof(m->'user_id')"
    "  WHEN 'number' THEN (m->>'user_id')::numeric <> 0 WHEN 'string' THEN m->>'user_id' <> '' ELSE false END) END"
    " FROM event_log WHERE event_type = ANY({types}) AND position <= {upto}) TO STDOUT (FORMAT BINARY)"
)

# Deactivations: when each user was first deactivated (later ones are no-ops).
_GONE = (
    "CREATE TEMP TABLE feed_fold_gone ON COMMIT DROP AS SELECT user_id, min(position) AS at"
    " FROM feed_fold_event WHERE kind = 'user.deactivated' GROUP BY user_id"
)
# The follow events that the versioned toggle applies (a version above every earlier one of the
# edge), each with the position of the next applied one of the same edge.
_EDGES = (
    "CREATE TEMP TABLE feed_fold_edge ON COMMIT DROP AS SELECT followee_id, follower_id, position, version, follows,"
    " lead(position) OVER (PARTITION BY followee_id, follower_id ORDER BY position) AS next_at FROM"
    " (SELECT followee_id, follower_id, position, version, kind = 'user.followed' AS follows,"
    "  max(version) OVER (PARTITION BY followee_id, follower_id ORDER BY position"
    "  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before"
    "  FROM feed_fold_event WHERE kind IN ('user.followed', 'user.unfollowed')) e"
    " WHERE before IS NULL OR version > before"
)
_FOLLOWS = (
    "INSERT INTO feed_follow (followee_id, follower_id, active, version)"
    " SELECT e.followee_id, e.follower_id, e.follows AND r.user_id IS NULL AND a.user_id IS NULL, e.version"
    " FROM feed_fold_edge e LEFT JOIN feed_fold_gone r ON r.user_id = e.follower_id"
    " LEFT JOIN feed_fold_gone a ON a.user_id = e.followee_id WHERE e.next_at IS NULL"
    " ORDER BY e.followee_id, e.follower_id"
)
# Whether each post.created event's author was at most at the threshold there. Only authors who
# could pass it (more applied follows than the threshold) are counted: a running sum, by
# position, of +1 where an edge became active and -1 where it stopped (the next applied event
# of the edge, or a deactivation of either user); no event is at a post's position.
_CELEBRITY_AT = (
    "CREATE TEMP TABLE feed_fold_celebrity ON COMMIT DROP AS"
    " WITH hot AS (SELECT followee_id FROM feed_fold_edge WHERE follows GROUP BY followee_id"
    "  HAVING count(*) > %(threshold)s),"
    " spans AS (SELECT e.followee_id AS author, e.position AS since, least(e.next_at, r.at, a.at) AS until"
    "  FROM feed_fold_edge e JOIN hot h USING (followee_id)"
    "  LEFT JOIN feed_fold_gone r ON r.user_id = e.follower_id LEFT JOIN feed_fold_gone a ON a.user_id = e.followee_id"
    "  WHERE e.follows AND (r.at IS NULL OR r.at > e.position) AND (a.at IS NULL OR a.at > e.position)),"
    " steps AS (SELECT author, since AS position, 1 AS d FROM spans"
    "  UNION ALL SELECT author, until, -1 FROM spans WHERE until IS NOT NULL"
    "  UNION ALL SELECT author_id, position, 0 FROM feed_fold_event"
    "  WHERE kind = 'post.created' AND author_id IN (SELECT followee_id FROM hot))"
    " SELECT position FROM (SELECT position, d, sum(d) OVER (PARTITION BY author ORDER BY position, d"
    "  ROWS UNBOUNDED PRECEDING) AS followers FROM steps) s WHERE d = 0 AND followers > %(threshold)s"
)
# Per post: its first creation (author, position), last creation (facts), first deletion.
_POSTS = (
    "CREATE TEMP TABLE feed_fold_post ON COMMIT DROP AS"
    " WITH born AS (SELECT DISTINCT ON (post_id) post_id, position, author_id FROM feed_fold_event"
    "  WHERE kind = 'post.created' ORDER BY post_id, position),"
    " facts AS (SELECT DISTINCT ON (post_id) post_id, visibility, audience FROM feed_fold_event"
    "  WHERE kind = 'post.created' ORDER BY post_id, position DESC),"
    " gone AS (SELECT DISTINCT ON (post_id) post_id, position, author_id FROM feed_fold_event"
    "  WHERE kind = 'post.deleted' ORDER BY post_id, position)"
    " SELECT post_id, b.position AS born_at, b.author_id AS born_author, g.position AS deleted_at,"
    "  g.author_id AS deleted_author, f.visibility, f.audience"
    " FROM born b JOIN facts f USING (post_id) FULL JOIN gone g USING (post_id)"
)
# A post created before any deletion of it: the creation's row (not fanned out if its author was
# a celebrity there); a deletion first: the tombstone's row (author from the deletion, fanned
# out), with the facts of a later creation. The audience in the order the handler writes it (by
# its text: the handler sorts the ids as JSON strings).
_POST_ROWS = (
    "INSERT INTO feed_post (post_id, author_id, fanned_out, deleted, visibility, audience_ids)"
    " SELECT p.post_id, CASE WHEN p.deleted_at < p.born_at THEN p.deleted_author ELSE p.born_author END,"
    "  coalesce(p.deleted_at < p.born_at, false) OR c.position IS NULL, p.deleted_at IS NOT NULL, p.visibility,"
    "  CASE WHEN cardinality(p.audience) > 1 THEN (SELECT array_agg(x ORDER BY x::text) FROM unnest(p.audience) x)"
    "  ELSE coalesce(p.audience, '{}') END"
    " FROM feed_fold_post p LEFT JOIN feed_fold_celebrity c ON c.position = p.born_at"
    " WHERE p.born_at IS NOT NULL ORDER BY 2, 1"
)
_TOMBSTONES = (
    "INSERT INTO feed_post (post_id, author_id, fanned_out, deleted)"
    " SELECT post_id, deleted_author, true, true FROM feed_fold_post WHERE born_at IS NULL ORDER BY post_id"
)
_AUTHORS = (
    "INSERT INTO feed_author (user_id, follower_count, deactivated, has_unfanned)"
    " SELECT u.user_id, coalesce(f.n, 0), g.user_id IS NOT NULL, u.user_id IN"
    "  (SELECT p.born_author FROM feed_fold_post p JOIN feed_fold_celebrity c ON c.position = p.born_at"
    "   LEFT JOIN feed_fold_gone a ON a.user_id = p.born_author"
    "   WHERE (p.deleted_at IS NULL OR p.deleted_at > p.born_at) AND (a.at IS NULL OR a.at > p.born_at))"
    " FROM (SELECT author_id FROM feed_fold_event WHERE kind = 'post.created'"
    "  UNION SELECT unnest(audience) FROM feed_fold_event WHERE audience IS NOT NULL"
    "  UNION SELECT follower_id FROM feed_fold_event WHERE kind IN ('user.followed', 'user.unfollowed')"
    "  UNION SELECT followee_id FROM feed_fold_event WHERE kind IN ('user.followed', 'user.unfollowed')"
    "  UNION SELECT user_id FROM feed_fold_event WHERE kind = 'user.deactivated') u(user_id)"
    " LEFT JOIN (SELECT followee_id, count(*) AS n FROM feed_follow WHERE active GROUP BY followee_id) f"
    "  ON f.followee_id = u.user_id"
    " LEFT JOIN feed_fold_gone g ON g.user_id = u.user_id ORDER BY u.user_id"
)
_TRACKING = (
    "INSERT INTO projection_applied_event (projector, event_id, position, applied_at)"
    " SELECT %(name)s, event_id, position, now() FROM feed_fold_event"
)


def copy_events(event_types: tuple[str, ...], upto: int) -> int:
    """The log's events of these types up to `upto`, the fields the handlers read, into the
    temporary table `feed_fold_event` (dropped at the commit of the read transaction this runs
    in), streamed from the write database's COPY into the read database's."""
    execute(_EVENT_TABLE)
    source, target = connections["default"], connections[READ]
    source.ensure_connection()
    target.ensure_connection()
    with source.connection.cursor() as out_cursor, target.connection.cursor() as in_cursor:
        statement = _EXTRACT.format(types="%s", upto="%s")
        with (
            out_cursor.copy(statement, [list(event_types), upto]) as out,
            in_cursor.copy("COPY feed_fold_event FROM STDIN (FORMAT BINARY)") as into,
        ):
            for chunk in out:
                into.write(chunk)
    execute("ANALYZE feed_fold_event")
    return int(fetchall("SELECT count(*) FROM feed_fold_event")[0][0])


def fold(projector_name: str, event_types: tuple[str, ...], upto: int) -> int:
    """Fill the (empty) bookkeeping tables and the tracking rows from the log up to `upto`, in
    the current transaction on the read database (the shadow's, in a rebuild); no feed row.
    Returns the number of events folded."""
    execute("SET LOCAL work_mem TO '256MB'")
    count = copy_events(event_types, upto)
    execute(_GONE)
    execute(_EDGES)
    execute(_FOLLOWS)
    execute(_CELEBRITY_AT, {"threshold": int(settings.FEED_CELEBRITY_THRESHOLD)})
    execute(_POSTS)
    execute(_POST_ROWS)
    execute(_TOMBSTONES)
    execute(_AUTHORS)
    execute(_TRACKING, {"name": projector_name})
    return count
