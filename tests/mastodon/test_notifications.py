"""Mastodon notifications: our kinds as Mastodon's types, filters, id paging with the exact Link
header, clear and dismiss (the reader's own state, kept across a rebuild), and the one
visibility rule (a notification about a deleted post or by a deactivated user is not shown)."""

from __future__ import annotations

import pytest

from socialapp.events.projector import REGISTRY
from tests.read.api_support import Site, make_site
from tests.read.conftest import apply_all, logged

pytestmark = pytest.mark.django_db(databases=["default", "read"])

URL = "/api/v1/notifications"


def publish(site: Site) -> None:
    """Append the world's new events to the real log (registrations are there already: the users
    are real) and apply the log, as the pipeline would: the read models then hold the log's
    positions, which a rebuild from the log reproduces."""
    done = getattr(site, "published", 0)
    logged([e for e in site.world.events[done:] if e.event_type != "user.registered"])
    site.published = len(site.world.events)  # type: ignore[attr-defined]
    apply_all(logged([]))


@pytest.fixture
def site() -> Site:
    """ann is followed by bob, her post liked by bob and commented on by cat, and mentioned by bob
    (four notifications, oldest first in that order)."""
    site = make_site("ann", "bob", "cat")
    w, i = site.world, site.ids
    w.follow(i["bob"], i["ann"])
    i["post"] = w.post(i["ann"], "hello")
    w.like(i["bob"], i["post"])
    i["comment"] = w.comment(i["cat"], i["post"], "nice")
    i["mention"] = w.post(i["bob"], "hi @ann")
    publish(site)
    return site


def listed(site: Site, params: dict | None = None, who: str = "ann") -> list[dict]:
    response = site.client(who).get(URL, params or {})
    assert response.status_code == 200, response.content
    return response.json()


def test_kinds_map_to_mastodon_types_with_entities(site: Site) -> None:
    i = site.ids
    body = listed(site)
    assert [n["type"] for n in body] == ["mention", "mention", "favourite", "follow"]
    assert [int(n["id"]) for n in body] == sorted((int(n["id"]) for n in body), reverse=True)
    mention, reply, favourite, follow = body
    assert mention["status"]["id"] == str(i["mention"]) and mention["account"]["username"] == "bob"
    assert reply["status"]["id"] == str(i["comment"]) and reply["account"]["username"] == "cat"
    assert reply["status"]["in_reply_to_id"] == str(i["post"])  # a reply to ann, shown as a mention
    assert favourite["status"]["id"] == str(i["post"]) and favourite["account"]["id"] == str(i["bob"])
    assert "status" not in follow and follow["account"]["acct"] == "bob"
    for n in body:
        assert set(n) >= {"id", "type", "created_at", "account", "group_key"}
        assert n["created_at"].endswith("Z")
    one = site.client("ann").get(f"{URL}/{follow['id']}")
    assert one.status_code == 200 and one.json() == follow
    assert listed(site, who="cat") == []  # nobody else's


def test_type_and_account_filters(site: Site) -> None:
    def types(params: dict) -> list[str]:
        return [n["type"] for n in listed(site, params)]

    assert types({"types[]": ["favourite"]}) == ["favourite"]
    assert types({"types[]": ["follow", "favourite"]}) == ["favourite", "follow"]
    assert types({"exclude_types[]": ["mention"]}) == ["favourite", "follow"]
    assert types({"types[]": ["mention"], "exclude_types[]": ["mention"]}) == []
    assert types({"types[]": ["reblog", "poll"]}) == []  # types we never produce select nothing
    assert types({"exclude_types[]": ["reblog", "nonsense"]}) == ["mention", "mention", "favourite", "follow"]
    assert types({"account_id": str(site.ids["bob"])}) == ["mention", "favourite", "follow"]
    bad = site.client("ann").get(URL, {"account_id": "bob"})
    assert bad.status_code == 422 and bad.json()["error"].startswith("Validation failed")


def test_paging_and_the_link_header(site: Site) -> None:
    client = site.client("ann")
    ids = [n["id"] for n in listed(site)]
    first = client.get(URL, {"limit": "2", "types[]": ["mention", "favourite", "follow"]})
    assert [n["id"] for n in first.json()] == ids[:2]
    base = "http://testserver/api/v1/notifications"
    kept = "types%5B%5D=mention&types%5B%5D=favourite&types%5B%5D=follow&limit=2"
    assert first["Link"] == (
        f'<{base}?{kept}&max_id={ids[1]}>; rel="next", <{base}?{kept}&min_id={ids[0]}>; rel="prev"'
    )
    second = client.get(first["Link"].split(">")[0][1:])
    assert [n["id"] for n in second.json()] == ids[2:]
    assert [n["id"] for n in client.get(URL, {"max_id": ids[3]}).json()] == []
    assert "Link" not in client.get(URL, {"max_id": ids[3]})
    assert [n["id"] for n in client.get(URL, {"min_id": ids[3], "limit": 2}).json()] == ids[1:3]
    assert [n["id"] for n in client.get(URL, {"since_id": ids[3], "limit": 2}).json()] == ids[:2]
    assert [n["id"] for n in client.get(URL, {"limit": "0"}).json()] == ids[:1]  # clamped, as Mastodon
    assert client.get(URL, {"max_id": "x"}).status_code == 422


def test_dismiss_and_clear_are_the_readers_own_and_survive_a_rebuild(site: Site) -> None:
    client = site.client("ann")
    ids = [n["id"] for n in listed(site)]
    assert client.post(f"{URL}/{ids[1]}/dismiss").json() == {}
    assert [n["id"] for n in listed(site)] == [ids[0], *ids[2:]]
    assert client.get(f"{URL}/{ids[1]}").status_code == 404
    assert client.post(f"{URL}/{ids[1]}/dismiss").status_code == 200  # idempotent
    assert site.client("bob").post(f"{URL}/{ids[0]}/dismiss").json() == {"error": "Record not found"}
    assert client.post(f"{URL}/999999/dismiss").status_code == 404

    # The reader's state is not projected: a rebuild from the log keeps it, and the ids with it.
    REGISTRY["notifications"].rebuild_strategy().run()
    assert [n["id"] for n in listed(site)] == [ids[0], *ids[2:]]

    assert client.post(f"{URL}/clear").json() == {}
    assert listed(site) == []
    assert client.get(f"{URL}/{ids[0]}").status_code == 404
    REGISTRY["notifications"].rebuild_strategy().run()
    assert listed(site) == []

    # A notification after the clear is shown.
    site.world.follow(site.ids["cat"], site.ids["ann"])
    publish(site)
    assert [n["type"] for n in listed(site)] == ["follow"]
    assert listed(site)[0]["account"]["username"] == "cat"


def test_a_notification_is_shown_only_while_its_status_and_actor_are(site: Site) -> None:
    w, i = site.world, site.ids
    w.delete(i["post"])  # the like and the comment were about ann's post
    publish(site)
    body = listed(site)
    assert [(n["type"], n["account"]["username"]) for n in body] == [("mention", "bob"), ("follow", "bob")]
    w.deactivate(i["bob"])
    publish(site)
    assert listed(site) == []


def test_auth_and_methods(site: Site) -> None:
    anonymous = site.client()
    for response in (anonymous.get(URL), anonymous.post(f"{URL}/clear"), anonymous.get(f"{URL}/1")):
        assert response.status_code == 401 and response.json() == {"error": "The access token is invalid"}
    assert site.client("ann").get(f"{URL}/clear").status_code == 405
    assert site.client("ann").get(f"{URL}/abc").status_code == 404
