"""End to end: real commands -> event log -> relay -> RabbitMQ -> search worker -> Elasticsearch
-> search API; and Elasticsearch stopped in the middle of a stream of commands."""

from __future__ import annotations

import pytest

from socialapp.events.log import capture_events
from socialapp.write.accounts.services import profile_update, user_deactivate, user_register
from socialapp.write.comments.services import comment_create, comment_delete
from socialapp.write.posts.services import post_create, post_delete, post_edit, post_like, post_unlike
from tests.pipeline_support import running_pipeline
from tests.support import service_stopped, wait_for

from .helpers import visible_docs

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def _searchable(api, q: str) -> set[str]:
    response = api.get("/api/socialapp/v1/search/posts", {"q": q, "limit": 100})
    assert response.status_code == 200, response.content
    return {r["id"] for r in response.json()["results"]}


def test_commands_are_reflected_in_search(api, search_indexes) -> None:
    with running_pipeline(["search"]) as pipeline, capture_events() as events:
        alice = user_register(username="alice", email="alice@example.org", password=None, display_name="Alice")
        bob = user_register(username="bob", email="bob@example.org", password=None, display_name="Bob")
        kept = post_create(author=alice, body="Crème brûlée for @bob #dessert")
        gone = post_create(author=alice, body="creme to delete #dessert")
        bobs = post_create(author=bob, body="bob's creme #dessert", spoiler_text="food")
        post_edit(post_id=kept.id, actor=alice, body="Crème brûlée edited #dessert #sweet")
        comment_create(post_id=kept.id, author=bob, body="yum")
        comment_create(post_id=kept.id, author=alice, body="thanks")
        oops = comment_create(post_id=kept.id, author=bob, body="oops")
        comment_delete(comment_id=oops.id, actor=bob)
        post_delete(post_id=gone.id, actor=alice)
        post_like(post_id=kept.id, user=bob)
        post_like(post_id=bobs.id, user=alice)
        post_unlike(post_id=bobs.id, user=alice)
        profile_update(user_id=bob.id, display_name="Robert")
        pipeline.wait_applied(events)
        wait_for(lambda: _searchable(api, "creme") == {str(kept.id), str(bobs.id)}, timeout=30, what="posts")
        docs = visible_docs("posts")
        assert docs[str(kept.id)]["like_count"] == 1 and docs[str(bobs.id)]["like_count"] == 0
        assert docs[str(kept.id)]["hashtags"] == ["dessert", "sweet"]
        assert (docs[str(kept.id)]["comment_count"], docs[str(kept.id)]["engagement"]) == (2, 5)
        assert docs[str(kept.id)]["has"] == ["hashtag"] and docs[str(kept.id)]["sensitive"] is False
        assert docs[str(bobs.id)]["sensitive"] is True  # a content warning makes it sensitive
        # Hashtag documents follow within SEARCH_HASHTAG_PUSH_SECONDS (the worker's timer).
        wait_for(
            lambda: (
                {h["tag"]: h["post_count"] for h in visible_docs("hashtags").values()} == {"dessert": 2, "sweet": 1}
            ),
            timeout=30,
            what="hashtag counts",
        )
        assert visible_docs("users")[str(bob.id)]["display_name"] == "Robert"
        with capture_events() as more:
            user_deactivate(user_id=bob.id, actor=bob)
        pipeline.wait_applied(more)
        wait_for(lambda: _searchable(api, "creme") == {str(kept.id)}, timeout=30, what="bob hidden")
        assert api.get("/api/socialapp/v1/search/users", {"q": "bob"}).json()["results"] == []
        kept_doc = visible_docs("posts")[str(kept.id)]
        assert (kept_doc["like_count"], kept_doc["comment_count"], kept_doc["engagement"]) == (0, 1, 2)


@pytest.mark.faults
def test_elasticsearch_down_mid_stream_converges(api, search_indexes) -> None:
    with running_pipeline(["search"]):
        author = user_register(username="writer", email="w@example.org", password=None)
        before = [post_create(author=author, body=f"before {i} #stream") for i in range(5)]
        wait_for(lambda: len(_searchable(api, "#stream")) == 5, timeout=30, what="first posts")
        with service_stopped("elasticsearch"):
            during = [post_create(author=author, body=f"during {i} #stream") for i in range(10)]
            post_delete(post_id=before[0].id, actor=author)  # commands keep working
            post_edit(post_id=before[1].id, actor=author, body="edited while down #stream #outage")
            response = api.get("/api/socialapp/v1/search/posts", {"q": "#stream"})
            assert response.status_code == 503, response.content
            assert response["Content-Type"].startswith("application/problem+json")
            assert api.get("/api/socialapp/v1/search/users", {"q": "writer"}).status_code == 503
        after = [post_create(author=author, body=f"after {i} #stream") for i in range(3)]
        expected = {str(p.id) for p in before[1:] + during + after}
        wait_for(lambda: _searchable(api, "#stream") == expected, timeout=120, what="convergence after restart")
        wait_for(  # hashtag documents follow within SEARCH_HASHTAG_PUSH_SECONDS (the worker's timer)
            lambda: visible_docs("hashtags").get("stream", {}).get("post_count") == len(expected),
            timeout=30,
            what="the hashtag count",
        )
        assert visible_docs("posts")[str(before[1].id)]["hashtags"] == ["stream", "outage"]
