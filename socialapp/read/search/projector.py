"""The search projector: events -> search state (read DB, exactly once) -> Elasticsearch.

`apply` records the event and changes the state rows in one transaction on `read` (the base
class's guard), then flushes dirty rows to Elasticsearch. If Elasticsearch is down the flush
raises `SearchUnavailable` (transient): the pipeline retries the message with backoff; the retry
is a duplicate for the state (skipped) but its flush pushes what is still dirty, so nothing is
lost. Re-ordering is handled in the state: each field group keeps the aggregate version it came
from, deletion and deactivation are final, and counters are recomputed from per-row state
(likes per (post, user) with their version; tag counts from the posts), never incremented.

Lock order, always: one user row, then post rows by id, then hashtag rows by tag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Model
from django.db.models.expressions import RawSQL

from socialapp.events.projector import CheckReport, EventMessage, Projector, handles, register
from socialapp.read.search import sync
from socialapp.read.search.models import SearchHashtag, SearchLike, SearchPost, SearchUser

DB = "read"
# Set while a rebuild replays the log into shadow tables: their rows must not reach Elasticsearch
# before the switch (they are half-replayed and uncommitted); the rebuild pushes them afterwards.
_replaying: ContextVar[bool] = ContextVar("search_replaying", default=False)


def _locked(model: type[Model], pk: Any) -> Any:
    """The row, locked FOR UPDATE; created empty first if missing (one query when it exists)."""
    rows = model.objects.using(DB).select_for_update()
    row = rows.filter(pk=pk).first()
    if row is None:
        model.objects.using(DB).bulk_create([model(pk=pk)], ignore_conflicts=True)
        row = rows.get(pk=pk)
    return row


def _save(row: Any) -> None:
    """Save with a new document version taken from the sequence in the same UPDATE."""
    row.doc_version = RawSQL("nextval('search_doc_version_seq')", ())
    row.save(using=DB)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _visible_like_count(post_id: int) -> int:
    deactivated = SearchUser.objects.using(DB).filter(deactivated=True).values("user_id")
    return SearchLike.objects.using(DB).filter(post_id=post_id, liked=True).exclude(user_id__in=deactivated).count()


def _recount_likes(post: SearchPost) -> None:
    count = _visible_like_count(post.post_id)
    if count != post.like_count:
        post.like_count = count
        _save(post)


def recount_tags(tags: Iterable[str]) -> None:
    """Recompute each tag from the visible posts that carry it (after taking its row lock, so the
    count statement sees every transaction that recounted it before)."""
    for tag in sorted(set(tags)):
        row = _locked(SearchHashtag, tag)
        stats = (
            SearchPost.objects.using(DB)
            .filter(hashtags__contains=[tag], deleted=False, author_deactivated=False, created_at__isnull=False)
            .aggregate(n=Count("post_id"), last=Max("created_at"))
        )
        if (row.post_count, row.last_used_at) != (stats["n"], stats["last"]) or row.doc_version == 0:
            row.post_count, row.last_used_at = stats["n"], stats["last"]
            _save(row)


def _mentions(payload: dict[str, Any]) -> list[str]:
    return [str(m["username"]).lower() for m in payload.get("mentions") or [] if m.get("username")]


@register
class SearchProjector(Projector):
    name = "search"
    database = DB
    tables = ("search_post", "search_user", "search_like", "search_hashtag")

    # ------------------------------------------------------------------ delivery
    def apply(self, event: EventMessage) -> bool:
        applied = super().apply(event)
        if not _replaying.get():
            sync.flush()  # also after a duplicate: an earlier delivery may have failed to push
        return applied

    # ------------------------------------------------------------------ operations
    def rebuild_strategy(self) -> SearchRebuild:
        return SearchRebuild(self)

    def check(self) -> CheckReport:
        """Visible documents in Elasticsearch == visible rows of the search state (run it when the
        queue is drained: a change in flight shows up as lost or unexpected)."""
        from socialapp.read.search.rebuild import compare_with_state

        report = CheckReport(projector=self.name)
        for kind, (lost, unexpected, checked) in compare_with_state().items():
            report.lost += [f"{kind}:{key}" for key in lost]
            report.unexpected += [f"{kind}:{key}" for key in unexpected]
            report.checked += checked
        return report

    def apply_batch(self, events: Iterable[EventMessage]) -> int:
        """Apply many events, then push them in one set of bulk requests (rebuilds, benchmarks)."""
        applied = sum(1 for event in events if Projector.apply(self, event))
        sync.flush()
        return applied

    # ------------------------------------------------------------------ users
    @handles("user.registered")
    def on_registered(self, event: EventMessage) -> None:
        p = event.payload
        user = _locked(SearchUser, int(p["user_id"]))
        if user.username is None:
            user.username = p["username"]  # immutable: fill whatever the order
        if event.aggregate_version > user.version:
            user.display_name = p.get("display_name") or ""
            user.version = event.aggregate_version
        _save(user)

    @handles("profile.updated")
    def on_profile_updated(self, event: EventMessage) -> None:
        p = event.payload
        user = _locked(SearchUser, int(p["user_id"]))
        if event.aggregate_version > user.version:
            user.display_name = p.get("display_name") or ""
            user.version = event.aggregate_version
            _save(user)

    @handles("user.deactivated")
    def on_deactivated(self, event: EventMessage) -> None:
        p = event.payload
        user_id = int(p["user_id"])
        user = _locked(SearchUser, user_id)
        if user.username is None:
            user.username = p.get("username")
        user.deactivated = True
        user.version = max(user.version, event.aggregate_version)
        _save(user)
        authored = set(SearchPost.objects.using(DB).filter(author_id=user_id).values_list("post_id", flat=True))
        liked = set(SearchLike.objects.using(DB).filter(user_id=user_id).values_list("post_id", flat=True))
        tags: set[str] = set()
        for post in (
            SearchPost.objects.using(DB).select_for_update().filter(post_id__in=authored | liked).order_by("pk")
        ):
            changed = False
            if post.post_id in authored and not post.author_deactivated:
                post.author_deactivated = True
                tags.update(post.hashtags)
                changed = True
            count = _visible_like_count(post.post_id)
            if count != post.like_count:
                post.like_count = count
                changed = True
            if changed:
                _save(post)
        recount_tags(tags)

    # ------------------------------------------------------------------ posts
    def _post(self, post_id: int, author_id: int | None) -> tuple[SearchPost, SearchUser | None]:
        author = _locked(SearchUser, author_id) if author_id is not None else None
        return _locked(SearchPost, post_id), author

    @handles("post.created")
    def on_post_created(self, event: EventMessage) -> None:
        p = event.payload
        post, author = self._post(int(p["post_id"]), int(p["author_id"]))
        old_tags = list(post.hashtags)
        post.author_id = int(p["author_id"])
        post.author_username = p.get("author_username") or ""
        post.author_display_name = p.get("author_display_name") or ""
        post.created_at = _parse_time(p.get("created_at")) or _parse_time(event.occurred_at)
        if event.aggregate_version > post.version:
            post.body = p.get("body") or ""
            post.hashtags = [str(t).lower() for t in p.get("hashtags") or []]
            post.mentions = _mentions(p)
            post.version = event.aggregate_version
        post.author_deactivated = post.author_deactivated or bool(author and author.deactivated)
        _save(post)
        recount_tags([*old_tags, *post.hashtags])

    @handles("post.edited")
    def on_post_edited(self, event: EventMessage) -> None:
        p = event.payload
        post, author = self._post(int(p["post_id"]), int(p["author_id"]))
        if event.aggregate_version <= post.version:
            return  # older than what we hold
        old_tags = list(post.hashtags)
        post.author_id = post.author_id or int(p["author_id"])
        post.body = p.get("body") or ""
        post.hashtags = [str(t).lower() for t in p.get("hashtags") or []]
        post.mentions = _mentions(p)
        post.edited_at = _parse_time(p.get("edited_at"))
        post.version = event.aggregate_version
        post.author_deactivated = post.author_deactivated or bool(author and author.deactivated)
        _save(post)
        recount_tags([*old_tags, *post.hashtags])

    @handles("post.deleted")
    def on_post_deleted(self, event: EventMessage) -> None:
        p = event.payload
        post, _author = self._post(int(p["post_id"]), int(p["author_id"]))
        if post.deleted:
            return
        post.deleted = True  # final, whatever arrives later
        post.author_id = post.author_id or int(p["author_id"])
        post.version = max(post.version, event.aggregate_version)
        _save(post)
        recount_tags(post.hashtags)

    # ------------------------------------------------------------------ likes
    @handles("post.liked", "post.unliked")
    def on_like(self, event: EventMessage) -> None:
        p = event.payload
        post_id, user_id = int(p["post_id"]), int(p["user_id"])
        _locked(SearchUser, user_id)  # serialises with this user's deactivation
        post = _locked(SearchPost, post_id)
        SearchLike.objects.using(DB).bulk_create([SearchLike(post_id=post_id, user_id=user_id)], ignore_conflicts=True)
        like = SearchLike.objects.using(DB).select_for_update().get(post_id=post_id, user_id=user_id)
        if event.aggregate_version > like.version:
            like.liked = event.event_type == "post.liked"
            like.version = event.aggregate_version
            like.save(using=DB)
        _recount_likes(post)


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

        token = _replaying.set(True)
        try:
            result = SchemaSwapRebuild(self.projector).run(progress)
        finally:
            _replaying.reset(token)
        for kind in KINDS:
            rebuild_index(kind, progress=False)
        return {**result, "indexes": len(KINDS)}
