"""Rebuilding the home feeds from the log (`projections rebuild home_feed`), set-based.

The pipeline's schema-swap rebuild (socialapp.events.rebuild) replays every event through the
projector; for home feeds that means inserting every fan-out row of the whole history and
trimming most of them again. Here the bulk of the log is folded in SQL into the projector's
bookkeeping tables (socialapp.read.feeds.fold), or, for an event type the fold does not know,
replayed with the fan-out deferred (`deferring_fanout`: the projector keeps authors, follows and
posts and writes no feed row); then every feed is built at once by regeneration's rule
(`materialise_feeds`), then the catch-up and the switch apply events as live workers do.
docs/feeds.md, "Rebuild and check".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections
from django.utils import timezone

from socialapp.events.log import EventMessage, log_head
from socialapp.events.rebuild import ProjectorLike, SchemaSwapRebuild
from socialapp.read.common.sql import READ, execute, fetchall
from socialapp.read.feeds.fold import FOLDED, fold
from socialapp.read.feeds.jobs import resend_stale_jobs
from socialapp.read.feeds.maintenance import trim

# True while a rebuild replays the log in bulk (`FeedRebuild`): handlers keep the bookkeeping
# tables (authors, follows, posts) and write no feed row; `materialise_feeds()` then builds every
# feed at once. A context variable, so a live apply in another thread is never deferred.
_deferred: ContextVar[bool] = ContextVar("home_feed_deferred_fanout", default=False)


def deferred_fanout() -> bool:
    return _deferred.get()


@contextmanager
def deferring_fanout() -> Iterator[None]:
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


# One reader's feed by regeneration's rule, among the posts at or above `floor` (NULL: all); the
# posts addressed to readers are added after (`_MATERIALISE_ADDRESSED`).
_FEED_OF_READER = (
    "SELECT c.post_id, c.author_id FROM (SELECT f.followee_id AS a FROM feed_follow f"
    " WHERE f.follower_id = {reader} AND f.active UNION ALL SELECT {reader}) s"
    " CROSS JOIN LATERAL (SELECT post_id, author_id FROM feed_post WHERE author_id = s.a AND NOT deleted"
    " AND (author_id = {reader} OR (fanned_out AND visibility <> 'direct'))"
    " AND ({floor} IS NULL OR post_id >= {floor})"
    " ORDER BY post_id DESC LIMIT %(cap)s) c ORDER BY c.post_id DESC LIMIT %(cap)s"
)
# Every feed at once, each read from a bounded range of post ids: a reader whose followees
# wrote `total` posts over the id range [lo, hi] is given the floor that keeps about
# FLOOR_MARGIN x cap of them if posting were even in time, so the per-followee index scans stop
# there instead of reading up to the cap from every followee. The readers for whom that range
# held fewer than the cap come back (their feed may be short of older posts): done again unbounded.
FLOOR_MARGIN = 2.0
_MATERIALISE_BOUNDED = (
    "WITH counts AS (SELECT author_id, count(*) AS n FROM feed_post WHERE NOT deleted GROUP BY author_id),"
    " span AS (SELECT min(post_id) AS lo, max(post_id) AS hi FROM feed_post),"
    " totals AS (SELECT s.reader, sum(c.n) AS total FROM (SELECT follower_id AS reader, followee_id AS a"
    "  FROM feed_follow WHERE active UNION ALL SELECT user_id, user_id FROM feed_author) s"
    "  JOIN counts c ON c.author_id = s.a GROUP BY s.reader),"
    " bounded AS (SELECT r.user_id, CASE WHEN t.total > %(margin)s * %(cap)s"
    "  THEN span.hi - ((span.hi - span.lo) * (%(margin)s * %(cap)s / t.total))::bigint END AS floor"
    "  FROM feed_author r JOIN totals t ON t.reader = r.user_id CROSS JOIN span WHERE NOT r.deactivated"
    "  AND mod(r.user_id, %(parts)s) = %(part)s),"
    " added AS (INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT b.user_id, p.post_id, p.author_id"
    f"  FROM bounded b CROSS JOIN LATERAL ({_FEED_OF_READER.format(reader='b.user_id', floor='b.floor')}) p"
    "  RETURNING reader_id)"
    " SELECT b.user_id FROM bounded b LEFT JOIN (SELECT reader_id, count(*) AS n FROM added GROUP BY reader_id) a"
    " ON a.reader_id = b.user_id WHERE b.floor IS NOT NULL AND coalesce(a.n, 0) < %(cap)s"
)
# The posts addressed to each reader (a `followers` or `direct` post that mentions them), whether
# or not they follow its author, for every reader with a feed; the feeds they were added to are
# then trimmed back to the cap exactly.
_MATERIALISE_ADDRESSED = (
    "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT r.user_id, p.post_id, p.author_id"
    " FROM feed_post p CROSS JOIN LATERAL unnest(p.audience_ids) AS a(reader)"
    " JOIN feed_author r ON r.user_id = a.reader AND NOT r.deactivated"
    " WHERE NOT p.deleted AND p.visibility IN ('followers', 'direct')"
    " ON CONFLICT DO NOTHING RETURNING reader_id"
)
_MATERIALISE_AGAIN = (
    "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT r.user_id, p.post_id, p.author_id"
    " FROM unnest(%(readers)s::bigint[]) AS r(user_id)"
    f" CROSS JOIN LATERAL ({_FEED_OF_READER.format(reader='r.user_id', floor='NULL::bigint')}) p"
)


def materialise_feeds(within: Callable[[], AbstractContextManager[None]], workers: int = 1) -> int:
    """Every feed as a regeneration builds it (maintenance.regenerate, for all readers at once):
    the newest FEED_MAX_ENTRIES of the reader's own posts, the fanned-out posts of the accounts
    they follow (never a `direct` one) and the posts addressed to them, not deleted; no feed for
    a deactivated reader. That is what applying the log
    one event at a time gives within the cap: a follow merges the followee's newest posts up to
    the cap, later posts are fanned out, unfollows, deletions and deactivations take theirs out,
    and trims keep the newest. Returns the readers whose bounded read fell short (done again).

    Each step runs in a transaction of its own, `within()` (the shadow's): the indexes dropped,
    the readers filled in `workers` parts at once (by user id modulo, one connection and
    transaction each, in threads: the statement is one backend's work, and the machine has
    more cores), the indexes built again, the addressed posts added."""
    with within():
        dropped = _drop_indexes("feed_entry")
    parts = max(1, workers)
    if parts == 1:
        short = _fill_part(within, 0, 1)
    else:
        with ThreadPoolExecutor(parts, thread_name_prefix="feed-rebuild") as pool:
            short = sum(pool.map(lambda part: _in_thread(_fill_part, within, part, parts), range(parts)), 0)
    with within():
        _build_indexes(dropped)
    with within():
        trim(sorted({r[0] for r in fetchall(_MATERIALISE_ADDRESSED)}))
    return short


def _fill_part(within: Callable[[], AbstractContextManager[None]], part: int, parts: int) -> int:
    """The feeds of the readers whose id is `part` modulo `parts`; how many were short."""
    params = {"cap": int(settings.FEED_MAX_ENTRIES), "margin": FLOOR_MARGIN, "part": part, "parts": parts}
    with within():
        execute("SET LOCAL jit TO off")  # compiling took longer than it saved (EXPLAIN ANALYZE)
        execute("SET LOCAL work_mem TO '256MB'")
        short = [r[0] for r in fetchall(_MATERIALISE_BOUNDED, params)]
        if short:
            execute("DELETE FROM feed_entry WHERE reader_id = ANY(%s)", [short])
            execute(_MATERIALISE_AGAIN, {**params, "readers": short})
    return len(short)


def _in_thread(work: Callable[..., int], *args: object) -> int:
    """`work` on this thread's own connection, closed after."""
    try:
        return work(*args)
    finally:
        connections[READ].close()


@contextmanager
def indexes_built_after(*tables: str) -> Iterator[None]:
    """Empty tables (the rebuild's shadow) filled without their indexes, which are built again
    afterwards, with the same names and definitions: one sort per index instead of an insert
    into a random leaf page per row (measured: most of the time of filling every feed, and of
    writing the tracking rows of a folded replay). The rows written inside must be distinct
    where an index is unique (the build fails, and the rebuild with it, if they are not). A table
    that is not empty is filled with its indexes in place."""
    dropped = _drop_indexes(*tables)
    yield
    _build_indexes(dropped)


Dropped = list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]]


