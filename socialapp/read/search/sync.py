"""Pushing search state to Elasticsearch: bulk writes with external versions.

A flush sends every document listed in `search_pending` (changed, not yet acknowledged), to
every index behind the kind's write alias, with `version_type=external`: an older snapshot can
never overwrite a newer document (a 409 means "already newer" and counts as done). Hidden
things (deleted posts, deactivated users and their posts, incomplete placeholders, unused tags)
are written as tombstones, never deleted, so their version outlives `index.gc_deletes` and a
late write of older content cannot resurrect them.

Per flush and kind, one statement reads the pending documents joined to their state rows, as
plain tuples already holding what the document needs (`hidden` computed in SQL, no query per
post); Python derives the text fields (documents.py: folding, language, stems) and orjson
encodes each source once into an NDJSON buffer sent as is; acknowledged
documents leave `search_pending` in one DELETE (the state rows are not written again).

Hashtag documents change with nearly every post (their counts), so they are not pushed with
every batch: `push_hashtags_if_due` sends them at most every SEARCH_HASHTAG_PUSH_SECONDS, from
the next batch or from the worker's timer (socialapp.read.search.timer), whichever comes first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import connections
from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError

from socialapp.events.projector import TransientError
from socialapp.read.search.client import get_client
from socialapp.read.search.documents import hashtag_document, post_document, prepare_posts, tombstone, user_document
from socialapp.read.search.indexes import write_alias, write_targets

log = logging.getLogger(__name__)

KINDS = ("posts", "users", "hashtags")


class SearchUnavailable(TransientError, ConnectionError):
    """Elasticsearch is unreachable, overloaded or timing out: transient, retry with backoff.

    A TransientError for the pipeline (retried with backoff, never dead-lettered) and a built-in
    ConnectionError for anything else.
    """


class SearchIndexingError(RuntimeError):
    """Elasticsearch refused documents for a reason retrying will not fix (mapping, bad data)."""


@dataclass(frozen=True)
class Rejected:
    """One document Elasticsearch refused for good (a bulk item's 4xx other than 409 and 429)."""

    kind: str
    key: str
    reason: str


#: A document as the flush sends it: (id, external version, source).
Doc = tuple[str, int, dict[str, Any]]

# What each kind's document needs, read straight from the state table `t`: id, version, hidden,
# then the fields. The flush reads pending documents with these columns, a rebuild copies with them.
_COLUMNS = {
    "posts": "t.post_id, t.doc_version, (t.created_at IS NULL OR t.deleted OR t.author_deactivated),"
    " t.author_id, t.author_username, t.author_display_name, t.body, t.hashtags, t.mentions, t.created_at,"
    " t.like_count, t.visibility, t.comment_count, t.language, t.sensitive",
    "users": "t.user_id, t.doc_version, (t.username IS NULL OR t.deactivated), t.username, t.display_name",
    "hashtags": "t.tag, t.doc_version, (t.post_count <= 0), t.post_count, t.last_used_at",
}
TABLES = {
    "posts": ("search_post", "post_id", "bigint"),
    "users": ("search_user", "user_id", "bigint"),
    "hashtags": ("search_hashtag", "tag", "text"),
}


def _pending_sql(kind: str) -> str:
    table, pk, pk_type = TABLES[kind]
    key = "p.key" if pk_type == "text" else f"p.key::{pk_type}"
    return (
        f"SELECT {_COLUMNS[kind]} FROM search_pending p JOIN {table} t ON t.{pk} = {key}"
        f" WHERE p.kind = '{kind}' LIMIT %s"
    )


_PENDING_SQL = {kind: _pending_sql(kind) for kind in KINDS}


def _post_source(r: tuple[Any, ...]) -> dict[str, Any]:
    if r[2]:
        return tombstone("posts", r[0])
    return post_document(
        post_id=r[0],
        author_id=r[3],
        author_username=r[4],
        author_display_name=r[5],
        body=r[6],
        hashtags=r[7],
        mentions=r[8],
        created_at=r[9],
        like_count=r[10],
        visibility=r[11],
        comment_count=r[12],
        language=r[13],
        sensitive=r[14],
    )


def _user_source(r: tuple[Any, ...]) -> dict[str, Any]:
    if r[2]:
        return tombstone("users", r[0])
    return user_document(user_id=r[0], username=r[3], display_name=r[4])


def _hashtag_source(r: tuple[Any, ...]) -> dict[str, Any]:
    if r[2]:
        return tombstone("hashtags", r[0])
    return hashtag_document(tag=r[0], post_count=r[3], last_used_at=r[4])


SHAPES = {"posts": _post_source, "users": _user_source, "hashtags": _hashtag_source}


def docs_from_rows(kind: str, rows: Iterable[tuple[Any, ...]]) -> list[Doc]:
    shape = SHAPES[kind]
    if kind == "posts":  # the visible posts' detections in one call (documents.prepare_posts)
        rows = list(rows)
        prepare_posts((r[6], r[13]) for r in rows if not r[2])
    return [(str(r[0]), r[1], shape(r)) for r in rows]


def read_docs(kind: str, *, keys: list[Any] | None = None, after: Any = None, limit: int | None = None) -> list[Doc]:
    """Documents of `kind` straight from the state: those with `keys`, or every written row
    (doc_version > 0) in key order after `after` (a rebuild's copy), up to `limit`."""
    table, pk, pk_type = TABLES[kind]
    sql = f"SELECT {_COLUMNS[kind]} FROM {table} t WHERE t.doc_version > 0"
    params: list[Any] = []
    if keys is not None:
        sql += f" AND t.{pk} = ANY(%s::{pk_type}[])"
        params.append(keys)
    if after is not None:
        sql += f" AND t.{pk} > %s"
        params.append(after)
    sql += f" ORDER BY t.{pk}"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connections["read"].cursor() as cursor:
        cursor.execute(sql, params)
        return docs_from_rows(kind, cursor.fetchall())


def mark_pending(kind: str, keys: list[Any] | None = None) -> int:
    """List documents as pending again (all of `kind`, or those with `keys`), e.g. after a state
    row was repaired by hand or a mapping fixed: the next flush re-sends them."""
    table, pk, pk_type = TABLES[kind]
    where = f" AND {pk} = ANY(%s::{pk_type}[])" if keys is not None else ""
    with connections["read"].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO search_pending (kind, key, doc_version) SELECT %s, {pk}::text, doc_version FROM {table}"
            f" WHERE doc_version > 0{where}"
            " ON CONFLICT (kind, key) DO UPDATE SET doc_version = EXCLUDED.doc_version",
            [kind] + ([keys] if keys is not None else []),
        )
        return cursor.rowcount


