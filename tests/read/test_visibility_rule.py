"""The one visibility rule's three renderings agree, and agree with docs/privacy.md.

For every viewer relation (tests/privacy/relations.py) x visibility x Context, on rows the
projectors built from the events of docs/events.md (relations applied by the `relations`
projector, statuses by `posts`):

- SQL: `post_visible` / `comment_visible` (so `status_access` with liveness) evaluated by
  PostgreSQL on the read database, with the viewer bound as every read path binds it;
- Python: `can_see` over `viewer_relations(...)` (what streams will use);
- Elasticsearch (SEARCH only): `search_filter` run by Elasticsearch over a scratch index holding
  the same statuses;

each equals the oracle of tests/privacy/oracle.py, written from the doc's tables and not from
visibility.py. Also `account_listed` and `actor_shown` (block either way; mute with and without
notifications; an expired mute).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import (
    Context,
    StatusFacts,
    Visibility,
    account_listed,
    actor_shown,
    can_see,
    comment_visible,
    post_visible,
    search_filter,
    viewer_relations,
)
from socialapp.read.search.client import get_client, index_name
from tests.privacy import oracle
from tests.privacy.relations import RELATIONS
from tests.privacy.world import PrivacyWorld, relate
from tests.read.conftest import apply_all, reset

pytestmark = pytest.mark.django_db(databases=["default", "read"])

PROJECTORS = ("profiles", "posts", "relations")
SCRATCH = "rule-scratch"


@dataclass
class RuleWorld:
    world: PrivacyWorld
    author: int
    viewers: dict[str, int | None]  # relation -> user id (None: anonymous)
    statuses: dict[int, tuple[str, bool]]  # post id -> (visibility, addresses the `addressed` viewers)
    comments: dict[int, int]  # comment id -> its post


@pytest.fixture
def rule_world(clean_read_models) -> RuleWorld:
    reset(["relations"])
    w = PrivacyWorld()
    author = w.register("author")
    viewers: dict[str, int | None] = {"author": author}
    for name, facts in RELATIONS.items():
        if name != "author":
            viewers[name] = None if facts.anonymous else w.register(name)
    w.lock(author)  # so that a follow request is what a follow becomes
    for name, facts in RELATIONS.items():
        uid = viewers[name]
        if uid is not None and uid != author:
            relate(w, author, uid, facts)
    addressed = " ".join(f"@{n}" for n, f in RELATIONS.items() if f.addressed and not f.author)
    statuses, comments = {}, {}
    for visibility in Visibility:
        for to_them in (True, False):
            pid = w.post(author, f"{visibility} {addressed if to_them else 'to nobody'} #rule", visibility)
            statuses[pid] = (str(visibility), to_them)
            comments[w.comment(author, pid, "the author answers", visibility)] = pid
    apply_all(w.events, PROJECTORS)
    # The rule reads these columns, as the posts projector filled them from the events.
    held = dict(fetchall("SELECT post_id, (visibility, audience_ids) FROM read_post"))
    for pid, (visibility, to_them) in statuses.items():
        audience = sorted(w.posts[pid].mentions) if to_them else []
        assert fetchall("SELECT visibility, audience_ids FROM read_post WHERE post_id = %s", [pid]) == [
            (visibility, audience)
        ], held.get(pid)
    for cid, pid in comments.items():
        assert fetchall("SELECT visibility, audience_ids FROM read_comment WHERE comment_id = %s", [cid]) == [
            (statuses[pid][0], [author])
        ]
    return RuleWorld(w, author, viewers, statuses, comments)


def _sql(sql_of_alias: str, table: str, key: str, viewer: int | None, author: int) -> set[int]:
    rows = fetchall(
        f"SELECT {key} FROM {table} s WHERE s.author_id = %(author)s AND {sql_of_alias}",
        {"viewer": viewer, "author": author},
    )
    return {row[0] for row in rows}


def _describe(relation: str, kind: str, visibility: str, context: str, to_them: bool, answers: dict) -> str:
    said = ", ".join(f"{k}={v}" for k, v in answers.items())
    return (
        f"{relation} viewing a {visibility} {kind} ({'to' if to_them else 'not to'} the addressed) in {context}: {said}"
    )


def test_the_oracle_knows_every_context_of_the_code() -> None:
    """Every Context falls into one column of the doc's table (a new Context must be placed there)."""
    assert {str(c) for c in Context} == oracle.CONTEXTS
    assert {str(v) for v in Visibility} == set(oracle.VISIBILITIES)


