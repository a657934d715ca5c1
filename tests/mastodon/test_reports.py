"""Mastodon's POST /api/v1/reports: the Report entity, the parameters as clients send them
(form with `status_ids[]`, JSON), Mastodon's errors, the `write:reports` scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from socialapp.write.moderation.models import Report
from socialapp.write.posts.services import post_create
from tests.command_support import client_for, events

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports"
ENTITY_KEYS = {
    "id",
    "action_taken",
    "action_taken_at",
    "category",
    "comment",
    "forwarded",
    "created_at",
    "status_ids",
    "rule_ids",
    "target_account",
}


def test_report_from_a_form_answers_the_report_entity(alice, bob):
    post = post_create(author=bob, body="spam")
    data = {
        "account_id": str(bob.pk),
        "status_ids[]": [str(post.id)],
        "comment": "ads everywhere",
        "category": "spam",
        "forward": "true",
        "rule_ids[]": ["1"],
    }
    r = client_for(alice).post(URL, data)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert set(body) == ENTITY_KEYS
    assert body["id"] == str(Report.objects.get().pk)
    assert body["action_taken"] is False and body["action_taken_at"] is None
    assert (body["category"], body["comment"], body["forwarded"]) == ("spam", "ads everywhere", False)
    assert body["status_ids"] == [str(post.id)] and body["rule_ids"] is None
    assert body["created_at"].endswith("Z")
    assert body["target_account"]["id"] == str(bob.pk) and body["target_account"]["username"] == "bob"
    [event] = events(event_type="report.filed")
    assert "ads everywhere" not in str(event.payload)


def test_report_from_json_with_defaults(alice, bob):
    r = client_for(alice).post(URL, {"account_id": bob.pk}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["category"] == "other" and r.json()["status_ids"] == [] and r.json()["comment"] == ""


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({}, 404, "Record not found"),
        ({"account_id": "99999999"}, 404, "Record not found"),
        ({"account_id": "abc"}, 422, "Validation failed: Account_id"),
        ({"account_id": "{bob}", "status_ids[]": ["12345"]}, 404, "Record not found"),
        ({"account_id": "{bob}", "category": "rude"}, 422, "Validation failed: Category"),
        ({"account_id": "{bob}", "comment": "x" * 1001}, 422, "Validation failed: Comment"),
        ({"account_id": "{bob}", "forward": "maybe"}, 422, "Validation failed: Forward"),
        ({"account_id": "{bob}", "status_ids[]": [str(i) for i in range(1, 22)]}, 422, "Validation failed"),
        ({"account_id": "{alice}"}, 422, "Validation failed"),
    ],
)
def test_bad_reports_answer_mastodon_errors(alice, bob, data, status, error):
    ids = {"{bob}": str(bob.pk), "{alice}": str(alice.pk)}
    data = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    r = client_for(alice).post(URL, data)
    assert r.status_code == status, r.json()
    assert set(r.json()) == {"error"} and r.json()["error"].startswith(error), r.json()
    assert not Report.objects.exists()


def test_a_comment_or_another_accounts_post_is_not_found(alice, bob):
    own = post_create(author=alice, body="mine")
    r = client_for(alice).post(URL, {"account_id": str(bob.pk), "status_ids[]": [str(own.id)]})
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}


def test_reports_need_the_write_reports_scope(alice, bob, scoped):
    assert APIClient().post(URL, {"account_id": str(bob.pk)}).status_code == 401
    for names, expected in ((("read",), 403), (("write:statuses",), 403), (("write:reports",), 200), (("write",), 200)):
        client = APIClient()
        scoped(client, alice, *names)
        r = client.post(URL, {"account_id": str(bob.pk)})
        assert r.status_code == expected, (names, r.json())