def pending_count(kinds: Iterable[str] = KINDS) -> int:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_pending WHERE kind = ANY(%s)", [list(kinds)])
        return cursor.fetchone()[0]


def _bulk_lines(docs: Iterable[tuple[Doc, list[str]]]) -> Iterator[bytes]:
    for (key, version, source), targets in docs:
        encoded = orjson.dumps(source)
        for target in targets:
            yield orjson.dumps(
                {"index": {"_index": target, "_id": key, "version": version, "version_type": "external"}}
            )
            yield encoded


def bulk_write(kind: str, docs: list[Doc], targets: list[str] | None = None) -> None:
    """Write `docs`; a version conflict is success (Elasticsearch holds newer)."""
    bulk_write_many({kind: docs}, {kind: targets} if targets else None)


_FILTER = "errors,items.*._index,items.*._id,items.*.status,items.*.error"


def bulk_write_many(
    batches: dict[str, list[Doc]],
    targets: dict[str, list[str]] | None = None,
    *,
    rejected: list[Rejected] | None = None,
) -> None:
    """Bulk requests of at most SEARCH_BULK_CHUNK documents each (every kind in the same
    requests: one request for a batch's posts, users and hashtags), every body one NDJSON buffer
    that orjson encoded (sent as is: the client serialises nothing).

    Documents refused for good raise SearchIndexingError, or, when `rejected` is given, are
    appended to it (the others were written: bulk items succeed or fail one by one)."""
    batches = {kind: docs for kind, docs in batches.items() if docs}
    if not batches:
        return
    errors: list[dict[str, Any]] = []
    try:
        targets = targets or write_targets_many(list(batches))
        client = get_client()
        chunk = settings.SEARCH_BULK_CHUNK
        every = [(doc, targets[kind]) for kind, docs in batches.items() for doc in docs]
        for i in range(0, len(every), chunk):
            body = b"\n".join(_bulk_lines(every[i : i + chunk])) + b"\n"
            response = client.bulk(operations=body, filter_path=_FILTER)
            if response.get("errors"):
                errors += [e for e in response["items"] if next(iter(e.values())).get("status", 200) >= 300]
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


