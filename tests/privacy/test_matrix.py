"""The authorisation matrix: every read endpoint x every viewer relation x every status of the
world (tests/privacy/world_site.py), each answer held to the oracle of tests/privacy/oracle.py
(docs/privacy.md's tables), and nothing hand-listed: the cases are generated from the relation,
visibility and endpoint lists, and the URLconf is walked so that a GET route that could show a
status is either in the matrix or in EXCLUDED with its reason.

Two failures are told apart in every message: a LEAK (the endpoint shows what the rule hides) and
a MISS (the endpoint selects the status and the rule allows it, but it is not there). Each names
the endpoint, the viewer's relation to the author, the status's visibility and kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test.utils import override_settings
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.privacy import oracle
from tests.privacy.relations import RELATIONS
from tests.privacy.world_site import TAG, WORD, MatrixWorld, build, tear_down

pytestmark = pytest.mark.django_db(databases=["default", "read"])

API = "/api/socialapp/v1"
Json = Any


@pytest.fixture(scope="module")
def mw(django_db_setup, django_db_blocker) -> Iterator[MatrixWorld]:
    """One world for the whole module (building it is most of the cost), removed at the end."""
    with django_db_blocker.unblock(), override_settings(SEARCH_HASHTAG_PUSH_SECONDS=0):
        try:
            yield build()
        finally:
            tear_down()


# ----------------------------------------------------------------------------------- endpoints


def _ours(body: Json) -> list[int]:
    return [int(item["id"]) for item in body["results"]]


def _statuses(body: Json) -> list[int]:
    return [int(item["id"]) for item in body]


def _ours_notifications(body: Json) -> list[int]:
    return [int(n["post_id"]) for n in body["results"] if n.get("post_id")] + [
        int(n["comment_id"]) for n in body["results"] if n.get("comment_id")
    ]


def _mastodon_notifications(body: Json) -> list[int]:
    return [int(n["status"]["id"]) for n in body if n.get("status")]


def _context(body: Json) -> list[int]:
    return [int(s["id"]) for s in body["ancestors"] + body["descendants"]]


def _one(body: Json) -> list[int]:
    return [int(body["id"])]


def _presence_only(body: Json) -> list[int]:
    return []  # presence is the 200 itself; the accounts are checked by test_who_liked_*


@dataclass(frozen=True)
class Endpoint:
    """One read endpoint as the matrix calls it.

    `per`: "viewer" (one call per viewer) or "post" / "status" (one call per viewer and target:
    the posts, or posts and comments). `members(mw, relation, target)`: the statuses the endpoint
    selects before the rule (the rule then decides which of them the viewer gets). `exact`: a
    status outside members ∩ allowed is a failure too (feeds, notifications, favourites: what is
    in them is theirs to decide, and a notification the rule hides must not be there at all)."""

    name: str
    route: str  # the URLconf route, for the discovery test
    context: str
    url: Callable[[MatrixWorld, int | None], tuple[str, dict[str, Any]]]
    found: Callable[[Json], list[int]]
    members: Callable[[MatrixWorld, str, int | None], set[int]]
    per: str = "viewer"
    signed_in: bool = False
    exact: bool = False
    token: bool = False
    target_found: bool = False  # a 200 means the target itself is shown
    post_context: str | None = None  # the context of the posts it shows, when not `context`

    def __str__(self) -> str:
        return self.name + (" +token" if self.token else "")


def _all_posts(mw: MatrixWorld, relation: str, target: int | None) -> set[int]:
    return set(mw.posts)


def _home(mw: MatrixWorld, relation: str, target: int | None) -> set[int]:
    """The home feed's own selection (docs/read-models.md): one's own posts, the followees' unless
    direct, and followers-only and direct posts that addressed the reader when created."""
    facts, uid = RELATIONS[relation], mw.ids.get(relation)
    return {
        p
        for p, s in mw.posts.items()
        if facts.author
        or (facts.follows and s.visibility != "direct")
        or (s.visibility in ("followers", "direct") and uid in s.mentions)
    }


def _notified(mw: MatrixWorld, relation: str, target: int | None) -> set[int]:
    """Posts the viewer holds a notification about, kept only if the notification is shown:
    for the author, likes by someone the author may see notifications of; for the others, the
    author's mentions of them, unless blocked or muted with notifications."""
    facts = RELATIONS[relation]
    if facts.author:
        # Likes and answers; the author hides those of users blocked either way (and mutes no one).
        liked = {p for p, likers in mw.likes.items() if any(not RELATIONS[n].blocked for n in likers)}
        answers = {c for c, s in mw.comments.items() if s.by != "author" and not RELATIONS[s.by].blocked}
        return liked | answers | {mw.comments[c].post for c in answers}
    if not oracle.notified(facts):
        return set()
    return {p for p, post in mw.posts.items() if mw.ids[relation] in post.mentions}


