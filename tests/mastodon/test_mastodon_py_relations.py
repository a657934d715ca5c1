"""Blocks, mutes, a locked account's follow requests and a followers-only status through the real
Mastodon.py 2.3.3 against the live server (tests/mastodon/live.py): account_block/unblock,
account_mute (its `notifications` and `duration`)/unmute, blocks(), mutes(), follow_requests(),
follow_request_authorize/reject, account_update_credentials(locked=True) and
status_post(visibility="private"), each request as Mastodon.py builds it and each answer through
its own entity parsing."""

from __future__ import annotations

import pytest
from mastodon import MastodonNotFoundError

from tests.mastodon.clients import PASSWORD, client, make_user, registered_app

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_blocks_mutes_and_follow_requests_through_mastodon_py(live_stack) -> None:
    for name in ("alice", "bob", "cat", "dan"):
        make_user(name)
    url = live_stack.url
    app = registered_app(url)
    alice, bob, cat, dan = (client(url, app) for _ in range(4))
    for name, api in (("alice", alice), ("bob", bob), ("cat", cat), ("dan", dan)):
        api.log_in(username=name, password=PASSWORD, allow_http=True)
    bob_id = alice.account_lookup("bob").id
    cat_id = alice.account_lookup("cat").id

    # Block and unblock: the Relationship answers at once, the list follows the pipeline.
    relationship = alice.account_block(bob_id)
    assert relationship.blocking is True and relationship.following is False
    live_stack.wait(lambda: [a.id for a in alice.blocks()] == [bob_id], what="bob in alice's blocks")
    assert alice.account_relationships([bob_id])[0].blocking is True
    assert bob.account_relationships([alice.me().id])[0].blocked_by is True
    assert alice.account_unblock(bob_id).blocking is False
    live_stack.wait(lambda: list(alice.blocks()) == [], what="alice's blocks empty again")

    # Mute for an hour, statuses only; then unmute.
    relationship = alice.account_mute(cat_id, notifications=False, duration=3600)
    assert (relationship.muting, relationship.muting_notifications) == (True, False)
    mutes = live_stack.wait(lambda: list(alice.mutes()) or None, what="cat in alice's mutes")
    assert [a.id for a in mutes] == [cat_id] and mutes[0].mute_expires_at is not None
    assert alice.account_unmute(cat_id).muting is False
    live_stack.wait(lambda: list(alice.mutes()) == [], what="alice's mutes empty again")

    # bob locks his account: follows become requests he answers.
    assert bob.account_update_credentials(locked=True).locked is True
    assert cat.account_follow(bob_id).requested is True
    assert dan.account_follow(bob_id).requested is True
    requests_ = live_stack.wait(
        lambda: (found := list(bob.follow_requests())) and len(found) == 2 and found, what="two follow requests"
    )
    assert {a.username for a in requests_} == {"cat", "dan"}
    assert bob.follow_request_authorize(cat_id).followed_by is True
    dan_id = alice.account_lookup("dan").id
    rejected = bob.follow_request_reject(dan_id)
    assert (rejected.followed_by, rejected.requested_by) == (False, False)
    live_stack.wait(lambda: list(bob.follow_requests()) == [], what="no pending requests")

    # A followers-only status: Mastodon's `private`, which an edit keeps.
    status = bob.status_post("for my followers", visibility="private")
    assert status.visibility == "private"
    assert bob.status_update(status.id, "for my followers, edited").visibility == "private"

    def seen_by_cat() -> object:
        try:
            return cat.status(status.id)
        except MastodonNotFoundError:  # not projected yet
            return None

    assert live_stack.wait(seen_by_cat, what="cat, an approved follower, reads it").visibility == "private"
