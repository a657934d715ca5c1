"""Fixtures of the real-client tests (tests/mastodon/live.py)."""

from tests.mastodon.live import live_stack  # noqa: F401
