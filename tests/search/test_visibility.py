"""Search documents carry `visibility` and `author_id`, so that the one rule's Elasticsearch
filter (socialapp.read.common.visibility.search_filter) works; an index built by the previous
mapping gets the new field in place and keeps accepting writes."""

from __future__ import annotations

import random

import pytest

from socialapp.read.common.visibility import Relations, search_filter
from socialapp.read.search import indexes
from socialapp.read.search.client import get_client, index_name
from socialapp.read.search.projector import SearchProjector

from . import factory as f
from .helpers import reset_state, visible_docs

pytestmark = pytest.mark.django_db(databases=["default", "read"])

VISIBILITIES = {101: "public", 102: "unlisted", 103: "followers", 104: "direct", 105: None}


def events() -> list:
    out = [f.registered(1, "alice"), f.registered(2, "bob")]
    for i, (pid, vis) in enumerate(VISIBILITIES.items()):
        out.append(f.post_created(pid, 1 + i % 2, "alice" if i % 2 == 0 else "bob", f"post {pid}", visibility=vis))
    out.append(f.post_edited(103, 1, "post 103 edited", version=2, visibility="followers"))
    return out


def _hits(viewer: Relations | None) -> set[str]:
    indexes.refresh("posts")
    query = {"bool": {"filter": [{"term": {"hidden": False}}, *search_filter(viewer)]}}
    hits = get_client().search(index=indexes.read_alias("posts"), query=query, size=100)["hits"]["hits"]
    return {h["_id"] for h in hits}


def test_documents_carry_visibility_and_author_in_any_order(projector: SearchProjector) -> None:
    evs = events()
    for e in evs:
        projector.apply(e)
    docs = visible_docs("posts")
    assert {k: (v["visibility"], v["author_id"]) for k, v in docs.items()} == {
        "101": ("public", 1),
        "102": ("unlisted", 2),
        "103": ("followers", 1),
        "104": ("direct", 2),
        "105": ("public", 1),  # an event from before issue 15
    }
    for seed in (1, 2):
        reset_state()
        shuffled = evs + evs[2:]
        random.Random(seed).shuffle(shuffled)
        projector.apply_batch(shuffled)
        assert visible_docs("posts") == docs, seed


def test_the_rules_filter_finds_public_posts_and_the_viewers_own(projector: SearchProjector) -> None:
    for e in events():
        projector.apply(e)
    assert _hits(None) == {"101", "105"}
    assert _hits(Relations(user_id=1)) == {"101", "103", "105"}
    assert _hits(Relations(user_id=2)) == {"101", "102", "104", "105"}
    assert _hits(Relations(user_id=3, blocked_by=frozenset({1}))) == set()


def test_an_index_of_the_previous_mapping_gets_the_field_and_keeps_accepting_writes(
    search_indexes: None, projector: SearchProjector
) -> None:
    es = get_client()
    indexes.drop_all()
    old = {**indexes.MAPPINGS["posts"], "_meta": {"schema_version": 1}}
    old["properties"] = {k: v for k, v in old["properties"].items() if k != "visibility"}
    name = index_name("posts-1")
    es.indices.create(index=name, settings=indexes.index_settings(), mappings=old)
    es.indices.update_aliases(
        actions=[
            {"add": {"index": name, "alias": indexes.read_alias("posts")}},
            {"add": {"index": name, "alias": indexes.write_alias("posts")}},
        ]
    )
    indexes.ensure_indexes()  # what `search init` and the worker run
    assert es.indices.get_mapping(index=name)[name]["mappings"]["properties"]["visibility"] == {"type": "keyword"}
    assert indexes.outdated("posts")  # older documents lack the field until `search rebuild`
    projector.apply(f.registered(1, "alice"))
    projector.apply(f.post_created(101, 1, "alice", "still indexed", visibility="followers"))
    assert visible_docs("posts")["101"]["visibility"] == "followers"


def test_only_public_posts_count_towards_a_hashtag(projector: SearchProjector) -> None:
    """A hashtag's count is public: a followers-only, unlisted or direct post must not reveal
    itself through it, in any order of arrival (and deleting it takes nothing away)."""
    from socialapp.read.common.sql import fetchall

    evs = [f.registered(1, "alice")]
    for pid, vis in VISIBILITIES.items():
        evs.append(f.post_created(pid, 1, "alice", f"about #secret{pid} and #shared", visibility=vis))
    evs.append(f.post_deleted(103, 1, version=2))
    for seed in (0, 1, 2):
        reset_state()
        shuffled = list(evs)
        random.Random(seed).shuffle(shuffled)
        projector.apply_batch(shuffled)
        counts = dict(fetchall("SELECT tag, post_count FROM search_hashtag WHERE post_count > 0"))
        assert counts == {"secret101": 1, "secret105": 1, "shared": 2}, seed
