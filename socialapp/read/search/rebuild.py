"""Rebuilding search without downtime.

`rebuild_index(kind)` builds a fresh index from the search state on the read database and swaps
the read alias to it in one `_aliases` call. Before copying, the new index joins the write
alias, so every live flush from then on writes to both indexes; a flush that resolved the write
alias earlier had already committed the state it pushes, so the copy (which starts later) reads
it. External versions make the overlap idempotent: whichever of copy and live write is newer
wins, in any order. After the swap a final flush pushes anything still dirty.

`rebuild_from_log()` first rebuilds the search state itself from the event log, live, through
the pipeline's SchemaSwapRebuild (for when the state is lost or a projector bug corrupted it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connections
from tqdm import tqdm

from socialapp.read.search import sync
from socialapp.read.search.client import get_client
from socialapp.read.search.indexes import KINDS, create_index, ensure_index, read_alias, write_alias

ProgressHook = Callable[[str], None]


def _chunks(kind: str, size: int) -> Iterator[list[sync.Doc]]:
    """Every written state row of `kind` as documents, in key order, `size` at a time."""
    after = None
    while True:
        docs = sync.read_docs(kind, after=after, limit=size)
        if not docs:
            return
        yield docs
        after = docs[-1][0] if kind == "hashtags" else int(docs[-1][0])


def rebuild_index(kind: str, *, progress: bool = True, after_copy: ProgressHook | None = None) -> str:
    es = get_client()
    old = ensure_index(kind)
    old_indexes = sorted(es.indices.get_alias(name=read_alias(kind)))
    new = create_index(kind)
    es.indices.update_aliases(actions=[{"add": {"index": new, "alias": write_alias(kind)}}])
    table, _pk, _type = sync.TABLES[kind]
    with connections["read"].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE doc_version > 0")
        total = cursor.fetchone()[0]
    with tqdm(total=total, desc=f"rebuild {kind}", unit="doc", disable=not progress) as bar:
        for docs in _chunks(kind, settings.SEARCH_BULK_CHUNK):
            sync.bulk_write(kind, docs, targets=[new])
            bar.update(len(docs))
    if after_copy:
        after_copy(new)
    actions: list[dict[str, Any]] = [{"add": {"index": new, "alias": read_alias(kind)}}]
    for index in old_indexes:
        actions.append({"remove": {"index": index, "alias": read_alias(kind)}})
        actions.append({"remove": {"index": index, "alias": write_alias(kind)}})
    es.indices.update_aliases(actions=actions)  # one atomic step
    sync.flush([kind])
    es.indices.refresh(index=new)
    for index in {old, *old_indexes} - {new}:
        es.options(ignore_status=404).indices.delete(index=index)
    return new


def compare_with_state() -> dict[str, tuple[list[str], list[str], int]]:
    """Per kind: (visible in the state but not in Elasticsearch, the reverse, rows checked)."""
    from elasticsearch import helpers

    get_client().indices.refresh(index=",".join(read_alias(k) for k in KINDS))
    out = {}
    for kind in KINDS:
        state = {key for docs in _chunks(kind, 5000) for key, _version, source in docs if not source["hidden"]}
        hits = helpers.scan(
            get_client(), index=read_alias(kind), query={"query": {"term": {"hidden": False}}}, _source=False
        )
        indexed = {hit["_id"] for hit in hits}
        out[kind] = (sorted(state - indexed), sorted(indexed - state), len(state))
    return out


def rebuild(kinds: list[str] | None = None, *, progress: bool = True) -> dict[str, str]:
    return {kind: rebuild_index(kind, progress=progress) for kind in (kinds or list(KINDS))}


def rebuild_from_log(*, progress: bool = True) -> dict[str, int]:
    """The state from the event log, live (see SearchRebuild), then every index."""
    from socialapp.events.log import handled_count
    from socialapp.read.search.projector import SearchProjector

    projector = SearchProjector()
    with tqdm(
        total=handled_count(projector.event_types()), desc="replay log", unit="event", disable=not progress
    ) as bar:
        return projector.rebuild_strategy().run(progress=bar.update)
