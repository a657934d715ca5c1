"""The authorisation matrix of every Mastodon route, walked from the URLconf (a new route is in
it without anyone listing it):

- a route+method naming a scope refuses an anonymous caller (401), a token whose scopes don't
  cover it (403, Mastodon's "outside the authorized scopes"), and a revoked token (401), and
  lets a token holding exactly that scope through (whatever the answer, not 401/403);
- a public route+method serves an anonymous caller, and still refuses a revoked token (401), as
  Mastodon does for any invalid token.

Ownership (another user's status can't be edited or deleted) is in test_status_commands.py; the
one route that takes an app token instead of a user's (registration) in test_registration.py."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from socialapp.write.accounts.models import AuthToken
from socialapp.write.accounts.services import token_issue, token_revoke
from socialapp.write.oauth.authentication import AppTokenAuthentication

OUT_OF_SCOPE = {"error": "This action is outside the authorized scopes"}
# Scopes that cover none of the routes below (push: Web Push subscriptions, which we don't serve).
NOTHING_USEFUL = "push"


def _mastodon_operations() -> list[tuple[str, str, str | None]]:
    """(path with placeholder ids, METHOD, required scope or None) of every Mastodon API route."""
    found: list[tuple[str, str, str | None]] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif (
                isinstance(pattern, URLPattern)
                and re.match(r"api/v[12]/", route)
                and route.count("<") == len(re.findall(r"<\w+:\w+>", route))
            ):
                handlers = getattr(pattern.callback, "handlers", None)
                if not handlers:
                    continue
                path = "/" + re.sub(r"<(\w+):\w+>", lambda m: "1" if m.group(1) != "tag" else "x", route)
                for method, handler in handlers.items():
                    view_class = getattr(handler, "view_class", None)
                    if method in ("HEAD", "OPTIONS") or view_class is None or not hasattr(view_class, "scopes"):
                        continue  # HEAD follows GET; OAuth app routes authenticate the app (tests/oauth)
                    if AppTokenAuthentication in getattr(view_class, "authentication_classes", ()):
                        continue  # registration takes an app token, never a user's: test_registration.py
                    found.append((path, method, view_class.scopes.get(method)))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


OPERATIONS = _mastodon_operations()
SCOPED = [op for op in OPERATIONS if op[2]]
PUBLIC = [op for op in OPERATIONS if not op[2]]


def test_the_matrix_sees_the_routes_it_must():
    """The walk finds every area (a refactor that hides routes from it fails here)."""
    assert len(SCOPED) >= 15 and len(PUBLIC) >= 8
    paths = {path for path, _, _ in OPERATIONS}
    for expected in (
        "/api/v1/statuses",
        "/api/v1/statuses/1",
        "/api/v1/timelines/home",
        "/api/v1/notifications",
        "/api/v2/search",
        "/api/v1/accounts/verify_credentials",
        "/api/v1/accounts/1/follow",
        "/api/v1/blocks",
        "/api/v1/mutes",
        "/api/v1/follow_requests",
        "/api/v1/reports",
    ):
        assert expected in paths, expected


def _call(client: APIClient, path: str, method: str):
    return client.generic(method, path, "{}", content_type="application/json")


def _as(secret: str | None) -> APIClient:
    client = APIClient()
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.mark.django_db(databases=["default", "read"])
def test_scoped_routes_refuse_anonymous_out_of_scope_and_revoked_tokens(alice):
    useless = _as(token_issue(user=alice, scope=NOTHING_USEFUL))
    revoked_secret = token_issue(user=alice)
    token_revoke(user_id=alice.pk, token_id=AuthToken.objects.order_by("-pk").first().pk)
    revoked = _as(revoked_secret)
    failures = []
    for path, method, scope in SCOPED:
        anonymous = _call(_as(None), path, method)
        if anonymous.status_code != 401 or "error" not in anonymous.json():
            failures.append(("anonymous", method, path, anonymous.status_code))
        outside = _call(useless, path, method)
        if outside.status_code != 403 or outside.json() != OUT_OF_SCOPE:
            failures.append(("out of scope", method, path, outside.status_code))
        if _call(revoked, path, method).status_code != 401:
            failures.append(("revoked", method, path))
        exact = _call(_as(token_issue(user=alice, scope=scope)), path, method)
        if exact.status_code in (401, 403):
            failures.append(("exact scope refused", method, path, scope, exact.status_code, exact.content[:80]))
    assert not failures


@pytest.mark.django_db(databases=["default", "read"])
def test_public_routes_serve_anonymous_callers_but_not_revoked_tokens(alice):
    revoked_secret = token_issue(user=alice)
    token_revoke(user_id=alice.pk, token_id=AuthToken.objects.order_by("-pk").first().pk)
    failures = []
    for path, method, _ in PUBLIC:
        if method != "GET":
            failures.append(("a public write", method, path))
            continue
        anonymous = _call(_as(None), path, method)
        if anonymous.status_code in (401, 403) and path not in ("/api/v2/search",):
            failures.append(("anonymous refused", method, path, anonymous.status_code))
        if _call(_as(revoked_secret), path, method).status_code != 401:
            failures.append(("revoked accepted", method, path))
    assert not failures


def test_no_mastodon_path_is_mounted_twice():
    """A path both halves serve must be composed by method in socialapp/mastodon/urls.py: a second
    pattern for it would never be reached (the first answers 405 to the other methods)."""
    routes: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif re.match(r"api/v[12]/|oauth/", route):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    assert len(routes) > 40
    assert sorted(r for r in set(routes) if routes.count(r) > 1) == []