def test_sql_python_and_the_doc_agree_on_every_status(rule_world: RuleWorld) -> None:
    rw, failures, checked = rule_world, [], 0
    for relation, facts in RELATIONS.items():
        viewer = rw.viewers[relation]
        relations = viewer_relations(viewer)
        for context in Context:
            posts_sql = _sql(post_visible("s", "%(viewer)s", context), "read_post", "post_id", viewer, rw.author)
            comments_sql = _sql(
                comment_visible("s", "%(viewer)s", context), "read_comment", "comment_id", viewer, rw.author
            )
            for pid, (visibility, to_them) in rw.statuses.items():
                expected = oracle.sees(facts, visibility, context, addressed=facts.addressed and to_them)
                python = can_see(relations, StatusFacts(rw.author, visibility, _audience(rw, pid, to_them)), context)
                got = {"oracle": expected, "sql": pid in posts_sql, "python": python}
                checked += 1
                if len(set(got.values())) > 1:
                    failures.append(_describe(relation, "post", visibility, context, to_them, got))
            for cid, pid in rw.comments.items():
                visibility, to_them = rw.statuses[pid]
                # A comment's audience is its post's author (and its mentions: none here); it is
                # shown where its post is visible as opened on purpose.
                expected = oracle.sees(facts, visibility, context, addressed=False) and oracle.sees(
                    facts, visibility, "detail", addressed=facts.addressed and to_them
                )
                python = can_see(relations, StatusFacts(rw.author, visibility, [rw.author]), context)
                got = {"oracle": expected, "sql": cid in comments_sql}
                checked += 1
                if len(set(got.values())) > 1:
                    failures.append(_describe(relation, "comment", visibility, context, to_them, got))
                if python != oracle.sees(facts, visibility, context, addressed=False):
                    failures.append(
                        _describe(relation, "comment (alone)", visibility, context, to_them, {"python": python})
                    )
    assert checked == len(RELATIONS) * len(Context) * (len(rw.statuses) + len(rw.comments))
    assert not failures, "\n".join(failures)


def _audience(rw: RuleWorld, pid: int, to_them: bool) -> list[int]:
    return list(rw.world.posts[pid].mentions) if to_them else []


@pytest.fixture
def scratch_index(rule_world: RuleWorld) -> Iterator[str]:
    """A scratch index with the fields `search_filter` reads, holding the rule world's posts."""
    es, name = get_client(), index_name(SCRATCH)
    es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(
        index=name,
        mappings={
            "dynamic": "strict",
            "properties": {
                "post_id": {"type": "long"},
                "author_id": {"type": "long"},
                "visibility": {"type": "keyword"},
            },
        },
    )
    for pid, (visibility, _) in rule_world.statuses.items():
        es.index(
            index=name, id=str(pid), document={"post_id": pid, "author_id": rule_world.author, "visibility": visibility}
        )
    # Statuses of someone else, visible to all: the filter must not hide what it has no reason to.
    es.index(index=name, id="1", document={"post_id": 1, "author_id": 999_999, "visibility": "public"})
    es.indices.refresh(index=name)
    yield name
    es.options(ignore_status=404).indices.delete(index=name)


def test_elasticsearch_runs_the_same_rule_for_search(rule_world: RuleWorld, scratch_index: str) -> None:
    rw, failures = rule_world, []
    for relation, facts in RELATIONS.items():
        viewer = rw.viewers[relation]
        hits = get_client().search(
            index=scratch_index, query={"bool": {"filter": search_filter(viewer_relations(viewer))}}, size=100
        )["hits"]["hits"]
        found = {int(h["_id"]) for h in hits}
        if 1 not in found:
            failures.append(f"{relation}: a stranger's public post is filtered out")
        sql = _sql(post_visible("s", "%(viewer)s", Context.SEARCH), "read_post", "post_id", viewer, rw.author)
        for pid, (visibility, to_them) in rw.statuses.items():
            got = {
                "oracle": oracle.sees(facts, visibility, "search", addressed=facts.addressed and to_them),
                "elasticsearch": pid in found,
                "sql": pid in sql,
            }
            if len(set(got.values())) > 1:
                failures.append(_describe(relation, "post", visibility, "search", to_them, got))
    assert not failures, "\n".join(failures)


def test_accounts_listed_and_notifications_shown_agree(rule_world: RuleWorld) -> None:
    rw, failures = rule_world, []
    for relation, facts in RELATIONS.items():
        viewer = rw.viewers[relation]
        row = fetchall(
            f"SELECT {account_listed('%(author)s', '%(viewer)s')}, {actor_shown('%(author)s', '%(viewer)s')}",
            {"viewer": viewer, "author": rw.author},
        )[0]
        listed_sql, shown_sql = (bool(v) for v in row)  # NULL (anonymous) would fail below
        relations = viewer_relations(viewer)
        listed_python = relations is None or rw.author not in relations.hidden_authors
        shown_python = relations is None or rw.author not in relations.hidden_authors | relations.notification_mutes
        if facts.author:
            # One's own account and one's own actions: never blocked, never muted.
            listed_python = shown_python = True
        for what, expected, got in (
            ("listed", oracle.listed(facts), {"sql": listed_sql, "python": listed_python}),
            ("notified", oracle.notified(facts), {"sql": shown_sql, "python": shown_python}),
        ):
            if set(got.values()) != {expected}:
                failures.append(f"{relation}: author {what}? oracle={expected}, {got}")
    assert not failures, "\n".join(failures)
