"""The vocabulary of per-post visibility, shared by both sides (docs/privacy.md).

The command side stores and emits a status's visibility; the query side decides who may see it
(socialapp.read.common.visibility, which re-exports these names). Neither side imports the
other, so the words and their order live here, in the shared plumbing.
"""

from __future__ import annotations

from enum import StrEnum


class Visibility(StrEnum):
    PUBLIC = "public"  # everyone, everywhere
    UNLISTED = "unlisted"  # everyone, but never listed on public or hashtag timelines or in others' search
    FOLLOWERS = "followers"  # the author's approved followers and its audience (Mastodon: "private")
    DIRECT = "direct"  # its audience only


#: From least to most restricted: a comment is at least as restricted as its post.
RESTRICTION = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS, Visibility.DIRECT)

#: The values, for model and serializer choices.
VALUES = tuple(v.value for v in RESTRICTION)
#: The longest value (a column's max_length).
MAX_LENGTH = max(len(v) for v in VALUES)


def most_restricted(*values: str) -> Visibility:
    """The most restricted of `values` (ValueError for a value that is none of the four)."""
    return max((Visibility(v) for v in values), key=RESTRICTION.index)
