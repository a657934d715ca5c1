"""The admin is the moderators' console; its changes go through services and append events."""

import pytest
from django.test import Client

from socialapp.events.models import Event
from socialapp.write.comments.services import comment_create
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create, post_like
from tests.command_support import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


def test_moderator_deletes_posts_with_the_action_and_events_are_appended(console, alice, moderator):
    posts = [post_create(author=alice, body=f"p{i}") for i in range(2)]
    r = console.post(
        "/admin/posts/post/", {"action": "delete_posts", "_selected_action": [p.id for p in posts]}, follow=True
    )
    assert r.status_code == 200
    deleted = Event.objects.filter(event_type="post.deleted")
    assert deleted.count() == 2
    assert {e.actor_id for e in deleted} == {moderator.id}
    assert {e.payload["deleted_by"] for e in deleted} == {moderator.id}
    assert Post.objects.filter(deleted_at__isnull=False).count() == 2
    # Again: refused per row (already deleted), reported, nothing appended.
    r = console.post("/admin/posts/post/", {"action": "delete_posts", "_selected_action": [posts[0].id]}, follow=True)
    assert b"No such post" in r.content and deleted.count() == 2


def test_moderator_deletes_comments_and_deactivates_users(console, alice, bob):
    post = post_create(author=alice, body="p")
    comment = comment_create(post_id=post.id, author=bob, body="c")
    console.post("/admin/comments/comment/", {"action": "delete_comments", "_selected_action": [comment.id]})
    assert Event.objects.filter(event_type="comment.deleted", aggregate_id=str(comment.id)).count() == 1
    console.post("/admin/accounts/user/", {"action": "deactivate_users", "_selected_action": [bob.id]})
    [event] = Event.objects.filter(event_type="user.deactivated")
    assert event.payload["by"] == "moderator" and event.payload["user_id"] == bob.id
    bob.refresh_from_db()
    assert bob.deactivated_at is not None and not bob.is_active


def test_no_form_or_bulk_delete_bypasses_the_services(console, alice):
    post = post_create(author=alice, body="p")
    before = Event.objects.count()
    assert console.post(f"/admin/posts/post/{post.id}/change/", {"body": "hacked"}).status_code == 403
    assert console.post(f"/admin/posts/post/{post.id}/delete/", {"post": "yes"}).status_code == 403
    r = console.post("/admin/posts/post/", {"action": "delete_selected", "_selected_action": [post.id]})
    assert r.status_code in (200, 302)
    assert console.get("/admin/posts/post/add/").status_code == 403
    post.refresh_from_db()
    assert post.body == "p" and post.deleted_at is None and Event.objects.count() == before


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/?q=ali&deactivated=no&is_staff__exact=0",
        "/admin/posts/post/?q=hello&deleted=no",
        "/admin/posts/like/?active__exact=1&q=bob",
        "/admin/comments/comment/?deleted=yes&q=nice",
        "/admin/follows/follow/?active__exact=1&q=alice",
        "/admin/events/event/?event_type=post.created&aggregate_type=post",
        "/admin/events/event/?q=12345",
        "/admin/events/event/?q=not-a-uuid",
        "/admin/events/event/?occurred_at__year=2026&published=no",
    ],
)
def test_console_lists_search_and_filter(console, alice, bob, url):
    post = post_create(author=alice, body="hello #x")
    post_like(post_id=post.id, user=bob)
    comment_create(post_id=post.id, author=bob, body="nice")
    r = console.get(url)
    assert r.status_code == 200, url


def test_event_log_is_read_only_in_the_admin(console, alice):
    event = Event.objects.first()
    assert console.get(f"/admin/events/event/{event.position}/change/").status_code == 200  # view only
    assert console.post(f"/admin/events/event/{event.position}/change/", {"event_type": "x"}).status_code == 403
    assert console.post(f"/admin/events/event/{event.position}/delete/", {"post": "yes"}).status_code == 403
    assert Event.objects.get(pk=event.pk).event_type == "user.registered"


def test_non_moderators_are_kept_out():
    user = make_user("plain")
    client = Client()
    client.force_login(user)
    assert client.get("/admin/posts/post/").status_code == 302  # to the login page


def test_event_log_filters_by_type_aggregate_and_time(console, alice):
    post = post_create(author=alice, body="p")
    r = console.get("/admin/events/event/?event_type=post.created")
    assert [e.event_type for e in r.context["cl"].result_list] == ["post.created"]
    r = console.get(f"/admin/events/event/?q={post.id}")
    assert [e.aggregate_id for e in r.context["cl"].result_list] == [str(post.id)]
    r = console.get("/admin/events/event/?aggregate_type=user")
    assert {e.event_type for e in r.context["cl"].result_list} == {"user.registered"}
    r = console.get("/admin/events/event/?occurred_at__year=1999")
    assert list(r.context["cl"].result_list) == []


def test_blocks_mutes_and_pending_follow_requests_are_listed_read_only(console, alice, bob):
    from socialapp.write.accounts.services import profile_update
    from socialapp.write.follows.services import user_follow
    from socialapp.write.relations.models import Block, FollowRequest
    from socialapp.write.relations.services import follow_request_reject, user_block, user_mute

    carol = make_user("carol")
    user_block(actor=alice, target_id=bob.pk)
    user_mute(actor=alice, target_id=carol.pk, notifications=False, duration=60)
    profile_update(user_id=carol.pk, locked=True)
    user_follow(follower=bob, username="carol")
    dan = make_user("dan")
    user_follow(follower=dan, username="carol")
    follow_request_reject(owner=carol, follower_id=dan.pk)
    for url in [
        "/admin/relations/block/?active__exact=1&q=alice",
        "/admin/relations/mute/?notifications__exact=0&q=carol",
    ]:
        r = console.get(url)
        assert r.status_code == 200, url
    r = console.get("/admin/relations/followrequest/?q=carol")
    assert r.status_code == 200 and b"bob" in r.content and b"dan" not in r.content  # pending only
    block = Block.objects.get()
    before = Event.objects.count()
    assert console.get("/admin/relations/block/add/").status_code == 403
    assert console.post(f"/admin/relations/block/{block.pk}/change/", {"active": ""}).status_code == 403
    assert console.post(f"/admin/relations/block/{block.pk}/delete/", {"post": "yes"}).status_code == 403
    request = FollowRequest.objects.get(follower=bob)
    assert console.post(f"/admin/relations/followrequest/{request.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Block.objects.get().active and Event.objects.count() == before
