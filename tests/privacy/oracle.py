"""The visibility rule, written again from the two tables of docs/privacy.md and from nothing
else (never from socialapp/read/common/visibility.py): the expectation every rendering of the
rule and every read path is held to. If the doc and the code disagree, a test fails, and one of
them is wrong.

Each row of the doc's first table says who sees a status of a visibility in one group of places;
the second table says what a relation between the viewer and the author changes, whatever the
visibility. A viewer is described by the facts the world created (`Facts`), not by a verdict, so
the relation names of the tests map onto the doc's words here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

# The doc's columns. Every Context of the code must fall into exactly one (checked by the tests).
ON_PURPOSE = frozenset({"home", "profile", "detail", "thread", "notifications", "likes", "stream"})
LISTED = frozenset({"public", "tag"})
SEARCHED = frozenset({"search"})
CONTEXTS = ON_PURPOSE | LISTED | SEARCHED

EVERYONE, AUTHOR, FOLLOWERS, AUDIENCE = "everyone", "author", "approved followers", "audience"

# First table: visibility -> column -> who sees it (the author is named where the doc names them).
WHO: dict[str, dict[frozenset[str], frozenset[str]]] = {
    "public": {ON_PURPOSE: frozenset({EVERYONE}), LISTED: frozenset({EVERYONE}), SEARCHED: frozenset({EVERYONE})},
    "unlisted": {ON_PURPOSE: frozenset({EVERYONE}), LISTED: frozenset(), SEARCHED: frozenset({AUTHOR})},
    "followers": {
        ON_PURPOSE: frozenset({AUTHOR, FOLLOWERS, AUDIENCE}),
        LISTED: frozenset(),
        SEARCHED: frozenset({AUTHOR}),
    },
    "direct": {ON_PURPOSE: frozenset({AUTHOR, AUDIENCE}), LISTED: frozenset(), SEARCHED: frozenset({AUTHOR})},
}
VISIBILITIES = tuple(WHO)

# Second table: where an unexpired mute of the author hides the author's statuses.
MUTE_HIDES = frozenset({"home", "public", "tag", "thread", "search", "stream"})


@dataclass(frozen=True)
class Facts:
    """What is true between one viewer and the author (as the world's events made it)."""

    author: bool = False  # the viewer is the author
    anonymous: bool = False
    follows: bool = False  # an approved follow of the author
    requested: bool = False  # a pending follow request only (grants nothing)
    addressed: bool = False  # in the status's audience (mentioned)
    blocked_by_author: bool = False
    blocks_author: bool = False
    mute: str | None = None  # None, "with notifications", "without notifications", "expired"
    undone: str | None = None  # a relation made and then undone ("block", "mute"): it changes nothing

    @property
    def blocked(self) -> bool:
        return self.blocked_by_author or self.blocks_author

    @property
    def muting(self) -> bool:
        return self.mute in ("with notifications", "without notifications")


def column(context: str) -> frozenset[str]:
    for group in (ON_PURPOSE, LISTED, SEARCHED):
        if context in group:
            return group
    raise KeyError(f"docs/privacy.md puts the context {context!r} in no column")


def sees(viewer: Facts, visibility: str, context: str, *, addressed: bool | None = None) -> bool:
    """May this viewer see a live status of `visibility` by the author in `context`?
    `addressed` overrides the viewer's own (a viewer is in one status's audience, not another's)."""
    who = WHO[visibility][column(context)]
    in_audience = viewer.addressed if addressed is None else addressed
    if viewer.author:
        return AUTHOR in who or EVERYONE in who
    if viewer.blocked:
        return False  # "V sees none of A's statuses anywhere"
    if viewer.muting and context in MUTE_HIDES:
        return False
    if EVERYONE in who:
        return True  # "V is not logged in: public and unlisted statuses only, as above"
    if viewer.anonymous:
        return False
    return (FOLLOWERS in who and viewer.follows) or (AUDIENCE in who and in_audience)


def listed(viewer: Facts) -> bool:
    """May the author appear in the viewer's lists (followers, following, who liked, search)?"""
    return viewer.author or not viewer.blocked


def notified(viewer: Facts) -> bool:
    """Is a notification the author caused shown to the viewer?"""
    return viewer.author or not (viewer.blocked or viewer.mute == "with notifications")
