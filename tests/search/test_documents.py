"""The posts documents of issue 18 against the real Elasticsearch: language (client-given,
detected, default), Python stems, `has` facets, sensitivity, comment counts and engagement; the
state they come from (scrubbed when hidden, exactly-once comment counts in any order); and an
index of the previous mapping reported outdated until `search rebuild`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from socialapp.read.common.sql import execute, fetchall
from socialapp.read.search import documents, indexes, language
from socialapp.read.search.client import get_client, index_name
from socialapp.read.search.folding import fold
from socialapp.read.search.projector import SearchProjector

from . import factory as f
from .helpers import all_docs, reset_state, visible_docs

pytestmark = pytest.mark.django_db(databases=["default", "read"])

ENGLISH = "The children were running with their dogs and jumping over the fences in the gardens"
GERMAN = "Die Kinder spielten gestern mit ihren Hunden im Garten und sprangen über die Zäune"


def _post(projector: SearchProjector, body: str, **kwargs) -> dict:
    projector.apply(f.registered(1, "alice"))
    projector.apply(f.post_created(101, 1, "alice", body, **kwargs))
    return visible_docs("posts")["101"]


def _stem_words(doc: dict) -> set[str]:
    return set(doc["body_stemmed"].split())


def test_an_english_post_is_detected_and_stemmed(projector: SearchProjector) -> None:
    doc = _post(projector, ENGLISH)  # an event from before issue 18: no language, no sensitive
    assert doc["language"] == "en"
    assert {"children", "run", "dog", "jump", "fenc", "garden"} <= _stem_words(doc)
    assert doc["body_folded"] == ENGLISH.lower()
    assert doc["is_reply"] is False and doc["sensitive"] is False
    assert doc["has"] == []


def test_a_german_post_is_detected_as_german_and_stemmed_with_folded_stems(projector: SearchProjector) -> None:
    doc = _post(projector, GERMAN)
    assert doc["language"] == "de"
    words = _stem_words(doc)
    assert {"kind", "hund", "gart", "spielt", "zaun"} <= words  # Zäune -> zaun: stemmed, then folded
    assert "uber" in words and "über" not in words


def test_the_client_given_language_overrides_detection(projector: SearchProjector) -> None:
    doc = _post(projector, ENGLISH, language="de")
    assert doc["language"] == "de"
    assert doc["body_stemmed"] == language.stem_text(ENGLISH, "de")
    assert doc["body_stemmed"] != language.stem_text(ENGLISH, "en")


def test_a_language_without_a_stemmer_gets_the_folded_words(projector: SearchProjector) -> None:
    body = "Café 東京 Running dogs"
    doc = _post(projector, body, language="JA")
    assert doc["language"] == "ja"
    assert doc["body_stemmed"] == "cafe 東京 running dogs"
    assert doc["body_stemmed"] == " ".join(fold(w) for w in language.WORD.findall(body.lower()))


def test_an_undetectable_post_gets_the_default_language(projector: SearchProjector, settings) -> None:
    settings.SEARCH_DEFAULT_LANGUAGE = "fr"
    doc = _post(projector, "#café @bob https://example.com/x 2026")  # names and a link: no language
    assert doc["language"] == "fr"
    assert doc["body_stemmed"] == language.stem_text(doc["body"], "fr")


@pytest.mark.parametrize(
    ("body", "has"),
    [
        ("plain words only", []),
        ("about #tags", ["hashtag"]),
        ("hello @bob", ["mention"]),
        ("see https://example.com/a?b=c", ["link"]),
        ("see HTTP://EXAMPLE.COM", ["link"]),
        ("#tag and @bob at http://x.org", ["hashtag", "link", "mention"]),
        ("httpsfoo and example.com and http:// alone", []),
    ],
)
def test_has_lists_hashtags_mentions_and_links(projector: SearchProjector, body: str, has: list[str]) -> None:
    assert _post(projector, body)["has"] == has


def test_sensitive_and_language_follow_the_newest_content(projector: SearchProjector) -> None:
    projector.apply(f.registered(1, "alice"))
    projector.apply(f.post_created(101, 1, "alice", ENGLISH, language="en", sensitive=True))
    doc = visible_docs("posts")["101"]
    assert (doc["language"], doc["sensitive"]) == ("en", True)
    projector.apply(f.post_edited(101, 1, GERMAN, version=3, language="de", sensitive=False))
    projector.apply(f.post_edited(101, 1, ENGLISH, version=2, language="en", sensitive=True))  # older: ignored
    doc = visible_docs("posts")["101"]
    assert (doc["language"], doc["sensitive"], doc["body"]) == ("de", False, GERMAN)
    projector.apply(f.post_edited(101, 1, GERMAN, version=4))  # an edit without language: detected again
    assert visible_docs("posts")["101"]["language"] == "de"
    assert fetchall("SELECT language, sensitive FROM search_post WHERE post_id = 101", using="read") == [("", False)]


def test_an_impossible_language_code_is_treated_as_not_given(projector: SearchProjector) -> None:
    doc = _post(projector, GERMAN, language="x" * 40)
    assert doc["language"] == "de"


def test_scrubbing_a_hidden_post_clears_its_language_and_sensitivity(projector: SearchProjector) -> None:
    projector.apply(f.registered(1, "alice"))
    projector.apply(f.post_created(101, 1, "alice", GERMAN, language="de", sensitive=True))
    projector.apply(f.post_deleted(101, 1, version=2))
    projector.apply(f.post_edited(101, 1, ENGLISH, version=3, language="en", sensitive=True))  # late: ignored
    row = fetchall("SELECT body, language, sensitive, deleted FROM search_post WHERE post_id = 101", using="read")
    assert row == [("", "", False, True)]
    tomb = all_docs("posts")["101"]
    assert {k: v for k, v in tomb.items() if k != "_version"} == {"hidden": True, "post_id": 101}
    # The same once the author is deactivated, in either order of arrival.
    projector.apply(f.post_created(102, 1, "alice", GERMAN, language="de", sensitive=True))
    projector.apply(f.deactivated(1, "alice", version=2))
    projector.apply(f.post_created(103, 1, "alice", ENGLISH, language="en", sensitive=True))
    rows = fetchall("SELECT language, sensitive FROM search_post WHERE post_id IN (102, 103)", using="read")
    assert rows == [("", False), ("", False)]
    assert visible_docs("posts") == {}


def _counts() -> dict[str, tuple[int, int, int]]:
    return {k: (v["like_count"], v["comment_count"], v["engagement"]) for k, v in visible_docs("posts").items()}


def test_engagement_is_likes_plus_twice_the_comments(projector: SearchProjector) -> None:
    projector.apply_batch(
        [
            f.registered(1, "alice"),
            f.registered(2, "bob"),
            f.post_created(101, 1, "alice", "counted"),
            f.liked(101, 1, version=1),
            f.liked(101, 2, version=1),
            f.comment_created(501, 101, 2),
            f.comment_created(502, 101, 1),
            f.comment_created(503, 101, 2),
            f.comment_deleted(503, 101, 2),
        ]
    )
    assert _counts() == {"101": (2, 2, 6)}


def test_a_comment_deleted_before_it_is_created_never_counts(projector: SearchProjector) -> None:
    projector.apply_batch([f.registered(1, "alice"), f.post_created(101, 1, "alice", "post")])
    created, deleted = f.comment_created(501, 101, 1), f.comment_deleted(501, 101, 1)
    assert projector.apply(deleted)
    assert _counts() == {"101": (0, 0, 0)}
    assert projector.apply(created)  # late: the comment is already gone
    assert _counts() == {"101": (0, 0, 0)}
    # Redeliveries are skipped; a new comment counts once whatever its duplicates.
    assert projector.apply_batch([created, deleted]) == [False, False]
    again = f.comment_created(502, 101, 1)
    assert projector.apply_batch([again, again]) == [True, False]
    assert projector.apply(f.comment_created(502, 101, 1))  # the same comment under a new delivery id
    assert _counts() == {"101": (0, 1, 2)}
    assert fetchall("SELECT comment_id, created, deleted FROM search_comment ORDER BY 1", using="read") == [
        (501, True, True),
        (502, True, False),
    ]


def test_a_deactivated_users_comments_stop_counting_in_any_order(projector: SearchProjector) -> None:
    events = [
        f.registered(1, "alice"),
        f.registered(2, "bob"),
        f.post_created(101, 1, "alice", "post"),
        f.comment_created(501, 101, 2),
        f.comment_created(502, 101, 2),
        f.comment_deleted(502, 101, 2),
        f.comment_created(503, 101, 1),
        f.deactivated(2, "bob", version=2),
    ]
    for order in (events, list(reversed(events)), events[2:] + events[:2]):
        reset_state()
        projector.apply_batch(order)
        assert _counts() == {"101": (0, 1, 2)}
        assert fetchall("SELECT comment_count FROM search_post WHERE post_id = 101", using="read") == [(1,)]


def test_comment_events_name_their_post_document() -> None:
    from socialapp.read.search.projector import _documents_of

    assert _documents_of(f.comment_created(501, 101, 2)) == {("posts", "101")}
    assert _documents_of(f.comment_deleted(501, 101, 2)) == {("posts", "101")}


@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_rebuild_and_check_carry_the_new_columns(search_indexes: None) -> None:
    """`projections check search` compares language, sensitivity and comment counts (and the
    comment rows) with a replay of the log; `search rebuild` writes the same documents."""
    from tests.read.conftest import logged

    events = [
        f.registered(1, "alice"),
        f.registered(2, "bob"),
        f.post_created(101, 1, "alice", GERMAN, language="de", sensitive=True),
        f.post_created(102, 1, "alice", ENGLISH),
        f.comment_created(501, 101, 2),
        f.comment_created(502, 102, 2),
        f.comment_deleted(502, 102, 2),
        f.liked(101, 2, version=1),
    ]
    projector = SearchProjector()
    projector.apply_batch(logged(events))  # as the pipeline delivers them
    before = visible_docs("posts")
    assert before["101"]["language"] == "de" and before["101"]["comment_count"] == 1
    report = projector.check()
    assert report.ok, report
    call_command("search", "rebuild", "posts", stdout=StringIO())
    assert visible_docs("posts") == before
    # A state row changed behind the projector's back is found by the check.
    execute("UPDATE search_post SET language = 'fr' WHERE post_id = 102", using="read")
    execute("UPDATE search_comment SET deleted = false WHERE comment_id = 502", using="read")
    report = projector.check()
    assert not report.ok
    assert {"search_post:102", "search_comment:502"} <= set(report.unexpected), report


def test_an_index_of_the_previous_mapping_is_outdated_until_rebuilt(
    search_indexes: None, projector: SearchProjector
) -> None:
    """Schema 2 (before issue 18): `search init` adds the new fields, so live writes keep working,
    and says the index is outdated; `search rebuild` replaces it with the current mapping."""
    es = get_client()
    indexes.drop_all()
    new_fields = {"body_stemmed", "language", "has", "is_reply", "sensitive", "comment_count", "engagement"}
    old = {**indexes.MAPPINGS["posts"], "_meta": {"schema_version": 2}}
    old["properties"] = {k: v for k, v in old["properties"].items() if k not in new_fields}
    old["properties"]["body_folded"] = {"type": "text", "analyzer": "standard"}  # no prefixes then
    name = index_name("posts-2")
    es.indices.create(index=name, settings=indexes.index_settings(), mappings=old)
    es.indices.update_aliases(
        actions=[
            {"add": {"index": name, "alias": indexes.read_alias("posts")}},
            {"add": {"index": name, "alias": indexes.write_alias("posts")}},
        ]
    )
    out = StringIO()
    call_command("search", "init", stdout=out)
    assert "posts: " + name + " (mapping outdated: run `search rebuild`)" in out.getvalue()
    assert indexes.outdated("posts") and not indexes.outdated("users")
    assert new_fields <= set(es.indices.get_mapping(index=name)[name]["mappings"]["properties"])
    doc = _post(projector, GERMAN)
    assert doc["language"] == "de" and doc["body_stemmed"]
    call_command("search", "rebuild", "posts", stdout=StringIO())
    assert not indexes.outdated("posts")
    assert visible_docs("posts")["101"] == doc


def test_post_document_shape() -> None:
    """Every field of the posts mapping, nothing else (the mapping is strict)."""
    doc = documents.post_document(
        post_id=1,
        author_id=2,
        author_username="Alice",
        author_display_name="Alice A",
        body="Crème #brûlée by @bob: https://example.com",
        hashtags=["brûlée"],
        mentions=["bob"],
        created_at="2026-01-01T00:00:00+00:00",
        like_count=3,
        comment_count=4,
        visibility="public",
        language="fr",
        sensitive=True,
    )
    assert set(doc) == set(indexes.MAPPINGS["posts"]["properties"])
    assert doc["author_username"] == "alice"
    assert doc["body_folded"] == "creme #brulee by @bob: https://example.com"
    assert doc["language"] == "fr" and doc["engagement"] == 11 and doc["sensitive"] is True
    assert doc["has"] == ["hashtag", "link", "mention"]
    assert documents.tombstone("posts", 1) == {"hidden": True, "post_id": 1}
