"""Helpers of the OAuth tests: register an app, run a grant, walk the authorize page."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client
from rest_framework.test import APIClient

from tests.command_support import PASSWORD

OOB = "urn:ietf:wg:oauth:2.0:oob"
REDIRECT = "https://client.example/callback"
QUERY_ROUTE = "/api/socialapp/v1/notifications"  # a query-side route that needs a caller
COMMAND_ROUTE = "/api/socialapp/v1/posts"  # POST: a command-side route


def register_app(scopes: str = "read write follow push", redirect_uris: Any = OOB, **extra: Any) -> dict:
    body = {"client_name": "test client", "redirect_uris": redirect_uris, "scopes": scopes, **extra}
    r = APIClient().post("/api/v1/apps", body)  # a form, as Mastodon.py sends it
    assert r.status_code == 200, r.content
    return r.json()


def token_request(**fields: Any) -> Any:
    return APIClient().post("/oauth/token", fields)


def password_token(app: dict, username: str = "alice", scope: str = "read write follow push") -> dict:
    r = token_request(
        grant_type="password",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        username=username,
        password=PASSWORD,
        scope=scope,
    )
    assert r.status_code == 200, r.content
    return r.json()


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def pkce_pair(method: str = "S256") -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    if method == "plain":
        return verifier, verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(app: dict, redirect_uri: str = OOB, scope: str = "read write", **extra: str) -> str:
    query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": redirect_uri, "scope": scope}
    return "/oauth/authorize?" + urlencode({**query, **extra})


def approve(app: dict, redirect_uri: str = OOB, scope: str = "read write", username: str = "alice", **extra: str):
    """GET the page, then POST its form with the user's credentials; the POST's response."""
    client = Client()
    page = client.get(authorize_url(app, redirect_uri, scope, **extra))
    assert page.status_code == 200, page.content
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode()))
    fields.update(username=username, password=PASSWORD, decision="approve")
    return client.post("/oauth/authorize", fields)


def code_from(response: Any) -> str:
    """The code of an approval: from the redirect's query, or from the OOB page."""
    if response.status_code == 302:
        return parse_qs(urlsplit(response["Location"]).query)["code"][0]
    assert response.status_code == 200, response.content
    found = re.search(r'<p class="code" id="code">([^<]+)</p>', response.content.decode())
    assert found, response.content
    return found.group(1)
