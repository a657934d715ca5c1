from tests.command_support import alice, bob, moderator  # noqa: F401 - fixtures