def _favourites(mw: MatrixWorld, relation: str, target: int | None) -> set[int]:
    return {p for p, likers in mw.likes.items() if relation in likers}


def _itself(mw: MatrixWorld, relation: str, target: int | None) -> set[int]:
    return {target} if target is not None else set()


def _comments_of(mw: MatrixWorld, relation: str, target: int | None) -> set[int]:
    return {c for c, s in mw.comments.items() if s.post == target}


def _thread_of(mw: MatrixWorld, relation: str, target: int | None) -> set[int]:
    """Mastodon's context: a post's comments, or a comment's post; none when the target is hidden."""
    assert target is not None
    if not mw.sees(relation, target, "detail"):
        return set()
    status = mw.status(target)
    return {status.post} if status.post is not None else _comments_of(mw, relation, target)


def _by(mw: MatrixWorld, writer: str) -> set[int]:
    return {s.id for s in [*mw.posts.values(), *mw.comments.values()] if s.by == writer}


def _answers(mw: MatrixWorld) -> set[int]:
    return {c for c, s in mw.comments.items() if s.by != "author"}


def _user_posts(mw: MatrixWorld, target: int | None) -> tuple[str, dict[str, Any]]:
    return f"{API}/users/author/posts", {"limit": 100}


ENDPOINTS: list[Endpoint] = [
    # ours
    Endpoint("feed", "api/socialapp/v1/feed", "home", lambda mw, t: (f"{API}/feed", {"limit": 100}), _ours, _home,
             signed_in=True, exact=True),
    Endpoint("user posts", "api/socialapp/v1/users/<username:username>/posts", "profile", _user_posts, _ours,
             _all_posts),
    Endpoint("post detail", "api/socialapp/v1/posts/<id:post_id>", "detail",
             lambda mw, t: (f"{API}/posts/{t}", {}), _one, _itself, per="post", exact=True),
    Endpoint("post comments", "api/socialapp/v1/posts/<id:post_id>/comments", "thread",
             lambda mw, t: (f"{API}/posts/{t}/comments", {"limit": 100}), _ours, _comments_of, per="post",
             exact=True),
    Endpoint("tag posts", "api/socialapp/v1/tags/<tag:tag>/posts", "tag",
             lambda mw, t: (f"{API}/tags/{TAG}/posts", {"limit": 100}), _ours, _all_posts),
    Endpoint("notifications", "api/socialapp/v1/notifications", "notifications",
             lambda mw, t: (f"{API}/notifications", {"limit": 100}), _ours_notifications, _notified,
             signed_in=True, exact=True),
    Endpoint("search posts", "api/socialapp/v1/search/posts", "search",
             lambda mw, t: (f"{API}/search/posts", {"q": WORD, "limit": 100}), _ours, _all_posts,
             signed_in=True),
    # Mastodon
    Endpoint("mastodon home", "api/v1/timelines/home", "home", lambda mw, t: ("/api/v1/timelines/home", {"limit": 40}),
             _statuses, _home, signed_in=True, exact=True),
    Endpoint("mastodon public", "api/v1/timelines/public", "public",
             lambda mw, t: ("/api/v1/timelines/public", {"limit": 40}), _statuses, _all_posts),
    Endpoint("mastodon tag", "api/v1/timelines/tag/<tag:tag>", "tag",
             lambda mw, t: (f"/api/v1/timelines/tag/{TAG}", {"limit": 40}), _statuses, _all_posts),
    Endpoint("mastodon account statuses", "api/v1/accounts/<id:account_id>/statuses", "profile",
             lambda mw, t: (f"/api/v1/accounts/{mw.author}/statuses", {"limit": 40}), _statuses, _all_posts),
    Endpoint("mastodon status", "api/v1/statuses/<id:status_id>", "detail",
             lambda mw, t: (f"/api/v1/statuses/{t}", {}), _one, _itself, per="status", exact=True),
    # At most 20 ids a call (Mastodon's limit): the author's statuses, then the others' answers.
    Endpoint("mastodon statuses batch", "api/v1/statuses", "detail",
             lambda mw, t: ("/api/v1/statuses", {"id[]": [str(i) for i in _by(mw, "author")]}), _statuses,
             lambda mw, r, t: _by(mw, "author"), exact=True),
    Endpoint("mastodon statuses batch of answers", "api/v1/statuses", "detail",
             lambda mw, t: ("/api/v1/statuses", {"id[]": [str(i) for i in _answers(mw)]}), _statuses,
             lambda mw, r, t: _answers(mw), exact=True),
    Endpoint("mastodon context", "api/v1/statuses/<id:status_id>/context", "thread",
             lambda mw, t: (f"/api/v1/statuses/{t}/context", {}), _context, _thread_of, per="status", exact=True,
             post_context="detail"),  # the post above a comment's thread: Context.DETAIL's own words
    Endpoint("mastodon favourited_by", "api/v1/statuses/<id:status_id>/favourited_by", "detail",
             lambda mw, t: (f"/api/v1/statuses/{t}/favourited_by", {}), _presence_only, _itself, per="post", exact=True,
             target_found=True),
    Endpoint("mastodon history", "api/v1/statuses/<id:status_id>/history", "detail",
             lambda mw, t: (f"/api/v1/statuses/{t}/history", {}), _presence_only, _itself, per="status", exact=True,
             target_found=True),
    Endpoint("mastodon notifications", "api/v1/notifications", "notifications",
             lambda mw, t: ("/api/v1/notifications", {"limit": 40}), _mastodon_notifications, _notified,
             signed_in=True, exact=True),
    Endpoint("mastodon search", "api/v2/search", "search",
             lambda mw, t: ("/api/v2/search", {"q": WORD, "type": "statuses", "limit": 40}),
             lambda body: [int(s["id"]) for s in body["statuses"]], _all_posts),
    Endpoint("mastodon favourites", "api/v1/favourites", "likes", lambda mw, t: ("/api/v1/favourites", {"limit": 40}),
             _statuses, _favourites, signed_in=True, exact=True),
    # Variants that take another query path on the same route.
    Endpoint("search posts by author, recent", "api/socialapp/v1/search/posts", "search",
             lambda mw, t: (f"{API}/search/posts", {"q": WORD, "author": "author", "sort": "recent", "limit": 100}),
             _ours, _all_posts, signed_in=True),
    Endpoint("mastodon search by account", "api/v2/search", "search",
             lambda mw, t: ("/api/v2/search", {"q": WORD, "type": "statuses", "account_id": str(mw.author)}),
             lambda body: [int(s["id"]) for s in body["statuses"]], _all_posts),
    Endpoint("mastodon account statuses without replies", "api/v1/accounts/<id:account_id>/statuses", "profile",
             lambda mw, t: (f"/api/v1/accounts/{mw.author}/statuses", {"limit": 40, "exclude_replies": "true"}),
             _statuses, _all_posts),
    Endpoint("mastodon public local", "api/v1/timelines/public", "public",
             lambda mw, t: ("/api/v1/timelines/public", {"limit": 40, "local": "true"}), _statuses, _all_posts),
    # Small pages, walked by their Link headers: the rule must filter before the limit, or a
    # page comes back short or empty while more follows (and a client stops there).
    Endpoint("feed, pages of 2", "api/socialapp/v1/feed", "home", lambda mw, t: (f"{API}/feed", {"limit": 2}),
             _ours, _home, signed_in=True, exact=True),
    Endpoint("user posts, pages of 2", "api/socialapp/v1/users/<username:username>/posts", "profile",
             lambda mw, t: (f"{API}/users/author/posts", {"limit": 2}), _ours, _all_posts),
    Endpoint("mastodon public, pages of 2", "api/v1/timelines/public", "public",
             lambda mw, t: ("/api/v1/timelines/public", {"limit": 2}), _statuses, _all_posts),
    Endpoint("mastodon account statuses, pages of 2", "api/v1/accounts/<id:account_id>/statuses", "profile",
             lambda mw, t: (f"/api/v1/accounts/{mw.author}/statuses", {"limit": 2}), _statuses, _all_posts),
    Endpoint("mastodon notifications, pages of 2", "api/v1/notifications", "notifications",
             lambda mw, t: ("/api/v1/notifications", {"limit": 2}), _mastodon_notifications, _notified,
             signed_in=True, exact=True),
]  # fmt: skip

