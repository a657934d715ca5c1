"""A post's language (ISO 639-1, given by the client) through our API and the posts service:
validated (any case, stored lower-case; anything else a 400 naming `language` that writes
nothing), carried by `post.created` and `post.edited`, changed alone by an edit, documented."""

from __future__ import annotations

import re

import pytest

from socialapp.common.errors import ValidationFailed
from socialapp.common.languages import CODE_PATTERN, CODES, ISO_639_1, normalise
from socialapp.events.models import Event
from socialapp.write import replay
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create, post_edit
from tests.api.test_input_fields import _resolve, _schema
from tests.command_support import client_for, events

pytestmark = pytest.mark.django_db

POSTS = "/api/socialapp/v1/posts"


def test_the_list_is_iso_639_1():
    assert len(ISO_639_1) == 183 and all(len(c) == 2 and c.isascii() and c.islower() for c in ISO_639_1)
    assert {"en", "fr", "de", "zh", "nb", "nn", "yi", "he"} <= set(CODES) and list(CODES) == sorted(CODES)
    assert not {"iw", "in", "ji", "jw", "mo", "sh"} & set(CODES)  # withdrawn codes
    assert normalise(" EN ") == "en" and normalise("eng") is None and normalise("") is None


@pytest.mark.parametrize(("given", "stored"), [("en", "en"), ("FR", "fr"), ("De", "de"), (" it ", "it"), ("", "")])
def test_create_with_a_language(alice, given, stored):
    r = client_for(alice).post(POSTS, {"body": "hello", "language": given}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["language"] == stored and Post.objects.get().language == stored
    [event] = events(event_type="post.created")
    assert event.payload["language"] == stored


@pytest.mark.parametrize("language", ["xx", "zz", "eng", "e", "en-US", "en_us", "english", 5, None, ["en"]])
def test_a_bad_language_is_a_400_problem_and_writes_nothing(alice, language):
    r = client_for(alice).post(POSTS, {"body": "hello", "language": language}, format="json")
    assert r.status_code == 400, r.json()
    assert r["Content-Type"].startswith("application/problem+json") and r.json()["errors"].get("language")
    assert not Post.objects.exists() and not Event.objects.filter(aggregate_type="post").exists()


@pytest.mark.parametrize("language", ["xx", "qq", "eng", "en-US", "english", 5, ["en"]])
def test_the_service_refuses_what_is_not_a_code_and_writes_nothing(alice, language):
    with pytest.raises(ValidationFailed) as refused:
        post_create(author=alice, body="hello", language=language)
    assert set(refused.value.errors) == {"language"}
    post = post_create(author=alice, body="hello", language="en")
    with pytest.raises(ValidationFailed):
        post_edit(post_id=post.pk, actor=alice, body="changed", language=language)
    post.refresh_from_db()
    assert (post.body, post.language, post.version) == ("hello", "en", 1)
    assert [e.event_type for e in events(aggregate_type="post")] == ["post.created"]


def test_an_edit_of_the_language_alone_appends_post_edited(alice):
    client = client_for(alice)
    post = client.post(POSTS, {"body": "same", "language": "en"}, format="json").json()
    url = f"{POSTS}/{post['id']}"
    r = client.patch(url, {"body": "same", "language": "SV"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["language"] == "sv" and r.json()["version"] == 2 and r.json()["edited_at"]
    [event] = events(event_type="post.edited")
    assert event.payload["language"] == "sv" and event.payload["body"] == "same"
    # Left out: kept, and the same content again appends nothing.
    r = client.patch(url, {"body": "same"}, format="json")
    assert r.status_code == 200 and r.json()["language"] == "sv" and r.json()["version"] == 2
    assert client.patch(url, {"body": "same", "language": "sv"}, format="json").json()["version"] == 2
    # A body edit keeps it; `""` clears it (another edit).
    assert client.patch(url, {"body": "other"}, format="json").json()["language"] == "sv"
    r = client.patch(url, {"body": "other", "language": ""}, format="json")
    assert r.json()["language"] == "" and r.json()["version"] == 4
    assert [e.payload["language"] for e in events(event_type="post.edited")] == ["sv", "sv", ""]
    assert Post.objects.get().language == ""
    # A bad one on an edit: a 400, nothing changes.
    r = client.patch(url, {"body": "third", "language": "xx"}, format="json")
    assert r.status_code == 400 and r.json()["errors"].get("language")
    assert Post.objects.get().body == "other" and len(events(event_type="post.edited")) == 3


def test_the_fold_and_the_audit_state_carry_the_language(alice, moderator):
    post = post_create(author=alice, body="a", language="it")
    post_edit(post_id=post.pk, actor=alice, body="a", language="es")
    assert replay.replay_log() == replay.snapshot()
    assert replay.replay_log()["posts"][post.pk]["language"] == "es"
    url = f"/api/socialapp/v1/admin/aggregates/post/{post.pk}"
    client = client_for(moderator)
    assert client.get(url, {"as_of": 1}).json()["state"]["language"] == "it"
    assert client.get(url).json()["state"]["language"] == "es"
    # An event from before posts had a language folds as none.
    created = events(event_type="post.created")[0].as_message()
    created["payload"].pop("language")
    assert replay.fold([created])["posts"][post.pk]["language"] == ""


def test_the_openapi_schema_documents_language():
    schema = _schema()
    for path, method, code in [(POSTS, "post", "201"), (POSTS + "/{post_id}", "patch", "200")]:
        operation = schema["paths"][path][method]
        body = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
        field = body["properties"]["language"]
        assert "ISO 639-1" in field["description"]
        shapes = field.get("oneOf", [field])  # a code, or "" (none)
        # the codes themselves, in any case: `xx` has the shape of one and is not
        assert {s.get("pattern") for s in shapes} >= {CODE_PATTERN}
        assert re.fullmatch(CODE_PATTERN, "Fr") and not re.fullmatch(CODE_PATTERN, "xx")
        assert "language" not in body.get("required", [])
        out = _resolve(schema, operation["responses"][code]["content"]["application/json"]["schema"])
        assert "language" in out["properties"] and "language" in out["required"]
