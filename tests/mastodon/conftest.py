"""Fixtures of the Mastodon tests: users (tests/command_support.py) and the live stack of the
real-client tests (tests/mastodon/live.py)."""

from tests.command_support import alice, bob, moderator  # noqa: F401 - fixtures
from tests.mastodon.live import live_stack  # noqa: F401 - fixture
