"""The OpenAPI schema documents every endpoint of both sides, and the API honours it: property-
based fuzzing (schemathesis) of every Mastodon operation, authenticated, finds no 5xx and no
response that breaks the schema (our own API's operations: tests/contract, with every check)."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.read.api_support import make_site

PATHS = {
    # command side
    "/api/socialapp/v1/auth/register": {"post"},
    "/api/socialapp/v1/auth/token": {"post"},
    "/api/socialapp/v1/me": {"get", "patch"},
    "/api/socialapp/v1/me/deactivate": {"post"},
    "/api/socialapp/v1/posts": {"post"},
    "/api/socialapp/v1/posts/{post_id}": {"get", "patch", "delete"},
    "/api/socialapp/v1/posts/{post_id}/like": {"put", "delete"},
    "/api/socialapp/v1/posts/{post_id}/comments": {"get", "post"},
    "/api/socialapp/v1/comments/{comment_id}": {"patch", "delete"},
    "/api/socialapp/v1/users/{username}/follow": {"put", "delete"},
    # query side
    "/api/socialapp/v1/feed": {"get"},
    "/api/socialapp/v1/users/{username}": {"get"},
    "/api/socialapp/v1/users/{username}/posts": {"get"},
    "/api/socialapp/v1/users/{username}/followers": {"get"},
    "/api/socialapp/v1/users/{username}/following": {"get"},
    "/api/socialapp/v1/tags/{tag}/posts": {"get"},
    "/api/socialapp/v1/notifications": {"get"},
    "/api/socialapp/v1/notifications/read": {"post"},
}


QUERY_PATHS = [
    p for p in PATHS if p.startswith(("/api/socialapp/v1/feed", "/api/socialapp/v1/tags", "/api/socialapp/v1/notif"))
] + [
    "/api/socialapp/v1/users/{username}",
    "/api/socialapp/v1/users/{username}/posts",
    "/api/socialapp/v1/users/{username}/followers",
    "/api/socialapp/v1/users/{username}/following",
]


def generated_schema() -> dict:
    generator_class = import_string(
        settings.SPECTACULAR_SETTINGS.get("DEFAULT_GENERATOR_CLASS", "drf_spectacular.generators.SchemaGenerator")
    )
    assert issubclass(generator_class, SchemaGenerator)
    return json.loads(OpenApiJsonRenderer().render(generator_class().get_schema(public=True)))


def test_schema_covers_every_endpoint_of_both_sides_with_examples() -> None:
    schema = generated_schema()
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))
    for path, operations in schema["paths"].items():
        if path not in QUERY_PATHS:
            continue
        for method, op in operations.items():
            if method == "get":
                assert "X-Read-Lag" in op["responses"]["200"].get("headers", {}), (path, method)
            assert any("examples" in c for r in op["responses"].values() for c in r.get("content", {}).values()), path


CONDITIONAL_OPERATIONS = [
    ("/api/socialapp/v1/posts/{post_id}", "get"),
    ("/api/socialapp/v1/users/{username}", "get"),
    ("/api/socialapp/v1/me", "get"),
]


@pytest.mark.parametrize(("path", "method"), CONDITIONAL_OPERATIONS)
def test_conditional_reads_document_etag_if_none_match_and_304(path, method) -> None:
    op = generated_schema()["paths"][path][method]
    assert "If-None-Match" in {p["name"] for p in op["parameters"] if p["in"] == "header"}
    for status in ("200", "304"):
        assert {"ETag", "Cache-Control", "X-Read-Lag"} <= set(op["responses"][status]["headers"]), status
    assert "content" not in op["responses"]["304"]


MASTODON_TAGS = {"mastodon: notifications", "mastodon: search", "mastodon: accounts"}
OWN_TAGS = {"accounts", "users", "posts", "timelines", "notifications", "search"}


def test_both_apis_are_tagged_by_area_and_every_mastodon_operation_is_documented() -> None:
    schema = generated_schema()
    assert {t["name"] for t in schema["tags"]} >= MASTODON_TAGS | OWN_TAGS
    for path, operations in schema["paths"].items():
        mastodon = path.startswith(("/api/v1/", "/api/v2/", "/oauth/"))
        for method, op in operations.items():
            [tag] = op["tags"]
            assert tag.startswith("mastodon: ") == mastodon, (path, method, tag)
            if mastodon:
                assert op["operationId"].startswith("mastodon_") and op.get("summary"), (path, method)
                assert "200" in op["responses"], (path, method)
                if op.get("security", [{}]) != [{}] or path.startswith("/oauth/"):  # not POST /api/v1/apps
                    assert "content" in op["responses"]["401"], (path, method)
    assert schema["paths"]["/api/v1/notifications"]["get"]["tags"] == ["mastodon: notifications"]
    assert schema["paths"]["/api/socialapp/v1/notifications"]["get"]["tags"] == ["notifications"]


# Our own API (/api/socialapp/) is fuzzed by tests/contract/test_schemathesis.py: the `st` CLI
# with every check and every phase against a real gunicorn and the pipeline. This in-process fuzz
# keeps the Mastodon routes, but their search (it needs initialised Elasticsearch indexes).
schema = schemathesis.openapi.from_dict(generated_schema()).exclude(
    path_regex="^/api/(socialapp/|v2/search|v1/accounts/search)"
)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
@schema.parametrize()
@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_every_operation_authenticated(case) -> None:
    site = _site()
    response = case.call(app=_app(), headers={"Authorization": f"Bearer {site.tokens['fuzz']}"})
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )


_cache: dict = {}


def _app():
    if "app" not in _cache:
        _cache["app"] = get_wsgi_application()
    return _cache["app"]


def _site():
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="fuzz").exists():
        site = make_site("fuzz", "other")
        w, i = site.world, site.ids
        w.follow(i["fuzz"], i["other"])
        pid = w.post(i["other"], "hello #tag @fuzz")
        w.comment(i["fuzz"], pid, "hi")
        w.like(i["fuzz"], pid)
        site.apply()
        _cache["site"] = site
    return _cache["site"]