# The consistency-token path: the same reads, carrying a token of the world's last events (the
# wait is satisfied at once; what is shown must not change).
TOKEN_PATH = ("feed", "post detail", "notifications", "search posts", "mastodon home", "mastodon status")
CASES = ENDPOINTS + [Endpoint(**{**e.__dict__, "token": True}) for e in ENDPOINTS if e.name in TOKEN_PATH]  # type: ignore[arg-type]

# GET routes that show no status, or show one only through a path of the matrix, and why.
EXCLUDED: dict[str, str] = {
    "api/socialapp/v1/schema": "the OpenAPI document",
    "api/socialapp/v1/docs": "the API documentation page",
    "api/socialapp/v1/me": "the caller's own profile",
    "api/socialapp/v1/auth/sessions": "the caller's own sessions",
    "api/socialapp/v1/users/<username:username>": "a profile (no status): test_accounts_listed_and_reachable",
    "api/socialapp/v1/users/<username:username>/followers": "accounts: test_accounts_listed_and_reachable",
    "api/socialapp/v1/users/<username:username>/following": "accounts: test_accounts_listed_and_reachable",
    "api/socialapp/v1/search/users": "accounts: test_accounts_listed_and_reachable",
    "api/socialapp/v1/search/hashtags": "hashtag names and counts, no status",
    "^api/v1/apps/verify_credentials/?$": "the calling app",
    "^oauth/authorize/?$": "the OAuth consent page",
    "api/v1/accounts": "accounts by id (no status)",
    "api/v1/instance": "instance metadata",
    "api/v1/instance/": "instance metadata",
    "api/v2/instance": "instance metadata",
    "api/v2/instance/": "instance metadata",
    "api/v1/custom_emojis": "instance metadata",
    "api/v1/preferences": "the caller's preferences",
    "api/v1/instance/rules": "instance metadata",
    "api/v1/instance/peers": "instance metadata",
    "api/v1/instance/activity": "instance metadata (counts only)",
    "api/v1/instance/extended_description": "instance metadata",
    "api/v1/instance/languages": "instance metadata",
    "api/v1/instance/translation_languages": "instance metadata",
    "api/v1/accounts/verify_credentials": "the caller's own account",
    "api/v1/accounts/lookup": "an account by name (no status)",
    "api/v1/accounts/relationships": "the caller's own relationships",
    "api/v1/accounts/<id:account_id>": "an account (no status): test_accounts_listed_and_reachable",
    "api/v1/accounts/<id:account_id>/followers": "accounts: test_accounts_listed_and_reachable",
    "api/v1/accounts/<id:account_id>/following": "accounts: test_accounts_listed_and_reachable",
    "api/v1/accounts/search": "accounts: test_accounts_listed_and_reachable",
    "api/v1/statuses/<id:status_id>/source": "the author's own source text (Mastodon: update? policy): "
    "test_source_is_the_authors_only",
    "api/v1/notifications/unread_count": "a count of what the notifications list shows: test_unread_counts",
    "api/v1/notifications/<id:notification_id>": "one notification of the list: test_one_notification_by_id",
    "api/v1/markers": "the caller's own read positions",
    "api/socialapp/v1/me/blocks": "the caller's own blocks (accounts): test_own_relation_lists",
    "api/socialapp/v1/me/mutes": "the caller's own mutes (accounts): test_own_relation_lists",
    "api/socialapp/v1/me/follow-requests": "requests to follow the caller (accounts): test_own_relation_lists",
    "api/v1/blocks": "the caller's own blocks (accounts): test_own_relation_lists",
    "api/v1/mutes": "the caller's own mutes (accounts): test_own_relation_lists",
    "api/v1/follow_requests": "requests to follow the caller (accounts): test_own_relation_lists",
    "api/socialapp/v1/trends/tags": "hashtag names and counts, no status",
    "api/socialapp/v1/tags/<tag:tag>/history": "a hashtag's daily counts, no status",
    "api/v1/trends": "hashtag entities, no status",
    "api/v1/trends/tags": "hashtag entities, no status",
    "api/v1/trends/links": "always empty",
    "api/v1/tags/<tag:tag>": "a hashtag entity, no status",
    # Only posts that engagement ranked, re-checked by post_visible(PUBLIC) as the public timeline
    # (which the matrix covers); blocks, mutes, deletes and suspensions: tests/read/test_trends.py.
    "api/socialapp/v1/trends/posts": "ranked posts under the public timeline's rule: tests/read/test_trends.py",
    "api/v1/trends/statuses": "ranked posts under the public timeline's rule: tests/read/test_trends.py",
    "api/socialapp/v1/admin/dashboard": "staff only: counts per minute, no status (tests/read/test_activity.py)",
    "api/socialapp/v1/admin/aggregates/<aggregate_type:aggregate_type>/<aggregate_id:aggregate_id>": "staff only: "
    "an aggregate's state folded from the log (tests/audit/test_api.py::test_staff_only)",
    "api/socialapp/v1/admin/aggregates/<aggregate_type:aggregate_type>/<aggregate_id:aggregate_id>/events": "staff "
    "only: the log itself (tests/audit/test_api.py::test_staff_only)",
}


