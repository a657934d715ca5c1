"""OAuth scopes, as Mastodon defines them: what a token may do, checked on every API route.

A token carries the scopes it was granted (space-separated, as OAuth writes them). A route
requires one scope; a token may use it when it holds that scope or its parent (`read` covers
`read:statuses`), or, for the legacy `follow` scope, one of the relationship scopes it stands
for (Mastodon kept `follow` as an alias of read/write on follows, blocks and mutes). Both APIs
use this module: our own API and the Mastodon-compatible one, so a token an app got with `read`
can't post through either of them.
"""

from __future__ import annotations

from collections.abc import Iterable

TOP_LEVEL = ("read", "write", "follow", "push")
_READ = (
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
)
_WRITE = (
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
)
KNOWN: frozenset[str] = frozenset(
    [*TOP_LEVEL, *(f"read:{name}" for name in _READ), *(f"write:{name}" for name in _WRITE)]
)
# What a session from our own login (POST /api/socialapp/v1/auth/token) may do: everything.
FULL = "read write follow push"
# Mastodon's default when an app or a token request names no scope.
DEFAULT = "read"
_FOLLOW_ALIASES = frozenset(
    {"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}
)


def parse(text: str | None, *, default: str = DEFAULT) -> tuple[str, ...]:
    """The scopes in `text` (space- or plus-separated), deduplicated in order; ValueError names
    the first unknown one. Blank means `default`."""
    names = (text or "").replace("+", " ").split() or default.split()
    unknown = [name for name in names if name not in KNOWN]
    if unknown:
        raise ValueError(f"Unknown scope: {unknown[0]}")
    return tuple(dict.fromkeys(names))


def covers(granted: Iterable[str], required: str) -> bool:
    """Whether a token holding `granted` may act where `required` is needed."""
    held = set(granted)
    if required in held:
        return True
    parent = required.split(":", 1)[0]
    if parent != required and parent in held:
        return True
    return "follow" in held and required in _FOLLOW_ALIASES


def subset(requested: Iterable[str], allowed: Iterable[str]) -> bool:
    """Whether every requested scope is within what the app was registered for."""
    allowed = tuple(allowed)
    return all(covers(allowed, name) for name in requested)
