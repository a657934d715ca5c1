"""Rebuilding search without downtime.

`rebuild_index(kind)` builds a fresh index from the search state on the read database and swaps
the read alias to it in one `_aliases` call. Before copying, the new index joins the write
alias, so every live flush from then on writes to both indexes; a flush that resolved the write
alias earlier had already committed the state it pushes, so the copy (which starts later) reads
it. External versions make the overlap idempotent: whichever of copy and live write is newer
wins, in any order. After the swap a final flush pushes anything still dirty.

`replay_log()` rebuilds the search state itself from the event log (offline: stop the search
workers first), for when the state tables are lost or a projector bug corrupted them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from tqdm import tqdm

from socialapp.events.models import Event
from socialapp.events.projector import EventMessage, Projector
from socialapp.read.search import sync
from socialapp.read.search.client import get_client
from socialapp.read.search.indexes import KINDS, create_index, ensure_index, read_alias, write_alias

ProgressHook = Callable[[str], None]


def _chunks(kind: str, size: int) -> Iterator[list[Any]]:
    model = sync.KIND_MODELS[kind][0]
    qs = model.objects.using("read").filter(doc_version__gt=0).order_by("pk")
    last = None
    while True:
        page = qs.filter(pk__gt=last) if last is not None else qs
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def rebuild_index(kind: str, *, progress: bool = True, after_copy: ProgressHook | None = None) -> str:
    es = get_client()
    old = ensure_index(kind)
    old_indexes = sorted(es.indices.get_alias(name=read_alias(kind)))
    new = create_index(kind)
    es.indices.update_aliases(actions=[{"add": {"index": new, "alias": write_alias(kind)}}])
    model = sync.KIND_MODELS[kind][0]
    total = model.objects.using("read").filter(doc_version__gt=0).count()
    with tqdm(total=total, desc=f"rebuild {kind}", unit="doc", disable=not progress) as bar:
        for rows in _chunks(kind, settings.SEARCH_BULK_CHUNK):
            sync.bulk_write(kind, rows, targets=[new])
            bar.update(len(rows))
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


def replay_log(*, progress: bool = True, batch: int = 1000) -> int:
    """Recreate the search state from the event log (run with the search workers stopped)."""
    from socialapp.read.search.projector import SearchProjector

    projector = SearchProjector()
    with transaction.atomic(using="read"), connections["read"].cursor() as cursor:
        cursor.execute("TRUNCATE search_post, search_user, search_like, search_hashtag")
        cursor.execute("DELETE FROM projection_applied_event WHERE projector = %s", [projector.name])
    types = list(projector.event_types())
    events = Event.objects.using("default").filter(event_type__in=types).order_by("position")
    applied = 0
    with tqdm(total=events.count(), desc="replay log", unit="event", disable=not progress) as bar:
        for event in events.iterator(chunk_size=batch):
            applied += Projector.apply(projector, EventMessage.from_dict(event.as_message()))
            bar.update(1)
    return applied


def rebuild(kinds: list[str] | None = None, *, from_log: bool = False, progress: bool = True) -> dict[str, str]:
    if from_log:
        replay_log(progress=progress)
    return {kind: rebuild_index(kind, progress=progress) for kind in (kinds or list(KINDS))}
