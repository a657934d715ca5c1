"""The Mastodon face's shared rendering: HTML content, datetimes, paging and parameters.

No database: these are the rules every Mastodon route renders through, checked on their own so
a failure names the rule rather than a route."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import RequestFactory

from socialapp.common.errors import ValidationFailed
from socialapp.mastodon.common import entities
from socialapp.mastodon.common.html import render_html
from socialapp.mastodon.common.paging import Page, link_header, newest_first, page_from
from socialapp.mastodon.common.params import as_bool, as_id, as_list

BASE = "http://example.test"
MOMENT = datetime(2026, 5, 4, 3, 2, 1, 987654, tzinfo=UTC)


def _status(**overrides) -> entities.StatusRow:
    row = entities.StatusRow(
        id=123,
        account=entities.AccountRow(
            id=7,
            username="alice",
            display_name="Alice",
            note="hi",
            created_at=MOMENT,
            followers_count=1,
            following_count=2,
            statuses_count=3,
        ),
        body="hello",
        created_at=MOMENT,
        edited_at=None,
        spoiler_text="",
        sensitive=False,
        hashtags=[],
        mentions=[],
        in_reply_to_id=None,
        in_reply_to_account_id=None,
        favourites_count=0,
        replies_count=0,
        favourited=None,
    )
    row.update(overrides)  # type: ignore[typeddict-item]
    return row


def test_html_escapes_before_linking():
    html = render_html('<script>alert("x")</script> & more', base_url=BASE)
    assert html == '<p>&lt;script&gt;alert("x")&lt;/script&gt; &amp; more</p>'


def test_html_links_known_mentions_tags_and_urls_only():
    html = render_html(
        "hi @alice and @nobody #Django #other https://example.org/a?b=1.",
        base_url=BASE,
        mentions=[{"user_id": "7", "username": "alice"}],
        hashtags=["django"],
    )
    assert f'<a href="{BASE}/@alice" class="u-url mention">@<span>alice</span></a>' in html
    assert "@nobody" in html and "/@nobody" not in html  # named nobody: stays text
    assert f'<a href="{BASE}/tags/django" class="mention hashtag" rel="tag">#<span>Django</span></a>' in html
    assert "#other" in html and "/tags/other" not in html
    assert '<a href="https://example.org/a?b=1"' in html  # the final full stop is not part of the URL
    assert html.endswith("</a>.</p>")


def test_html_paragraphs_and_line_breaks():
    assert render_html("one\ntwo\n\nthree", base_url=BASE) == "<p>one<br />two</p><p>three</p>"
    assert render_html("", base_url=BASE) == ""


def test_a_url_cannot_break_out_of_its_attribute():
    html = render_html('https://x.test/"onmouseover=alert(1)', base_url=BASE)
    assert 'href="https://x.test/"' in html  # the quote ends the URL, it is never inside the attribute
    assert "onmouseover=alert(1)" in html and 'onmouseover="' not in html


def test_datetimes_have_milliseconds_and_z():
    assert entities.iso(MOMENT) == "2026-05-04T03:02:01.987Z"
    assert entities.iso(None) is None


def test_status_shape_has_what_clients_read():
    status = entities.status(_status(), base_url=BASE)
    for key in [
        "id",
        "uri",
        "url",
        "created_at",
        "account",
        "content",
        "visibility",
        "sensitive",
        "spoiler_text",
        "media_attachments",
        "mentions",
        "tags",
        "emojis",
        "reblogs_count",
        "favourites_count",
        "replies_count",
        "in_reply_to_id",
        "in_reply_to_account_id",
        "edited_at",
        "reblog",
        "poll",
        "card",
        "language",
    ]:
        assert key in status, key
    assert status["id"] == "123" and status["account"]["id"] == "7"
    assert status["url"] == f"{BASE}/@alice/123"
    assert "scheduled_at" not in status  # toot would take the post for a scheduled one
    assert "favourited" not in status  # anonymous: no viewer flags
    mine = entities.status(_status(favourited=True, in_reply_to_id=5, in_reply_to_account_id=9), base_url=BASE)
    assert mine["favourited"] is True and mine["bookmarked"] is False
    assert (mine["in_reply_to_id"], mine["in_reply_to_account_id"]) == ("5", "9")


def test_account_created_at_is_a_day_and_acct_is_local():
    account = entities.account(_status()["account"], base_url=BASE)
    assert account["created_at"] == "2026-05-04T00:00:00.000Z"
    assert account["acct"] == "alice" and account["note"] == "<p>hi</p>"
    assert entities.credential_account(_status()["account"], base_url=BASE)["source"]["note"] == "hi"


def test_page_parameters_clamp_limit_and_refuse_garbage():
    factory = RequestFactory()
    assert page_from(factory.get("/x", {"limit": "500"})).limit == 40
    assert page_from(factory.get("/x", {"limit": "0"})).limit == 1
    page = page_from(factory.get("/x", {"min_id": "5", "since_id": "3"}))
    assert page.ascending and page.lower == 5
    with pytest.raises(ValidationFailed):
        page_from(factory.get("/x", {"max_id": "abc"}))
    with pytest.raises(ValidationFailed):
        page_from(factory.get("/x", {"limit": "ten"}))
    assert newest_first(Page(limit=3, min_id=1), [2, 3, 4]) == [4, 3, 2]


def test_link_header_is_next_then_prev_with_other_parameters_kept():
    request = RequestFactory().get("/api/v1/timelines/tag/x", {"limit": "2", "max_id": "99", "only_media": "false"})
    header = link_header(request, Page(limit=2, max_id=99), 50, 40)
    assert header == (
        '<http://testserver/api/v1/timelines/tag/x?only_media=false&limit=2&max_id=40>; rel="next", '
        '<http://testserver/api/v1/timelines/tag/x?only_media=false&limit=2&min_id=50>; rel="prev"'
    )
    assert link_header(request, Page(limit=2), None, None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        (True, True),
        ("0", False),
        ("false", False),
        ("False", False),
        (None, False),
    ],
)
def test_form_booleans(value, expected):
    assert as_bool(value, field="sensitive") is expected


def test_bad_booleans_and_ids_are_refused():
    with pytest.raises(ValidationFailed):
        as_bool("maybe", field="sensitive")
    with pytest.raises(ValidationFailed):
        as_id("12a", field="in_reply_to_id")
    with pytest.raises(ValidationFailed):
        as_id(str(2**63), field="in_reply_to_id")
    assert as_id("", field="x") is None and as_id("42", field="x") == 42


def test_lists_from_forms_queries_and_json():
    factory = RequestFactory()
    assert as_list(factory.get("/x?types[]=follow&types[]=mention").GET, "types") == ["follow", "mention"]
    assert as_list({"types": ["favourite"]}, "types") == ["favourite"]
    assert as_list({"types[]": "follow"}, "types") == ["follow"]
    assert as_list({}, "types") == []
