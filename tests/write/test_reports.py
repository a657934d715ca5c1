"""Reports: filing (validation, limits, the event without the comment) and resolution by
moderators, whose actions go through the owning services and append their events."""

from __future__ import annotations

import pytest

from socialapp.common.errors import Conflict, NotAuthorized, NotFound, ValidationFailed
from socialapp.events.models import Event
from socialapp.write.accounts.services import user_deactivate, user_suspend
from socialapp.write.moderation.models import COMMENT_MAX_LENGTH, POST_IDS_MAX, Report
from socialapp.write.moderation.services import report_file, report_resolve
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create, post_delete
from tests.command_support import events, make_user

pytestmark = pytest.mark.django_db


def test_filing_appends_report_filed_without_the_comment(alice, bob):
    post = post_create(author=bob, body="buy now")
    report = report_file(
        reporter=alice, target_id=bob.pk, post_ids=[post.id, post.id], category="spam", comment="  secret why  "
    )
    assert report.comment == "secret why" and report.post_ids == [post.id] and report.state == "open"
    [event] = events(event_type="report.filed")
    assert event.aggregate_type == "report" and event.aggregate_id == str(report.pk)
    assert event.aggregate_version == 1 and event.actor_id == alice.pk
    assert set(event.payload) == {"report_id", "reporter_id", "target_id", "post_ids", "category", "at"}
    assert event.payload["post_ids"] == [post.id] and event.payload["category"] == "spam"
    assert "secret why" not in str(event.payload)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"category": "rude"}, ValidationFailed, "category"),
        ({"comment": "x" * (COMMENT_MAX_LENGTH + 1)}, ValidationFailed, "comment"),
        ({"comment": "bad\x00char"}, ValidationFailed, "comment"),
        ({"comment": 5}, ValidationFailed, "comment"),
        ({"post_ids": "12"}, ValidationFailed, "post_ids"),
        ({"post_ids": [True]}, ValidationFailed, "post_ids"),
        ({"post_ids": [-1]}, ValidationFailed, "post_ids"),
        ({"post_ids": [2**63]}, ValidationFailed, "post_ids"),
        ({"post_ids": list(range(1, POST_IDS_MAX + 2))}, ValidationFailed, "post_ids"),
        ({"post_ids": [123456789]}, ValidationFailed, "post_ids"),
    ],
)
def test_filing_refuses_bad_input(alice, bob, kwargs, error, field):
    with pytest.raises(error) as caught:
        report_file(reporter=alice, target_id=bob.pk, **kwargs)
    assert field in (caught.value.errors or {})
    assert not Report.objects.exists() and not events(event_type="report.filed")


def test_filing_refuses_others_posts_deleted_posts_self_and_unknown_accounts(alice, bob):
    mine = post_create(author=alice, body="mine")
    gone = post_create(author=bob, body="gone")
    post_delete(post_id=gone.id, actor=bob)
    for ids in ([mine.id], [gone.id]):
        with pytest.raises(ValidationFailed):
            report_file(reporter=alice, target_id=bob.pk, post_ids=ids)
    with pytest.raises(ValidationFailed):
        report_file(reporter=alice, target_id=alice.pk)
    with pytest.raises(NotFound):
        report_file(reporter=alice, target_id=987654321)
    carl = make_user("carl")
    user_deactivate(user_id=carl.pk, actor=carl)
    with pytest.raises(NotFound):
        report_file(reporter=alice, target_id=carl.pk)
    assert not Report.objects.exists()


def test_resolve_suspend_suspends_through_the_service(alice, bob, moderator):
    report = report_file(reporter=alice, target_id=bob.pk, comment="abuse")
    resolved = report_resolve(moderator=moderator, report_id=report.pk, action="suspend")
    assert (resolved.state, resolved.action, resolved.resolved_by_id) == ("resolved", "suspend", moderator.pk)
    bob.refresh_from_db()
    assert bob.suspended_at is not None and not bob.is_active
    suspended, done = events(event_type="user.suspended"), events(event_type="report.resolved")
    assert len(suspended) == 1 and suspended[0].actor_id == moderator.pk
    assert done[0].position > suspended[0].position and done[0].aggregate_version == 2
    assert done[0].actor_id == moderator.pk
    assert done[0].payload == {
        "report_id": report.pk,
        "reporter_id": alice.pk,
        "reporter_username": "alice",
        "target_id": bob.pk,
        "action": "suspend",
        "at": resolved.resolved_at.isoformat(),
    }


