"""OAuth scope rules (socialapp/common/scopes.py), as Mastodon defines them."""

from __future__ import annotations

import pytest

from socialapp.common import scopes


def test_a_parent_scope_covers_its_children_and_not_the_reverse():
    assert scopes.covers(["read"], "read:statuses")
    assert not scopes.covers(["read:statuses"], "read")
    assert not scopes.covers(["read"], "write:statuses")
    assert scopes.covers(["write:statuses"], "write:statuses")


def test_follow_is_the_legacy_alias_of_the_relationship_scopes():
    assert scopes.covers(["follow"], "write:follows")
    assert scopes.covers(["follow"], "read:blocks")
    assert not scopes.covers(["follow"], "write:statuses")


def test_parse_defaults_deduplicates_and_refuses_unknown_scopes():
    assert scopes.parse("") == ("read",)
    assert scopes.parse("read write read") == ("read", "write")
    assert scopes.parse("read+write:statuses") == ("read", "write:statuses")
    with pytest.raises(ValueError, match="admin:everything"):
        scopes.parse("read admin:everything")


def test_subset_of_an_apps_scopes():
    assert scopes.subset(["read:statuses", "write:follows"], ["read", "follow"])
    assert not scopes.subset(["write"], ["read", "follow"])
