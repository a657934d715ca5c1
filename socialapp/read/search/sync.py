"""Pushing search state to Elasticsearch: bulk writes with external versions.

A flush sends every row whose `doc_version` Elasticsearch has not acknowledged yet, to every
index behind the kind's write alias, with `version_type=external`: an older snapshot can never
overwrite a newer document (a 409 means "already newer" and counts as done). Hidden things
(deleted posts, deactivated users and their posts, incomplete placeholders, unused tags) are
written as tombstones, never deleted, so their version outlives `index.gc_deletes` and a late
write of older content cannot resurrect them.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import F, Model
from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError, helpers

from socialapp.read.search.client import get_client
from socialapp.read.search.folding import fold
from socialapp.read.search.indexes import write_alias, write_targets
from socialapp.read.search.models import SearchHashtag, SearchPost, SearchUser

try:  # the pipeline's transient-error contract (socialapp.events.projector.TransientError)
    from socialapp.events.projector import TransientError as _Transient
except ImportError:  # pragma: no cover - older projector base without it
    _Transient = ConnectionError  # type: ignore[misc,assignment]


class SearchUnavailable(_Transient, ConnectionError):  # type: ignore[misc]
    """Elasticsearch is unreachable, overloaded or timing out: transient, retry with backoff.

    A TransientError for the pipeline (retried with backoff, never dead-lettered) and a built-in
    ConnectionError for anything else.
    """


log = logging.getLogger(__name__)


class SearchIndexingError(RuntimeError):
    """Elasticsearch refused documents for a reason retrying will not fix (mapping, bad data)."""


@dataclass(frozen=True)
class Rejected:
    """One document Elasticsearch refused for good (a bulk item's 4xx other than 409 and 429)."""

    kind: str
    key: str
    reason: str


def post_doc(row: SearchPost) -> dict[str, Any]:
    if row.created_at is None or row.deleted or row.author_deactivated:
        return {"hidden": True, "post_id": row.post_id}
    return {
        "hidden": False,
        "post_id": row.post_id,
        "author_id": row.author_id,
        "author_username": row.author_username.lower(),
        "author_display_name": row.author_display_name,
        "body": row.body,
        "body_folded": fold(row.body),
        "hashtags": list(row.hashtags),
        "mentions": list(row.mentions),
        "created_at": row.created_at.isoformat(),
        "like_count": row.like_count,
    }


def user_doc(row: SearchUser) -> dict[str, Any]:
    if row.username is None or row.deactivated:
        return {"hidden": True, "user_id": row.user_id}
    return {
        "hidden": False,
        "user_id": row.user_id,
        "username": row.username,
        "username_folded": fold(row.username),
        "display_name": row.display_name,
        "display_name_folded": fold(row.display_name),
    }


def hashtag_doc(row: SearchHashtag) -> dict[str, Any]:
    if row.post_count <= 0:
        return {"hidden": True, "tag": row.tag}
    return {
        "hidden": False,
        "tag": row.tag,
        "post_count": row.post_count,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
    }


KIND_MODELS: dict[str, tuple[type[Model], Any, str]] = {
    "posts": (SearchPost, post_doc, "bigint"),
    "users": (SearchUser, user_doc, "bigint"),
    "hashtags": (SearchHashtag, hashtag_doc, "text"),
}


def _actions(kind: str, rows: Iterable[Any], targets: list[str]) -> Iterable[dict[str, Any]]:
    _model, make_doc, _pk_type = KIND_MODELS[kind]
    for row in rows:
        source = make_doc(row)
        for target in targets:
            yield {
                "_op_type": "index",
                "_index": target,
                "_id": str(row.pk),
                "version": row.doc_version,
                "version_type": "external",
                "_source": source,
            }


def bulk_write(kind: str, rows: list[Any], targets: list[str] | None = None) -> None:
    """Write `rows` as documents; a version conflict is success (Elasticsearch holds newer)."""
    bulk_write_many({kind: rows}, {kind: targets} if targets else None)


def bulk_write_many(
    batches: dict[str, list[Any]],
    targets: dict[str, list[str]] | None = None,
    *,
    rejected: list[Rejected] | None = None,
) -> None:
    """One bulk request (per SEARCH_BULK_CHUNK actions) for the rows of several kinds.

    Documents refused for good raise SearchIndexingError, or, when `rejected` is given, are
    appended to it (the others were written: bulk items succeed or fail one by one)."""
    batches = {kind: rows for kind, rows in batches.items() if rows}
    if not batches:
        return
    try:
        targets = targets or write_targets_many(list(batches))
        actions = itertools.chain.from_iterable(_actions(kind, rows, targets[kind]) for kind, rows in batches.items())
        _ok, errors = helpers.bulk(
            get_client(),
            actions,
            chunk_size=settings.SEARCH_BULK_CHUNK,
            raise_on_error=False,
            stats_only=False,
        )
    except (TransportError, ApiError) as exc:
        if isinstance(exc, ApiError) and exc.meta.status < 500 and exc.meta.status != 429:
            raise SearchIndexingError(str(exc)) from exc
        raise SearchUnavailable(f"elasticsearch: {exc}") from exc
    failed = [e for e in errors if next(iter(e.values())).get("status") != 409]
    if failed:
        statuses = {next(iter(e.values())).get("status") for e in failed}
        if statuses & {429, 500, 502, 503, 504}:
            raise SearchUnavailable(f"elasticsearch refused {len(failed)} documents: {failed[:1]}")
        if rejected is None:
            raise SearchIndexingError(f"elasticsearch refused {len(failed)} documents: {failed[:3]}")
        kind_of = {index: kind for kind, indexes in targets.items() for index in indexes}
        seen = set()
        for error in failed:
            item = next(iter(error.values()))
            cause = item.get("error") or {}
            reason = f"{cause.get('type', item.get('status'))}: {cause.get('reason', '')}"[:1000]
            found = Rejected(kind_of.get(item.get("_index"), "?"), str(item.get("_id")), reason)
            if (found.kind, found.key) not in seen:  # one per document, not per index behind the alias
                seen.add((found.kind, found.key))
                rejected.append(found)


def write_targets_many(kinds: list[str]) -> dict[str, list[str]]:
    """The indexes behind each kind's write alias, in one request (creating missing ones)."""
    aliases = {write_alias(kind): kind for kind in kinds}
    try:
        found = get_client().indices.get_alias(name=",".join(aliases))
    except NotFoundError:
        return {kind: write_targets(kind) for kind in kinds}
    out: dict[str, list[str]] = {kind: [] for kind in kinds}
    for index, body in found.items():
        for alias in body.get("aliases", {}):
            if alias in aliases:
                out[aliases[alias]].append(index)
    return {kind: sorted(indexes) or write_targets(kind) for kind, indexes in out.items()}


def _mark_synced(kind: str, rows: list[Any]) -> None:
    model, _make_doc, pk_type = KIND_MODELS[kind]
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connections["read"].cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET synced_version = v.ver"
            f" FROM unnest(%s::{pk_type}[], %s::bigint[]) AS v(id, ver)"
            f" WHERE t.{pk} = v.id AND t.synced_version < v.ver",
            [[r.pk for r in rows], [r.doc_version for r in rows]],
        )