def _case_id(case: Endpoint) -> str:
    return str(case).replace(" ", "-")


# ----------------------------------------------------------------------------------- the matrix


def _client(mw: MatrixWorld, relation: str, token: bool) -> APIClient:
    client = APIClient()
    if relation in mw.tokens:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {mw.tokens[relation]}")
    if token:
        client.credentials(
            **({"HTTP_AUTHORIZATION": f"Bearer {mw.tokens[relation]}"} if relation in mw.tokens else {}),
            HTTP_X_CONSISTENCY_TOKEN=mw.consistency_token(),
        )
    return client


def _get(client: APIClient, path: str, params: dict[str, Any]) -> Any:
    response = client.get(path, params)
    assert response.status_code < 500, (path, response.status_code, response.content[:300])
    return response


NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def _pages(client: APIClient, path: str, params: dict[str, Any]) -> tuple[Any, list[Json]]:
    """The first response, and the bodies of it and of every next page (the `Link` header)."""
    first = response = _get(client, path, params)
    bodies: list[Json] = []
    while response.status_code == 200 and len(bodies) < 80:
        body = response.json()
        items = body.get("results") if isinstance(body, dict) else body
        bodies.append(body)
        found = NEXT.search(response.get("Link", ""))
        if not items or not found:
            break
        response = _get(client, found.group(1).removeprefix("http://testserver"), {})
    return first, bodies


