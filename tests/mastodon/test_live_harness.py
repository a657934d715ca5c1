"""The live stack itself (tests/mastodon/live.py), checked through our own API so that it holds
before any Mastodon route exists: HTTP reaches the real app, and a command's events go through
relay and workers to the read side, which the same server then answers from."""

from __future__ import annotations

import pytest
import requests

from tests.mastodon.clients import PASSWORD, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_a_post_over_http_converges_to_the_read_side(live_stack) -> None:
    make_user("dora")
    api = f"{live_stack.url}/api/socialapp/v1"
    login = requests.post(f"{api}/auth/token", json={"username": "dora", "password": PASSWORD}, timeout=30)
    assert login.status_code in (200, 201), login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    post = requests.post(f"{api}/posts", json={"body": "live #harness"}, headers=headers, timeout=30)
    assert post.status_code == 201, post.text

    def in_feed() -> bool:
        feed = requests.get(f"{api}/feed", headers=headers, timeout=30).json()
        return post.json()["id"] in [item["id"] for item in feed["results"]]

    live_stack.wait(in_feed, what="the post in the author's feed")
    live_stack.wait(
        lambda: (
            requests.get(f"{api}/search/posts", params={"q": "harness"}, headers=headers, timeout=30)
            .json()
            .get("results")
        ),
        what="the post in search",
    )
