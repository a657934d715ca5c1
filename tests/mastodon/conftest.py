"""Fixtures of the Mastodon tests: users (tests/command_support.py) and the live stack of the
real-client tests (tests/mastodon/live.py)."""

import pytest

from socialapp.write.accounts.services import token_issue
from tests.command_support import alice, bob, moderator  # noqa: F401 - fixtures
from tests.mastodon.live import live_stack  # noqa: F401 - fixture
from tests.mastodon.query_support import build_site, clean_read_models  # noqa: F401 - fixture
from tests.streaming.live import live_streaming  # noqa: F401 - fixture (the stack plus the streaming server)


@pytest.fixture
def site(clean_read_models):  # noqa: F811 - the fixture imported above
    """The query tests' world (query_support.build_site): users with sessions, read models built.
    test_notifications.py and test_search.py build worlds of their own under the same name."""
    return build_site()


@pytest.fixture
def scoped():
    """The scope tests' grant: give `client` a real session of `user` holding only `names` (an OAuth-granted scope)."""

    def grant(client, user, *names: str) -> None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user, scope=' '.join(names))}")

    return grant
