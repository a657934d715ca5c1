"""CORS for browser clients: any origin, no credentials, on /api/, /oauth/ and /.well-known/
(as Mastodon), exposing the paging and rate-limit headers; narrowed by CORS_ALLOWED_ORIGINS."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(databases=["default", "read"])

ORIGIN = "https://elk.example"


def preflight(path: str, origin: str = ORIGIN, method: str = "GET", headers: str = "authorization"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/notifications", "GET"),
        ("/api/v2/search", "GET"),
        ("/api/v1/notifications/clear", "POST"),
        ("/oauth/token", "POST"),
        ("/api/socialapp/v1/posts", "POST"),
    ],
)
def test_preflight_allows_any_origin_without_credentials(path: str, method: str) -> None:
    response = preflight(path, method=method, headers="authorization, content-type")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert method in response["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "Access-Control-Allow-Credentials" not in response


def test_answers_expose_link_and_rate_limit_headers() -> None:
    response = Client().get("/api/v1/notifications", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 401  # errors carry CORS headers too, so the client can read them
    assert response["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= exposed


def test_pages_outside_the_apis_get_no_cors() -> None:
    response = preflight("/admin/login/")
    assert "Access-Control-Allow-Origin" not in response


def test_origins_can_be_narrowed(settings) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    assert preflight("/api/v1/notifications", origin="https://app.example")["Access-Control-Allow-Origin"] == (
        "https://app.example"
    )
    assert "Access-Control-Allow-Origin" not in preflight("/api/v1/notifications")
