"""Index definitions (mappings and settings in code), versioned indexes behind aliases.

Each kind (posts, users, hashtags) has a concrete index `<prefix>-<kind>-<stamp>` and two
aliases: `<prefix>-<kind>` (read: exactly one index) and `<prefix>-<kind>-write` (one index,
two during a rebuild). Writers resolve the write alias on every flush and write to every index
behind it, which is how a rebuild loses no live update. Only server-built-in analysis is used
(the `standard` analyzer, `keyword`): folding happens in Python (see folding.py), so the
stripped integ-test distribution and the full image behave the same.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from elasticsearch import NotFoundError

from socialapp.read.search.client import get_client, index_name

KINDS = ("posts", "users", "hashtags")
# 2: posts carry `visibility` (issue 15). 3: posts carry `body_stemmed`, `language`, `has`,
# `is_reply`, `sensitive`, `comment_count`, `engagement` and prefix-indexed `body_folded` (issue
# 18). An older live index gets new fields added in place (`ensure_index`: adding a field to a
# mapping is allowed), so live writes keep working; its older documents lack them until
# `search rebuild` (which `search init` asks for: `outdated`).
SCHEMA_VERSION = 3

_HIDDEN = {"hidden": {"type": "boolean"}}

MAPPINGS: dict[str, dict[str, Any]] = {
    "posts": {
        "dynamic": "strict",
        "_meta": {"schema_version": SCHEMA_VERSION},
        "properties": {
            **_HIDDEN,
            "post_id": {"type": "long"},
            "author_id": {"type": "long"},
            "author_username": {"type": "keyword"},  # lower-cased
            "author_display_name": {"type": "keyword", "index": False},
            "body": {"type": "text", "index": False},  # shown, never searched
            # Prefixes of 2-5 characters are indexed too: the last word of a query is a prefix.
            "body_folded": {
                "type": "text",
                "analyzer": "standard",
                "index_prefixes": {"min_chars": 2, "max_chars": 5},
            },
            # Folded Snowball stems of the body's words in `language` (language.py).
            "body_stemmed": {"type": "text", "analyzer": "standard"},
            "language": {"type": "keyword"},  # ISO 639-1: the client's, detected or the default
            "has": {"type": "keyword"},  # subset of hashtag, mention, link (`has:` operator)
            "is_reply": {"type": "boolean"},  # false: comments (replies) aren't indexed yet
            "sensitive": {"type": "boolean"},
            "comment_count": {"type": "integer"},
            "engagement": {"type": "integer"},  # like_count + 2 * comment_count (ranking)
            "hashtags": {"type": "keyword"},
            "mentions": {"type": "keyword"},
            "created_at": {"type": "date"},
            "like_count": {"type": "integer"},
            "visibility": {"type": "keyword"},  # public, unlisted, followers, direct
        },
    },
    "users": {
        "dynamic": "strict",
        "_meta": {"schema_version": SCHEMA_VERSION},
        "properties": {
            **_HIDDEN,
            "user_id": {"type": "long"},
            "username": {"type": "keyword", "index": False},
            "username_folded": {"type": "keyword"},
            "display_name": {"type": "keyword", "index": False},
            "display_name_folded": {"type": "text", "analyzer": "standard"},
        },
    },
    "hashtags": {
        "dynamic": "strict",
        "_meta": {"schema_version": SCHEMA_VERSION},
        "properties": {
            **_HIDDEN,
            "tag": {"type": "keyword"},
            "post_count": {"type": "integer"},
            "last_used_at": {"type": "date"},
        },
    },
}


def mappings(kind: str) -> dict[str, Any]:
    return MAPPINGS[kind]


def index_settings() -> dict[str, Any]:
    return {
        "number_of_shards": settings.SEARCH_INDEX_SHARDS,
        "number_of_replicas": settings.SEARCH_INDEX_REPLICAS,
        "refresh_interval": settings.SEARCH_REFRESH_INTERVAL,
        # We never delete documents (tombstones instead), so this only bounds stray deletes.
        "gc_deletes": settings.SEARCH_GC_DELETES,
        "max_result_window": 10000,
    }


def read_alias(kind: str) -> str:
    return index_name(kind)


def write_alias(kind: str) -> str:
    return index_name(f"{kind}-write")


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown search index {kind!r}; one of {', '.join(KINDS)}")


def create_index(kind: str) -> str:
    """A fresh concrete index for `kind`, not yet behind any alias."""
    _check(kind)
    name = index_name(f"{kind}-{time.time_ns() // 1000}")
    get_client().indices.create(index=name, settings=index_settings(), mappings=mappings(kind))
    return name


def ensure_index(kind: str) -> str:
    """Create the index and both aliases if the read alias is missing; returns the live index."""
    _check(kind)
    es = get_client()
    try:
        live = next(iter(es.indices.get_alias(name=read_alias(kind))))
    except NotFoundError:
        pass
    else:
        add_missing_fields(kind)
        return live
    name = create_index(kind)
    actions = [
        {"add": {"index": name, "alias": read_alias(kind)}},
        {"add": {"index": name, "alias": write_alias(kind)}},
    ]
    try:
        es.indices.update_aliases(actions=actions)
    except Exception:
        es.options(ignore_status=404).indices.delete(index=name)
        raise
    return name


def add_missing_fields(kind: str) -> None:
    """Add the fields of the current mapping that the indexes behind the write alias lack (new
    fields only; `_meta` is left alone, so `outdated` still asks for a rebuild, which fills
    them in older documents). A strict mapping would otherwise refuse every new document."""
    es = get_client()
    wanted = mappings(kind)["properties"]
    try:
        current = es.indices.get_mapping(index=write_alias(kind))
    except NotFoundError:
        return
    for name, body in current.items():
        have = body["mappings"].get("properties", {})
        missing = {field: spec for field, spec in wanted.items() if field not in have}
        if missing:
            es.indices.put_mapping(index=name, properties=missing)


def ensure_indexes() -> dict[str, str]:
    return {kind: ensure_index(kind) for kind in KINDS}


def outdated(kind: str) -> bool:
    """True when the live index was made by an older mapping: `search rebuild` fixes it."""
    es = get_client()
    current = es.indices.get_mapping(index=read_alias(kind))
    meta = next(iter(current.values()))["mappings"].get("_meta", {})
    wanted = mappings(kind)["_meta"]
    return meta.get("schema_version") != wanted.get("schema_version")


def write_targets(kind: str) -> list[str]:
    try:
        return sorted(get_client().indices.get_alias(name=write_alias(kind)))
    except NotFoundError:
        return [ensure_index(kind)]


def drop_all() -> None:
    """Tests only: remove every index of this prefix."""
    get_client().options(ignore_status=404).indices.delete(
        index=f"{settings.ELASTICSEARCH_INDEX_PREFIX}-*", expand_wildcards="all"
    )


def refresh(kind: str | None = None) -> None:
    kinds = [kind] if kind else list(KINDS)
    get_client().indices.refresh(index=",".join(read_alias(k) for k in kinds))
