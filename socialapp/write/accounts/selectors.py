"""Reads the command side needs for its own decisions (never used by query endpoints)."""

from __future__ import annotations

from django.db.models.functions import Lower

from socialapp.common import prepared
from socialapp.common.errors import NotFound
from socialapp.write.accounts.models import AuthToken, User


def mentions_resolve(*, usernames: list[str]) -> list[dict[str, int | str]]:
    """`[{"user_id", "username"}]` for the usernames that name an active user (not deactivated,
    not suspended), in the given order; the others stay plain text."""
    if not usernames:
        return []
    lowered = [u.lower() for u in usernames]
    # Two columns through the lower(username) index, no model instances and no ORM compiling:
    # this runs in every post and comment with a mention (prepared).
    with prepared.cursor() as cursor:
        cursor.execute(
            "SELECT id, username FROM accounts_user WHERE lower(username) = ANY(%s)"
            " AND deactivated_at IS NULL AND suspended_at IS NULL",
            [lowered],
        )
        found = {username.lower(): (user_id, username) for user_id, username in cursor.fetchall()}
    return [{"user_id": found[n][0], "username": found[n][1]} for n in lowered if n in found]


def sessions_of(*, user_id: int) -> list[AuthToken]:
    """The user's sessions, newest first. Credentials live only on the write side (like the
    authentication that reads them), so this is read from `default`, not from a read model."""
    return list(AuthToken.objects.filter(user_id=user_id).order_by("-created_at", "-id"))


def user_id_by_username(username: str) -> int:
    """The id of the account named `username` (without regard to case, through the unique
    lower(username) index), deactivated or not: a command on a user named in its path decides
    itself what a closed account means. NotFound when nobody has that name."""
    found = User.objects.annotate(lname=Lower("username")).filter(lname=username.lower()).values_list("id", flat=True)
    user_id = next(iter(found[:1]), None)
    if user_id is None:
        raise NotFound("No such user.")
    return user_id
