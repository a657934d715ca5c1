"""Bad input never reaches a view as a 500: every path parameter of every API route, garbage in
any field of a command, oversized input anywhere.

The routes are not listed here: they are walked from the URL resolver, so a route added later is
checked the day it is added."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from socialapp.common.converters import IdConverter, TagConverter, UsernameConverter
from socialapp.write.audit.converters import AggregateIdConverter, AggregateTypeConverter
from tests.command_support import client_for, make_user

PROBLEM = "application/problem+json"
METHODS = ("get", "head", "options", "post", "put", "patch", "delete")


def api_routes() -> list[tuple[str, dict]]:
    """(route, {parameter: converter}) for every API URL pattern that has path parameters."""
    found: list[tuple[str, dict]] = []

    def walk(patterns: list, prefix: str, converters: dict) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            merged = {**converters, **getattr(pattern.pattern, "converters", {})}
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route, merged)
            elif isinstance(pattern, URLPattern) and merged:
                found.append((route, merged))

    walk(get_resolver().url_patterns, "", {})
    return [(route, converters) for route, converters in found if route.startswith("api/")]


ROUTES = api_routes()

# Refused by every converter: none of these can be an id, a username or a hashtag.
GARBAGE = [
    "%00",
    "a%00b",
    "%01",
    "%0A",
    "%20",
    "%FF",  # not UTF-8
    "%C3%28",  # invalid UTF-8 sequence
    "%ED%A0%80",  # an encoded surrogate
    "%EF%BF%BF",  # a noncharacter
    "%E2%80%AE",  # right-to-left override
    "%F0%9F%92%A9",  # an emoji
    "%EF%BC%91",  # a full-width digit (int() would take it)
    "x" * 5000,
    "..",
    "%25",
    "%23%23",
    "-1",
    "1.5",
    "%2B1",
    "a,b",
    "%3Cscript%3E",
]
# Well-formed for the converter of that kind, naming nothing: an ordinary 4xx (or an empty list).
WELL_FORMED = {
    IdConverter: ["0", "9223372036854775807"],
    UsernameConverter: ["nobody_here", "N0BODY"],
    TagConverter: ["nosuchtag", "%23nosuchtag", "caf%C3%A9"],
    AggregateTypeConverter: ["follow_request", "report"],
    AggregateIdConverter: ["0", "9223372036854775807", "1:9223372036854775807"],
}
# Refused by one converter in particular.
REFUSED = {
    IdConverter: ["9223372036854775808", "99999999999999999999999", "abc"],
    UsernameConverter: ["ab", "a" * 31, "ann.b", "ann-b", "%C3%A9mile"],
    TagConverter: ["2024", "__", "%23", "a%23b", "a" * 101],
    AggregateTypeConverter: ["users", "USER", "nosuchtype", "post.created"],
    AggregateIdConverter: ["9223372036854775808", "1:9223372036854775808", "1:2:3", "1:", ":1", "abc"],
}
VALID = {
    IdConverter: "1",
    UsernameConverter: "alice",
    TagConverter: "django",
    AggregateTypeConverter: "user",
    AggregateIdConverter: "1",
}


def test_every_api_route_with_parameters_was_found():
    routes = {route for route, _ in ROUTES}
    assert "api/socialapp/v1/users/<username:username>" in routes
    assert "api/socialapp/v1/tags/<tag:tag>/posts" in routes
    assert "api/socialapp/v1/posts/<id:post_id>" in routes


@pytest.mark.parametrize(("route", "converters"), ROUTES, ids=[r for r, _ in ROUTES])
def test_every_path_parameter_uses_a_checking_converter(route, converters):
    """Django's `str` takes NUL bytes and megabytes; `int` takes numbers no bigint holds."""
    for name, converter in converters.items():
        assert type(converter) in VALID, (
            f"{route}: <{name}> uses {type(converter).__name__}; use id/username/tag (or the audit's)"
        )


