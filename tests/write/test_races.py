"""Racing duplicates against the real database, from parallel threads (each with its own
connection and transaction): one row, one event."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from socialapp.common.errors import DomainError
from socialapp.events.models import Event
from socialapp.write.accounts.models import User
from socialapp.write.follows.models import Follow
from socialapp.write.follows.services import user_follow, user_unfollow
from socialapp.write.posts.models import Like, Post
from socialapp.write.posts.services import post_create, post_delete, post_edit, post_like
from tests.command_support import make_user

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 4


def race(command: Callable[[int], object], n: int = THREADS) -> list[object]:
    """Run command(i) in n threads released together by a barrier; results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = command(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_racing_likes_leave_one_row_and_one_event():
    alice, bob = make_user("alice"), make_user("bob")
    post = post_create(author=alice, body="race me")
    results = race(lambda i: post_like(post_id=post.id, user=bob))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(changed for _like, changed in results) == [False] * (THREADS - 1) + [True]
    assert Like.objects.filter(post=post, user=bob).count() == 1
    assert Event.objects.filter(event_type="post.liked").count() == 1


def test_racing_likes_after_an_unlike_append_one_event_and_refuse_none():
    """The row exists (inactive): only its FOR UPDATE lock stops every racer from appending."""
    from socialapp.write.posts.services import post_unlike

    alice, bob = make_user("alice"), make_user("bob")
    post = post_create(author=alice, body="race me again")
    post_like(post_id=post.id, user=bob)
    post_unlike(post_id=post.id, user=bob)
    results = race(lambda i: post_like(post_id=post.id, user=bob))
    assert not [r for r in results if isinstance(r, Exception)], results
    versions = list(Event.objects.filter(aggregate_type="like").values_list("aggregate_version", flat=True))
    assert versions == [1, 2, 3]
    assert Like.objects.get().version == 3


def test_racing_follows_leave_one_row_and_one_event():
    alice, bob = make_user("alice"), make_user("bob")
    race(lambda i: user_follow(follower=alice, username="bob"))
    assert Follow.objects.filter(follower=alice, followee=bob, active=True).count() == 1
    assert Event.objects.filter(event_type="user.followed").count() == 1


def test_racing_follow_and_unfollow_keep_versions_gap_free():
    alice, _bob = make_user("alice"), make_user("bob")
    race(lambda i: (user_follow if i % 2 == 0 else user_unfollow)(follower=alice, username="bob"), n=6)
    versions = list(Event.objects.filter(aggregate_type="follow").values_list("aggregate_version", flat=True))
    assert versions == list(range(1, len(versions) + 1))
    follow = Follow.objects.get()
    assert follow.version == len(versions)
    types = list(Event.objects.filter(aggregate_type="follow").values_list("event_type", flat=True))
    assert all(a != b for a, b in itertools.pairwise(types))  # they alternate
    assert follow.active == (types[-1] == "user.followed")


def test_racing_registrations_of_one_username_leave_one_user_and_one_event():
    results = race(lambda i: make_user("Zed" if i % 2 else "zed"))
    assert sum(isinstance(r, User) for r in results) == 1
    assert all(isinstance(r, (User, DomainError)) for r in results), results
    assert User.objects.filter(username__iexact="zed").count() == 1
    assert Event.objects.filter(event_type="user.registered").count() == 1


def test_racing_edits_and_delete_of_one_post_keep_versions_gap_free_and_no_lost_update():
    alice = make_user("alice")
    post = post_create(author=alice, body="v0")
    results = race(lambda i: post_edit(post_id=post.id, actor=alice, body=f"edit {i}"))
    assert not [r for r in results if isinstance(r, Exception)], results
    log = list(Event.objects.filter(aggregate_type="post").order_by("aggregate_version"))
    assert [e.aggregate_version for e in log] == list(range(1, THREADS + 2))
    post.refresh_from_db()
    assert post.body == log[-1].payload["body"] and post.version == THREADS + 1
    results = race(lambda i: post_delete(post_id=post.id, actor=alice), n=2)
    assert sum(isinstance(r, Post) for r in results) == 1
    assert Event.objects.filter(event_type="post.deleted").count() == 1


def test_likes_and_comments_racing_a_post_delete_all_commit_before_it_or_are_refused():
    """FOR SHARE on the post: a like or comment either commits before `post.deleted` (and the
    delete implies its removal) or sees the deletion and is refused; never after it."""
    from socialapp.write.comments.services import comment_create

    alice = make_user("alice")
    fans = [make_user(f"fan_{i}") for i in range(THREADS)]
    post = post_create(author=alice, body="going away")

    def act(i: int) -> object:
        if i == THREADS:
            return post_delete(post_id=post.id, actor=alice)
        if i % 2:
            return comment_create(post_id=post.id, author=fans[i], body="quick")
        return post_like(post_id=post.id, user=fans[i])

    results = race(act, n=THREADS + 1)
    assert all(not isinstance(r, Exception) or isinstance(r, DomainError) for r in results), results
    deleted = Event.objects.get(event_type="post.deleted")
    attached = Event.objects.filter(event_type__in=["post.liked", "comment.created"])
    assert all(e.position < deleted.position for e in attached)
    assert attached.count() == sum(not isinstance(r, Exception) for r in results[:THREADS])


_LIKE_IN_A_PROCESS = """
import sys
import django
django.setup()
from django.db import connection
from socialapp.write.accounts.models import User
from socialapp.write.posts.services import post_like
user = User.objects.get(pk=int(sys.argv[1]))
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()  # the parent releases every process at once
_like, changed = post_like(post_id=int(sys.argv[2]), user=user)
print("changed" if changed else "same", flush=True)
"""


@pytest.mark.slow
def test_racing_likes_from_separate_processes_leave_one_row_and_one_event():
    import subprocess
    import sys

    from tests.support import REPO, child_env

    alice, bob = make_user("alice"), make_user("bob")
    post = post_create(author=alice, body="race me across processes")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LIKE_IN_A_PROCESS, str(bob.pk), str(post.id)],
            cwd=REPO,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(THREADS)
    ]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes = [p.communicate(timeout=60)[0].strip() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert sorted(outcomes) == ["changed"] + ["same"] * (THREADS - 1), outcomes
    assert Like.objects.filter(post=post, user=bob).count() == 1
    assert Event.objects.filter(event_type="post.liked").count() == 1


def test_two_moderators_deactivating_each_other_at_once_one_wins_the_other_is_refused():
    """The acting moderator is locked FOR SHARE and re-checked: a moderator deactivated a moment
    ago cannot deactivate anyone, and the opposite lock modes on the two rows never deadlock."""
    from socialapp.common.errors import NotAuthorized
    from socialapp.write.accounts.services import user_deactivate

    for round_ in range(5):  # the interleaving varies: every round must end the same way
        # Superusers: only they may act on staff accounts (moderators on each other are refused).
        mods = [make_user(f"mod{round_}{x}", is_staff=True, is_superuser=True) for x in "ab"]
        results = race(lambda i, mods=mods: user_deactivate(user_id=mods[1 - i].pk, actor=mods[i]), n=2)
        refused = [r for r in results if isinstance(r, NotAuthorized)]
        assert len(refused) == 1 and len([r for r in results if isinstance(r, User)]) == 1, results
        assert User.objects.filter(pk__in=[m.pk for m in mods], deactivated_at__isnull=False).count() == 1
    assert Event.objects.filter(event_type="user.deactivated").count() == 5


@pytest.mark.parametrize("rounds", range(6))
def test_a_block_racing_follows_and_likes_leaves_none_of_them(rounds):
    """The pair lock: a follow or like either commits before the block (which then ends the
    follow; a like is simply older than the block) or waits for it and is refused. Never a
    follow that outlives the block."""
    from socialapp.write.relations.services import user_block

    alice, bob = make_user(f"alice{rounds}"), make_user(f"bob{rounds}")
    post = post_create(author=bob, body="race the block")

    def command(i: int) -> object:
        if i == 0:
            return user_block(actor=bob, target_id=alice.pk)
        if i % 2:
            return user_follow(follower=alice, username=bob.username)
        return user_follow(follower=bob, username=alice.username)

    results = race(command, n=5)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)], results
    assert not Follow.objects.filter(active=True).exists()
    liked = race(lambda i: post_like(post_id=post.id, user=alice), n=2)
    assert all(isinstance(r, DomainError) for r in liked), liked
