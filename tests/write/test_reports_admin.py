"""Reports in the admin: listed, filtered and searched; the report's page shows the comment and
the reported posts' text; the resolve actions go through report_resolve (events appended,
refusals shown as messages); no form, add or delete reaches a report."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from socialapp.events.models import Event
from socialapp.write.moderation.models import Report
from socialapp.write.moderation.services import report_file
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create
from tests.command_support import make_user

pytestmark = pytest.mark.django_db
LIST = "/admin/moderation/report/"


@pytest.fixture
def console(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


def act(console: Client, action: str, reports: list[Report]):
    return console.post(LIST, {"action": action, "_selected_action": [r.pk for r in reports]}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_report_page_shows_the_comment_and_the_posts_text(console, alice, bob):
    post = post_create(author=bob, body="<b>buy</b> pills")
    report = report_file(reporter=alice, target_id=bob.pk, post_ids=[post.id], comment="he spams me")
    r = console.get(f"{LIST}{report.pk}/change/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "he spams me" in page and "&lt;b&gt;buy&lt;/b&gt; pills" in page and "<b>buy</b>" not in page


@pytest.mark.parametrize(
    "query", ["?state__exact=open", "?category__exact=spam", "?q=alice", "?q=bob", "?action__exact=suspend", ""]
)
def test_lists_filters_and_search(console, alice, bob, query):
    report_file(reporter=alice, target_id=bob.pk, category="spam")
    r = console.get(LIST + query)
    assert r.status_code == 200
    assert len(r.context["cl"].result_list) == (0 if "suspend" in query else 1), query


def test_resolve_suspend_action(console, alice, bob, moderator):
    report = report_file(reporter=alice, target_id=bob.pk)
    r = act(console, "resolve_suspend", [report])
    assert r.status_code == 200 and "Resolved, account suspended: 1." in messages_of(r)
    bob.refresh_from_db()
    assert bob.suspended_at is not None
    [event] = Event.objects.filter(event_type="report.resolved")
    assert event.actor_id == moderator.pk and event.payload["action"] == "suspend"
    assert Event.objects.filter(event_type="user.suspended", actor_id=moderator.pk).count() == 1


def test_resolve_delete_posts_action_and_refusals_as_messages(console, alice, bob):
    posts = [post_create(author=bob, body=f"spam {i}") for i in range(2)]
    with_posts = report_file(reporter=alice, target_id=bob.pk, post_ids=[p.id for p in posts])
    without = report_file(reporter=make_user("carl"), target_id=bob.pk)
    r = act(console, "resolve_delete_posts", [with_posts, without])
    shown = messages_of(r)
    assert "Resolved, reported posts deleted: 1." in shown
    assert any("names no posts" in m for m in shown), shown
    assert Post.objects.filter(deleted_at__isnull=False).count() == 2
    assert Report.objects.get(pk=without.pk).state == "open"
    r = act(console, "resolve_dismiss", [with_posts])  # already resolved: refused, said so
    assert any("already resolved" in m for m in messages_of(r))
    assert Event.objects.filter(event_type="report.resolved").count() == 1


def test_dismiss_action(console, alice, bob):
    report = report_file(reporter=alice, target_id=bob.pk)
    act(console, "resolve_dismiss", [report])
    report.refresh_from_db()
    assert (report.state, report.action) == ("resolved", "none")
    bob.refresh_from_db()
    assert bob.suspended_at is None


def test_no_add_change_or_delete(console, alice, bob):
    report = report_file(reporter=alice, target_id=bob.pk, comment="c")
    before = Event.objects.count()
    assert console.get(f"{LIST}add/").status_code == 403
    assert console.post(f"{LIST}{report.pk}/change/", {"comment": "x", "state": "resolved"}).status_code == 403
    assert console.post(f"{LIST}{report.pk}/delete/", {"post": "yes"}).status_code == 403
    act(console, "delete_selected", [report])
    report.refresh_from_db()
    assert (report.comment, report.state) == ("c", "open") and Event.objects.count() == before


def test_non_moderators_are_kept_out(alice, bob):
    report_file(reporter=alice, target_id=bob.pk)
    client = Client()
    client.force_login(alice)
    assert client.get(LIST).status_code == 302
