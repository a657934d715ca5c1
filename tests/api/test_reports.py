"""POST reports through our API: who may report whom, the 4xx problems, the scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from socialapp.events.consistency import HEADER
from socialapp.write.accounts.services import token_issue
from socialapp.write.moderation.models import Report
from tests.command_support import client_for, create_post, events

pytestmark = pytest.mark.django_db
URL = "/api/socialapp/v1/reports"


def test_report_by_username_with_posts(alice, bob):
    post = create_post(bob, "spam spam")
    r = client_for(alice).post(
        URL, {"username": "BOB", "post_ids": [post["id"]], "category": "spam", "comment": "ads"}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r[HEADER]
    body = r.json()
    assert set(body) == {"id", "target_id", "post_ids", "category", "state", "created_at"}
    assert body["target_id"] == str(bob.pk) and body["post_ids"] == [post["id"]]
    assert (body["category"], body["state"]) == ("spam", "open")
    report = Report.objects.get(pk=int(body["id"]))
    assert report.comment == "ads" and report.reporter_id == alice.pk
    [event] = events(event_type="report.filed")
    assert event.payload["report_id"] == report.pk and "ads" not in str(event.payload)


def test_report_by_user_id_defaults_to_other(alice, bob):
    r = client_for(alice).post(URL, {"user_id": str(bob.pk)}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["category"] == "other" and r.json()["post_ids"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "username"),
        ({"username": "bob", "user_id": "1"}, 400, "username"),
        ({"username": "no such!"}, 400, "username"),
        ({"username": "nobody"}, 404, None),
        ({"user_id": "99999999"}, 404, None),
        ({"user_id": 5}, 400, "user_id"),
        ({"username": "bob", "category": "rude"}, 400, "category"),
        ({"username": "bob", "comment": "x" * 1001}, 400, "comment"),
        ({"username": "bob", "comment": ["x"]}, 400, "comment"),
        ({"username": "bob", "post_ids": "1"}, 400, "post_ids"),
        ({"username": "bob", "post_ids": ["1x"]}, 400, "post_ids.0"),
        ({"username": "bob", "post_ids": [str(i) for i in range(1, 22)]}, 400, "post_ids"),
        ({"username": "bob", "post_ids": ["12345"]}, 400, "post_ids"),
        ({"username": "alice"}, 400, "account"),
    ],
)
def test_bad_reports_are_problems(alice, bob, body, status, field):
    r = client_for(alice).post(URL, body, format="json")
    assert r.status_code == status, r.content
    assert r["Content-Type"] == "application/problem+json"
    if field:
        assert field in r.json()["errors"], r.json()
    assert not Report.objects.exists()


def test_reporting_needs_a_login_and_the_reports_scope(alice, bob):
    assert APIClient().post(URL, {"username": "bob"}, format="json").status_code == 401
    for scope, expected in (("read", 403), ("write:statuses", 403), ("write:reports", 201), ("write", 201)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=alice, scope=scope)}")
        assert client.post(URL, {"username": "bob"}, format="json").status_code == expected, scope
    assert client_for(alice).get(URL).status_code == 405
