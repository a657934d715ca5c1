"""socialapp.mastodon.queries.rows: statuses and accounts hydrated under the one visibility rule
(what every Mastodon query, notifications and search included, shows)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from socialapp.mastodon.queries import rows
from socialapp.read.common.sql import execute
from tests.mastodon.query_support import build_site, clean_read_models  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def test_account_rows_are_the_shown_accounts(site) -> None:
    i = site.ids
    found = rows.account_rows([i["ann"], i["eve"], i["sam"], 424242, i["ann"]])
    assert list(found) == [i["ann"]]
    ann = found[i["ann"]]
    assert ann["username"] == "ann" and ann["statuses_count"] == 5 and ann["followers_count"] == 3
    assert ann["last_status_at"] is not None
    assert rows.account_rows([]) == {}


def test_a_placeholder_profile_is_not_an_account(site) -> None:
    """A profile event that came before the registration leaves a row with a version and no
    username: not shown (it would render with no username)."""
    execute("INSERT INTO read_profile (user_id, display_name, bio, version, follower_count, following_count,"
            " post_count) VALUES (777, 'x', '', 2, 0, 0, 0)")  # fmt: skip
    assert rows.account_rows([777]) == {}


def test_status_rows_apply_the_visibility_rule(site) -> None:
    everything = [
        site.bob_post, site.cat_comment, site.ann_reply, site.gone_post, site.orphan, site.eve_post,
        site.eve_comment, site.sam_post, 31337,
    ]  # fmt: skip
    found = rows.status_rows(everything, viewer_id=None)
    assert set(found) == {site.bob_post, site.cat_comment, site.ann_reply}
    assert found[site.bob_post]["favourited"] is None  # anonymous: no viewer flags
    assert found[site.bob_post]["in_reply_to_id"] is None and found[site.bob_post]["hashtags"] == ["cqrs"]
    assert found[site.cat_comment]["in_reply_to_id"] == site.bob_post  # answers the post
    assert found[site.cat_comment]["in_reply_to_account_id"] == site.ids["bob"]
    assert found[site.ann_reply]["in_reply_to_id"] == site.cat_comment
    assert found[site.ann_reply]["mentions"] == [{"user_id": site.ids["cat"], "username": "cat"}]
    assert found[site.cat_comment]["replies_count"] == 1


def test_favourited_is_the_viewers(site) -> None:
    assert rows.status_rows([site.bob_post], viewer_id=site.ids["ann"])[site.bob_post]["favourited"] is True
    assert rows.status_rows([site.bob_post], viewer_id=site.ids["dan"])[site.bob_post]["favourited"] is False
    assert rows.status_rows([site.cat_comment], viewer_id=site.ids["ann"])[site.cat_comment]["favourited"] is False


def test_statuses_and_accounts_keep_the_order_asked_and_skip_the_hidden(site) -> None:
    root = rows.base_url(RequestFactory().get("/x", HTTP_HOST="localhost:8000"))
    assert root == "http://localhost:8000"
    rendered = rows.statuses([site.ann_reply, site.gone_post, site.bob_post], viewer_id=None, base_url=root)
    assert [s["id"] for s in rendered] == [str(site.ann_reply), str(site.bob_post)]
    assert rendered[1]["url"] == f"http://localhost:8000/@bob/{site.bob_post}"
    accounts = rows.accounts([site.ids["cat"], site.ids["eve"], site.ids["ann"]], base_url=root)
    assert [a["username"] for a in accounts] == ["cat", "ann"]


def test_a_suspension_hides_and_lifting_it_shows_again(site) -> None:
    site.world.suspend(site.ids["bob"])
    site.apply()
    assert rows.status_rows([site.bob_post, site.cat_comment], viewer_id=None) == {}  # the comment's post is hidden
    assert rows.account_rows([site.ids["bob"]]) == {}
    site.world.unsuspend(site.ids["bob"])
    site.apply()
    assert set(rows.status_rows([site.bob_post, site.cat_comment], viewer_id=None)) == {site.bob_post, site.cat_comment}
