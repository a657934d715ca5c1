"""Every operation of both APIs documents the errors it can answer, in the shape it answers them,
and the headers it sets; and real error answers match what their operation documents.

The expectations are read from the document itself (security, parameters, body), not from the
rules of socialapp/common/schema.py, so a rule that stops applying fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from socialapp.common.errors import ServiceUnavailable
from tests.read.api_support import make_site
from tests.read.test_schema import generated_schema
from tests.support import clear_throttles

PROBLEM = "application/problem+json"
MASTODON_PREFIXES = ("/api/v1/", "/api/v2/", "/oauth/")
SEARCH = ("/api/socialapp/v1/search/", "/api/v2/search", "/api/v1/accounts/search")
# The Mastodon lists that page with a Link header (max_id/min_id, or offset for trends).
MASTODON_PAGED = {
    "/api/v1/timelines/home",
    "/api/v1/timelines/public",
    "/api/v1/timelines/tag/{tag}",
    "/api/v1/notifications",
    "/api/v1/favourites",
    "/api/v1/blocks",
    "/api/v1/mutes",
    "/api/v1/follow_requests",
    "/api/v1/accounts/{account_id}/statuses",
    "/api/v1/accounts/{account_id}/followers",
    "/api/v1/accounts/{account_id}/following",
    "/api/v1/statuses/{status_id}/favourited_by",
    "/api/v1/trends",
    "/api/v1/trends/tags",
    "/api/v1/trends/statuses",
}


def operations(schema: dict[str, Any]):
    """Every API operation: not the HTML pages (OAuth's authorize page, a Django form with its
    own answers, documented by hand in socialapp/write/oauth/schema.py)."""
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if "text/html" not in op["responses"].get("200", {}).get("content", {}):
                yield path, method, op


def test_the_authorize_page_is_documented_as_a_page(schema) -> None:
    page = schema["paths"]["/oauth/authorize"]
    for method in ("get", "post"):
        responses = page[method]["responses"]
        assert {"200", "400", "401"} <= set(responses), method
        assert "WWW-Authenticate" in responses["401"]["headers"], method
    assert "302" in page["post"]["responses"] and "429" in page["post"]["responses"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return generated_schema()


def error_body_ref(path: str) -> tuple[str, str]:
    if path.startswith(MASTODON_PREFIXES):
        return "application/json", "#/components/schemas/MastodonError"
    return PROBLEM, "#/components/schemas/Problem"


def required_statuses(path: str, method: str, op: dict[str, Any]) -> set[str]:
    """What the issue asks of every operation, from what the operation itself says."""
    located = {p["in"] for p in op.get("parameters", [])}
    anonymous_only = op.get("security", []) in ([], [{}])
    needed = {"429"}  # every view of both APIs is throttled
    if not anonymous_only:
        needed |= {"401"}
    if "path" in located:
        needed.add("404")
    if path.startswith(MASTODON_PREFIXES):
        if "requestBody" in op or "query" in located:
            needed.add("422")
        if "query" in located:
            needed.add("400")
    elif "requestBody" in op or "query" in located:
        needed.add("400")
    if "requestBody" in op:
        needed |= {"413", "415"}
    if path.startswith(SEARCH):
        needed.add("503")
    if "query" in located:
        needed.add("414")
    return needed


def test_every_operation_documents_its_errors_with_the_error_schema(schema) -> None:
    assert set(schema["components"]["schemas"]["Problem"]["required"]) == {"type", "title", "status", "detail"}
    assert schema["components"]["schemas"]["MastodonError"]["required"] == ["error"]
    missing, wrong = [], []
    for path, method, op in operations(schema):
        responses = op["responses"]
        absent = required_statuses(path, method, op) - set(responses)
        if absent:
            missing.append((method.upper(), path, sorted(absent)))
        for status, response in responses.items():
            content_type, ref = error_body_ref("/api/socialapp/v1/" if status == "413" else path)
            if status == "414":  # gunicorn's, before the application: docs/api.md
                assert "query" in {p["in"] for p in op["parameters"]}, (path, method)
                assert set(response["content"]) == {"text/html"}
                continue
            expected = {content_type: {"schema": {"$ref": ref}}}
            if status == "400" and path.startswith(MASTODON_PREFIXES):  # or a NUL byte's, before any view
                expected[PROBLEM] = {"schema": {"$ref": "#/components/schemas/Problem"}}
            if status[0] in "45" and response.get("content") != expected:
                wrong.append((method.upper(), path, status, response.get("content")))
    assert not missing, f"operations without the error responses their rules require: {missing}"
    assert not wrong, f"error responses not in the API's error shape: {wrong}"


def test_retry_after_on_429_and_503_and_the_challenge_on_401(schema) -> None:
    for path, method, op in operations(schema):
        for status, response in op["responses"].items():
            headers = response.get("headers", {})
            if status in ("429", "503"):
                assert headers["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}, (path, method, status)
            if status == "401":
                assert "WWW-Authenticate" in headers, (path, method)
    assert schema["components"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_both_sides_document_the_headers_they_set(schema) -> None:
    for path, method, op in operations(schema):
        ok = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        names = {n for r in ok.values() for n in r.get("headers", {})}
        params = {p["name"] for p in op.get("parameters", [])}
        for status in ("401", "413", "414"):  # answered before the throttles count, or outside DRF
            assert "X-RateLimit-Limit" not in op["responses"].get(status, {}).get("headers", {}), (path, method)
        if path.startswith(MASTODON_PREFIXES):
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= names, (path, method)
            assert {"X-RateLimit-Limit", "Retry-After"} <= set(op["responses"]["429"]["headers"]), (path, method)
            assert ("Link" in names) == (path in MASTODON_PAGED), (path, method)
            continue
        if "X-Consistency-Token" in params:  # a query: it reads the token
            assert {"X-Read-Lag", "X-Consistency-Satisfied"} <= names, (path, method)
        elif method != "get" and not path.startswith("/api/socialapp/v1/admin/"):  # a command: it hands one out
            assert "X-Consistency-Token" in names, (path, method)
        if "cursor" in params:
            assert "Link" in names, (path, method)


# ---------------------------------------------------------------------------- real answers
def check_against_document(schema: dict[str, Any], path: str, method: str, response: Any) -> dict[str, Any]:
    """The answer's status is documented for the operation, its content type is the documented
    one, its body validates against the documented schema; the documented response is returned."""
    op = schema["paths"][path][method]
    status = str(response.status_code)
    assert status in op["responses"], f"{method.upper()} {path} answered {status}, not documented: {op['responses']}"
    documented = op["responses"][status]
    content_type = response["Content-Type"].split(";")[0]
    assert content_type in documented["content"], (path, status, content_type)
    media = documented["content"][content_type]
    validator = Draft202012Validator({**media["schema"], "components": schema["components"]})
    validator.validate(response.json())
    for name in documented.get("headers", {}):
        if name in ("Retry-After", "WWW-Authenticate"):
            assert response.has_header(name), (path, status, name)
    return documented


pytestmark = pytest.mark.django_db(databases=["default", "read"])


@pytest.fixture
def site():
    clear_throttles()
    yield make_site("ann", "bob")
    clear_throttles()


def test_anonymous_call_to_an_authenticated_operation_is_a_documented_401(schema, site) -> None:
    response = APIClient().get("/api/socialapp/v1/feed")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    check_against_document(schema, "/api/socialapp/v1/feed", "get", response)
    assert response.json()["type"] == "/problems/not-authenticated"
    response = APIClient().get("/api/v1/timelines/home")
    assert response.status_code == 401
    check_against_document(schema, "/api/v1/timelines/home", "get", response)


def test_unknown_id_is_a_documented_404(schema, site) -> None:
    client = site.client("ann")
    response = client.get("/api/socialapp/v1/posts/987654321")
    assert response.status_code == 404
    check_against_document(schema, "/api/socialapp/v1/posts/{post_id}", "get", response)
    response = client.delete("/api/socialapp/v1/posts/987654321")
    assert response.status_code == 404
    check_against_document(schema, "/api/socialapp/v1/posts/{post_id}", "delete", response)
    response = client.get("/api/v1/statuses/987654321")
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    check_against_document(schema, "/api/v1/statuses/{status_id}", "get", response)


def test_bad_input_is_a_documented_400_or_mastodon_422(schema, site) -> None:
    client = site.client("ann")
    response = client.get("/api/socialapp/v1/feed", {"limit": "0"})
    assert response.status_code == 400
    check_against_document(schema, "/api/socialapp/v1/feed", "get", response)
    assert "limit" in response.json()["errors"]
    response = client.get("/api/socialapp/v1/feed", HTTP_X_CONSISTENCY_TOKEN="not-a-token")
    assert response.status_code == 400
    check_against_document(schema, "/api/socialapp/v1/feed", "get", response)
    response = client.post("/api/socialapp/v1/posts", {}, format="json")
    assert response.status_code == 400
    check_against_document(schema, "/api/socialapp/v1/posts", "post", response)
    response = client.post("/api/v1/statuses", {}, format="json")
    assert response.status_code == 422 and response.json()["error"].startswith("Validation failed")
    check_against_document(schema, "/api/v1/statuses", "post", response)
    response = client.post("/api/v1/statuses", "{not json", content_type="application/json")
    assert response.status_code == 400
    check_against_document(schema, "/api/v1/statuses", "post", response)
    response = client.get("/api/v1/trends", {"limit": "-1"})
    assert response.status_code == 400 and "error" in response.json()
    check_against_document(schema, "/api/v1/trends", "get", response)
    response = client.get("/api/v1/trends", {"limit": "1\x00"})  # refused before any view: problem details
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    check_against_document(schema, "/api/v1/trends", "get", response)
    response = client.post("/api/socialapp/v1/posts", "body=hi", content_type="text/plain")
    assert response.status_code == 415
    check_against_document(schema, "/api/socialapp/v1/posts", "post", response)


def test_a_taken_username_is_a_documented_409(schema, site) -> None:
    data = {"username": "ann", "email": "other@example.org", "password": "a-l0nger-Passw0rd!"}
    response = APIClient().post("/api/socialapp/v1/auth/register", data, format="json")
    assert response.status_code == 409 and "username" in response.json()["errors"]
    check_against_document(schema, "/api/socialapp/v1/auth/register", "post", response)


def test_a_body_over_the_limit_is_a_documented_413_on_both_apis(schema, site, settings) -> None:
    client = site.client("ann")
    body = '{"body": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'
    for path in ("/api/socialapp/v1/posts", "/api/v1/statuses"):
        response = client.generic("POST", path, body, content_type="application/json")
        assert response.status_code == 413
        check_against_document(schema, path, "post", response)


def test_throttled_answers_are_documented_429_with_retry_after(schema, site, monkeypatch) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "1/min", "anon": "1/min"})
    client = site.client("ann")
    for path in ("/api/socialapp/v1/feed", "/api/v1/timelines/home"):
        clear_throttles()  # both APIs count a user's requests together
        url = path
        assert client.get(url).status_code == 200
        response = client.get(url)
        assert response.status_code == 429 and int(response["Retry-After"]) >= 1
        documented = check_against_document(schema, path, "get", response)
        assert "Retry-After" in documented["headers"]
    assert response.has_header("X-RateLimit-Remaining")  # Mastodon's, on its 429 too


def test_search_unavailable_is_a_documented_503_with_retry_after(schema, site, monkeypatch) -> None:
    from socialapp.read.search import selectors

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailable("Search is temporarily unavailable; try again shortly.")

    monkeypatch.setattr(selectors, "search_users", down)
    client = site.client("ann")
    response = client.get("/api/socialapp/v1/search/users", {"q": "ann"})
    assert response.status_code == 503 and response["Retry-After"] == str(ServiceUnavailable.retry_after)
    check_against_document(schema, "/api/socialapp/v1/search/users", "get", response)
    response = client.get("/api/v1/accounts/search", {"q": "ann"})
    assert response.status_code == 503 and response["Retry-After"] == str(ServiceUnavailable.retry_after)
    check_against_document(schema, "/api/v1/accounts/search", "get", response)
