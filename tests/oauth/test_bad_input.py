"""Bad input on the OAuth routes is a 4xx in the route's own error shape, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.oauth.support import OOB, register_app

pytestmark = [pytest.mark.django_db(databases=["default", "read"]), pytest.mark.usefixtures("alice")]

NUL = "a\x00b"


@pytest.mark.parametrize(
    "body",
    [
        {"grant_type": "password", "client_id": NUL, "client_secret": "x"},
        {"grant_type": "password", "client_id": "APP", "client_secret": "SECRET", "username": NUL, "password": "x"},
        {"grant_type": "authorization_code", "client_id": "APP", "client_secret": "SECRET", "code": NUL},
        {"grant_type": "password", "client_id": ["a"], "client_secret": {"b": 1}},
        {"grant_type": "client_credentials", "client_id": "APP", "client_secret": "SECRET", "scope": ["read"]},
        {"grant_type": "authorization_code", "client_id": "APP", "client_secret": "SECRET", "code": 12},
        {"grant_type": "password", "client_id": "APP", "client_secret": "SECRET", "username": None},
        {"grant_type": ["password"]},
        {},
    ],
)
def test_token_endpoint_bad_json_bodies(body):
    app = register_app()
    text = (
        json.dumps(body)
        .replace('"APP"', json.dumps(app["client_id"]))
        .replace('"SECRET"', json.dumps(app["client_secret"]))
    )
    r = APIClient().post("/oauth/token", text, content_type="application/json")
    assert 400 <= r.status_code < 500 and "error" in r.json(), (r.status_code, r.content)


@pytest.mark.parametrize("text", ["[]", "null", '"x"', "{bad", "[[[[[[[[[[" * 1000])
def test_token_and_revoke_endpoints_take_any_json(text):
    for route in ("/oauth/token", "/oauth/revoke", "/api/v1/apps"):
        r = APIClient().post(route, text, content_type="application/json")
        assert 400 <= r.status_code < 500 and "error" in r.json(), (route, r.status_code, r.content)


def test_revoke_and_apps_refuse_nul():
    app = register_app()
    r = APIClient().post(
        "/oauth/revoke", {"client_id": app["client_id"], "client_secret": app["client_secret"], "token": NUL}
    )
    assert r.status_code == 400
    r = APIClient().post("/api/v1/apps", {"client_name": NUL, "redirect_uris": OOB})
    assert r.status_code == 422 and r.json()["error"].startswith("Validation failed")


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"a\x00b:c").decode(), "Basic //79"])
def test_basic_auth_garbage_is_invalid_client(header):
    r = APIClient().post("/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_basic_auth_works():
    app = register_app()
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    r = APIClient().post("/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert r.status_code == 200 and r.json()["scope"] == "read"


def test_authorize_form_with_nul_or_garbage_is_an_error_page():
    app = register_app()
    client = Client()
    for fields in (
        {"client_id": app["client_id"], "redirect_uri": OOB, "username": NUL, "password": "x", "decision": "approve"},
        {},
        {"client_id": app["client_id"], "redirect_uri": OOB, "code_challenge": "x" * 500},
    ):
        r = client.post("/oauth/authorize", fields)
        assert r.status_code == 400, (fields, r.status_code)
    assert client.post("/oauth/authorize", {"client_id": NUL}).status_code == 400  # NUL: refused before any lookup
    assert Client().get("/oauth/authorize?client_id=x%00").status_code == 400  # a NUL in the URL: RejectNulMiddleware
    assert Client().get("/oauth/authorize?client_id=x").status_code == 401  # no such client (Doorkeeper's 401)


def test_a_redirect_uri_urlsplit_cannot_read_is_a_422_not_a_500():
    r = APIClient().post("/api/v1/apps", {"client_name": "x", "redirect_uris": "https://[broken/cb"}, format="json")
    assert r.status_code == 422 and "Invalid redirect URI" in r.json()["error"]
