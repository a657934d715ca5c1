"""The audit pages of the admin render for staff (Django's test client), with the state at the
version the slider picks; others are sent to the admin's login."""

from __future__ import annotations

import pytest
from django.test import Client

from socialapp.write.accounts.services import profile_update
from socialapp.write.comments.services import comment_create
from socialapp.write.posts.services import post_create, post_edit
from tests.command_support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(moderator) -> Client:
    client = Client()
    assert client.login(username=moderator.username, password=PASSWORD)
    return client


def test_pick_redirects_to_the_aggregate(staff, alice):
    assert staff.get("/admin/audit/").status_code == 200
    r = staff.get("/admin/audit/", {"aggregate_type": "user", "aggregate_id": str(alice.pk)})
    assert r.status_code == 302 and r["Location"] == f"/admin/audit/user/{alice.pk}/"
    assert staff.get("/admin/audit/", {"aggregate_type": "user", "aggregate_id": "x"}).status_code == 200  # form errors


def test_aggregate_page_slides_through_versions(staff, alice):
    post = post_create(author=alice, body="first words")
    post_edit(post_id=post.pk, actor=alice, body="second words")
    page = staff.get(f"/admin/audit/post/{post.pk}/").content.decode()
    assert 'type="range"' in page and 'max="2"' in page and 'value="2"' in page
    assert "second words" in page.split('id="audit-state"')[1].split("</pre>")[0]
    old = staff.get(f"/admin/audit/post/{post.pk}/", {"version": 1}).content.decode()
    assert "first words" in old.split('id="audit-state"')[1].split("</pre>")[0]
    assert "post.edited" in old  # the events table lists every event
    at = staff.get(f"/admin/audit/post/{post.pk}/", {"as_of": "2000-01-01T00:00:00"})
    assert at.status_code == 404 and "did not exist yet" in at.content.decode()
    assert staff.get(f"/admin/audit/post/{post.pk}/", {"version": "x"}).status_code == 400


def test_user_page_shows_the_profile_then(staff, alice):
    profile_update(user_id=alice.pk, display_name="Alice A", bio="")
    page = staff.get(f"/admin/audit/user/{alice.pk}/").content.decode()
    assert "Profile as it read then" in page and "Alice A" in page and "follower_count" in page


def test_change_pages_link_to_the_audit_trail(staff, alice, bob):
    post = post_create(author=alice, body="linked")
    comment = comment_create(post_id=post.pk, author=bob, body="a comment")
    for change, audit in [
        (f"/admin/accounts/user/{alice.pk}/change/", f"/admin/audit/user/{alice.pk}/"),
        (f"/admin/posts/post/{post.pk}/change/", f"/admin/audit/post/{post.pk}/"),
        (f"/admin/comments/comment/{comment.pk}/change/", f"/admin/audit/comment/{comment.pk}/"),
    ]:
        r = staff.get(change)
        assert r.status_code == 200 and f'href="{audit}"' in r.content.decode(), change
        assert staff.get(audit).status_code == 200


def test_not_staff_goes_to_the_login(alice):
    client = Client()
    client.force_login(alice)  # signed in, not staff
    for c in (Client(), client):
        r = c.get(f"/admin/audit/user/{alice.pk}/")
        assert r.status_code == 302 and r["Location"].startswith("/admin/login/")


def test_the_event_log_links_each_event_to_its_states(staff, alice):
    page = staff.get("/admin/events/event/").content.decode()
    assert f'href="/admin/audit/user/{alice.pk}/?version=1"' in page