def _mark_synced(batches: dict[str, list[Doc]]) -> None:
    """Acknowledged: the pending rows go (every kind in one statement), unless a newer change
    listed a newer version since.

    A row another transaction holds (an applying batch re-listing it: its upsert locks pending
    rows in an order of its own) is skipped, never waited for: the DELETE then takes part in no
    lock cycle (a deadlock was seen between the two), and that row, left listed, is pushed again
    by a later flush, which versions make harmless."""
    rows = [(kind, d[0], d[1]) for kind, docs in batches.items() for d in docs]
    with connections["read"].cursor() as cursor:
        cursor.execute(
            "DELETE FROM search_pending WHERE ctid = ANY(ARRAY(SELECT p.ctid FROM search_pending p"
            " JOIN unnest(%s::text[], %s::text[], %s::bigint[]) AS d(kind, key, ver)"
            " ON p.kind = d.kind AND p.key = d.key AND p.doc_version <= d.ver FOR UPDATE OF p SKIP LOCKED))",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )


def flush(
    kinds: Iterable[str] = KINDS,
    *,
    max_rounds: int = 100,
    rejected: list[Rejected] | None = None,
) -> int:
    """Push every pending document of `kinds`; returns how many documents were sent.

    Safe to run anywhere, any number of times, concurrently: versions make it idempotent.
    Documents are read before the write aliases are resolved (the rebuild relies on that order).
    Raises SearchUnavailable when Elasticsearch cannot take the writes (they stay pending).

    A document Elasticsearch refuses for good (a mapping error) raises SearchIndexingError, or,
    when `rejected` is given, is quarantined: appended there, logged, and no longer pending like
    the others, so that one bad document never stalls the rest (a later change of the row
    pushes it again; after fixing the cause, `search rebuild` re-sends everything).
    """
    sent = 0
    chunk = settings.SEARCH_BULK_CHUNK
    kinds = list(kinds)
    if "hashtags" in kinds:
        _hashtags.pushed_at = time.monotonic()
    for _ in range(max_rounds):
        batches: dict[str, list[Doc]] = {}
        with connections["read"].cursor() as cursor:
            for kind in kinds:
                cursor.execute(_PENDING_SQL[kind], [chunk])
                docs = docs_from_rows(kind, cursor.fetchall())
                if docs:
                    batches[kind] = docs
        if not batches:
            break
        refused: list[Rejected] = []
        bulk_write_many(batches, rejected=None if rejected is None else refused)
        for item in refused:
            log.error("search: %s document %s rejected by Elasticsearch, quarantined: %s", *vars(item).values())
        if rejected is not None:
            rejected += refused
        _mark_synced(batches)
        sent += sum(len(docs) for docs in batches.values())
        kinds = [kind for kind, docs in batches.items() if len(docs) == chunk]
        if not kinds:
            break
    return sent


class _HashtagClock:
    """When this process last pushed hashtag documents, and whether it left some waiting."""

    pushed_at = 0.0
    waiting = False


_hashtags = _HashtagClock()


def push_hashtags_if_due(*, rejected: list[Rejected] | None = None, now: float | None = None) -> int:
    """Push pending hashtag documents if the last push is old enough that waiting for the next
    tick could exceed SEARCH_HASHTAG_PUSH_SECONDS; otherwise leave them for the timer. Returns
    how many documents were sent."""
    return flush(["hashtags"], rejected=rejected) if hashtags_due(now) else 0


def hashtags_due(now: float | None = None) -> bool:
    """Whether pending hashtag documents should go now (else they are left for the timer)."""
    bound = settings.SEARCH_HASHTAG_PUSH_SECONDS
    now = time.monotonic() if now is None else now
    if bound > 0 and now - _hashtags.pushed_at < bound - tick_seconds():
        _hashtags.waiting = True
        return False
    _hashtags.waiting = False
    return True


def push_batch(rejected: list[Rejected]) -> int:
    """What a batch pushes: pending posts and users, and hashtags when due, in the same bulk
    requests (also after duplicates only: an earlier delivery may have failed to push)."""
    return flush(("posts", "users", "hashtags") if hashtags_due() else ("posts", "users"), rejected=rejected)


def push_waiting_hashtags() -> int:
    """The worker's timer: push hashtag documents a batch left waiting, once they are due."""
    if not _hashtags.waiting:
        return 0
    return push_hashtags_if_due()


def tick_seconds() -> float:
    """How often the worker's timer checks for waiting hashtag documents: a quarter of the bound,
    so that pushes are at most `bound` apart."""
    return settings.SEARCH_HASHTAG_PUSH_SECONDS / 4
