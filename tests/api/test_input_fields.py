"""Every input of every endpoint is a bounded, strictly typed string (or not a string at all).

Nothing here lists endpoints or serializers: they are found from the URL resolver (through the
OpenAPI generator, which knows each operation's request and query serializers) and from the
serializer classes the project defines, so an endpoint added later is checked the day it is added.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from socialapp.common.fields import StrictCharField
from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.log import log_events
from socialapp.events.models import Event
from tests.command_support import client_for, create_post, make_user
from tests.oauth.support import bearer, register_app, token_request
from tests.read.conftest import apply_all

WRONG_TYPES = [123, 1.5, True, ["x"], {"x": "y"}]


def _generator():
    generator_class = settings.SPECTACULAR_SETTINGS.get(
        "DEFAULT_GENERATOR_CLASS", "drf_spectacular.generators.SchemaGenerator"
    )
    return import_string(generator_class)()


def _as_instance(candidate: Any) -> serializers.BaseSerializer | None:
    if isinstance(candidate, type) and issubclass(candidate, serializers.BaseSerializer):
        return candidate()
    return candidate if isinstance(candidate, serializers.BaseSerializer) else None


def endpoint_input_serializers() -> dict[str, serializers.BaseSerializer]:
    """'METHOD path (request|query)' -> the serializer that reads the request body or query."""
    generator = _generator()
    generator._initialise_endpoints()
    found: dict[str, serializers.BaseSerializer] = {}
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.method, view.schema.path = method, path
        if request := _as_instance(view.schema.get_request_serializer()):
            found[f"{method} {path} request"] = request
        for i, parameter in enumerate(view.schema.get_override_parameters()):
            if query := _as_instance(parameter):
                found[f"{method} {path} query {i}"] = query
    return found


def defined_input_serializers() -> dict[str, serializers.BaseSerializer]:
    """Every serializer class of the project named as an input (`...In`, `...Input`)."""
    from django.urls import get_resolver

    assert get_resolver().url_patterns  # every view module, hence every serializer, is imported
    seen: dict[str, serializers.BaseSerializer] = {}
    stack = list(serializers.Serializer.__subclasses__())
    while stack:
        klass = stack.pop()
        stack.extend(klass.__subclasses__())
        if klass.__module__.startswith("socialapp.") and klass.__name__.endswith(("In", "Input")):
            seen[f"{klass.__module__}.{klass.__qualname__}"] = klass()
    return seen


def _text_fields(serializer: serializers.BaseSerializer, prefix: str = "") -> list[tuple[str, serializers.Field]]:
    """Writable text fields, nested serializers and list children included."""
    if isinstance(serializer, serializers.ListSerializer):
        return _text_fields(serializer.child, prefix + "[]")
    out = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.BaseSerializer):
            out += _text_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.ListField | serializers.DictField):
            child = field.child
            if isinstance(child, serializers.CharField):
                out.append((f"{prefix}{name}[]", child))
        elif isinstance(field, serializers.CharField):
            out.append((prefix + name, field))
    return out


def test_input_serializers_are_found():
    endpoints = endpoint_input_serializers()
    assert any(key.startswith("POST /api/socialapp/v1/posts request") for key in endpoints)
    assert any(key.startswith("POST /api/socialapp/v1/auth/register request") for key in endpoints)
    assert any(key.startswith("GET /api/socialapp/v1/search/posts query") for key in endpoints)
    assert "socialapp.write.accounts.serializers.TokenIn" in defined_input_serializers()


def test_every_text_field_of_every_input_serializer_is_strict_and_bounded():
    problems = []
    for where, serializer in {**endpoint_input_serializers(), **defined_input_serializers()}.items():
        for name, field in _text_fields(serializer):
            if not isinstance(field, StrictCharField):
                problems.append(f"{where}: {name} is a {type(field).__name__}, not a StrictCharField")
            elif not field.max_length:
                problems.append(f"{where}: {name} has no max_length")
    assert not problems, "\n".join(problems)


def _schema() -> dict:
    return json.loads(OpenApiJsonRenderer().render(_generator().get_schema(public=True)))


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _finite_pattern(pattern: str | None) -> bool:
    """An anchored pattern with no unbounded repetition (`*`, `+`, `{n,}`) admits strings of a
    bounded length only: Mastodon's boolean spellings, a username's `{3,30}`."""
    if not pattern or not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    unescaped = re.sub(r"\\\\.", "", pattern)
    return not re.search(r"[*+]|\\{\\d+,\\}", unescaped)


def _unbounded_strings(schema: dict, node: dict, where: str) -> list[str]:
    node = _resolve(schema, node)
    if node.get("type") == "string":
        bounded = (
            "maxLength" in node
            or "enum" in node
            or node.get("format") in ("date-time", "date", "uuid")
            or _finite_pattern(node.get("pattern"))
        )
        return [] if bounded else [where]
    out = []
    for name, child in node.get("properties", {}).items():
        out += _unbounded_strings(schema, child, f"{where}.{name}")
    if "items" in node:
        out += _unbounded_strings(schema, node["items"], f"{where}[]")
    for key in ("allOf", "oneOf", "anyOf"):
        for i, child in enumerate(node.get(key, [])):
            out += _unbounded_strings(schema, child, f"{where}.{key}{i}")
    return out


def test_the_documented_request_bodies_and_query_parameters_are_bounded():
    """What clients read in /api/socialapp/v1/schema says the limits too (and the fuzzer stays within them)."""
    schema = _schema()
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "path"):
                    where = f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
                    problems += _unbounded_strings(schema, parameter.get("schema", {}), where)
            if not path.startswith("/api/socialapp/"):
                # The Mastodon and OAuth bodies state Mastodon's rules, lengths included: where
                # Mastodon sets none (a blank image field, a client secret that is just wrong),
                # the server accepts any length and the document says so; schemathesis holds the
                # two together (tests/contract/test_schemathesis.py).
                continue
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                problems += _unbounded_strings(schema, content["schema"], f"{method.upper()} {path} {media}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------------ endpoints


def _commands() -> list[tuple[str, str, dict]]:
    """(METHOD, path template, request body schema) of every operation that takes a JSON body."""
    schema = _schema()
    out = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                out.append((method.upper(), path, _resolve(schema, content["schema"])))
    return out


def _queries() -> list[tuple[str, dict]]:
    """(path template, {query parameter: maxLength}) of every GET with bounded string parameters."""
    schema = _schema()
    out = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if not operation:
            continue
        bounded = {
            p["name"]: p["schema"]["maxLength"]
            for p in operation.get("parameters", [])
            if p["in"] == "query" and "maxLength" in p.get("schema", {})
        }
        if bounded:
            out.append((path, bounded))
    return out


COMMANDS = _commands()
# Our API's bodies go through DRF serializers, whose messages the first two body tests read; the
# Mastodon routes answer in Mastodon's words (tests/mastodon) and are fuzzed against the document
# with every check by tests/contract/test_schemathesis.py.
OWN_COMMANDS = [c for c in COMMANDS if c[1].startswith("/api/socialapp/")]
QUERIES = _queries()


@pytest.fixture
def world(db):
    """An author with a post and a comment, and someone to follow: real ids for every path."""
    alice, bob = make_user("alice"), make_user("bob")
    post = create_post(alice, "hello")
    comment = (
        client_for(alice).post(f"/api/socialapp/v1/posts/{post['id']}/comments", {"body": "hi"}, format="json").json()
    )
    apply_all([message for batch in log_events(tuple(ALL_EVENT_TYPES)) for message in batch])  # the read models
    return {
        "user": alice,
        "post_id": post["id"],
        "comment_id": comment["id"],
        "username": bob.username,
        "tag": "x",
        "status_id": post["id"],  # Mastodon's paths
        "account_id": bob.pk,
        "aggregate_type": "post",  # the staff audit routes, called by a staff user
        "aggregate_id": post["id"],
        "staff": make_user("staff", is_staff=True),
    }


def _fill(path: str, world: dict) -> str:
    for name in (
        "post_id",
        "comment_id",
        "username",
        "tag",
        "status_id",
        "account_id",
        "aggregate_type",
        "aggregate_id",
    ):
        path = path.replace("{" + name + "}", str(world[name]))
    return path


def _string_properties(body: dict) -> dict[str, dict]:
    return {name: spec for name, spec in body.get("properties", {}).items() if spec.get("type") == "string"}


def test_every_command_with_a_body_is_checked():
    assert {(m, p) for m, p, _ in COMMANDS} >= {
        ("POST", "/api/socialapp/v1/posts"),
        ("PATCH", "/api/socialapp/v1/posts/{post_id}"),
        ("POST", "/api/socialapp/v1/posts/{post_id}/comments"),
        ("PATCH", "/api/socialapp/v1/comments/{comment_id}"),
        ("POST", "/api/socialapp/v1/auth/register"),
        ("POST", "/api/socialapp/v1/auth/token"),
        ("PATCH", "/api/socialapp/v1/me"),
    }


APP_ROUTES = {"/api/v1/accounts"}  # called with an app's own token (registration), not a user's


def app_client() -> Any:
    """A client holding an app token from the client_credentials grant."""
    app = register_app()
    grant = token_request(
        grant_type="client_credentials", client_id=app["client_id"], client_secret=app["client_secret"], scope="write"
    )
    return bearer(grant.json()["access_token"])


@pytest.mark.django_db(databases=["default", "read"])
@pytest.mark.parametrize(("method", "path", "body"), OWN_COMMANDS, ids=[f"{m} {p}" for m, p, _ in OWN_COMMANDS])
def test_a_non_string_where_a_string_is_expected_is_a_400_naming_the_field(world, method, path, body):
    client = client_for(world["user"])
    url = _fill(path, world)
    before = Event.objects.count()
    for name in _string_properties(body):
        for wrong in WRONG_TYPES:
            response = client.generic(method, url, json.dumps({name: wrong}), content_type="application/json")
            assert response.status_code == 400, (name, wrong, response.content)
            problem = response.json()
            assert problem["type"] == "/problems/validation-error"
            assert problem["errors"][name] == ["Not a valid string."], (name, wrong, problem)
    assert Event.objects.count() == before


@pytest.mark.django_db(databases=["default", "read"])
@pytest.mark.parametrize(("method", "path", "body"), OWN_COMMANDS, ids=[f"{m} {p}" for m, p, _ in OWN_COMMANDS])
def test_oversized_text_is_a_400_naming_the_field_and_changes_nothing(world, method, path, body):
    client = client_for(world["user"])
    url = _fill(path, world)
    before = Event.objects.count()
    for name, spec in _string_properties(body).items():
        oversized = "x" * (spec["maxLength"] + 1)
        response = client.generic(method, url, json.dumps({name: oversized}), content_type="application/json")
        assert response.status_code == 400, (name, response.content)
        # DRF's cap on the raw input, or the service's exact limit the document states (a text's,
        # after trimming: socialapp.common.text.text_schema)
        message = " ".join(response.json()["errors"][name])
        assert "no more than" in message or "At most" in message, response.json()
        huge = "x" * 1_000_000
        response = client.generic(method, url, json.dumps({name: huge}), content_type="application/json")
        assert response.status_code == 400 and name in response.json()["errors"]
    assert Event.objects.count() == before


@pytest.mark.django_db(databases=["default", "read"])
@pytest.mark.parametrize(("method", "path", "body"), COMMANDS, ids=[f"{m} {p}" for m, p, _ in COMMANDS])
def test_malformed_or_absurdly_nested_json_is_a_400(world, method, path, body):
    """Python's json parser recurses: 100,000 nested brackets were a RecursionError, a 500."""
    client = app_client() if path in APP_ROUTES else client_for(world["user"])
    url = _fill(path, world)
    before = Event.objects.count()
    for raw in ["[" * 100_000, '{"a":' * 100_000, "{", '{"body": "x"', "nul\u0000", "[1, 2]", '"text"', "null"]:
        response = client.generic(method, url, raw, content_type="application/json")
        if path.startswith("/api/socialapp/"):
            assert response.status_code == 400, (raw[:20], response.content)
            assert response["Content-Type"] == "application/problem+json"
        elif path.startswith("/oauth/"):  # RFC 6749/7009: the client is authenticated first (401)
            assert response.status_code in (400, 401), (raw[:20], response.content)
        else:  # a Mastodon route: Mastodon's shape, 400 unparsable or 422 not an object
            assert response.status_code in (400, 422), (raw[:20], response.content)
            assert response["Content-Type"] == "application/json" and "error" in response.json()
    assert Event.objects.count() == before


