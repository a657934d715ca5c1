"""The reports console in a real browser (the fixtures of test_admin_and_docs.py): a moderator
reads a report's page (the comment, the reported post's text), then resolves it from the list
with an admin action, and the admin says so. SAVE_SCREENSHOTS=1 keeps admin-report.png and
admin-reports.png in docs/screenshots/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from socialapp.events.models import Event
from socialapp.write.accounts.models import User
from socialapp.write.moderation.services import report_file
from socialapp.write.posts.services import post_create
from tests.browser.test_admin_and_docs import PASSWORD, _styled, _wait, browser, screenshots  # noqa: F401 - fixtures

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, databases=["default", "read"]),
]


def test_a_moderator_reads_and_resolves_a_report(live_server, browser, screenshots):  # noqa: F811
    admin = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    alice = User.objects.create_user("alice", "alice@example.org", PASSWORD)
    bob = User.objects.create_user("bob", "bob@example.org", PASSWORD)
    post = post_create(author=bob, body="Cheap pills, click here")
    report = report_file(
        reporter=alice, target_id=bob.pk, post_ids=[post.id], category="spam", comment="He posts this every hour."
    )

    browser.get(live_server.url + reverse("admin:login"))
    _wait(browser, lambda d: d.find_elements(By.ID, "id_username"), "the login form")
    browser.find_element(By.ID, "id_username").send_keys(admin.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "user-tools"), "the admin index after login")

    browser.get(live_server.url + reverse("admin:moderation_report_change", args=[report.pk]))
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#content form"), "the report's page")
    content = browser.find_element(By.ID, "content").text
    assert "He posts this every hour." in content and "Cheap pills, click here" in content
    _styled(browser)
    browser.save_screenshot(str(screenshots / "admin-report.png"))

    browser.get(live_server.url + reverse("admin:moderation_report_changelist"))
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"), "the report rows")
    browser.find_element(By.CSS_SELECTOR, "#result_list input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("resolve_delete_posts")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    done = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li.success"), "the message")
    assert "Resolved, reported posts deleted: 1." in done[0].text
    browser.save_screenshot(str(screenshots / "admin-reports.png"))
    assert Event.objects.filter(event_type="report.resolved", actor_id=admin.pk).count() == 1
    assert Event.objects.filter(event_type="post.deleted", actor_id=admin.pk).count() == 1
