"""The admin and the API docs in a real browser: headless Chromium from Debian (scripts/browser
installs it; `make test` runs that first), driven by Selenium through the system chromedriver,
so nothing is downloaded at test time.

A real server (pytest-django's live_server, which serves static files as `make run` does) is
logged into as a superuser: the admin's stylesheet must apply, the event log and a user's page
must render, and /api/socialapp/v1/docs must list the operations (Swagger UI from drf-spectacular-sidecar,
our own static files, no CDN). With SAVE_SCREENSHOTS=1 the screenshots go to docs/screenshots/
(committed); otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.urls import reverse

from socialapp.write.accounts.models import User

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "a long admin passphrase 4 tests"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
WAIT_SECONDS = 30

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, databases=["default", "read"]),
]


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail("Chromium is not installed: run scripts/browser (make test does)")
    profile = tempfile.mkdtemp(prefix="socialapp-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",  # as root in a container
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


def _wait(driver, condition, what: str):
    return WebDriverWait(driver, WAIT_SECONDS).until(condition, message=f"waiting for {what}")


def _styled(driver) -> None:
    """The admin's CSS applied: its header has a coloured background (transparent without it),
    and every stylesheet the page links answered 200."""
    background = driver.execute_script("return getComputedStyle(document.getElementById('header')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background
    for href in driver.execute_script("return [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)"):
        assert requests.get(href, timeout=10).status_code == 200, href


def test_admin_and_api_docs_render_in_a_real_browser(live_server, browser, screenshots):
    admin = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    member = User.objects.create_user("member", "member@example.org", PASSWORD, display_name="A Member")

    browser.get(live_server.url + reverse("admin:login"))
    _wait(browser, lambda d: d.find_elements(By.ID, "id_username"), "the login form")
    _styled(browser)
    browser.find_element(By.ID, "id_username").send_keys(admin.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.save_screenshot(str(screenshots / "admin-login.png"))
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "user-tools"), "the admin index after login")

    browser.get(live_server.url + reverse("admin:events_event_changelist"))
    rows = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"), "the event rows")
    assert len(rows) >= 2  # the two registrations
    assert "user.registered" in browser.find_element(By.ID, "result_list").text
    _styled(browser)
    browser.save_screenshot(str(screenshots / "admin-event-log.png"))

    browser.get(live_server.url + reverse("admin:accounts_user_change", args=[member.pk]))
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#content form"), "the user's page")
    assert "member" in browser.find_element(By.ID, "content").text
    _styled(browser)
    browser.save_screenshot(str(screenshots / "admin-user.png"))

    browser.set_window_size(1280, 1600)
    browser.get(live_server.url + reverse("swagger-ui"))
    operations = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), "Swagger UI's operations")
    assert len(operations) >= 20
    scripts = browser.execute_script("return [...document.scripts].map(s => s.src).filter(Boolean)")
    assert scripts and all(s.startswith(live_server.url + "/static/") for s in scripts), scripts
    browser.save_screenshot(str(screenshots / "api-docs.png"))
