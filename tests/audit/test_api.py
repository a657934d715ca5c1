"""The audit routes: an aggregate's events (paged by position) and its state as of a version or a
time, staff only, with clear 4xx problems for everything else."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from socialapp.events.models import Event
from socialapp.write.accounts.services import profile_update, user_deactivate
from socialapp.write.follows.services import user_follow, user_unfollow
from socialapp.write.posts.services import post_create, post_delete, post_edit, post_like, post_unlike
from tests.command_support import client_for, make_user

pytestmark = pytest.mark.django_db
API = "/api/socialapp/v1/admin/aggregates"
PROBLEM = "application/problem+json"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == PROBLEM
    return response.json()


def test_events_are_served_as_the_log_has_them_and_paged_by_position(alice, moderator):
    post = post_create(author=alice, body="v1")
    for n in range(2, 6):
        post_edit(post_id=post.pk, actor=alice, body=f"v{n}")
    client = client_for(moderator)
    logged = [e.as_message() for e in Event.objects.filter(aggregate_type="post", aggregate_id=str(post.pk))]
    assert [e["aggregate_version"] for e in logged] == [1, 2, 3, 4, 5]
    seen, url, pages = [], f"{API}/post/{post.pk}/events?limit=2", 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.content
        body = r.json()
        seen += body["results"]
        pages += 1
        assert len(body["results"]) <= 2
        url = body["next"] and f"{API}/post/{post.pk}/events?limit=2&cursor={body['next']}"
        assert ("Link" in r) == bool(body["next"])
    assert pages == 3
    assert seen == logged  # every field, as the log has it
    assert set(seen[0]) == {
        "position", "event_id", "event_type", "aggregate_type", "aggregate_id",
        "aggregate_version", "actor_id", "occurred_at", "schema_version", "payload",
    }  # fmt: skip


def test_pair_aggregates_have_pair_ids(alice, bob, moderator):
    post = post_create(author=bob, body="likeable")
    post_like(post_id=post.pk, user=alice)
    post_unlike(post_id=post.pk, user=alice)
    client = client_for(moderator)
    r = client.get(f"{API}/like/{post.pk}:{alice.pk}/events")
    assert [e["event_type"] for e in r.json()["results"]] == ["post.liked", "post.unliked"]
    state = client.get(f"{API}/like/{post.pk}:{alice.pk}?as_of=1").json()
    assert state["state"] == {"active": True, "version": 1} and state["latest_version"] == 2
    assert client.get(f"{API}/like/{post.pk}:{alice.pk}").json()["state"] == {"active": False, "version": 2}


def test_state_as_of_a_time(alice, moderator):
    post = post_create(author=alice, body="first")
    post_edit(post_id=post.pk, actor=alice, body="second")
    post_delete(post_id=post.pk, actor=alice)
    times = [e.occurred_at for e in Event.objects.filter(aggregate_type="post", aggregate_id=str(post.pk))]
    client = client_for(moderator)

    def at(moment: dt.datetime):
        return client.get(f"{API}/post/{post.pk}", {"as_of": moment.isoformat()})

    assert at(times[0]).json()["state"]["body"] == "first"
    between = times[0] + (times[1] - times[0]) / 2
    assert at(between).json()["version"] == 1
    assert at(times[1]).json()["state"]["body"] == "second"
    assert at(times[2]).json()["state"]["deleted"] is True
    naive = times[1].astimezone(dt.UTC).replace(tzinfo=None).isoformat()  # no offset: UTC
    assert client.get(f"{API}/post/{post.pk}", {"as_of": naive}).json()["version"] == 2
    assert "did not exist yet" in _problem(at(times[0] - dt.timedelta(seconds=1)), 404)["detail"]


def test_user_profile_as_it_read_then(alice, bob, moderator):
    carol = make_user("carol")
    profile_update(user_id=alice.pk, display_name="Alice", bio="hi")  # alice v2
    user_follow(follower=bob, username="alice")
    user_follow(follower=carol, username="alice")
    user_follow(follower=alice, username="bob")
    first = post_create(author=alice, body="one")
    post_create(author=alice, body="two")
    marker = Event.objects.latest("position").occurred_at
    post_delete(post_id=first.pk, actor=alice)
    user_unfollow(follower=bob, username="alice")
    user_deactivate(user_id=carol.pk, actor=carol)  # carol's follow stops counting
    profile_update(user_id=alice.pk, display_name="Alice B", bio="hello")  # alice v3
    client = client_for(moderator)
    then = client.get(f"{API}/user/{alice.pk}", {"as_of": marker.isoformat()}).json()
    assert then["version"] == 2 and then["state"]["display_name"] == "Alice"
    assert then["profile"] == {
        "username": "alice", "display_name": "Alice", "bio": "hi", "locked": False,
        "deactivated": False, "suspended": False,
        "follower_count": 2, "following_count": 1, "post_count": 2,
    }  # fmt: skip
    now = client.get(f"{API}/user/{alice.pk}").json()
    assert now["version"] == 3 and now["latest_version"] == 3
    assert now["profile"]["display_name"] == "Alice B"
    assert (now["profile"]["follower_count"], now["profile"]["following_count"], now["profile"]["post_count"]) == (
        0,
        1,
        1,
    )
    # A version reads as of the moment it occurred: alice's v1 came before any follow or post.
    v1 = client.get(f"{API}/user/{alice.pk}?as_of=1").json()
    assert v1["profile"]["display_name"] == "" and v1["profile"]["follower_count"] == 0
    assert client.get(f"{API}/post/{first.pk}").json()["profile"] is None


def test_staff_only(alice, moderator):
    post = post_create(author=alice, body="x")
    for url in (f"{API}/post/{post.pk}", f"{API}/post/{post.pk}/events"):
        assert _problem(APIClient().get(url), 401)["type"] == "/problems/not-authenticated"
        _problem(client_for(alice).get(url), 403)
        assert client_for(moderator).get(url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "post/{pid}?as_of=0",
        "post/{pid}?as_of=yesterday",
        "post/{pid}?as_of=2026-13-01T00:00:00",
        "post/{pid}?as_of=99999999999",
        "post/{pid}?as_of=" + "1" * 41,
        "post/{pid}/events?limit=0",
        "post/{pid}/events?limit=x",
        "post/{pid}/events?cursor=forged",
    ],
)
def test_bad_parameters_are_400(alice, moderator, path):
    post = post_create(author=alice, body="x")
    _problem(client_for(moderator).get(f"{API}/" + path.format(pid=post.pk)), 400)


def test_a_cursor_of_another_aggregate_is_refused(alice, moderator):
    a, b = (post_create(author=alice, body=s) for s in ("a", "b"))
    post_edit(post_id=a.pk, actor=alice, body="a2")
    client = client_for(moderator)
    cursor = client.get(f"{API}/post/{a.pk}/events?limit=1").json()["next"]
    _problem(client.get(f"{API}/post/{b.pk}/events", {"cursor": cursor}), 400)


@pytest.mark.parametrize(
    "path",
    [
        "post/{pid}?as_of=9",  # no such version
        "post/1",  # no such post
        "post/1/events",
        "nosuchtype/{pid}",  # not a type (no route)
        "post/{pid}:1",  # a pair id for a single aggregate
        "follow/{pid}",  # a single id for a pair aggregate
        "post/99999999999999999999",  # beyond a bigint (no route)
    ],
)
def test_unknown_is_404(alice, moderator, path):
    post = post_create(author=alice, body="x")
    _problem(client_for(moderator).get(f"{API}/" + path.format(pid=post.pk)), 404)


def test_no_private_data_in_what_staff_see(alice, moderator):
    """The log holds no e-mail, password or token (docs/events.md); neither do these answers."""
    profile_update(user_id=alice.pk, display_name="Alice", bio="bio")
    client = client_for(moderator)
    for url in (f"{API}/user/{alice.pk}/events", f"{API}/user/{alice.pk}", f"{API}/user/{alice.pk}?as_of=1"):
        text = client.get(url).content.decode()
        assert "u@example.org" not in text and "email" not in text and "password" not in text, url