def _drop_indexes(*tables: str) -> Dropped:
    """Drop the unique constraints and indexes of those tables that are empty; what they were."""
    dropped: Dropped = []
    for table in tables:
        if fetchall(f"SELECT 1 FROM {table} LIMIT 1"):
            continue
        constraints = fetchall(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY conname",
            [table],
        )
        indexes = fetchall(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = %s::regclass"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
            [table],
        )
        for name, _ in constraints:
            execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            execute(f"DROP INDEX {_qualified_index(table, name)}")
        dropped.append((table, constraints, indexes))
    return dropped


def _build_indexes(dropped: Dropped) -> None:
    execute("SET LOCAL maintenance_work_mem TO '256MB'")
    for table, constraints, indexes in dropped:
        for name, definition in constraints:
            execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            execute(definition)


def _qualified_index(table: str, name: str) -> str:
    """The index `name` of the `table` that the search path finds (the shadow's, in a rebuild)."""
    schema = fetchall("SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = %s::regclass", [table])[0][0]
    return f'{schema}."{name}"'


class FeedRebuild(SchemaSwapRebuild):
    """The pipeline's schema-swap rebuild, with the bulk of the log folded in SQL (`fold`) or
    replayed set-based with its fan-out deferred (in batches of the log reader's size, this
    projector's `handle`): either keeps authors, follows and posts, then every feed is built at
    once by `materialise_feeds` (rows written once, never inserted and trimmed again). The catch-up and
    the switch then apply events one batch at a time as live workers do (chunk jobs written, not
    sent: `replaying`); after the switch the pending chunk jobs are sent, now that they are live."""

    def __init__(self, projector: ProjectorLike, *, fold: bool | None = None) -> None:
        super().__init__(projector)
        # The replay folded in SQL (socialapp.read.feeds.fold) unless the projector handles an
        # event type the fold does not implement; `fold=False`: event by event (the fold's oracle).
        self.folding = set(projector.event_types()) <= FOLDED if fold is None else fold
        self.bulk = True
        # (event id, position) of every event the event-by-event bulk replay applied: their
        # tracking rows are written once, by COPY, before the feeds are built (`catch_up`).
        self.replayed: list[tuple[object, int]] = []
        self.started = time.perf_counter()
        self.phases_ms: dict[str, int] = {}

    def replay(self, progress: Callable[[int], None] | None = None) -> tuple[int, int]:
        """The bulk replay: the log up to its head now folded into the shadow's bookkeeping
        tables and tracking rows in one transaction (`fold`), or else event by event."""
        if not self.folding:
            return super().replay(progress)
        upto = log_head()
        tables = ("feed_author", "feed_follow", "feed_post", "projection_applied_event")
        with self.copies.within():
            with indexes_built_after(*tables):
                count = fold(self.projector.name, self.projector.event_types(), upto)
            execute(f"ANALYZE {', '.join(tables)}")  # fresh tables: plans for building the feeds
        if progress:
            progress(count)
        return count, upto

    def apply_to_shadow(self, events: list[EventMessage]) -> int:
        """In bulk: the batch straight through the projector's `handle`, with no tracking row and
        no advisory lock per batch. The bulk replay reads each event of the log once, in order,
        into empty shadow tables, so every event is new (nothing to deduplicate); the shadow is
        not live, and an interrupted rebuild starts again from fresh copies (`prepare`), so the
        tracking rows can be written later, all at once, before anything reads them (the
        catch-up's `missing_from_shadow` and the switch). Commits without waiting for the WAL
        flush for the same reason: a crash loses only shadow work a rerun redoes."""
        if not self.bulk:
            return super().apply_to_shadow(events)
        handlers = self.projector.handlers  # type: ignore[attr-defined]
        todo = [e for e in events if e.event_type in handlers]
        if todo:
            with deferring_fanout(), self.copies.within():
                self.copies.query("SET LOCAL synchronous_commit TO off")
                self.projector.handle(todo)  # type: ignore[attr-defined]
            self.replayed += [(e.event_id, e.position) for e in todo]
        return len(todo)

    def _record_replayed(self) -> None:
        """The bulk replay's tracking rows, one COPY (inside `copies.within()`: the shadow's table)."""
        connection = connections[self.db]
        connection.ensure_connection()
        name = self.projector.name
        with (
            connection.connection.cursor() as cursor,
            cursor.copy("COPY projection_applied_event (projector, event_id, position, applied_at) FROM STDIN") as copy,
        ):
            now = timezone.now()
            for event_id, position in self.replayed:
                copy.write_row((name, event_id, position, now))
        self.replayed = []

    def catch_up(self, after: int) -> tuple[int, int]:
        if self.bulk:
            self.bulk = False
            self.phases_ms["replay"] = _ms_since(self.started)
            began = time.perf_counter()
            if self.replayed:
                with self.copies.within():
                    self._record_replayed()
            materialise_feeds(self.copies.within, settings.FEED_REBUILD_WORKERS)
            self.phases_ms["materialise"] = _ms_since(began)
        began = time.perf_counter()
        try:
            return super().catch_up(after)
        finally:
            self.phases_ms["catch_up"] = _ms_since(began)

    def run(self, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        """The rebuild; its result also says how long each phase took (`<phase>_ms`: the bulk
        replay, building the feeds, the catch-up, and the switch with the sends after it)."""
        self.started, self.phases_ms = time.perf_counter(), {}
        result = super().run(progress)
        result["fanout_jobs_sent"] = len(resend_stale_jobs(older_than_seconds=-1))
        done = sum(self.phases_ms.values())
        self.phases_ms["switch"] = _ms_since(self.started) - done
        return {**result, **{f"{phase}_ms": ms for phase, ms in self.phases_ms.items()}}


def _ms_since(began: float) -> int:
    return round((time.perf_counter() - began) * 1000)
