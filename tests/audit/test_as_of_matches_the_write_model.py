"""`as_of` at each version equals the write model as it was right after that command, checked
while the commands run: this thread and another issue commands on the same post and the same
user; after each command the thread snapshots the write rows (replay.snapshot, the property
tests' view of the write model) and this thread compares the endpoint at the snapshot's version
with it, while the other thread keeps writing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from socialapp.write import replay
from socialapp.write.accounts.services import profile_update, user_deactivate
from socialapp.write.posts.services import post_create, post_delete, post_edit
from tests.command_support import client_for, make_user
from tests.support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/socialapp/v1/admin/aggregates"
ROUNDS = 8


def test_as_of_each_version_equals_the_write_model_after_that_command():
    alice, staff = make_user("alice"), make_user("staff", is_staff=True)
    post = post_create(author=alice, body="v1")
    client = client_for(staff)
    seen: dict[tuple[str, int], dict[str, Any]] = {}  # (table, version) -> the row as written
    lock = threading.Lock()
    other_started, failures = threading.Event(), []

    def snapshot() -> list[tuple[str, int, dict[str, Any]]]:
        now = replay.snapshot()
        rows = [("posts", now["posts"][post.pk]), ("users", now["users"][alice.pk])]
        with lock:
            for table, row in rows:
                seen[(table, row["version"])] = row
        return [(table, row["version"], row) for table, row in rows]

    def as_of(table: str, version: int) -> dict[str, Any]:
        kind, key = ("post", post.pk) if table == "posts" else ("user", alice.pk)
        r = client.get(f"{API}/{kind}/{key}", {"as_of": version})
        assert r.status_code == 200, r.content
        assert r.json()["version"] == version
        return r.json()["state"]

    def other() -> None:
        try:
            for i in range(ROUNDS):
                post_edit(post_id=post.pk, actor=alice, body=f"from the other thread {i}", sensitive=i % 2 == 0)
                snapshot()
                other_started.set()
                profile_update(user_id=alice.pk, bio=f"bio {i}", locked=i % 3 == 0)
                snapshot()
        except Exception as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            other_started.set()
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    wait_for(other_started.is_set, what="the other thread's first command")
    checked_while_running = 0
    for i in range(ROUNDS):
        post_edit(post_id=post.pk, actor=alice, body=f"from this thread {i}", spoiler_text=f"cw {i}" if i % 2 else "")
        profile_update(user_id=alice.pk, display_name=f"Alice {i}")
        for table, version, row in snapshot():
            assert as_of(table, version) == row, (table, version)
            checked_while_running += thread.is_alive()
    thread.join(timeout=60)
    assert not thread.is_alive() and not failures, failures
    post_delete(post_id=post.pk, actor=alice)
    user_deactivate(user_id=alice.pk, actor=alice)
    snapshot()
    assert checked_while_running > 0  # the other thread was still writing while these compared

    # Every version seen, compared again now that the history is complete, ends included.
    for (table, version), row in sorted(seen.items()):
        assert as_of(table, version) == row, (table, version)
    post_versions = {v for t, v in seen if t == "posts"}
    user_versions = {v for t, v in seen if t == "users"}
    assert max(post_versions) == 2 + 2 * ROUNDS and seen[("posts", max(post_versions))]["deleted"] is True
    assert max(user_versions) == 2 + 2 * ROUNDS and seen[("users", max(user_versions))]["deactivated"] is True
    assert len(post_versions) >= ROUNDS and len(user_versions) >= ROUNDS
