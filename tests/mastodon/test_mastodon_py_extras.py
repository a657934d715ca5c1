"""Read markers, the instance extras and following-only account search through the real
Mastodon.py 2.3.3 against the live server (tests/mastodon/live.py): every request is the one
Mastodon.py builds (markers_set sends JSON, markers_get `timeline[]`), every answer goes through
its own parsing (Marker, Activity, ExtendedDescription entities, `instance_health`'s text check)."""

from __future__ import annotations

import pytest

from tests.mastodon.clients import PASSWORD, client, make_user, registered_app

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_markers_instance_extras_and_following_search(live_stack) -> None:
    make_user("alice")
    make_user("bobby")
    make_user("bobcat")
    url = live_stack.url
    app = registered_app(url)
    alice, bobby = client(url, app), client(url, app)
    alice.log_in(username="alice", password=PASSWORD, allow_http=True)
    bobby.log_in(username="bobby", password=PASSWORD, allow_http=True)

    # The instance extras, as Mastodon.py reads them.
    assert alice.instance_health() is True
    assert list(alice.instance_rules()) == [] and list(alice.instance_peers()) == []
    activity = alice.instance_activity()
    assert len(activity) == 12 and all(isinstance(week.statuses, int | str) for week in activity)
    languages = {lang.code: lang.name for lang in alice.instance_languages()}  # what statuses take
    assert len(languages) == 183 and languages["en"] == "English" and languages["fr"] == "French"
    assert alice.instance_extended_description().content == ""
    assert dict(alice.instance_translation_languages()) == {}

    # The notifications marker is our read marker.
    me = alice.account_verify_credentials()
    bobby.account_follow(me.id)
    follow = live_stack.wait(lambda: next(iter(alice.notifications()), None), what="alice's follow notification")
    assert alice.markers_get(["home", "notifications"]) == {}
    marked = alice.markers_set(["notifications", "home"], [follow.id, follow.id])
    assert str(marked.notifications.last_read_id) == str(follow.id) and marked.notifications.version == 1
    assert marked.notifications.updated_at is not None  # parsed as a datetime by Mastodon.py
    got = alice.markers_get(["notifications"])
    assert set(got) == {"notifications"} and str(got.notifications.last_read_id) == str(follow.id)
    assert str(alice.markers_get("home").home.last_read_id) == str(follow.id)

    # following=True: only the accounts alice follows (and alice).
    bobcat = alice.account_lookup("bobcat")
    alice.account_follow(bobcat.id)
    live_stack.wait(lambda: alice.account_relationships([bobcat.id])[0].following, what="alice follows bobcat")

    def found(following: bool) -> set[str]:
        return {a.username for a in alice.account_search("bob", following=following)}

    live_stack.wait(lambda: found(False) == {"bobby", "bobcat"}, what="both bobs in account search")
    live_stack.wait(lambda: found(True) == {"bobcat"}, what="only the followed bob")
