"""docker/nginx.conf sends OAuth to the command side whatever the method: the authorize page's
GET and the app check's GET need the write database (with tests/foundation/test_proxy.py's
real nginx in front of two stub upstreams)."""

from __future__ import annotations

import pytest
import requests

from tests.foundation.test_proxy import proxy  # noqa: F401 - fixture


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/oauth/authorize?client_id=x"),
        ("GET", "/oauth/authorize/?client_id=x"),
        ("POST", "/oauth/authorize"),
        ("POST", "/oauth/token"),
        ("POST", "/oauth/revoke"),
        ("POST", "/api/v1/apps"),
        ("GET", "/api/v1/apps/verify_credentials"),
    ],
)
def test_oauth_reaches_the_command_side(proxy, method, path):  # noqa: F811
    response = requests.request(method, proxy + path, json={} if method == "POST" else None, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["X-Side"] == "commands"


def test_other_mastodon_reads_still_go_to_queries(proxy):  # noqa: F811
    assert requests.get(proxy + "/api/v1/appsx", timeout=5).headers["X-Side"] == "queries"
    assert requests.get(proxy + "/api/v1/timelines/home", timeout=5).headers["X-Side"] == "queries"
