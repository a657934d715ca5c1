"""Read-your-writes for Mastodon clients, which never send X-Consistency-Token back.

A Mastodon command notes its events under the session; the same session's Mastodon queries wait
(bounded) until the read models applied them. Here nothing runs the pipeline until the test
applies the log itself, so the wait is observable: it runs out (X-Consistency-Satisfied: false)
while the events are pending, and is satisfied once they are applied."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.consistency import HEADER
from socialapp.events.log import log_events
from socialapp.write.accounts.services import token_issue
from tests.read.conftest import apply_all

pytestmark = pytest.mark.django_db(databases=["default", "read"], transaction=True)


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user)}")
    return client


def _apply_log() -> None:
    apply_all([message for batch in log_events(tuple(ALL_EVENT_TYPES)) for message in batch])


def test_a_session_waits_for_its_own_mastodon_writes_and_only_those(alice, bob, settings):
    settings.CONSISTENCY_WAIT_SECONDS = 0.3
    _apply_log()  # the users' registrations
    writer, other_session, someone_else = _client(alice), _client(alice), _client(bob)

    posted = writer.post("/api/v1/statuses", {"status": "read me back"}, format="json")
    assert posted.status_code == 200 and posted[HEADER]
    url = f"/api/v1/statuses/{posted.json()['id']}"

    pending = writer.get(url)  # the pipeline is not running: the wait runs out, and says so
    assert pending.status_code == 404 and pending["X-Consistency-Satisfied"] == "false"
    for client in (other_session, someone_else):  # no recent writes of theirs: no wait, no header
        response = client.get(url)
        assert response.status_code == 404 and "X-Consistency-Satisfied" not in response

    _apply_log()
    done = writer.get(url)
    assert done.status_code == 200 and done["X-Consistency-Satisfied"] == "true"
    assert done.json()["content"] == "<p>read me back</p>"
    assert "X-Consistency-Satisfied" not in other_session.get(url)


def test_an_explicit_token_still_wins(alice, settings):
    settings.CONSISTENCY_WAIT_SECONDS = 0.3
    _apply_log()
    client = _client(alice)
    posted = client.post("/api/v1/statuses", {"status": "x"}, format="json")
    fresh = APIClient()  # another client, anonymous, holding the writer's token
    response = fresh.get(f"/api/v1/statuses/{posted.json()['id']}", HTTP_X_CONSISTENCY_TOKEN=posted[HEADER])
    assert response.status_code == 404 and response["X-Consistency-Satisfied"] == "false"
    assert fresh.get("/api/v1/statuses/1", HTTP_X_CONSISTENCY_TOKEN="forged").status_code == 422
