"""The home-feed projector: fan-out on write, chunked, capped, hybrid for large accounts.

- `post.created`: the author's own feed gets the post at once (read-your-writes for the author).
  Authors with at most FEED_CELEBRITY_THRESHOLD followers are fanned out: inline with one
  set-based INSERT .. SELECT when they have at most FEED_FANOUT_CHUNK followers, otherwise as
  durable chunk jobs (`feed_fanout_job`, written in this transaction) that Celery tasks run
  after the commit, one chunk of followers each. Larger authors are not fanned out at all
  (`feed_post.fanned_out = false`); `selectors.home_feed` merges their posts at read time.
- feeds are capped at FEED_MAX_ENTRIES: the author's feed, follow merges and regeneration trim
  exactly, a fan-out trims each touched feed on about one insert in TRIM_EVERY (amortised);
- follow merges the followee's recent posts in, unfollow takes them out, a deleted post or a
  deactivated author leaves every feed, and an empty (or evicted) feed is regenerated on read.

Races are closed by locks: follow/unfollow lock the followee's `feed_author` row FOR UPDATE
and `post.created` FOR SHARE, so a follow either sees the post or the fan-out sees the edge;
a chunk locks its `feed_post` FOR SHARE and `post.deleted` FOR UPDATE, so a chunk never
re-adds a deleted post. Serving re-checks visibility on read_post all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction

from socialapp.events.projector import CheckReport, EventMessage, Projector, handles, register
from socialapp.events.rebuild import replay_check
from socialapp.read.common.sql import READ, execute, fetchall, fetchone, versioned_toggle

TABLES = ("feed_author", "feed_follow", "feed_post", "feed_entry", "feed_fanout_job")


def _lock_authors(user_ids: Iterable[int], mode: str = "UPDATE") -> dict[int, tuple[int, bool]]:
    ids = sorted(set(user_ids))
    execute(
        "INSERT INTO feed_author (user_id, follower_count, deactivated, has_unfanned)"
        " SELECT unnest(%s::bigint[]), 0, false, false"
        " ON CONFLICT (user_id) DO NOTHING",
        [ids],
    )
    rows = fetchall(
        f"SELECT user_id, follower_count, deactivated FROM feed_author WHERE user_id = ANY(%s)"
        f" ORDER BY user_id FOR {mode}",
        [ids],
    )
    return {r[0]: (r[1], r[2]) for r in rows}


# A fan-out trims each touched feed on about one insert in TRIM_EVERY (deterministically by
# reader and post), because trimming costs an index walk of the whole capped feed (~97% of the
# fan-out time when trimmed on every insert). A feed may so hold a few entries past the cap
# between trims; follow merges and regeneration trim exactly.
TRIM_EVERY = 16


def trim(reader_ids: list[int]) -> int:
    """Cut each given feed back to FEED_MAX_ENTRIES newest entries."""
    if not reader_ids:
        return 0
    return execute(
        "DELETE FROM feed_entry f USING (SELECT r.reader_id, c.post_id AS cutoff FROM unnest(%s::bigint[]) AS r(reader_id)"
        " CROSS JOIN LATERAL (SELECT post_id FROM feed_entry WHERE reader_id = r.reader_id"
        " ORDER BY post_id DESC OFFSET %s LIMIT 1) c) t WHERE f.reader_id = t.reader_id AND f.post_id <= t.cutoff",
        [reader_ids, settings.FEED_MAX_ENTRIES],
    )


def _due_for_trim(reader_ids: list[int], post_id: int) -> list[int]:
    mix = (post_id >> 12) + post_id
    return [r for r in reader_ids if (r * 40503 + mix) % TRIM_EVERY == 0]


def _fan_out_range(post_id: int, author_id: int, after: int | None, upto: int | None) -> int:
    """One set-based multi-row insert for the followers in (after, upto]; returns rows added."""
    rows = fetchall(
        "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT follower_id, %s, %s FROM feed_follow"
        " WHERE followee_id = %s AND active AND (%s::bigint IS NULL OR follower_id > %s)"
        " AND (%s::bigint IS NULL OR follower_id <= %s) ON CONFLICT DO NOTHING RETURNING reader_id",
        [post_id, author_id, author_id, after, after, upto, upto],
    )
    readers = [r[0] for r in rows]
    trim(_due_for_trim(readers, post_id))
    return len(readers)


def send_fanout_tasks(job_ids: list[int]) -> None:
    from socialapp.read.feeds.tasks import fanout_chunk

    for job_id in job_ids:
        fanout_chunk.delay(job_id)


def run_fanout_job(job_id: int) -> int:
    """Run one chunk; idempotent (the job row is consumed in the same transaction)."""
    with transaction.atomic(using=READ):
        job = fetchone(
            "SELECT post_id, author_id, after_follower, upto_follower FROM feed_fanout_job"
            " WHERE id = %s FOR UPDATE SKIP LOCKED",
            [job_id],
        )
        if job is None:
            return 0
        post_id, author_id, after, upto = job
        post = fetchone("SELECT deleted FROM feed_post WHERE post_id = %s FOR SHARE", [post_id])
        added = 0
        if post is not None and not post[0]:
            added = _fan_out_range(post_id, author_id, after, upto)
        execute("DELETE FROM feed_fanout_job WHERE id = %s", [job_id])
        return added


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


def regenerate(reader_id: int) -> int:
    """Rebuild a feed from the followees' recent fanned-out posts and the reader's own posts."""
    cap = settings.FEED_MAX_ENTRIES
    return execute(
        "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT %s, post_id, author_id FROM ("
        " SELECT p.post_id, p.author_id FROM (SELECT followee_id FROM feed_follow WHERE follower_id = %s AND active"
        "  UNION SELECT %s) a CROSS JOIN LATERAL (SELECT post_id, author_id FROM feed_post"
        "  WHERE author_id = a.followee_id AND NOT deleted AND (fanned_out OR author_id = %s)"
        "  ORDER BY post_id DESC LIMIT %s) p ORDER BY p.post_id DESC LIMIT %s) s ON CONFLICT DO NOTHING",
        [reader_id, reader_id, reader_id, reader_id, cap, cap],
    )


def ensure_feed(reader_id: int) -> bool:
    """Regenerate an empty or evicted feed; True if it did."""
    if fetchone("SELECT 1 FROM feed_entry WHERE reader_id = %s LIMIT 1", [reader_id]) is not None:
        return False
    with transaction.atomic(using=READ):
        regenerate(reader_id)
    return True


def evict(reader_ids: list[int]) -> int:
    """Drop feeds (e.g. of readers inactive for long); they come back on their next read."""
    return execute("DELETE FROM feed_entry WHERE reader_id = ANY(%s)", [reader_ids])


@contextmanager
def _dispatch_suspended(projector: Projector) -> Iterator[None]:
    """Chunk jobs written meanwhile stay in `feed_fanout_job`, unsent: a rebuild's or a check's
    replay writes them into a shadow or scratch schema, where no task could find them."""
    cls = type(projector)
    saved = cls.__dict__["dispatch"]
    cls.dispatch = staticmethod(lambda ids: None)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        cls.dispatch = saved  # type: ignore[attr-defined]


class _FeedRebuild:
    """The pipeline's schema-swap rebuild, minus task sends during the replay: chunk jobs
    replayed into the shadow tables are sent once they are the live ones."""

    def __init__(self, projector: Projector) -> None:
        from socialapp.events.rebuild import SchemaSwapRebuild

        self.projector = projector
        self.inner = SchemaSwapRebuild(projector)

    def run(self, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        with _dispatch_suspended(self.projector):
            result = self.inner.run(progress)
        result["fanout_jobs_sent"] = len(resend_stale_jobs(older_than_seconds=-1))
        return result


@register
class HomeFeedProjector(Projector):
    name = "home_feed"
    tables = TABLES
    # How chunk jobs leave this transaction; tests replace it to run chunks themselves.
    dispatch: Callable[[list[int]], None] = staticmethod(send_fanout_tasks)

    def rebuild_strategy(self) -> _FeedRebuild:
        return _FeedRebuild(self)

    def status(self) -> dict[str, int]:
        return fanout_status()

    def check(self) -> CheckReport:
        """Live feeds == a replay of the events they applied, chunk jobs included. Feeds are
        compared within the cap (amortised trimming leaves order-dependent tails beyond it);
        pending chunk jobs are not compared (their ids come from a sequence)."""

        def run_scratch_jobs() -> None:
            for (job_id,) in fetchall("SELECT id FROM feed_fanout_job ORDER BY id"):
                run_fanout_job(job_id)

        with _dispatch_suspended(self):
            return replay_check(
                self,
                compare={
                    "feed_entry": "SELECT reader_id, post_id, author_id FROM (SELECT *, row_number() OVER"
                    " (PARTITION BY reader_id ORDER BY post_id DESC) AS n FROM {schema}.feed_entry) s"
                    f" WHERE n <= {int(settings.FEED_MAX_ENTRIES)}",
                    "feed_fanout_job": "SELECT 1 WHERE false",
                },
                after_replay=run_scratch_jobs,
            )

    @handles("post.created")
    def post_created(self, event: EventMessage) -> None:
        p = event.payload
        post_id, author_id = int(p["post_id"]), int(p["author_id"])
        follower_count, deactivated = _lock_authors([author_id], "SHARE")[author_id]
        celebrity = follower_count > settings.FEED_CELEBRITY_THRESHOLD
        if not execute(
            "INSERT INTO feed_post (post_id, author_id, fanned_out, deleted) VALUES (%s, %s, %s, false)"
            " ON CONFLICT (post_id) DO NOTHING",
            [post_id, author_id, not celebrity],
        ):
            return  # a tombstone: the post was deleted before we saw it created
        if deactivated:
            return
        if celebrity:
            execute("UPDATE feed_author SET has_unfanned = true WHERE user_id = %s AND NOT has_unfanned", [author_id])
        execute(
            "INSERT INTO feed_entry (reader_id, post_id, author_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [author_id, post_id, author_id],
        )
        trim([author_id])
        if celebrity or follower_count == 0:
            return
        chunk = settings.FEED_FANOUT_CHUNK
        if follower_count <= chunk:
            _fan_out_range(post_id, author_id, None, None)
            return
        bounds = [
            r[0]
            for r in fetchall(
                "SELECT follower_id FROM (SELECT follower_id, row_number() OVER (ORDER BY follower_id) AS n"
                " FROM feed_follow WHERE followee_id = %s AND active) s WHERE n %% %s = 0 ORDER BY follower_id",
                [author_id, chunk],
            )
        ]
        edges = [None, *bounds, None]
        job_ids = [
            r[0]
            for r in fetchall(
                "INSERT INTO feed_fanout_job (post_id, author_id, after_follower, upto_follower, created_at)"
                " SELECT %s, %s, COALESCE(a, -1), b, now() FROM unnest(%s::bigint[], %s::bigint[]) AS t(a, b) RETURNING id",
                [post_id, author_id, edges[:-1], edges[1:]],
            )
        ]
        dispatch = type(self).dispatch
        transaction.on_commit(lambda: dispatch(job_ids), using=READ)

    @handles("post.deleted")
    def post_deleted(self, event: EventMessage) -> None:
        p = event.payload
        execute(
            "INSERT INTO feed_post (post_id, author_id, fanned_out, deleted) VALUES (%s, %s, true, true)"
            " ON CONFLICT (post_id) DO NOTHING",
            [p["post_id"], p["author_id"]],
        )
        fetchone("SELECT 1 FROM feed_post WHERE post_id = %s FOR UPDATE", [p["post_id"]])
        execute("UPDATE feed_post SET deleted = true WHERE post_id = %s", [p["post_id"]])
        execute("DELETE FROM feed_entry WHERE post_id = %s", [p["post_id"]])

    @handles("user.followed", "user.unfollowed")
    def follow(self, event: EventMessage) -> None:
        p = event.payload
        follower, followee = int(p["follower_id"]), int(p["followee_id"])
        state = _lock_authors([follower, followee])
        active = event.event_type == "user.followed" and not state[follower][1] and not state[followee][1]
        was_active = versioned_toggle(
            "feed_follow", {"followee_id": followee, "follower_id": follower}, event.aggregate_version, active=active
        )
        if was_active is None or was_active == active:
            return
        execute(
            "UPDATE feed_author SET follower_count = follower_count + %s WHERE user_id = %s",
            [1 if active else -1, followee],
        )
        if active:
            execute(
                "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT %s, post_id, author_id FROM feed_post"
                " WHERE author_id = %s AND fanned_out AND NOT deleted ORDER BY post_id DESC LIMIT %s"
                " ON CONFLICT DO NOTHING",
                [follower, followee, settings.FEED_MAX_ENTRIES],
            )
            trim([follower])
        else:
            execute("DELETE FROM feed_entry WHERE reader_id = %s AND author_id = %s", [follower, followee])

    @handles("user.deactivated")
    def deactivated(self, event: EventMessage) -> None:
        uid = int(event.payload["user_id"])
        if _lock_authors([uid])[uid][1]:
            return
        execute("UPDATE feed_author SET deactivated = true WHERE user_id = %s", [uid])
        followees = [
            r[0]
            for r in fetchall(
                "UPDATE feed_follow SET active = false WHERE follower_id = %s AND active RETURNING followee_id", [uid]
            )
        ]
        execute("UPDATE feed_author SET follower_count = follower_count - 1 WHERE user_id = ANY(%s)", [followees])
        execute("UPDATE feed_follow SET active = false WHERE followee_id = %s AND active", [uid])
        execute("UPDATE feed_author SET follower_count = 0 WHERE user_id = %s", [uid])
        execute("DELETE FROM feed_entry WHERE reader_id = %s", [uid])
        execute("DELETE FROM feed_entry WHERE post_id IN (SELECT post_id FROM feed_post WHERE author_id = %s)", [uid])
