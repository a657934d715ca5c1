"""A status's `language` through the Mastodon API: POST and PUT /api/v1/statuses take it (an
ISO 639-1 code, a regional tag keeping its language), anything else is Mastodon's 422 and writes
nothing; replies (our comments) have none; the Status entity shows it, from the command's answer
and from the read model (filled by the posts projector, in any order of the post's events)."""

from __future__ import annotations

import dataclasses

import pytest
from rest_framework.test import APIClient

from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.log import log_events
from socialapp.read.common.sql import fetchone
from socialapp.write.comments.models import Comment
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create
from tests.command_support import client_for, events
from tests.mastodon.test_status_commands import nothing_written, post_status, status_url
from tests.read.conftest import apply_all, reset

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "form", "stored"),
    [("fr", False, "fr"), ("FR", True, "fr"), (" de ", False, "de"), ("pt-BR", True, "pt"), ("zh_TW", False, "zh")],
)
def test_create_with_a_language_keeps_its_iso_639_1_code(alice, given, form, stored):
    r = post_status(client_for(alice), {"status": "bonjour", "language": given}, form=form)
    assert r.status_code == 200, r.json()
    assert r.json()["language"] == stored
    assert Post.objects.get().language == stored
    [event] = events(event_type="post.created")
    assert event.payload["language"] == stored


@pytest.mark.parametrize("data", [{"status": "x"}, {"status": "x", "language": ""}, {"status": "x", "language": None}])
def test_no_language_is_none(alice, data):
    r = post_status(client_for(alice), data)
    assert r.status_code == 200 and r.json()["language"] is None
    assert Post.objects.get().language == "" and events(event_type="post.created")[0].payload["language"] == ""


@pytest.mark.parametrize(
    ("language", "form"),
    [("xx", False), ("eng", True), ("english", False), ("e", True), ("en-", False), ("e1", False), (5, False)],
)
def test_a_bad_language_is_a_422_and_writes_nothing(alice, language, form):
    r = post_status(client_for(alice), {"status": "x", "language": language}, form=form)
    assert r.status_code == 422, r.content
    assert set(r.json()) == {"error"} and r.json()["error"].startswith("Validation failed: Language"), r.json()
    assert nothing_written()


def test_a_reply_takes_a_language_and_drops_it(alice, bob):
    post = post_create(author=alice, body="p", language="en")
    r = post_status(client_for(bob), {"status": "antwort", "in_reply_to_id": post.id, "language": "de"})
    assert r.status_code == 200, r.json()
    assert r.json()["language"] is None and Comment.objects.get().body == "antwort"
    [event] = events(event_type="comment.created")
    assert "language" not in event.payload
    # ... but a bad code is refused whatever it labels.
    r = post_status(client_for(bob), {"status": "again", "in_reply_to_id": post.id, "language": "klingon"})
    assert r.status_code == 422 and r.json()["error"].startswith("Validation failed: Language")
    assert Comment.objects.count() == 1


def test_edit_of_the_language_alone_is_an_edit_and_leaving_it_out_keeps_it(alice):
    client = client_for(alice)
    s = post_status(client, {"status": "hello", "language": "en"}).json()
    r = client.put(status_url(s["id"]), {"status": "hello", "language": "NL"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["language"] == "nl" and r.json()["edited_at"]
    [event] = events(event_type="post.edited")
    assert event.payload["language"] == "nl" and event.aggregate_version == 2
    # Left out (or blank): the post keeps its language, and the same content appends nothing.
    for data in ({"status": "hello"}, {"status": "hello", "language": ""}):
        r = client.put(status_url(s["id"]), data, format="json")
        assert r.status_code == 200 and r.json()["language"] == "nl"
    assert len(events(event_type="post.edited")) == 1
    r = client.put(status_url(s["id"]), {"status": "hello again"}, format=None)
    assert r.json()["language"] == "nl" and events(event_type="post.edited")[-1].payload["language"] == "nl"


def test_edit_with_a_bad_language_changes_nothing(alice, bob):
    client = client_for(alice)
    s = post_status(client, {"status": "keep", "language": "en"}).json()
    for data in ({"status": "changed", "language": "zz"}, {"status": "changed", "language": ["en"]}):
        r = client.put(status_url(s["id"]), data, format="json")
        assert r.status_code == 422 and r.json()["error"].startswith("Validation failed: Language"), r.json()
    post = Post.objects.get()
    assert (post.body, post.language, post.version) == ("keep", "en", 1) and not events(event_type="post.edited")
    # A reply's edit checks the code too, then drops it.
    c = post_status(client_for(bob), {"status": "c", "in_reply_to_id": s["id"]}).json()
    assert (
        client_for(bob).put(status_url(c["id"]), {"status": "c2", "language": "zz"}, format="json").status_code == 422
    )
    r = client_for(bob).put(status_url(c["id"]), {"status": "c2", "language": "fr"}, format="json")
    assert r.status_code == 200 and r.json()["language"] is None and Comment.objects.get().body == "c2"


@pytest.mark.django_db(databases=["default", "read"])
def test_the_read_model_shows_the_language_whatever_the_order(alice, bob):
    """The posts projector keeps the language with the content (newest version wins, in any
    order), scrubs it with the content, and reads an event from before languages as none; the
    Status entity from the read model shows it, a reply's as null."""
    reset(["profiles", "posts"])
    client = client_for(alice)
    s = post_status(client, {"status": "one", "language": "en"}).json()
    client.put(status_url(s["id"]), {"status": "one", "language": "de"}, format="json")
    c = post_status(client_for(bob), {"status": "reply", "in_reply_to_id": s["id"], "language": "fr"}).json()
    logged = [m for batch in log_events(ALL_EVENT_TYPES) for m in batch]
    post_events = [m for m in logged if m.aggregate_type == "post"]
    others = [m for m in logged if m.aggregate_type != "post"]
    column = "SELECT language FROM read_post WHERE post_id = %s"
    for order in (post_events, list(reversed(post_events))):
        reset(["profiles", "posts"])
        apply_all([*others, *order], ["profiles", "posts"])
        assert fetchone(column, [int(s["id"])]) == ("de",)
    anonymous = APIClient()
    assert anonymous.get(status_url(s["id"])).json()["language"] == "de"
    assert anonymous.get(status_url(c["id"])).json()["language"] is None
    # An event from before posts had a language: none.
    created = post_events[0]
    old = dataclasses.replace(created, payload={k: v for k, v in created.payload.items() if k != "language"})
    reset(["profiles", "posts"])
    apply_all([*others, old], ["profiles", "posts"])
    assert fetchone(column, [int(s["id"])]) == ("",)
    assert anonymous.get(status_url(s["id"])).json()["language"] is None
    # Deleted: scrubbed with the content, in any order.
    client.delete(status_url(s["id"]))
    logged = [m for batch in log_events(ALL_EVENT_TYPES) for m in batch]
    post_events = [m for m in logged if m.aggregate_type == "post"]
    for order in (post_events, list(reversed(post_events))):
        reset(["profiles", "posts"])
        apply_all([*others, *order], ["profiles", "posts"])
        assert fetchone(column, [int(s["id"])]) == ("",)
