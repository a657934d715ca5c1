"""An event is appended exactly once per change, and never survives a rollback."""

import pytest
from django.db import transaction

from socialapp.common.errors import ValidationFailed
from socialapp.events.models import Event
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_deactivate
from socialapp.write.posts import services as post_services
from socialapp.write.posts.models import Post

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_failure_after_the_event_was_appended_rolls_back_change_and_event(alice, monkeypatch):
    """user_deactivate appends its event and then revokes tokens: make that last step fail."""
    from socialapp.write.accounts.models import AuthToken as Token

    before = Event.objects.count()

    class FailingManager:
        def filter(self, **kwargs):
            assert Event.objects.filter(event_type="user.deactivated").exists()  # already appended
            raise Boom

    monkeypatch.setattr(Token, "objects", FailingManager())
    with pytest.raises(Boom):
        user_deactivate(user_id=alice.id, actor=alice)
    alice.refresh_from_db()
    assert alice.deactivated_at is None and alice.is_active and alice.version == 1
    assert Event.objects.count() == before


def test_failure_in_the_enclosing_transaction_takes_the_event_with_it(alice):
    with pytest.raises(Boom), transaction.atomic():
        post_services.post_create(author=alice, body="doomed")
        assert Event.objects.filter(event_type="post.created").count() == 1
        raise Boom
    assert not Post.objects.exists() and not Event.objects.filter(event_type="post.created").exists()


def test_failing_event_append_leaves_no_row(alice, monkeypatch):
    from socialapp.write.common import aggregates

    def broken_append(**kwargs):
        raise Boom

    monkeypatch.setattr(aggregates, "append_event", broken_append)
    with pytest.raises(Boom):
        post_services.post_create(author=alice, body="no event, no post")
    assert not Post.objects.exists()


def test_each_change_appends_exactly_one_event_with_the_next_version(alice, bob):
    post = post_services.post_create(author=alice, body="v1")
    post_services.post_edit(post_id=post.id, actor=alice, body="v2")
    post_services.post_edit(post_id=post.id, actor=alice, body="v2")  # no change, no event
    post_services.post_delete(post_id=post.id, actor=alice)
    log = list(Event.objects.filter(aggregate_type="post", aggregate_id=str(post.id)))
    assert [(e.event_type, e.aggregate_version) for e in log] == [
        ("post.created", 1),
        ("post.edited", 2),
        ("post.deleted", 3),
    ]
    post.refresh_from_db()
    assert post.version == 3


def test_refused_commands_append_nothing(alice, bob):
    post = post_services.post_create(author=alice, body="mine")
    before = Event.objects.count()
    for call in [
        lambda: post_services.post_create(author=alice, body="\x00"),
        lambda: post_services.post_edit(post_id=post.id, actor=bob, body="yours"),
        lambda: post_services.post_delete(post_id=post.id, actor=bob),
        lambda: post_services.post_like(post_id=post.id + 1, user=bob),
    ]:
        with pytest.raises(Exception):  # noqa: B017 - each raises its own domain error
            call()
    assert Event.objects.count() == before


def test_user_manager_goes_through_the_registration_service():
    user = User.objects.create_superuser("root_user", "root@example.org", "a-long-enough-passphrase")
    assert user.is_staff and user.is_superuser
    [event] = Event.objects.filter(event_type="user.registered")
    assert event.payload["username"] == "root_user"
    with pytest.raises(ValidationFailed):
        User.objects.create_user("x", "x@example.org", "a-long-enough-passphrase")
