from __future__ import annotations

from typing import Any

from django.db import connections

from socialapp.read.search import indexes
from socialapp.read.search.client import get_client


def visible_docs(kind: str) -> dict[str, dict[str, Any]]:
    """Every non-hidden document of `kind`, by id (after a refresh)."""
    indexes.refresh(kind)
    hits = get_client().search(
        index=indexes.read_alias(kind), query={"term": {"hidden": False}}, size=1000, sort=["_doc"]
    )["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def all_docs(kind: str) -> dict[str, dict[str, Any]]:
    indexes.refresh(kind)
    hits = get_client().search(index=indexes.read_alias(kind), size=1000, version=True)["hits"]["hits"]
    return {h["_id"]: {**h["_source"], "_version": h["_version"]} for h in hits}


def reset_state() -> None:
    """Forget everything the search projector did (state, tracking rows, indexes)."""
    with connections["read"].cursor() as cursor:
        cursor.execute(
            "DELETE FROM search_post; DELETE FROM search_user; DELETE FROM search_like; DELETE FROM search_hashtag;"
            " DELETE FROM search_comment;"
            " DELETE FROM search_pending"
        )
        cursor.execute("DELETE FROM projection_applied_event WHERE projector = 'search'")
    indexes.drop_all()
    indexes.ensure_indexes()


def snapshot() -> dict[str, dict[str, dict[str, Any]]]:
    return {kind: visible_docs(kind) for kind in indexes.KINDS}
