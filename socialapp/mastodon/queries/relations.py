"""Mastodon's lists of the caller's own relations, and the Relationship entity, from the relations
projector's tables (socialapp/read/relations: read_block, read_mute, read_follow_request,
read_relation_follow), the same facts the one visibility rule consults (docs/privacy.md).

- `GET /api/v1/blocks`, `GET /api/v1/mutes` (each Account with `mute_expires_at`) and
  `GET /api/v1/follow_requests` (the accounts asking to follow the caller): 40 a page, at most 80,
  as Mastodon (DEFAULT_ACCOUNTS_LIMIT). Mastodon pages them by the block's, mute's or request's
  own id; ours is the log position of the event that set the row's current state (`position`,
  kept by the projector), so a block made again moves to the top as a new block would. Each
  cursor is one range scan of the partial (owner, -position) index of active rows; an expired
  mute is no mute (Mastodon deletes it when it expires) and is left out.
- `relationships(me, ids)`: every flag of the Relationship entity in one statement per table,
  for GET /api/v1/accounts/relationships.

These lists are private: only their owner reads them (the scope and the `me` in every query).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.mastodon.common import entities
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.paging import page_from
from socialapp.mastodon.common.schema import paging
from socialapp.mastodon.queries import rows
from socialapp.mastodon.queries.base import QueryView
from socialapp.mastodon.queries.lists import keyset, paged_response
from socialapp.read.common import visibility as rule
from socialapp.read.common.sql import fetchall

# The projectors whose writes these views wait for (queries/base.py): the relations' own, and the
# profiles the accounts are rendered from.
RELATIONS_PROJECTORS = ("relations", "profiles")


def relationships(me: int, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The caller's Relationship to each of `ids`, in that order (the caller filters which ids
    are shown). One query: every flag is an EXISTS probe of a primary key or partial index."""
    if not ids:
        return []
    v = "%(me)s"
    found = fetchall(
        f"SELECT o.id, {rule.following(v, 'o.id')}, {rule.following('o.id', v)}, {rule.requesting(v, 'o.id')},"
        f" {rule.requesting('o.id', v)}, {rule.blocking(v, 'o.id')}, {rule.blocking('o.id', v)},"
        " (SELECT m.notifications FROM read_mute m WHERE m.muter_id = %(me)s AND m.muted_id = o.id"
        f" AND {rule.mute_in_force('m')})"
        " FROM unnest(%(ids)s::bigint[]) AS o(id)",
        {"me": me, "ids": list(ids)},
    )
    by_id = {row[0]: row for row in found}
    out = []
    for i in ids:
        _, following, followed_by, requested, requested_by, blocking, blocked_by, mute = by_id[i]
        out.append(
            entities.relationship(
                i,
                following=following,
                followed_by=followed_by,
                requested=requested,
                requested_by=requested_by,
                blocking=blocking,
                blocked_by=blocked_by,
                muting=mute is not None,
                muting_notifications=bool(mute),
            )
        )
    return out


def follow_requests_count(me: int) -> int:
    """Pending requests to follow `me` from shown accounts (the credential account's `source`)."""
    found = fetchall(
        "SELECT count(*) FROM read_follow_request m JOIN read_profile pr ON pr.user_id = m.follower_id"
        f" WHERE m.followee_id = %(me)s AND m.active AND {rows.ACCOUNT_VISIBLE}",
        {"me": me},
    )
    return int(found[0][0]) if found else 0


class _OwnListView(QueryView):
    """An account list of the caller's own, paged by the row's log position."""

    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = paging(default=40, maximum=80)
    projectors = RELATIONS_PROJECTORS
    table: ClassVar[str]
    mine: ClassVar[str]  # the column naming the caller
    other: ClassVar[str]  # the column naming the listed account
    extra: ClassVar[str] = ""  # more conditions on the row (alias m)
    detail: ClassVar[str] = "NULL"  # one more column rendered with the account

    def render(self, account: entities.AccountRow, detail: Any, *, base_url: str) -> dict[str, Any]:
        return entities.account(account, base_url=base_url)

    def get(self, request: Request) -> Response:
        page = page_from(request, default=40, maximum=80)
        where, direction, params = keyset("m.position", page)
        found = fetchall(
            f"SELECT m.position, m.{self.other}, {self.detail} FROM {self.table} m"
            f" JOIN read_profile pr ON pr.user_id = m.{self.other}"
            f" WHERE m.{self.mine} = %(me)s AND m.active{self.extra} AND {where} AND {rows.ACCOUNT_VISIBLE}"
            f" ORDER BY m.position {direction} LIMIT %(limit)s",
            {**params, "me": request.user.pk},
        )
        keys = [r[0] for r in found]
        ordered = found[::-1] if page.ascending else found
        accounts = rows.account_rows(r[1] for r in ordered)
        base_url = rows.base_url(request)
        body = [self.render(accounts[r[1]], r[2], base_url=base_url) for r in ordered if r[1] in accounts]
        return paged_response(request, page, keys, body)


class BlocksView(_OwnListView):
    """GET /api/v1/blocks: the accounts you block, most recently blocked first."""

    scopes: ClassVar[dict[str, str]] = {"GET": "read:blocks"}  # `follow` covers it
    table, mine, other = "read_block", "blocker_id", "blocked_id"


class MutesView(_OwnListView):
    """GET /api/v1/mutes: the accounts you mute, most recently muted first.

    Unexpired mutes only, each account with `mute_expires_at` (null: until unmuted)."""

    scopes: ClassVar[dict[str, str]] = {"GET": "read:mutes"}
    table, mine, other = "read_mute", "muter_id", "muted_id"
    extra = f" AND {rule.mute_in_force('m')}"
    detail = "m.expires_at"

    def render(self, account: entities.AccountRow, detail: Any, *, base_url: str) -> dict[str, Any]:
        return entities.muted_account(account, expires_at=detail, base_url=base_url)


class FollowRequestsView(_OwnListView):
    """GET /api/v1/follow_requests: the accounts asking to follow you, newest request first."""

    scopes: ClassVar[dict[str, str]] = {"GET": "read:follows"}
    table, mine, other = "read_follow_request", "followee_id", "follower_id"


urlpatterns: list[URLPattern] = [
    path("api/v1/blocks", by_method(get=BlocksView.as_view()), name="mastodon-blocks"),
    path("api/v1/mutes", by_method(get=MutesView.as_view()), name="mastodon-mutes"),
    path("api/v1/follow_requests", by_method(get=FollowRequestsView.as_view()), name="mastodon-follow-requests"),
]