def flush(
    kinds: Iterable[str] = ("posts", "users", "hashtags"),
    *,
    max_rounds: int = 100,
    rejected: list[Rejected] | None = None,
) -> int:
    """Push every unacknowledged change; returns how many documents were sent.

    Safe to run anywhere, any number of times, concurrently: versions make it idempotent.
    Rows are read before the write aliases are resolved (the rebuild relies on that order).
    Raises SearchUnavailable when Elasticsearch cannot take the writes (the rows stay dirty).

    A document Elasticsearch refuses for good (a mapping error) raises SearchIndexingError, or,
    when `rejected` is given, is quarantined: appended there, logged, and its row marked synced
    like the others, so that one bad document never stalls the rest (a later change of the row
    pushes it again; after fixing the cause, `search rebuild` re-sends everything).
    """
    sent = 0
    chunk = settings.SEARCH_BULK_CHUNK
    kinds = list(kinds)
    for _ in range(max_rounds):
        batches = {
            kind: list(
                KIND_MODELS[kind][0]
                .objects.using("read")
                .filter(synced_version__lt=F("doc_version"))
                .order_by("doc_version")[:chunk]
            )
            for kind in kinds
        }
        batches = {kind: rows for kind, rows in batches.items() if rows}
        if not batches:
            break
        refused: list[Rejected] = []
        bulk_write_many(batches, rejected=None if rejected is None else refused)
        for item in refused:
            log.error("search: %s document %s rejected by Elasticsearch, quarantined: %s", *vars(item).values())
        if rejected is not None:
            rejected += refused
        for kind, rows in batches.items():
            _mark_synced(kind, rows)
            sent += len(rows)
        kinds = [kind for kind, rows in batches.items() if len(rows) == chunk]
        if not kinds:
            break
    return sent