@pytest.mark.django_db(databases=["default", "read"])
def test_a_body_over_the_upload_limit_is_a_413_that_says_so(world, settings):
    client = client_for(world["user"])
    body = json.dumps({"body": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    for path in ("/api/socialapp/v1/posts", "/api/v1/statuses"):  # one shape on both APIs (Django's handler)
        response = client.generic("POST", path, body, content_type="application/json")
        assert response.status_code == 413 and response["Content-Type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/content-too-large"
        assert "too large" in response.json()["detail"]


@pytest.mark.django_db(databases=["default", "read"])
@pytest.mark.parametrize(("path", "bounded"), QUERIES, ids=[p for p, _ in QUERIES])
def test_oversized_query_parameters_are_a_400_naming_the_parameter(world, path, bounded):
    client = client_for(world["staff"] if path.startswith("/api/socialapp/v1/admin/") else world["user"])
    url = _fill(path, world)
    for name, max_length in bounded.items():
        response = client.get(url, {"q": "hello", name: "x" * (max_length + 1)})
        if path.startswith("/oauth/"):  # the authorize page: no application has such a client_id (401)
            assert response.status_code in (400, 401), (name, response.content)
            continue
        if not path.startswith("/api/socialapp/"):  # a Mastodon route: Rails' 422 "Validation failed: Name ..."
            if response.status_code == 404:  # a lookup by a name no account can have: Mastodon's 404
                assert response.json() == {"error": "Record not found"}, response.json()
                continue
            assert response.status_code == 422, (name, response.content)
            assert f"Validation failed: {name.capitalize()} " in response.json()["error"], response.json()
            continue
        assert response.status_code == 400, (name, response.content)
        assert name in response.json()["errors"], response.json()


@pytest.mark.django_db(databases=["default", "read"])
def test_the_reported_number_body_is_refused(world):
    client = client_for(world["user"])
    response = client.post("/api/socialapp/v1/posts", {"body": 123}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"body": ["Not a valid string."]}
    assert not Event.objects.filter(event_type="post.created", payload__body="123").exists()
