"""The whole client flow through the real Mastodon.py 2.3.3 against the live server
(tests/mastodon/live.py: the app over HTTP plus relay and projector workers).

Nothing here knows our routes: every request is the one Mastodon.py builds (app registration as
a form, the password and authorization-code grants, `Link`-header paging, `key[]` lists), and
every answer goes through Mastodon.py's own parsing. Reads are eventually consistent, so each
read that follows a write waits for the condition with a timeout (`live_stack.wait`).
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from mastodon import Mastodon, MastodonIllegalArgumentError, MastodonNotFoundError, MastodonUnauthorizedError

from tests.mastodon.clients import (
    PASSWORD,
    SCOPES,
    Recorder,
    authorize_out_of_band,
    client,
    make_user,
    registered_app,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]
PAGE = 2  # a page smaller than the posts, so fetch_next / fetch_previous really page


def ids(statuses) -> list[str]:
    return [str(s.id) for s in statuses]


def notification(api: Mastodon, kind: str):
    """The newest notification of a type, or None."""
    return next((n for n in api.notifications() if n.type == kind), None)


def test_the_whole_flow_through_mastodon_py(live_stack) -> None:
    make_user("alice")
    make_user("bob")
    url = live_stack.url
    app = registered_app(url)
    assert all(app), app

    # Log in: alice by username, bob by e-mail (the password grant; Mastodon.py asks for
    # read write follow push and raises if the token's `scope` does not cover them).
    recorder = Recorder()
    alice = client(url, app, recorder)
    alice_token = alice.log_in(username="alice", password=PASSWORD, allow_http=True)
    (grant,) = recorder.sent_to("/oauth/token")
    sent = parse_qs(grant.request.body)
    assert sent["grant_type"] == ["password"] and set(sent["scope"][0].split()) == set(SCOPES), sent
    assert set(SCOPES) <= set(grant.json()["scope"].split()), grant.json()
    bob = client(url, app)
    bob.log_in(username="bob@example.org", password=PASSWORD, allow_http=True)

    me = alice.account_verify_credentials()
    assert (me.username, me.acct) == ("alice", "alice")
    bob_account = bob.account_verify_credentials()
    assert bob.account_lookup("alice").id == me.id
    assert alice.account_lookup("bob").id == bob_account.id

    # Posts and a reply.
    first = alice.status_post("Hello from Mastodon.py #conformance")
    assert first.account.id == me.id and "Hello from Mastodon.py" in first.content
    assert first.visibility == "public" and first.in_reply_to_id is None
    bobs = bob.status_post("bob was here", language="en")
    assert bobs.language == "en" and first.language is None
    reply = alice.status_reply(bobs, "nice one", language="en")  # Mastodon.py prepends "@bob"
    assert reply.language is None  # comments have no language
    assert str(reply.in_reply_to_id) == str(bobs.id)
    assert str(reply.in_reply_to_account_id) == str(bob_account.id)
    assert [m.acct for m in reply.mentions] == ["bob"] and str(reply.mentions[0].id) == str(bob_account.id)

    # The home timeline, paged through Link headers with a small limit.
    posts = [first] + [alice.status_post(f"post number {n} #conformance") for n in range(1, 5)]
    expected = list(reversed(ids(posts)))  # newest first
    live_stack.wait(
        lambda: ids(alice.timeline_home(limit=40))[: len(expected)] == expected,
        what="alice's posts in her home timeline",
    )
    assert str(reply.id) not in ids(alice.timeline_home(limit=40))  # a reply is not a home-timeline entry
    pages = [alice.timeline_home(limit=PAGE)]
    while True:
        following = alice.fetch_next(pages[-1])
        if not following:
            break
        pages.append(following)
        assert len(pages) <= len(expected), "fetch_next never ends"
    assert [i for page in pages for i in ids(page)] == expected
    assert all(len(page) <= PAGE for page in pages)
    assert ids(alice.fetch_previous(pages[2])) == ids(pages[1])

    # Favourites. As in Mastodon (a Favourite's notification is `dependent: :destroy`), the
    # favourite notification goes with the favourite.
    faved = alice.status_favourite(bobs)
    assert faved.favourited is True and faved.favourites_count == 1
    favourite = live_stack.wait(lambda: notification(bob, "favourite"), what="bob's favourite notification")
    assert favourite.account.id == me.id and str(favourite.status.id) == str(bobs.id)
    unfaved = alice.status_unfavourite(bobs)
    assert unfaved.favourited is False
    live_stack.wait(lambda: bob.status(bobs.id).favourites_count == 0, what="the favourite count back to 0")
    assert bob.status(bobs.id).language == "en"  # from the read model
    live_stack.wait(lambda: notification(bob, "favourite") is None, what="the favourite notification gone")

    # Follow, relationships, unfollow (the follow notification, like Mastodon's, goes with it).
    relationship = alice.account_follow(bob_account.id)
    assert relationship.following is True and str(relationship.id) == str(bob_account.id)
    live_stack.wait(lambda: alice.account_relationships([bob_account.id])[0].following, what="alice follows bob")
    assert bob.account_relationships([me.id])[0].followed_by is True
    follow = live_stack.wait(lambda: notification(bob, "follow"), what="bob's follow notification")
    assert follow.account.id == me.id
    mention = live_stack.wait(lambda: notification(bob, "mention"), what="bob's mention notification")
    assert mention.account.id == me.id and str(mention.status.id) == str(reply.id)
    assert alice.account_unfollow(bob_account.id).following is False
    live_stack.wait(lambda: not alice.account_relationships([bob_account.id])[0].following, what="the unfollow")
    live_stack.wait(lambda: notification(bob, "follow") is None, what="the follow notification gone")
    assert notification(bob, "mention") is not None

    # Search (Elasticsearch converges behind the pipeline).
    def found():
        result = alice.search_v2("conformance")
        return "conformance" in [t.name for t in result.hashtags] and str(first.id) in ids(result.statuses)

    live_stack.wait(found, what="the hashtag and the post in search")
    live_stack.wait(
        lambda: str(bob_account.id) in [str(a.id) for a in alice.search_v2("bob", result_type="accounts").accounts],
        what="bob in account search",
    )

    # Context of a thread.
    live_stack.wait(
        lambda: str(reply.id) in ids(bob.status_context(bobs.id).descendants), what="the reply in the context"
    )
    assert ids(alice.status_context(reply.id).ancestors) == [str(bobs.id)]

    # Edit and delete.
    edited = alice.status_update(first.id, "Edited from Mastodon.py #conformance")
    assert "Edited" in edited.content and edited.edited_at is not None
    live_stack.wait(lambda: "Edited" in alice.status(first.id).content, what="the edit on the read side")
    deleted = alice.status_delete(posts[-1].id)
    assert str(deleted.id) == str(posts[-1].id)

    def gone() -> bool:
        try:
            alice.status(posts[-1].id)
        except MastodonNotFoundError:
            return True
        return False

    live_stack.wait(gone, what="the deleted status answering 404")

    # Revocation: the token is refused at once, on both sides.
    alice.revoke_access_token(allow_http=True)
    revoked = Mastodon(access_token=alice_token, api_base_url=url)
    with pytest.raises(MastodonUnauthorizedError):
        revoked.account_verify_credentials()
    with pytest.raises(MastodonUnauthorizedError):
        revoked.status_post("after revocation")


def test_authorization_code_flow_through_the_authorize_page(live_stack) -> None:
    make_user("carol")
    app = registered_app(live_stack.url)
    api = client(live_stack.url, app)
    url = api.auth_request_url(allow_http=True)  # /oauth/authorize?...&redirect_uri=urn:ietf:wg:oauth:2.0:oob
    query = parse_qs(url.split("?", 1)[1])
    assert query["redirect_uri"] == ["urn:ietf:wg:oauth:2.0:oob"] and set(query["scope"][0].split()) == set(SCOPES)

    code = authorize_out_of_band(url, "carol", PASSWORD)
    token = api.log_in(code=code, allow_http=True)
    assert token
    assert api.account_verify_credentials().username == "carol"
    with pytest.raises(MastodonIllegalArgumentError):  # a code is good for one token only
        client(live_stack.url, app).log_in(code=code, allow_http=True)