@dataclass
class Findings:
    lines: list[str] = field(default_factory=list)
    checked: int = 0

    def add(self, mw: MatrixWorld, what: str, case: Endpoint, relation: str, sid: int, detail: str = "") -> None:
        s = mw.status(sid)
        kind = f"{s.kind} post" if s.post is None else f"comment by {s.by} on a {mw.posts[s.post].kind} post"
        self.lines.append(
            f"{what}: viewer={relation} ({_relation_words(relation)}), {s.visibility} {kind} {sid},"
            f" endpoint={case} [{case.context}]{detail}"
        )


def _relation_words(relation: str) -> str:
    facts = RELATIONS[relation]
    return ", ".join(f"{k}={v}" for k, v in facts.__dict__.items() if v) or "no relation"


def _targets(mw: MatrixWorld, case: Endpoint) -> list[int | None]:
    if case.per == "post":
        return list(mw.posts)
    if case.per == "status":
        return [*mw.posts, *mw.comments]
    return [None]


@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matrix(mw: MatrixWorld, case: Endpoint, relation: str) -> None:
    facts, findings = RELATIONS[relation], Findings()
    client = _client(mw, relation, case.token)
    every = [*mw.posts, *mw.comments]
    for target in _targets(mw, case):
        path, params = case.url(mw, target)
        response, bodies = _pages(client, path, params)
        if facts.anonymous and case.signed_in:
            assert response.status_code == 401, (str(case), response.status_code)
            return
        if case.token:
            assert response.get("X-Consistency-Satisfied") == "true", (str(case), dict(response.items()))
        if case.per == "viewer":
            assert response.status_code == 200, (str(case), relation, response.status_code, response.content[:300])
        found: set[int] = set()
        if response.status_code == 200:
            found = {sid for body in bodies for sid in case.found(body)}
            if case.target_found and target is not None:
                found.add(target)
        else:
            assert response.status_code == 404, (str(case), relation, target, response.status_code)
        members = case.members(mw, relation, target)
        for sid in every:
            context = case.post_context if case.post_context and sid in mw.posts else case.context
            allowed = mw.sees(relation, sid, context)
            got = sid in found
            findings.checked += 1
            if got and not allowed:
                findings.add(mw, "LEAK", case, relation, sid, " (the rule hides it)")
            elif got and case.exact and sid not in members:
                findings.add(mw, "LEAK", case, relation, sid, " (not this endpoint's to show to this viewer)")
            elif not got and allowed and sid in members:
                findings.add(mw, "MISS", case, relation, sid, " (selected and allowed, but absent)")
    assert findings.checked
    assert not findings.lines, "\n".join(findings.lines)


