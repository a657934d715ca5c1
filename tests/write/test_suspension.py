"""Admin safety: only superusers act on staff accounts, bulk actions are capped, and suspension
is reversible (user.suspended / user.unsuspended) and locks the account out while it lasts."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from socialapp.common.errors import Conflict, NotAuthorized
from socialapp.events.models import Event
from socialapp.write import replay
from socialapp.write.accounts.models import AuthToken, User
from socialapp.write.accounts.services import user_deactivate, user_suspend, user_unsuspend
from tests.command_support import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db) -> User:
    return make_user("root", is_staff=True, is_superuser=True)


def console(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def login(username: str) -> int:
    r = APIClient().post("/api/socialapp/v1/auth/token", {"username": username, "password": PASSWORD}, format="json")
    return r.status_code


@pytest.mark.parametrize("command", [user_deactivate, user_suspend])
def test_moderators_cannot_act_on_staff_superusers_can(command, moderator, superuser, alice):
    other_mod = make_user("mod2", is_staff=True)
    for target in (other_mod, superuser):
        with pytest.raises(NotAuthorized):
            command(user_id=target.pk, actor=moderator)
    assert not Event.objects.filter(event_type__in=["user.deactivated", "user.suspended"]).exists()
    command(user_id=other_mod.pk, actor=superuser)
    command(user_id=alice.pk, actor=moderator)  # ordinary accounts: any moderator
    with pytest.raises(NotAuthorized):
        command(user_id=make_user("carl").pk, actor=make_user("dora"))  # not a moderator at all


def test_admin_bulk_deactivate_by_a_moderator_spares_staff(moderator, superuser, alice, bob):
    r = console(moderator).post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [alice.pk, bob.pk, superuser.pk]},
        follow=True,
    )
    assert b"Only superusers may act on staff accounts" in r.content
    assert set(User.objects.filter(deactivated_at__isnull=False).values_list("username", flat=True)) == {
        "alice",
        "bob",
    }
    superuser.refresh_from_db()
    assert superuser.is_active


@override_settings(ADMIN_BULK_ACTION_LIMIT=2)
def test_bulk_actions_over_the_limit_do_nothing_and_say_why(superuser):
    users = [make_user(f"user{i}") for i in range(3)]
    for action in ("deactivate_users", "suspend_users"):
        r = console(superuser).post(
            "/admin/accounts/user/", {"action": action, "_selected_action": [u.pk for u in users]}, follow=True
        )
        assert b"3 rows are selected; at most 2 may be acted on at once" in r.content
    assert not Event.objects.filter(event_type__in=["user.deactivated", "user.suspended"]).exists()
    r = console(superuser).post(
        "/admin/accounts/user/", {"action": "suspend_users", "_selected_action": [u.pk for u in users[:2]]}
    )
    assert Event.objects.filter(event_type="user.suspended").count() == 2


def test_suspension_locks_out_and_lifting_it_lets_back_in(moderator, alice, bob):
    client = client_for(alice)
    assert client.post("/api/socialapp/v1/posts", {"body": "before"}, format="json").status_code == 201
    user_suspend(user_id=alice.pk, actor=moderator)
    [event] = Event.objects.filter(event_type="user.suspended")
    assert set(event.payload) == {"user_id", "suspended_at"} and event.actor_id == moderator.pk
    assert not AuthToken.objects.filter(user=alice).exists()
    assert client.post("/api/socialapp/v1/posts", {"body": "during"}, format="json").status_code == 401
    assert login("alice") == 401
    # Hidden for commands too: nobody can follow them or like their posts meanwhile.
    assert client_for(bob).put("/api/socialapp/v1/users/alice/follow").status_code == 404
    with pytest.raises(NotAuthorized):  # and a stale object of the account cannot act
        from socialapp.write.posts.services import post_create

        post_create(author=alice, body="sneaky")
    with pytest.raises(Conflict):
        user_suspend(user_id=alice.pk, actor=moderator)
    user_unsuspend(user_id=alice.pk, actor=moderator)
    [lifted] = Event.objects.filter(event_type="user.unsuspended")
    assert set(lifted.payload) == {"user_id", "unsuspended_at"}
    alice.refresh_from_db()
    assert alice.is_active and alice.suspended_at is None and alice.version == 3
    assert login("alice") == 200
    with pytest.raises(Conflict):
        user_unsuspend(user_id=alice.pk, actor=moderator)
    assert replay.replay_log() == replay.snapshot()


def test_admin_suspend_and_unsuspend_actions(moderator, alice):
    c = console(moderator)
    c.post("/admin/accounts/user/", {"action": "suspend_users", "_selected_action": [alice.pk]})
    alice.refresh_from_db()
    assert alice.suspended_at is not None
    assert c.get("/admin/accounts/user/?suspended=yes").content.count(b">alice<") == 1
    c.post("/admin/accounts/user/", {"action": "unsuspend_users", "_selected_action": [alice.pk]})
    alice.refresh_from_db()
    assert alice.suspended_at is None and alice.is_active
    assert [e.event_type for e in Event.objects.filter(aggregate_id=str(alice.pk)).order_by("position")] == [
        "user.registered",
        "user.suspended",
        "user.unsuspended",
    ]


def test_a_suspended_account_can_still_be_deactivated_for_good(moderator, alice):
    user_suspend(user_id=alice.pk, actor=moderator)
    user_deactivate(user_id=alice.pk, actor=moderator)
    with pytest.raises(Conflict):
        user_suspend(user_id=alice.pk, actor=moderator)
    user_unsuspend(user_id=alice.pk, actor=moderator)
    alice.refresh_from_db()
    assert not alice.is_active and alice.deactivated_at is not None
    assert login("alice") == 401
