"""The authorize page as an HTTP client sees it: bad requests get an error page and never a
redirect, CSRF is enforced, a wrong password re-shows the form, denial redirects with
`access_denied`, and a signed-in admin session only approves."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from socialapp.write.oauth.models import AuthorizationCode
from tests.command_support import PASSWORD
from tests.oauth.support import OOB, REDIRECT, authorize_url, register_app

pytestmark = [pytest.mark.django_db(databases=["default", "read"]), pytest.mark.usefixtures("alice")]


def hidden_fields(page) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode()))


def test_the_page_names_the_app_and_the_scopes_with_and_without_trailing_slash():
    app = register_app()
    for path in ("/oauth/authorize?", "/oauth/authorize/?"):
        page = Client().get(authorize_url(app, scope="read write").replace("/oauth/authorize?", path))
        assert page.status_code == 200 and b"test client" in page.content
        assert b"<li>read</li>" in page.content and b"<li>write</li>" in page.content
        assert b'name="password"' in page.content and b"csrfmiddlewaretoken" in page.content


@pytest.mark.parametrize(
    ("change", "error", "status"),
    [
        ({"client_id": "unknown"}, "invalid_client", 401),  # Doorkeeper's status for invalid_client
        ({"redirect_uri": "https://evil.example/"}, "invalid_grant", 400),
        ({"scope": "read write follow push admin:read"}, "invalid_scope", 400),
        ({"response_type": "token"}, "unsupported_response_type", 400),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request", 400),
    ],
)
def test_a_bad_request_gets_an_error_page_never_a_redirect(change, error, status):
    app = register_app(scopes="read write", redirect_uris=REDIRECT)
    url = authorize_url(app, redirect_uri=REDIRECT)
    for key, value in change.items():
        url = re.sub(rf"{key}=[^&]*", f"{key}={value}", url) if f"{key}=" in url else f"{url}&{key}={value}"
    page = Client().get(url)
    assert page.status_code == status and error.encode() in page.content, page.content


def test_csrf_is_enforced():
    app = register_app()
    page = Client().get(authorize_url(app))
    fields = {**hidden_fields(page), "username": "alice", "password": PASSWORD, "decision": "approve"}
    fields.pop("csrfmiddlewaretoken")
    assert Client(enforce_csrf_checks=True).post("/oauth/authorize", fields).status_code == 403
    assert not AuthorizationCode.objects.exists()


def test_a_wrong_password_shows_the_form_again_and_issues_nothing():
    app = register_app()
    client = Client()
    fields = {
        **hidden_fields(client.get(authorize_url(app))),
        "username": "alice",
        "password": "x",
        "decision": "approve",
    }
    page = client.post("/oauth/authorize", fields)
    assert page.status_code == 401 and b"wrong password" in page.content and b'name="password"' in page.content
    assert not AuthorizationCode.objects.exists()


def test_denying_redirects_with_access_denied_or_says_so_for_oob():
    app = register_app(redirect_uris=[REDIRECT, OOB])
    client = Client()
    fields = {**hidden_fields(client.get(authorize_url(app, redirect_uri=REDIRECT, state="s1"))), "decision": "deny"}
    r = client.post("/oauth/authorize", fields)
    assert r.status_code == 302 and "error=access_denied" in r["Location"] and "state=s1" in r["Location"]
    fields = {**hidden_fields(client.get(authorize_url(app, redirect_uri=OOB))), "decision": "deny"}
    assert b"Access denied" in client.post("/oauth/authorize", fields).content
    assert not AuthorizationCode.objects.exists()


def test_a_signed_in_admin_session_just_approves_unless_force_login(moderator):
    moderator.set_password(PASSWORD)
    moderator.save()
    client = Client()
    assert client.login(username=moderator.username, password=PASSWORD)
    app = register_app()
    page = client.get(authorize_url(app))
    assert b"Signed in as" in page.content and b'name="password"' not in page.content
    r = client.post("/oauth/authorize", {**hidden_fields(page), "decision": "approve"})
    assert r.status_code == 200 and b'id="code"' in r.content
    assert AuthorizationCode.objects.get().user_id == moderator.pk
    forced = client.get(authorize_url(app, force_login="true"))
    assert b'name="password"' in forced.content