# ----------------------------------------------------------------------------------- beside the matrix


@pytest.mark.parametrize("relation", [r for r, f in RELATIONS.items() if not f.anonymous])
def test_notifications_never_show_a_hidden_actor(mw: MatrixWorld, relation: str) -> None:
    """docs/privacy.md: blocks either way, and a mute with notifications, hide the notifications
    the other user caused; a mute without notifications or an expired one does not."""
    facts = RELATIONS[relation]
    if facts.author:
        hidden = {mw.ids[n] for n, f in RELATIONS.items() if f.blocked}  # the author mutes no one
    else:
        hidden = set() if oracle.notified(facts) else {mw.author}
    client = _client(mw, relation, False)
    ours = [n for body in _pages(client, f"{API}/notifications", {"limit": 100})[1] for n in body["results"]]
    theirs = [n for body in _pages(client, "/api/v1/notifications", {"limit": 40})[1] for n in body]
    actors = {int(n["actor"]["id"]) for n in ours} | {int(n["account"]["id"]) for n in theirs}
    assert not actors & hidden, {mw.name(i) for i in actors & hidden}


@pytest.mark.parametrize("relation", [r for r, f in RELATIONS.items() if not f.anonymous])
def test_unread_counts(mw: MatrixWorld, relation: str) -> None:
    """A hidden notification is not counted either (all are unread here)."""
    client = _client(mw, relation, False)
    ours = _get(client, f"{API}/notifications", {"limit": 100}).json()
    assert ours["unread_count"] == len(ours["results"]) and not ours["next"]
    listed = [n for body in _pages(client, "/api/v1/notifications", {"limit": 40})[1] for n in body]
    count = _get(client, "/api/v1/notifications/unread_count", {}).json()["count"]
    assert count == len(listed)