def _url(route: str, converters: dict, name: str, value: str) -> str:
    """The route with `value` for parameter `name` and a valid value for the others."""
    return "/" + re.sub(
        r"<\w+:(\w+)>", lambda m: value if m.group(1) == name else VALID[type(converters[m.group(1)])], route
    )


@pytest.mark.django_db(databases=["default", "read"])
@pytest.mark.parametrize(("route", "converters"), ROUTES, ids=[r for r, _ in ROUTES])
def test_garbage_in_any_path_parameter_is_a_4xx_problem_for_every_method(alice, route, converters):
    """A NUL is a 400 before routing (socialapp/common/middleware.py); anything else a converter
    refuses matches no route: a 404."""
    client = client_for(alice)
    failures = []
    for name, converter in converters.items():
        for value in [*GARBAGE, *REFUSED[type(converter)]]:
            url = _url(route, converters, name, value)
            status, kind = (400, "bad-request") if "%00" in value else (404, "not-found")
            # Mastodon routes answer unknown paths in Mastodon's shape (a NUL is refused before
            # routing, so it stays a problem everywhere).
            mastodon = route.startswith(("api/v1/", "api/v2/")) and status == 404
            content_type = "application/json" if mastodon else PROBLEM
            for method in METHODS:
                response = getattr(client, method)(url, {"body": "hello"}, format="json")
                if response.status_code != status or response["Content-Type"] != content_type:
                    failures.append((method, url[:80], response.status_code))
                elif method != "head":
                    body = response.json()
                    assert body == {"error": "Record not found"} if mastodon else body["type"] == f"/problems/{kind}"
    assert not failures


@pytest.mark.django_db(databases=["default", "read"])
@pytest.mark.parametrize(("route", "converters"), ROUTES, ids=[r for r, _ in ROUTES])
def test_well_formed_but_unknown_parameters_are_never_a_server_error(alice, route, converters):
    client = client_for(alice)
    failures = []
    for name, converter in converters.items():
        for value in WELL_FORMED[type(converter)]:
            url = _url(route, converters, name, value)
            for method in METHODS:
                response = getattr(client, method)(url, {"body": "hello"}, format="json")
                if response.status_code >= 500:
                    failures.append((method, url, response.status_code))
    assert not failures


@pytest.mark.django_db(databases=["default", "read"])
def test_the_reported_urls(alice):
    for url in ("/api/socialapp/v1/users/%00", "/api/socialapp/v1/tags/%00/posts"):
        for client in (client_for(alice), Client()):
            response = client.get(url)
            assert response.status_code == 400, url
            assert response["Content-Type"] == PROBLEM
            assert response.json()["detail"] == "NUL bytes are not allowed in URLs."


@pytest.mark.django_db(databases=["default", "read"])
def test_a_nul_anywhere_in_the_url_is_a_400_for_every_view_the_admin_included(alice):
    """The admin's changelist search and filters pass raw GET parameters to PostgreSQL."""
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    urls = [
        "/admin/events/event/?q=%00",
        "/admin/events/event/?event_type=a%00",
        "/admin/accounts/user/?q=%00",
        "/admin/accounts/user/%00/change/",
        "/api/socialapp/v1/search/posts?q=%00",
        "/api/socialapp/v1/feed?cursor=%00",
        "/api/socialapp/v1/posts?x%00=1",
        "/no/such/%00",
    ]
    for url in urls:
        for method in ("get", "post", "delete"):
            response = getattr(admin, method)(url)
            assert response.status_code == 400, (method, url, response.status_code)
            assert response["Content-Type"] == PROBLEM


@pytest.mark.django_db(databases=["default", "read"])
def test_api_paths_answer_problem_json_with_debug_on_too(alice, settings):
    """`make run` runs with DEBUG on, where Django's handler404 would render an HTML page."""
    settings.DEBUG = True
    client = client_for(alice)
    for method in METHODS:
        response = getattr(client, method)("/api/socialapp/v1/users/" + "x" * 5000, {"body": "x"}, format="json")
        assert response.status_code == 404, method
        assert response["Content-Type"] == PROBLEM, method
