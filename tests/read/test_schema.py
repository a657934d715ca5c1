"""The OpenAPI schema documents every endpoint of both sides, tagged by area, with the headers
and conditional answers they give (that the server honours it, operation by operation, with every
schemathesis check: tests/contract/test_schemathesis.py)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

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
                if op.get("security", [{}]) not in ([{}], []) or path.startswith("/oauth/"):  # not POST /api/v1/apps
                    assert "content" in op["responses"]["401"], (path, method)
    assert schema["paths"]["/api/v1/notifications"]["get"]["tags"] == ["mastodon: notifications"]
    assert schema["paths"]["/api/socialapp/v1/notifications"]["get"]["tags"] == ["notifications"]


# Both APIs (ours, the Mastodon face and OAuth) are fuzzed by tests/contract/test_schemathesis.py:
# schemathesis' `st` CLI with every check and every phase against a real gunicorn and the pipeline.