def test_resolve_suspend_of_an_already_suspended_account_resolves(alice, bob, moderator):
    first = report_file(reporter=alice, target_id=bob.pk)
    second = report_file(reporter=make_user("carl"), target_id=bob.pk)
    report_resolve(moderator=moderator, report_id=first.pk, action="suspend")
    report_resolve(moderator=moderator, report_id=second.pk, action="suspend")
    assert len(events(event_type="user.suspended")) == 1
    assert len(events(event_type="report.resolved")) == 2


def test_resolve_delete_post_deletes_the_reported_posts_as_moderator(alice, bob, moderator):
    posts = [post_create(author=bob, body=f"spam {i}") for i in range(3)]
    report = report_file(reporter=alice, target_id=bob.pk, post_ids=[p.id for p in posts[:2]])
    post_delete(post_id=posts[0].id, actor=bob)  # the author got there first: skipped
    report_resolve(moderator=moderator, report_id=report.pk, action="delete_post")
    deleted = events(event_type="post.deleted", actor_id=moderator.pk)
    assert [e.payload["post_id"] for e in deleted] == [posts[1].id]
    assert deleted[0].payload["deleted_by"] == moderator.pk
    assert Post.objects.get(pk=posts[2].id).deleted_at is None  # not reported: kept


def test_resolve_delete_one_post(alice, bob, moderator):
    posts = [post_create(author=bob, body=f"spam {i}") for i in range(2)]
    report = report_file(reporter=alice, target_id=bob.pk, post_ids=[p.id for p in posts])
    with pytest.raises(ValidationFailed):
        report_resolve(moderator=moderator, report_id=report.pk, action="delete_post", post_id=posts[0].id + 1)
    report_resolve(moderator=moderator, report_id=report.pk, action="delete_post", post_id=posts[1].id)
    assert [e.payload["post_id"] for e in events(event_type="post.deleted")] == [posts[1].id]


def test_delete_post_needs_reported_posts(alice, bob, moderator):
    report = report_file(reporter=alice, target_id=bob.pk)
    with pytest.raises(ValidationFailed):
        report_resolve(moderator=moderator, report_id=report.pk, action="delete_post")
    assert Report.objects.get(pk=report.pk).state == "open"


def test_resolve_none_dismisses_and_twice_is_a_conflict(alice, bob, moderator):
    report = report_file(reporter=alice, target_id=bob.pk)
    report_resolve(moderator=moderator, report_id=report.pk, action="none")
    bob.refresh_from_db()
    assert bob.suspended_at is None
    with pytest.raises(Conflict):
        report_resolve(moderator=moderator, report_id=report.pk, action="suspend")
    bob.refresh_from_db()
    assert bob.suspended_at is None and len(events(event_type="report.resolved")) == 1


def test_only_moderators_resolve(alice, bob, moderator):
    report = report_file(reporter=alice, target_id=bob.pk)
    for who in (alice, bob):
        with pytest.raises(NotAuthorized):
            report_resolve(moderator=who, report_id=report.pk, action="suspend")
    about_mod = report_file(reporter=alice, target_id=moderator.pk)
    with pytest.raises(NotAuthorized):
        report_resolve(moderator=moderator, report_id=about_mod.pk, action="none")
    # A moderator suspending another moderator: only superusers (user_suspend's rule), all rolled back.
    other_mod = make_user("mod2", is_staff=True)
    about_other = report_file(reporter=alice, target_id=other_mod.pk)
    with pytest.raises(NotAuthorized):
        report_resolve(moderator=moderator, report_id=about_other.pk, action="suspend")
    assert Report.objects.get(pk=about_other.pk).state == "open"
    suspended_mod = make_user("mod3", is_staff=True)
    user_suspend(user_id=suspended_mod.pk, actor=make_user("root", is_staff=True, is_superuser=True))
    with pytest.raises(NotAuthorized):
        report_resolve(moderator=suspended_mod, report_id=report.pk, action="none")
    with pytest.raises(NotFound):
        report_resolve(moderator=moderator, report_id=report.pk + 1000, action="none")
    with pytest.raises(ValidationFailed):
        report_resolve(moderator=moderator, report_id=report.pk, action="ban")
    assert not Event.objects.filter(event_type="report.resolved").exists()
