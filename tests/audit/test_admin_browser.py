"""The audit page in a real browser (headless Chromium, as tests/browser): sliding the version
range input submits the form and shows the state folded at that version. With SAVE_SCREENSHOTS=1
the screenshot goes to docs/screenshots/admin-audit.png."""

from __future__ import annotations

import pytest

from socialapp.write.accounts.models import User
from socialapp.write.posts.services import post_create, post_edit
from tests.browser.test_admin_and_docs import PASSWORD, _styled, _wait, browser, screenshots  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]
By = pytest.importorskip("selenium.webdriver.common.by").By


def test_the_version_slider_shows_each_folded_state(live_server, browser, screenshots):  # noqa: F811
    admin = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    post = post_create(author=admin, body="the first words #audit")
    post_edit(post_id=post.pk, actor=admin, body="the second words")
    post_edit(post_id=post.pk, actor=admin, body="the third words", spoiler_text="careful")
    browser.get(f"{live_server.url}/admin/login/?next=/admin/audit/post/{post.pk}/")
    _wait(browser, lambda d: d.find_elements(By.ID, "id_username"), "the login form")
    browser.find_element(By.ID, "id_username").send_keys(admin.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    state = lambda d: d.find_element(By.ID, "audit-state").text  # noqa: E731
    _wait(browser, lambda d: d.find_elements(By.ID, "audit-state"), "the audit page")
    _styled(browser)
    assert "the third words" in state(browser)
    browser.execute_script(
        "const s = document.getElementById('version'); s.value = 1;"
        " s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'));"
    )
    _wait(browser, lambda d: "the first words" in state(d), "the state at version 1")
    assert browser.current_url.endswith("?version=1")
    assert browser.find_element(By.ID, "version-shown").text == "1"
    assert "post.edited" in browser.find_element(By.CSS_SELECTOR, ".audit-events").text
    browser.set_window_size(1280, 1100)
    browser.save_screenshot(str(screenshots / "admin-audit.png"))
