"""The authorize page in headless Chromium (the pattern of tests/browser/test_admin_and_docs.py):
a client registers over HTTP, the user signs in and approves on the page, the out-of-band code
shown there is exchanged (with its PKCE verifier) for a token that works on the query side.
With SAVE_SCREENSHOTS=1 the page goes to docs/screenshots/oauth-authorize.png (committed)."""

from __future__ import annotations

import pytest
import requests

from socialapp.write.accounts.models import User
from tests.browser.test_admin_and_docs import _wait, browser, screenshots  # noqa: F401 - fixtures
from tests.oauth.support import OOB, QUERY_ROUTE, authorize_url, pkce_pair

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

PASSWORD = "a long member passphrase 4 tests"
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_sign_in_approve_and_copy_the_oob_code(live_server, browser, screenshots):  # noqa: F811
    User.objects.create_user("member", "member@example.org", PASSWORD)
    app = requests.post(
        f"{live_server.url}/api/v1/apps",
        data={
            "client_name": "Tooter",
            "redirect_uris": OOB,
            "scopes": "read write follow",
            "website": "https://tooter.example",
        },
        timeout=10,
    ).json()
    verifier, challenge = pkce_pair()

    url = authorize_url(app, scope="read write follow", code_challenge=challenge, code_challenge_method="S256")
    browser.get(
        live_server.url + url.replace("/oauth/authorize?", "/oauth/authorize/?") + "&state=None&force_login=False"
    )
    _wait(browser, lambda d: d.find_elements(By.ID, "username"), "the sign-in form")
    assert "Authorize Tooter" in browser.find_element(By.TAG_NAME, "h1").text
    assert [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#scopes li")] == ["read", "write", "follow"]
    browser.find_element(By.ID, "username").send_keys("member@example.org")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.save_screenshot(str(screenshots / "oauth-authorize.png"))
    browser.find_element(By.ID, "approve").click()

    code = _wait(browser, lambda d: d.find_elements(By.ID, "code"), "the code page")[0].text
    browser.save_screenshot(str(screenshots / "oauth-code.png"))
    token = requests.post(
        f"{live_server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "code": code,
            "redirect_uri": OOB,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "read write follow"
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert requests.get(live_server.url + QUERY_ROUTE, headers=headers, timeout=10).status_code == 200