@pytest.mark.parametrize("relation", [r for r, f in RELATIONS.items() if not f.anonymous])
def test_one_notification_by_id(mw: MatrixWorld, relation: str) -> None:
    """Every notification the viewer holds in the read model answers by id exactly when the list shows it."""
    from socialapp.read.common.sql import fetchall

    client = _client(mw, relation, False)
    listed = {n["id"] for body in _pages(client, "/api/v1/notifications", {"limit": 40})[1] for n in body}
    held = [
        str(r[0]) for r in fetchall("SELECT seq FROM read_notification WHERE recipient_id = %s", [mw.ids[relation]])
    ]
    wrong = [
        (seq, seq in listed)
        for seq in held
        if (_get(client, f"/api/v1/notifications/{seq}", {}).status_code == 200) != (seq in listed)
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("relation", list(RELATIONS))
def test_who_liked_lists_only_listed_accounts(mw: MatrixWorld, relation: str) -> None:
    """favourited_by, where the post is visible: its likers, minus accounts blocked either way."""
    client, failures = _client(mw, relation, False), []
    for pid, likers in mw.likes.items():
        response = _get(client, f"/api/v1/statuses/{pid}/favourited_by", {"limit": 80})
        if response.status_code != 200:
            continue  # the matrix checks when it must be 200
        got = {mw.name(int(a["id"])) for a in response.json()}
        expected = {n for n in likers if RELATIONS[relation].author is False or oracle.listed(RELATIONS[n])}
        if got != expected:
            failures.append(
                (mw.posts[pid].visibility, mw.posts[pid].kind, "extra", got - expected, "missing", expected - got)
            )
    assert not failures, failures


@pytest.mark.parametrize("relation", list(RELATIONS))
def test_accounts_listed_and_reachable(mw: MatrixWorld, relation: str) -> None:
    """The author appears in the viewer's lists (someone's following, account search) unless
    blocked either way; the profile stays reachable by id and name whatever the relation."""
    facts, client = RELATIONS[relation], _client(mw, relation, False)
    expected = oracle.listed(facts)
    follower = mw.ids["follower"]
    lists = {
        "following (ours)": [int(u["id"]) for u in _get(client, f"{API}/users/follower/following", {"limit": 100}).json()["results"]],
        "following (mastodon)": [int(a["id"]) for a in _get(client, f"/api/v1/accounts/{follower}/following", {}).json()],
        "v2 search accounts": [int(a["id"]) for a in _get(client, "/api/v2/search", {"q": "author", "type": "accounts"}).json()["accounts"]],
    }  # fmt: skip
    if not facts.anonymous:  # both searches of accounts need a signed-in caller
        accounts = _get(client, "/api/v1/accounts/search", {"q": "author"}).json()
        lists["accounts search (mastodon)"] = [int(a["id"]) for a in accounts]
        users = _get(client, f"{API}/search/users", {"q": "author"}).json()["results"]
        lists["user search (ours)"] = [int(u["id"]) for u in users]
    wrong = {name: ids for name, ids in lists.items() if (mw.author in ids) != expected}
    assert not wrong, f"author listed for {relation}? expected {expected}: {wrong}"
    assert _get(client, f"{API}/users/author", {}).status_code == 200
    assert _get(client, f"/api/v1/accounts/{mw.author}", {}).status_code == 200


@pytest.mark.parametrize("relation", list(RELATIONS))
def test_source_is_the_authors_only(mw: MatrixWorld, relation: str) -> None:
    client = _client(mw, relation, False)
    for sid in [*mw.posts, *mw.comments]:
        code = _get(client, f"/api/v1/statuses/{sid}/source", {}).status_code
        # One's own only, and only while one may see it (a comment: while its post is visible).
        expected = mw.status(sid).by == relation and mw.sees(relation, sid, "detail")
        assert (code == 200) == expected, (relation, mw.status(sid).visibility, mw.status(sid).by, code)


@pytest.mark.parametrize("relation", list(RELATIONS))
def test_a_conditional_read_confirms_nothing_hidden(mw: MatrixWorld, relation: str) -> None:
    """`If-None-Match` with the author's ETag: a viewer who may not see the post gets 404, never
    a 304 that would confirm the post exists and what it says (read/common/conditional.py: preconditions
    apply only to what would be a 2xx)."""
    author, client, wrong = _client(mw, "author", False), _client(mw, relation, False), []
    for pid in mw.posts:
        tag = _get(author, f"{API}/posts/{pid}", {})["ETag"]
        code = client.get(f"{API}/posts/{pid}", HTTP_IF_NONE_MATCH=tag).status_code
        if (code in (200, 304)) != mw.sees(relation, pid, "detail"):
            wrong.append((mw.posts[pid].visibility, mw.posts[pid].kind, code))
    assert not wrong, wrong


@pytest.mark.parametrize("relation", [r for r, f in RELATIONS.items() if not f.anonymous and not f.author])
def test_relationship_flags_both_ways(mw: MatrixWorld, relation: str) -> None:
    """What each side of a relation is told about it (our profile's flags, Mastodon's
    Relationship): one's own follows, requests, blocks and mutes; that one is blocked (as
    Mastodon's `blocked_by`); never that one is muted (Mastodon has no such flag either)."""
    facts, uid = RELATIONS[relation], mw.ids[relation]
    viewer, author = _client(mw, relation, False), _client(mw, "author", False)
    expected_viewer = {
        "following": facts.follows, "requested": facts.requested, "blocking": facts.blocks_author,
        "blocked_by": facts.blocked_by_author, "muting": facts.muting,
        "muting_notifications": facts.mute == "with notifications",
    }  # fmt: skip
    expected_author = {
        "followed_by": facts.follows, "requested_by": facts.requested, "blocking": facts.blocked_by_author,
        "blocked_by": facts.blocks_author, "muting": False, "muting_notifications": False,
    }  # fmt: skip
    wrong = {}
    for who, client, other, expected in (
        (relation, viewer, mw.author, expected_viewer),
        ("author", author, uid, expected_author),
    ):
        rel = _get(client, "/api/v1/accounts/relationships", {"id[]": [str(other)]}).json()
        got = {k: rel[0][k] for k in expected} if rel else {}
        if got != expected:
            wrong[f"mastodon, as {who}"] = {k: got.get(k) for k in expected if got.get(k) != expected[k]}
        name = "author" if other == mw.author else relation
        profile = _get(client, f"{API}/users/{name}", {}).json()
        ours = {"following": "followed_by_me", "followed_by": "follows_me", "blocking": "blocking",
                "blocked_by": "blocked_by", "muting": "muting", "requested": "requested"}  # fmt: skip
        for key, field_name in ours.items():
            if key in expected and profile.get(field_name) != expected[key]:
                wrong.setdefault(f"ours, as {who}", {})[field_name] = profile.get(field_name)
    assert not wrong, wrong


@pytest.mark.parametrize("relation", [r for r, f in RELATIONS.items() if not f.anonymous])
def test_own_relation_lists(mw: MatrixWorld, relation: str) -> None:
    """Blocks, mutes and follow requests are private to who made them (docs/events.md): each
    viewer's lists hold its own, and nobody learns from them who blocked or muted them."""
    facts, client = RELATIONS[relation], _client(mw, relation, False)
    if facts.author:
        blocks = {mw.ids[n] for n, f in RELATIONS.items() if f.blocked_by_author}
        mutes: set[int] = set()
        requests = {mw.ids[n] for n, f in RELATIONS.items() if f.requested}
    else:
        blocks = {mw.author} if facts.blocks_author else set()
        mutes = {mw.author} if facts.muting else set()
        requests = set()

    def ours(path: str) -> set[int]:
        body = _get(client, f"{API}/{path}", {"limit": 100}).json()
        return {int((item.get("user") or item.get("account") or item)["id"]) for item in body["results"]}

    def theirs(path: str) -> set[int]:
        return {int(a["id"]) for a in _get(client, f"/api/v1/{path}", {"limit": 80}).json()}

    got = {
        "me/blocks": (ours("me/blocks"), blocks),
        "me/mutes": (ours("me/mutes"), mutes),
        "me/follow-requests": (ours("me/follow-requests"), requests),
        "/api/v1/blocks": (theirs("blocks"), blocks),
        "/api/v1/mutes": (theirs("mutes"), mutes),
        "/api/v1/follow_requests": (theirs("follow_requests"), requests),
    }
    wrong = {
        k: {"got": {mw.name(i) for i in g}, "expected": {mw.name(i) for i in e}} for k, (g, e) in got.items() if g != e
    }
    assert not wrong, wrong


# ----------------------------------------------------------------------------------- discovery


def _get_routes() -> set[str]:
    """Every GET route of our API and of Mastodon's, as the URLconf spells it."""
    found: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif re.match(r"\^?(api/|oauth/)", route) and _serves_get(pattern.callback):
                found.add(route)

    walk(get_resolver().url_patterns, "")
    return found


def _serves_get(callback: Any) -> bool:
    handlers = getattr(callback, "handlers", None)
    if handlers is not None:
        return "GET" in handlers
    view_class = getattr(callback, "view_class", None)
    return view_class is not None and hasattr(view_class, "get")


def test_every_get_route_is_in_the_matrix_or_excluded_with_a_reason() -> None:
    routes = _get_routes()
    covered = {e.route for e in ENDPOINTS}
    assert len(routes) > 40
    assert not covered & set(EXCLUDED), covered & set(EXCLUDED)
    unknown = sorted(routes - covered - set(EXCLUDED))
    assert not unknown, f"GET routes neither in the privacy matrix nor in EXCLUDED: {unknown}"
    stale = sorted((covered | set(EXCLUDED)) - routes)
    assert not stale, f"the matrix names routes the URLconf no longer has: {stale}"


def test_the_matrix_covers_every_context_it_can() -> None:
    """Every Context of the rule is exercised by some endpoint, but streams (not served yet)."""
    assert {e.context for e in ENDPOINTS} == oracle.CONTEXTS - {"stream"}
