"""Fanning a post out to a range of followers, and the chunk jobs of large fan-outs.

The home-feed projector (socialapp.read.feeds.projectors.home_feed) fans a small author's post
out inline (`fan_out_range` over all followers) and a large one's as `feed_fanout_job` rows, one
per chunk of followers, written in its transaction (`plan_chunk_jobs`). After the commit the jobs
of a post are sent as Celery tasks `feeds.fanout_chunk` (socialapp.read.feeds.tasks), with their
publisher confirms awaited together (socialapp.read.feeds.publish); each runs `run_fanout_job`.
The periodic sweep `feeds.resend_stale_fanout` resends jobs whose message was lost
(`resend_stale_jobs`). Tasks are sent by name, so this module never imports the tasks module.

Everything is decided in SQL, in one statement per chunk: the follower rows become feed rows
inside the server (`INSERT … SELECT` from `feed_follow`), and the same statement trims, amortised:
of the readers it just added to, those picked by a hash of (reader, post) with probability
1/FEED_TRIM_CHECK_EVERY are probed, and a feed found past FEED_MAX_ENTRIES + FEED_TRIM_SLACK is cut
back to FEED_MAX_ENTRIES (maintenance.trim_overfull_sql). What comes back is, per post, the ids of
the readers whose feed got it (one array each): the push to their streams (socialapp.read.push;
the chunk publishes its own, after its statement commits, `run_fanout_job`).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, connections, transaction

from socialapp.common.ids import BIGINT_MAX
from socialapp.read.common.sql import READ, fetchall, fetchone
from socialapp.read.feeds.maintenance import trim_overfull_sql, trim_params
from socialapp.read.push.messages import Kind, StatusFacts, route_user
from socialapp.read.push.publisher import effect, publish_after_commit

log = logging.getLogger(__name__)

#: The Celery task that runs one chunk job (socialapp.read.feeds.tasks.fanout_chunk).
FANOUT_CHUNK_TASK = "feeds.fanout_chunk"

# The rows a fan-out adds, as (reader_id, post_id). First as a plain insert: a follow merge or a
# regeneration may have put the post in a feed before its chunk runs (the open-ended last chunk
# covers a new follower whose merge already took the post), which then fails the statement with
# a unique violation, and it is run again with `ON CONFLICT DO NOTHING` (`_run`). The plain insert
# skips the speculative-insertion probe of every row: about 1.5x the rows/s here.
# `{lock}`: a chunk job's statement locks the follow rows it reads (`FOR SHARE OF f`; see _RUN_JOB).
# The chunk's range is one index range (an open-ended chunk ends at the largest id): written as
# `upto IS NULL OR id <= upto`, the upper end was a filter, and each chunk of a post read every
# follower from its start to the end of the list (ten chunks of 500: 27,500 rows for 5,000).
_INSERT = (
    "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT f.follower_id, j.post_id, j.author_id"
    " FROM job j JOIN feed_follow f ON f.followee_id = j.author_id AND f.active"
    " AND f.follower_id > j.after_follower AND f.follower_id <= coalesce(j.upto_follower, %(last_id)s)"
    "{lock}{conflict} RETURNING reader_id, post_id"
)
# The readers of the rows just added whose feed is probed for an amortised trim. The trim's
# lateral walks run in the statement's snapshot, which does not see the rows the same statement
# inserted: the probes and the cut-off count one entry fewer, so the cut-off is taken one entry
# earlier (`cap - 1`), and the feed keeps exactly the cap.
_DUE = "SELECT DISTINCT reader_id FROM added WHERE hashint8(reader_id # post_id) %% %(every)s = 0"
#: What a fan-out statement returns: per post, the readers it added it to.
_ADDED_BY_POST = "SELECT post_id, array_agg(reader_id ORDER BY reader_id) FROM added GROUP BY post_id"
#: Below this many expected rows a fan-out goes straight to `ON CONFLICT` (the plain insert's
#: savepoint would cost more round trips than the probes it saves).
PLAIN_INSERT_MIN_ROWS = 64


def _fanout_sql(source: str, *, lock_follows: bool = False, result: str = _ADDED_BY_POST) -> tuple[str, str]:
    """One statement, plain and with `ON CONFLICT DO NOTHING`: the insert of `source`'s chunks
    (CTE `job`: rows of post_id, author_id, after_follower, upto_follower), the amortised trim of
    the sampled readers, and `result` (a SELECT over `added`, the (reader_id, post_id) rows added;
    by default per post the readers). `lock_follows`: the follow rows read are locked FOR SHARE (a
    chunk job; see _RUN_JOB)."""
    lock = " FOR SHARE OF f" if lock_follows else ""
    return tuple(  # type: ignore[return-value]
        f"WITH {source}, added AS ({_INSERT.format(lock=lock, conflict=conflict)}),"
        f" trimmed AS ({trim_overfull_sql(_DUE)} RETURNING 1) {result}"
        for conflict in ("", " ON CONFLICT DO NOTHING")
    )


def _params(**extra: object) -> dict[str, object]:
    params: dict[str, object] = dict(trim_params())
    params["cap"] = max(0, int(params["cap"]) - 1)  # see _DUE: the snapshot misses the new entry
    params["over"] = max(0, int(params["over"]) - 1)
    return {**params, "every": max(1, int(settings.FEED_TRIM_CHECK_EVERY)), "last_id": BIGINT_MAX, **extra}


def _run(statements: tuple[str, str], params: dict[str, object], *, plain: bool = True) -> list[tuple]:
    """The plain statement (in a savepoint inside a transaction, so that a unique violation
    leaves the caller's transaction usable), and on a unique violation the `ON CONFLICT` one.
    Returns the statement's rows."""
    if plain:
        try:
            if connections[READ].in_atomic_block:
                with transaction.atomic(using=READ):
                    return fetchall(statements[0], params)
            return fetchall(statements[0], params)
        except IntegrityError:
            pass  # a feed already held the post: the whole statement was undone; again, skipping it
    return fetchall(statements[1], params)


def _by_post(rows: list[tuple]) -> dict[int, list[int]]:
    return {int(post): list(readers) for post, readers in rows}


_BATCH = _fanout_sql(
    "job AS (SELECT t.post_id, t.author_id, -1::bigint AS after_follower, NULL::bigint AS upto_follower"
    " FROM unnest(%(posts)s::bigint[], %(authors)s::bigint[]) AS t(post_id, author_id))"
)


def fan_out_posts(
    post_ids: list[int], author_ids: list[int], expected_rows: int = PLAIN_INSERT_MIN_ROWS
) -> dict[int, list[int]]:
    """Fan posts out to all their authors' active followers, in one statement (one post inline,
    or a batch of events); returns, per post, the readers it was added for. With several posts
    for one reader the trim's cut-off keeps the cap plus the batch's other new entries (never
    fewer than the cap)."""
    if not post_ids:
        return {}
    params = _params(posts=post_ids, authors=author_ids)
    return _by_post(_run(_BATCH, params, plain=expected_rows >= PLAIN_INSERT_MIN_ROWS))


_OWN = (
    "WITH added AS (INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT t.a, t.p, t.a"
    " FROM unnest(%(posts)s::bigint[], %(authors)s::bigint[]) AS t(p, a) ON CONFLICT DO NOTHING"
    f" RETURNING reader_id, post_id), trimmed AS ({trim_overfull_sql(_DUE)} RETURNING 1) {_ADDED_BY_POST}"
)


_ADDRESSED = (
    "WITH added AS (INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT t.r, t.p, t.a"
    " FROM unnest(%(posts)s::bigint[], %(readers)s::bigint[], %(authors)s::bigint[]) AS t(p, r, a)"
    f" ON CONFLICT DO NOTHING RETURNING reader_id, post_id), trimmed AS ({trim_overfull_sql(_DUE)} RETURNING 1)"
    f" {_ADDED_BY_POST}"
)


def add_addressed_entries(post_ids: list[int], reader_ids: list[int], author_ids: list[int]) -> dict[int, list[int]]:
    """Each (post, reader) pair into that reader's feed: a `followers` or `direct` post to the
    users it mentions (few per post, so always inline), trimmed as a fan-out trims. Returns, per
    post, the readers it was added for."""
    if not post_ids:
        return {}
    return _by_post(fetchall(_ADDRESSED, _params(posts=post_ids, readers=reader_ids, authors=author_ids)))


def add_own_entries(post_ids: list[int], author_ids: list[int]) -> dict[int, list[int]]:
    """Each post into its author's own feed, trimmed as a fan-out trims (one statement). Returns,
    per post, the readers (its author) it was added for."""
    if not post_ids:
        return {}
    return _by_post(fetchall(_OWN, _params(posts=post_ids, authors=author_ids)))


# A chunk job: consumed (deleted) by the statement that does its inserts, so a chunk runs once
# however often its task is delivered. SKIP LOCKED: a duplicate running meanwhile does nothing.
# The post is read FOR SHARE, the lock `post.deleted` takes FOR UPDATE: a chunk never re-adds a
# deleted post (a delete that committed first is seen: the row is re-checked under the lock).
# The follow rows likewise: a chunk runs after the post's transaction, without the author's
# `feed_author` lock that serialises the inline fan-out with follows, so it locks each follow
# row it reads FOR SHARE; an unfollow (or a block's `user.unfollowed`) updates that row, so it
# either waits for the chunk to commit and then deletes the reader's entries of the author, or
# commits first and the chunk re-reads the row under the lock and skips the reader.
# The chunk's row comes back with the post's facts and the event's, for its push.
_RUN_JOB = _fanout_sql(
    "claimed AS (DELETE FROM feed_fanout_job WHERE id = (SELECT id FROM feed_fanout_job WHERE id = %(job)s"
    " FOR UPDATE SKIP LOCKED) RETURNING post_id, author_id, after_follower, upto_follower, event_id,"
    " event_position, occurred_at),"
    " job AS (SELECT c.*, p.visibility, p.audience_ids FROM claimed c"
    " JOIN feed_post p ON p.post_id = c.post_id AND NOT p.deleted AND p.visibility <> 'direct' FOR SHARE OF p)",
    lock_follows=True,
    result="SELECT j.post_id, j.author_id, j.visibility, j.audience_ids, j.event_id, j.event_position,"
    " extract(epoch FROM j.occurred_at), coalesce((SELECT array_agg(reader_id ORDER BY reader_id) FROM added),"
    " '{}') FROM job j",
)


def run_fanout_job(job_id: int) -> int:
    """Run one chunk: one statement (a transaction by itself, or a savepoint of the caller's);
    idempotent. Returns the feed rows it added (0 for a job already run or a deleted post).
    The readers it added the post for get an `update` push once the statement commits (none
    while the home feed replays: a check runs its scratch jobs)."""
    from socialapp.events.projector import REGISTRY

    total = 0
    for post, author, visibility, audience, event_id, position, occurred_at, readers in _run(
        _RUN_JOB, _params(job=job_id)
    ):
        total += len(readers)
        if not readers or event_id is None:  # a job written before pushes existed: no event to name
            continue
        message = effect(
            Kind.UPDATE,
            post,
            event_id=event_id,
            position=position,
            event_type="post.created",
            occurred_at=float(occurred_at),
            recipients=tuple(readers),
            status=status_facts(post, author, visibility, audience or ()),
        )
        publish_after_commit(message, [route_user(r) for r in readers], using=READ, projector=REGISTRY.get("home_feed"))
    return total


def status_facts(post_id: int, author_id: int, visibility: str, audience: list[int] | tuple[int, ...]) -> StatusFacts:
    """A post's facts as the home feed stores them (feed_post: visibility, addressed audience)."""
    return StatusFacts(id=int(post_id), author_id=int(author_id), visibility=visibility, audience_ids=tuple(audience))


def chunk_bounds() -> tuple[list[int], int, int]:
    """Where chunks end, by follower rank (1-based, in follower id order): the first chunk holds
    FEED_FANOUT_CHUNK followers (the first readers get the post soon), each next one twice the
    one before up to FEED_FANOUT_CHUNK_MAX, then chunks of that size: fewer chunks, so less of
    the per-chunk overhead (a transaction, the job row, the post's lock, the trim probe, a task
    message and a push), while a post's first chunks still run in parallel. Returns (the ranks
    that end the growing chunks, the rank after which chunks are FEED_FANOUT_CHUNK_MAX, that
    size). FEED_FANOUT_CHUNK_MAX at or below FEED_FANOUT_CHUNK: equal chunks."""
    first = max(1, int(settings.FEED_FANOUT_CHUNK))
    largest = max(first, int(settings.FEED_FANOUT_CHUNK_MAX))
    ends, size, end = [], first, 0
    while size < largest:
        end += size
        ends.append(end)
        size *= 2
    return ends, end, largest


def plan_chunk_jobs(post_id: int, author_id: int, event: tuple[object, int, str] | None = None) -> list[int]:
    """Cut the author's active followers into chunks (by follower id, sizes from `chunk_bounds`;
    the last chunk open-ended, so a follower who arrives meanwhile is covered) and write one
    `feed_fanout_job` row per chunk; returns the job ids (for the tasks to send). `event`: the
    post.created's (id, position, occurred_at), which each chunk's push names."""
    event_id, position, occurred_at = event or (None, None, None)
    ends, steady, size = chunk_bounds()
    return [
        r[0]
        for r in fetchall(
            "INSERT INTO feed_fanout_job (post_id, author_id, after_follower, upto_follower, created_at,"
            " event_id, event_position, occurred_at)"
            " SELECT %(post)s, %(author)s, coalesce(lag(b) OVER (ORDER BY b NULLS LAST), -1), b, now(),"
            " %(event)s, %(position)s, %(at)s FROM ("
            " SELECT follower_id AS b FROM (SELECT follower_id, row_number() OVER (ORDER BY follower_id) AS n"
            " FROM feed_follow WHERE followee_id = %(author)s AND active) s"
            " WHERE n = ANY(%(ends)s) OR (n > %(steady)s AND (n - %(steady)s) %% %(chunk)s = 0)"
            " UNION ALL SELECT NULL) bounds ORDER BY b NULLS LAST RETURNING id",
            {
                "post": post_id,
                "author": author_id,
                "ends": ends,
                "steady": steady,
                "chunk": size,
                "event": event_id,
                "position": position,
                "at": occurred_at,
            },
        )
    ]


def send_fanout_tasks(job_ids: list[int]) -> None:
    """One `feeds.fanout_chunk` task per job, confirms awaited together. A failure is logged and
    left to the stale-job sweep (the jobs are committed; their messages are what was lost)."""
    from socialapp.read.feeds.publish import publisher

    try:
        publisher().send(FANOUT_CHUNK_TASK, [[job_id] for job_id in job_ids])
    except Exception as exc:
        log.warning("fan-out: %d chunk tasks not confirmed (%s); the sweep resends them", len(job_ids), exc)


def resend_stale_jobs(older_than_seconds: float = 60.0) -> list[int]:
    """Jobs whose task message was lost (crash between commit and send): send them again.

    `created_at` is moved to now for the jobs resent (it means "last sent"), so that a backlog of
    slow chunk tasks is not multiplied by every sweep; jobs a task is running are skipped."""
    ids = [
        r[0]
        for r in fetchall(
            "UPDATE feed_fanout_job SET created_at = now() WHERE id IN (SELECT id FROM feed_fanout_job"
            " WHERE created_at < now() - %s * interval '1 second' ORDER BY id FOR UPDATE SKIP LOCKED) RETURNING id",
            [older_than_seconds],
        )
    ]
    send_fanout_tasks(sorted(ids))
    return ids


def fanout_status() -> dict[str, int]:
    """Chunk jobs waiting, and those of them older than FEED_FANOUT_STALE_SECONDS (lost messages
    the next sweep resends; a steady non-zero figure means the task workers or beat are down)."""
    pending, stale = fetchone(
        "SELECT count(*), count(*) FILTER (WHERE created_at < now() - %s * interval '1 second') FROM feed_fanout_job",
        [settings.FEED_FANOUT_STALE_SECONDS],
    )
    return {"fanout_jobs_pending": int(pending), "fanout_jobs_stale": int(stale)}
