"""The search projector: events -> search state (read DB, exactly once) -> Elasticsearch.

`apply`/`apply_batch` record the events and change the state rows in one transaction on `read`
(the base class's guard), then `after_commit` flushes dirty rows to Elasticsearch in bulk. If
Elasticsearch is down the flush raises `SearchUnavailable` (transient): the pipeline retries the
messages with backoff; the retry is a duplicate for the state (skipped) but its flush pushes what
is still dirty, so nothing is lost. Workers hand it up to `batch_size` messages at a time, let
partial batches collect for `batch_wait_ms`, and call `apply_batch_overlapped`: the push then runs
on the pusher thread (pusher.py) while the worker applies the next batch, and the worker acks a
batch once its push returned.

Re-ordering is handled in the state: each field group keeps the aggregate version it came from,
deletion and deactivation are final and scrub: a hidden post keeps no body, tags, mentions or
edit time, a deactivated user no display name (`_scrub`, run by every handler that may write
content), so every order of the same events leaves the same state. Counters move by deltas computed from state transitions,
never from events: a post counts towards its tags while it is visible, a like towards its post
while it is liked and its user active. Each event is applied exactly once, so the deltas sum to
the same counts in any order (tests/search/test_projection.py checks it against a shuffle).

Lock order: user rows by id, then post rows by id, then hashtag rows by tag (a deactivation
locks the user's other posts after the batch's own: a rare deadlock between two workers is an
OperationalError, which the pipeline retries).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections

from socialapp.events.catalogue import EventType
from socialapp.events.projector import (
    CheckReport,
    EventMessage,
    Outcome,
    PermanentError,
    Projector,
    handles,
    register,
)
from socialapp.read.search import pusher, state, sync
from socialapp.read.search.models import SearchComment, SearchLike, SearchPost
from socialapp.read.search.state import POSTS, USERS, Row, Table

DB = "read"


class _Rows:
    """The rows one application (an event or a batch) touches: locked and loaded once (one
    statement per table), changed in memory by the handlers, written back once (one statement
    per table, which also lists the changed documents as pending)."""

    def __init__(self) -> None:
        self.loaded: dict[tuple[str, Any], Row] = {}
        self.dirty: dict[str, dict[Any, Row]] = {}  # table name -> key -> row
        self.tag_adds: dict[str, list[Any]] = {}  # tag -> [posts added, newest created_at]


_rows: ContextVar[_Rows | None] = ContextVar("search_rows", default=None)


def _current() -> _Rows:
    rows = _rows.get()
    if rows is None:
        raise RuntimeError("search state changed outside SearchProjector.handle")
    return rows


def _lock_many(table: Table, pks: Iterable[Any]) -> dict[Any, Row]:
    """The rows, locked FOR UPDATE in key order, blank in memory where missing (created at
    write-back); rows already loaded are reused, never re-read."""
    rows = _current()
    pks = [pk for pk in pks if pk is not None]
    wanted = [pk for pk in set(pks) if (table.name, pk) not in rows.loaded]
    for pk, row in state.load_locked(table, wanted).items():
        rows.loaded[(table.name, pk)] = row
    return {pk: rows.loaded[(table.name, pk)] for pk in pks}


def _locked(table: Table, pk: Any) -> Row:
    return _lock_many(table, [pk])[pk]


def _save(row: Row) -> None:
    """Mark the row changed: written back with a new document version at the end."""
    _current().dirty.setdefault(row._table.name, {})[row.pk] = row


def _write_back() -> None:
    """Write changed rows (each with a new `doc_version` from the sequence) and pending tag counts."""
    rows = _current()
    for table in (USERS, POSTS):  # lock order
        changed = rows.dirty.pop(table.name, {})
        state.write(table, (row for _pk, row in sorted(changed.items())))
    state.add_tags(rows.tag_adds)
    rows.tag_adds.clear()


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _counted_tags(post: Row) -> set[str]:
    """The tags this post counts towards: its own while it is live and public, none otherwise. A
    hashtag's count is shown to everyone, so a followers-only, unlisted or direct post must not
    move it (it would tell strangers that such a post exists); visibility never changes, so a
    post counts from its creation to its removal or never."""
    if post.created_at is None or post.deleted or post.author_deactivated or post.visibility != "public":
        return set()
    return set(post.hashtags)


def _tags_added(tags: Iterable[str], used_at: datetime) -> None:
    adds = _current().tag_adds
    for tag in tags:
        entry = adds.setdefault(tag, [0, used_at])
        entry[0] += 1
        entry[1] = max(entry[1], used_at)


def _tags_removed(counts: Counter[str], latest: datetime | None) -> None:
    """Take posts away from tags. `last_used_at` stays the newest counted post: it is recomputed
    only when a removed post may have been that newest one (rare: deleting the latest post)."""
    counts = Counter({tag: n for tag, n in counts.items() if n > 0})
    if not counts:
        return
    _write_back()  # the recount below reads posts, and pending additions must land first
    tags = sorted(counts)
    state.remove_tags(tags, [counts[t] for t in tags], latest)


def _retag(post: Row, before: set[str]) -> None:
    """Move tag counts from what the post counted towards (`before`) to what it counts now."""
    after = _counted_tags(post)
    if after - before:
        _tags_added(after - before, post.created_at)  # type: ignore[arg-type]  # visible: has one
    if before - after:
        _tags_removed(Counter(before - after), post.created_at)


def _take_content(post: Row, payload: dict[str, Any], version: int) -> None:
    """Body, tags, mentions, language and sensitivity of a post.created or post.edited at
    aggregate `version`. `language` is the client's (absent in events from before issue 18: ""),
    resolved when the document is built (documents.py); a value no language code can be (over 8
    characters) is treated as not given rather than failing the batch."""
    post.body = payload.get("body") or ""
    post.hashtags = [str(t).lower() for t in payload.get("hashtags") or []]
    post.mentions = [str(m["username"]).lower() for m in payload.get("mentions") or [] if m.get("username")]
    code = str(payload.get("language") or "").strip().lower()
    post.language = code if len(code) <= 8 else ""
    post.sensitive = bool(payload.get("sensitive"))
    post.version = version


def _scrub(post: Row) -> None:
    """A deleted post or one whose author is deactivated keeps no content (whatever the order)."""
    if post.deleted or post.author_deactivated:
        post.body, post.hashtags, post.mentions, post.edited_at = "", [], [], None
        post.language, post.sensitive = "", False


#: What the check compares of the state tables (their first column names the row in reports).
_STATE_COMPARED = {
    "search_post": "SELECT post_id, author_id, author_username, author_display_name, body, hashtags, mentions,"
    " created_at, edited_at, version, deleted, author_deactivated, like_count, visibility, language, sensitive,"
    " comment_count FROM {schema}.search_post",
    "search_user": "SELECT user_id, username, display_name, version, deactivated, suspended, suspension_version"
    " FROM {schema}.search_user",
    "search_like": "SELECT post_id, user_id, liked, version FROM {schema}.search_like",
    "search_comment": "SELECT comment_id, post_id, author_id, created, deleted FROM {schema}.search_comment",
    "search_hashtag": "SELECT tag, post_count, last_used_at FROM {schema}.search_hashtag WHERE post_count > 0",
    # What Elasticsearch has not acknowledged yet: push state, not derived from the events.
    "search_pending": "SELECT kind, key FROM {schema}.search_pending WHERE false",
}


@register
class SearchProjector(Projector):
    name = "search"
    database = DB
    tables = ("search_post", "search_user", "search_like", "search_comment", "search_hashtag", "search_pending")

    @property
    def batch_size(self) -> int:  # type: ignore[override]
        return settings.SEARCH_BATCH_SIZE

    @property
    def batch_wait_ms(self) -> int:
        """How long the worker lets a partial batch collect before applying it (0: as soon as
        the broker's socket is empty). Under a steady stream this turns one commit and one bulk
        request per event or two into one per SEARCH_BATCH_WAIT_MS; the refresh interval (1 s)
        dwarfs the wait in commit-to-searchable."""
        return settings.SEARCH_BATCH_WAIT_MS

    # ------------------------------------------------------------------ delivery
    def handle(self, events: Sequence[EventMessage]) -> None:
        """Lock every user, then every post, the events name (one statement each, in key order),
        run the handlers on those rows in memory, write the changed ones back once."""
        users: set[int] = set()
        posts: set[int] = set()
        for event in events:
            p = event.payload
            users.update(int(p[key]) for key in ("user_id", "author_id") if p.get(key) is not None)
            if p.get("post_id") is not None:
                posts.add(int(p["post_id"]))
        token = _rows.set(_Rows())
        try:
            _lock_many(USERS, users)
            _lock_many(POSTS, posts)
            super().handle(events)
            _write_back()
        finally:
            _rows.reset(token)

    def after_commit(self) -> None:
        # While replaying (a rebuild's shadow, a check's scratch copy), the rows must not reach
        # Elasticsearch: they are not the live state; the rebuild pushes them after its switch.
        if not self.replaying:
            self.after_commit_batch(())

    def after_commit_batch(self, events: Sequence[EventMessage]) -> dict[Any, PermanentError]:
        """Push pending posts and users (also after duplicates only: an earlier delivery may have
        failed to push), and hashtags if due (sync.push_hashtags_if_due; the worker's timer
        pushes them otherwise). A document Elasticsearch refuses for good is quarantined
        (sync.flush) and the events of this batch that changed it are refused, so the worker
        dead-letters just those, with the reason, while the rest of the batch flows on."""
        if self.replaying:
            return {}
        rejected: list[sync.Rejected] = []
        sync.push_batch(rejected)
        return _refusals(rejected, events)[0]

    @property
    def apply_batch_overlapped(self) -> Callable[[Sequence[EventMessage]], tuple[list[Outcome], OverlappedPush]] | None:
        """What the worker calls instead of `apply_batch` (below), None when SEARCH_OVERLAP_PUSHES
        is off (then every batch waits for its own push, as `apply_batch` does)."""
        return self._apply_batch_overlapped if settings.SEARCH_OVERLAP_PUSHES else None

    def _apply_batch_overlapped(self, events: Sequence[EventMessage]) -> tuple[list[Outcome], OverlappedPush]:
        """The worker's form of `apply_batch` (socialapp.events.worker): the state is committed
        exactly as there, but the push is only started, on the pusher thread (pusher.py), so
        that it overlaps the worker's next batch; the worker settles this batch's messages once
        `OverlappedPush.result()` returned, and redoes the batch with `apply_batch` (duplicates
        for the state, a synchronous push with retries) if it raised."""
        outcomes = self.apply_outcomes(events)
        return outcomes, OverlappedPush(self, events, pusher.submit())

    _carried: list[sync.Rejected] = []  # refusals of the last overlapped push no event of its batch made

    # ------------------------------------------------------------------ operations
    def status(self) -> dict[str, int]:
        """`projections status`: documents Elasticsearch has not acknowledged yet, per kind
        (hashtags wait up to SEARCH_HASHTAG_PUSH_SECONDS by design; a growing figure means
        Elasticsearch is refusing or unreachable)."""
        return {f"pending {kind}": sync.pending_count([kind]) for kind in sync.KINDS}

    def rebuild_strategy(self) -> SearchRebuild:
        return SearchRebuild(self)

    def check(self) -> CheckReport:
        """The state tables == a replay of the events applied, every handled event of the log
        applied (socialapp.events.rebuild.replay_check; document versions, which come from a
        sequence, and unused tags are not compared), and the visible documents in Elasticsearch
        == the visible rows of the state. Run it when the queue is drained: a change in flight
        shows up as lost or unexpected."""
        from socialapp.events.rebuild import replay_check
        from socialapp.read.search.rebuild import compare_with_state

        report = replay_check(self, compare=_STATE_COMPARED)  # replays with `replaying` set: no push
        for kind, (lost, unexpected, checked) in compare_with_state().items():
            report.lost += [f"{kind}:{key}" for key in lost]
            report.unexpected += [f"{kind}:{key}" for key in unexpected]
            report.checked += checked
        return report

    # ------------------------------------------------------------------ users
    @handles(EventType.USER_REGISTERED)
    def on_registered(self, event: EventMessage) -> None:
        p = event.payload
        user = _locked(USERS, int(p["user_id"]))
        if user.username is None:
            user.username = p["username"]  # immutable: fill whatever the order
            _save(user)
        if event.aggregate_version > user.version and not user.deactivated:
            user.display_name = p.get("display_name") or ""
            user.version = event.aggregate_version
            _save(user)

    @handles(EventType.PROFILE_UPDATED)
    def on_profile_updated(self, event: EventMessage) -> None:
        p = event.payload
        user = _locked(USERS, int(p["user_id"]))
        if event.aggregate_version > user.version and not user.deactivated:
            user.display_name = p.get("display_name") or ""
            user.version = event.aggregate_version
            _save(user)

    @handles(EventType.USER_DEACTIVATED)
    def on_deactivated(self, event: EventMessage) -> None:
        p = event.payload
        user_id = int(p["user_id"])
        user = _locked(USERS, user_id)
        if user.username is None:
            user.username = p.get("username")
        user.version = max(user.version, event.aggregate_version)
        already = user.deactivated
        user.deactivated = True  # final
        user.display_name = ""  # scrubbed: hidden for good
        _save(user)
        if already:
            return  # its posts and likes were taken away when it happened
        _write_back()  # posts created earlier in this batch must be in the table to be found
        liked = set(SearchLike.objects.using(DB).filter(user_id=user_id, liked=True).values_list("post_id", flat=True))
        authored = set(SearchPost.objects.using(DB).filter(author_id=user_id).values_list("post_id", flat=True))
        commented = Counter(  # the user's comments that count, per post: they stop counting
            SearchComment.objects.using(DB)
            .filter(author_id=user_id, created=True, deleted=False)
            .values_list("post_id", flat=True)
        )
        removed: Counter[str] = Counter()
        latest: datetime | None = None
        for _pk, post in sorted(_lock_many(POSTS, authored | liked | set(commented)).items()):
            before = _counted_tags(post)
            if post.author_id == user_id:
                post.author_deactivated = True
                _scrub(post)
            if post.post_id in liked:
                post.like_count = max(0, post.like_count - 1)
            if post.post_id in commented:
                post.comment_count = max(0, post.comment_count - commented[post.post_id])
            _save(post)
            for tag in before - _counted_tags(post):
                removed[tag] += 1
            if before and post.created_at and (latest is None or post.created_at > latest):
                latest = post.created_at
        _tags_removed(removed, latest)

    @handles(EventType.USER_SUSPENDED, EventType.USER_UNSUSPENDED)
    def on_suspension(self, event: EventMessage) -> None:
        """A flag the queries filter on (socialapp.read.search.selectors); documents, like and
        tag counts stay as they are, so lifting the suspension restores exactly."""
        user = _locked(USERS, int(event.payload["user_id"]))
        if event.aggregate_version > user.suspension_version:
            user.suspended = event.event_type == EventType.USER_SUSPENDED
            user.suspension_version = event.aggregate_version
            _save(user)

    # ------------------------------------------------------------------ posts
    def _post(self, post_id: int, author_id: int | None) -> tuple[Row, Row | None]:
        author = _locked(USERS, author_id) if author_id is not None else None
        return _locked(POSTS, post_id), author

    @handles(EventType.POST_CREATED)
    def on_post_created(self, event: EventMessage) -> None:
        p = event.payload
        post, author = self._post(int(p["post_id"]), int(p["author_id"]))
        before = _counted_tags(post)
        post.author_id = int(p["author_id"])
        post.author_username = p.get("author_username") or ""
        post.author_display_name = p.get("author_display_name") or ""
        post.created_at = _parse_time(p.get("created_at")) or _parse_time(event.occurred_at)
        post.visibility = p.get("visibility") or "public"  # fixed at creation: whatever the order
        if event.aggregate_version > post.version:
            _take_content(post, p, event.aggregate_version)
        post.author_deactivated = post.author_deactivated or bool(author and author.deactivated)
        _scrub(post)
        _save(post)
        _retag(post, before)

    @handles(EventType.POST_EDITED)
    def on_post_edited(self, event: EventMessage) -> None:
        p = event.payload
        post, author = self._post(int(p["post_id"]), int(p["author_id"]))
        if event.aggregate_version <= post.version:
            return  # older than what we hold
        before = _counted_tags(post)
        post.author_id = post.author_id or int(p["author_id"])
        if "visibility" in p:  # post.created's value again (it never changes): any order agrees
            post.visibility = p["visibility"]
        _take_content(post, p, event.aggregate_version)
        post.edited_at = _parse_time(p.get("edited_at"))
        post.author_deactivated = post.author_deactivated or bool(author and author.deactivated)
        _scrub(post)
        _save(post)
        _retag(post, before)

    @handles(EventType.POST_DELETED)
    def on_post_deleted(self, event: EventMessage) -> None:
        p = event.payload
        post, _author = self._post(int(p["post_id"]), int(p["author_id"]))
        if post.deleted:
            return
        before = _counted_tags(post)
        post.deleted = True  # final, whatever arrives later
        post.author_id = post.author_id or int(p["author_id"])
        post.version = max(post.version, event.aggregate_version)
        _scrub(post)
        _save(post)
        _retag(post, before)

    # ------------------------------------------------------------------ likes
    @handles(EventType.POST_LIKED, EventType.POST_UNLIKED)
    def on_like(self, event: EventMessage) -> None:
        p = event.payload
        post_id, user_id = int(p["post_id"]), int(p["user_id"])
        user = _locked(USERS, user_id)  # serialises with this user's deactivation
        post = _locked(POSTS, post_id)
        with connections[DB].cursor() as cursor:
            cursor.execute(
                "INSERT INTO search_like (post_id, user_id, liked, version) VALUES (%s, %s, false, 0)"
                " ON CONFLICT (post_id, user_id) DO UPDATE SET liked = search_like.liked"
                " RETURNING id, liked, version",
                [post_id, user_id],
            )
            like_id, was_liked, version = cursor.fetchone()
            if event.aggregate_version <= version:
                return  # older than what we hold
            liked = event.event_type == EventType.POST_LIKED
            cursor.execute(
                "UPDATE search_like SET liked = %s, version = %s WHERE id = %s",
                [liked, event.aggregate_version, like_id],
            )
        if liked != was_liked and not user.deactivated:  # a deactivated user's likes count for nothing
            post.like_count = max(0, post.like_count + (1 if liked else -1))
            _save(post)

    # ------------------------------------------------------------------ comments
    @handles(EventType.COMMENT_CREATED, EventType.COMMENT_DELETED)
    def on_comment(self, event: EventMessage) -> None:
        """Comment counts by state transition (SearchComment): a comment counts while created,
        not deleted and its author active, so the count moves only when a comment enters or
        leaves that state, never per event. Creation and deletion are final flags, so any order
        (a deletion before its creation included) ends in the same count. A deleted post keeps
        its count (its document is a tombstone; its comments die with it without events, as in
        the feeds' read_post.comment_count). comment.edited changes nothing search holds."""
        p = event.payload
        post_id, comment_id = int(p["post_id"]), int(p["comment_id"])
        author_id = int(p["author_id"]) if p.get("author_id") is not None else None
        author = _locked(USERS, author_id) if author_id is not None else None  # vs. its deactivation
        post = _locked(POSTS, post_id)
        creating = event.event_type == EventType.COMMENT_CREATED
        with connections[DB].cursor() as cursor:
            # One statement in the common case (the creation seen first): insert the row as this
            # event leaves it; on a conflict the no-op update locks the existing row and returns
            # its flags (`xmax = 0` only for a row this statement inserted).
            cursor.execute(
                "INSERT INTO search_comment AS c (comment_id, post_id, author_id, created, deleted)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (comment_id) DO UPDATE SET post_id = c.post_id"
                " RETURNING created, deleted, author_id, xmax = 0",
                [comment_id, post_id, author_id, creating, not creating],
            )
            was_created, was_deleted, known_author, inserted = cursor.fetchone()
            if inserted:
                was_created = was_deleted = False
            now_created, now_deleted = was_created or creating, was_deleted or not creating
            if not inserted and ((now_created, now_deleted) != (was_created, was_deleted) or known_author is None):
                cursor.execute(
                    "UPDATE search_comment SET created = %s, deleted = %s, author_id = COALESCE(author_id, %s)"
                    " WHERE comment_id = %s",
                    [now_created, now_deleted, author_id, comment_id],
                )
        counted_before = was_created and not was_deleted
        counted_now = now_created and not now_deleted
        if counted_before != counted_now and not (author is not None and author.deactivated):
            post.comment_count = max(0, post.comment_count + (1 if counted_now else -1))
            _save(post)


class OverlappedPush:
    """A batch's push running on the pusher thread; `result()` waits for it and names the events
    whose documents Elasticsearch refused for good.

    A push sends everything pending when it starts, which may include documents of the batch
    applied after it (committed before the push read them). A refusal no event of its own batch
    explains is therefore carried to the next push's result, and dropped after that one: the
    next batch is the only other one that can have made it. Results are taken in order (the
    worker's one thread), so the carry needs no lock."""

    def __init__(self, projector: SearchProjector, events: Sequence[EventMessage], future: Future[Any]) -> None:
        self.projector, self.events, self.future = projector, events, future

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> dict[Any, PermanentError]:
        rejected = self.future.result()
        refused, unmatched = _refusals([*SearchProjector._carried, *rejected], self.events)
        SearchProjector._carried = [item for item in unmatched if item in rejected]
        return refused


def _refusals(
    rejected: Iterable[sync.Rejected], events: Sequence[EventMessage]
) -> tuple[dict[Any, PermanentError], list[sync.Rejected]]:
    """The events whose documents were refused (with the reason), and the refusals none explains."""
    refused: dict[Any, PermanentError] = {}
    unmatched: list[sync.Rejected] = []
    for item in rejected:
        found = False
        for event in events:
            if (item.kind, item.key) in _documents_of(event):
                found = True
                refused[event.event_id] = PermanentError(
                    f"elasticsearch rejected {item.kind} document {item.key}: {item.reason}"
                )
        if not found:
            unmatched.append(item)
    return refused, unmatched


def _documents_of(event: EventMessage) -> set[tuple[str, str]]:
    """The documents (kind, id) an event changes directly: a post event's or a like's or a
    comment's post, a user event's user, the hashtags of a post event (a deactivation's cascade
    to the user's posts, likes and comments is not listed: those documents are quarantined
    without refusing the event)."""
    p = event.payload
    docs = set()
    if p.get("post_id") is not None:
        docs.add(("posts", str(p["post_id"])))
    for key in ("user_id", "author_id"):
        if p.get(key) is not None and event.event_type.startswith(("user.", "profile.")):
            docs.add(("users", str(p[key])))
    for tag in p.get("hashtags") or []:
        docs.add(("hashtags", str(tag).lower()))
    return docs


class SearchRebuild:
    """`projections rebuild search` / `search rebuild --from-log`: the state tables from the log
    while live events keep flowing (the pipeline's SchemaSwapRebuild), then fresh indexes from
    that state behind atomically swapped aliases (socialapp.read.search.rebuild)."""

    def __init__(self, projector: SearchProjector) -> None:
        self.projector = projector

    def run(self, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        from socialapp.events.rebuild import SchemaSwapRebuild
        from socialapp.read.search.indexes import KINDS
        from socialapp.read.search.rebuild import rebuild_index

        result = SchemaSwapRebuild(self.projector).run(progress)  # replays with `replaying` set: no push
        for kind in KINDS:
            rebuild_index(kind, progress=False)
        return {**result, "indexes": len(KINDS)}
