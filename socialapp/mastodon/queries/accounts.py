"""Mastodon account queries: verify_credentials, an account, lookup, its statuses, followers,
following, and relationships. Read models only (read_profile, read_follow_edge, read_post,
read_comment), through rows.py's visibility rule.

- Account statuses are its posts and its comments (our replies) merged newest first, each from
  its (author_id, -id) index; `exclude_replies` leaves out the comments that answer someone
  else (comments on their own post or answering their own comment stay, as Mastodon keeps
  self-replies). We store no media, so
  `only_media` is an honest empty page; nothing is pinned (`pinned=true` is []); there are no
  reblogs to exclude.
- Followers and following are paged by the follow edge's log position (read_follow_edge.position,
  partial indexes on active edges), which plays the part of Mastodon's follow id in `max_id`,
  `since_id`, `min_id` and the Link header.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.common.text import HASHTAG_MAX, NO_NUL, USERNAME_PATTERN
from socialapp.mastodon.common import entities
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.paging import page_from
from socialapp.mastodon.common.params import as_bool, as_id, as_list
from socialapp.mastodon.common.schema import ACCT_MAX, flag_param, ids_param, paging, query
from socialapp.mastodon.queries import relations, rows
from socialapp.mastodon.queries.base import QueryView, viewer_id
from socialapp.mastodon.queries.lists import keyset, paged_response
from socialapp.read.common.sql import fetchall, fetchone
from socialapp.read.common.visibility import Context

_USERNAME = re.compile(rf"^{USERNAME_PATTERN}$")
TAGGED_MAX = HASHTAG_MAX + 1  # a hashtag, with its `#`


def visible_account(account_id: int) -> None:
    """404 unless the account is shown."""
    if not rows.account_rows([account_id]):
        raise NotFound("Record not found")


class VerifyCredentialsView(QueryView):
    """GET /api/v1/accounts/verify_credentials: the caller's CredentialAccount."""

    scopes = {"GET": "read:accounts"}

    def get(self, request: Request) -> Response:
        found = rows.account_rows([request.user.pk]).get(request.user.pk)
        if found is None:  # not projected yet (or hidden)
            raise NotFound("Record not found")
        found["follow_requests_count"] = relations.follow_requests_count(request.user.pk)
        return Response(entities.credential_account(found, base_url=rows.base_url(request)))


class AccountView(QueryView):
    """GET /api/v1/accounts/:id (public)."""

    def get(self, request: Request, account_id: int) -> Response:
        found = rows.accounts([account_id], base_url=rows.base_url(request))
        if not found:
            raise NotFound("Record not found")
        return Response(found[0])


def local_username(acct: str, host: str) -> str | None:
    """The username `acct` names on this server (`user`, `@user`, `user@host`, `user@host:port`),
    None when it names another server or cannot be a username."""
    username, _, domain = acct.strip().lstrip("@").partition("@")
    if domain:
        domain = domain.lower()
        if domain not in {host.lower(), host.lower().rsplit(":", 1)[0]}:
            return None
    return username if _USERNAME.match(username) else None


class LookupView(QueryView):
    """GET /api/v1/accounts/lookup?acct= (public)."""

    schema_errors = {404: "No account by that `acct`"}  # the OpenAPI document's
    schema_query: ClassVar[list[Any]] = [
        query(
            "acct",
            {"type": "string", "minLength": 1, "maxLength": ACCT_MAX, "pattern": NO_NUL},
            "`username` or `username@this-domain` (a leading `@` is allowed)",
            required=True,
        )
    ]

    def get(self, request: Request) -> Response:
        acct = request.query_params.get("acct") or ""
        username = local_username(acct[:ACCT_MAX], request.get_host())
        row = None
        if username is not None:
            row = fetchone(
                f"SELECT pr.user_id FROM read_profile pr WHERE pr.username_lower = lower(%s) AND {rows.ACCOUNT_VISIBLE}",
                [username],
            )
        if row is None:
            raise NotFound("Record not found")
        return Response(rows.accounts([row[0]], base_url=rows.base_url(request))[0])


# A comment that answers its own author (their post, or their own comment): part of a thread
# they write, which Mastodon keeps under `exclude_replies` (its `without_replies` scope).
SELF_REPLY = (
    "COALESCE(c.in_reply_to_account_id, (SELECT op.author_id FROM read_post op WHERE op.post_id = c.post_id))"
    " = c.author_id"
)


def account_status_ids(
    account_id: int, page: Any, *, replies: bool, viewer: int | None, direct: bool = True
) -> list[int]:
    """An author's posts and comments that `viewer` may see on the profile (PROFILE: a muted
    author's still show, a blocked one's never), in the page's read order; without `replies`,
    only the comments that continue their own thread; without `direct`, no direct status
    (Mastodon's `exclude_direct`: a client listing its own profile keeps conversations out)."""
    post_where, direction, params = keyset("p.post_id", page)
    not_direct = "" if direct else " AND {0}.visibility <> 'direct'"
    parts = [
        f"(SELECT p.post_id AS id FROM read_post p WHERE p.author_id = %(a)s AND {post_where}"
        f" AND {rows.post_shown(Context.PROFILE)}{not_direct.format('p')}"
        f" ORDER BY p.post_id {direction} LIMIT %(limit)s)"
    ]
    comment_where, _, more = keyset("c.comment_id", page, prefix="c_")
    params.update(more)
    parts.append(
        f"(SELECT c.comment_id FROM read_comment c WHERE c.author_id = %(a)s AND {comment_where}"
        f" AND {rows.comment_shown(Context.PROFILE)}{not_direct.format('c')}{'' if replies else ' AND ' + SELF_REPLY}"
        f" ORDER BY c.comment_id {direction} LIMIT %(limit)s)"
    )
    sql = f"SELECT id FROM ({' UNION ALL '.join(parts)}) s ORDER BY id {direction} LIMIT %(limit)s"
    return [r[0] for r in fetchall(sql, {**params, "a": account_id, "viewer": viewer})]


class AccountStatusesView(QueryView):
    """GET /api/v1/accounts/:id/statuses (public)."""

    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = [
        *paging(),
        flag_param("exclude_replies", "Leave out replies to others (self-replies stay)"),
        flag_param("exclude_reblogs", "Accepted: there are no reblogs"),
        flag_param("only_media", "Only statuses with media: none here, so an empty page"),
        flag_param("pinned", "Only pinned statuses: none here, so an empty page"),
        flag_param("exclude_direct", "Leave out direct statuses"),
        query(
            "tagged",
            {"type": "string", "maxLength": TAGGED_MAX, "pattern": NO_NUL},
            "Only statuses with this featured hashtag: there are no featured tags, so a non-blank "
            "value is an empty page",
        ),
    ]

    def get(self, request: Request, account_id: int) -> Response:
        visible_account(account_id)
        page, q = page_from(request), request.query_params
        exclude_replies = as_bool(q.get("exclude_replies"), field="exclude_replies")
        exclude_direct = as_bool(q.get("exclude_direct"), field="exclude_direct")  # checked before any answer
        as_bool(q.get("exclude_reblogs"), field="exclude_reblogs")  # no reblogs: nothing to exclude
        only_media = as_bool(q.get("only_media"), field="only_media")
        if as_bool(q.get("pinned"), field="pinned") or only_media:
            return paged_response(request, page, [], [])  # no media stored, nothing pinned
        if len(q.get("tagged") or "") > TAGGED_MAX:
            raise ValidationFailed.on("tagged", f"is too long (maximum is {TAGGED_MAX} characters)")
        if q.get("tagged"):
            return paged_response(request, page, [], [])  # featured-tag filter: we have no featured tags
        ids = account_status_ids(
            account_id, page, replies=not exclude_replies, viewer=viewer_id(request), direct=not exclude_direct
        )
        ordered = ids[::-1] if page.ascending else ids
        body = rows.statuses(ordered, viewer_id=viewer_id(request), base_url=rows.base_url(request))
        return paged_response(request, page, ids, body)


class _FollowListView(QueryView):
    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = paging(default=40, maximum=80)
    mine: ClassVar[str]  # the edge column naming the account whose list this is
    other: ClassVar[str]

    def get(self, request: Request, account_id: int) -> Response:
        visible_account(account_id)
        page = page_from(request, default=40, maximum=80)
        where, direction, params = keyset("e.position", page)
        found = fetchall(
            f"SELECT e.position, e.{self.other} FROM read_follow_edge e JOIN read_profile pr ON pr.user_id = e.{self.other}"
            f" WHERE e.{self.mine} = %(u)s AND e.active AND {where} AND {rows.ACCOUNT_VISIBLE}"
            f" AND {rows.listed(f'e.{self.other}')}"
            f" ORDER BY e.position {direction} LIMIT %(limit)s",
            {**params, "u": account_id, "viewer": viewer_id(request)},
        )
        keys = [r[0] for r in found]
        others = [r[1] for r in (found[::-1] if page.ascending else found)]
        return paged_response(request, page, keys, rows.accounts(others, base_url=rows.base_url(request)))


class FollowersView(_FollowListView):
    """GET /api/v1/accounts/:id/followers (public; Mastodon's default page is 40, max 80)."""

    mine, other = "followee_id", "follower_id"


class FollowingView(_FollowListView):
    """GET /api/v1/accounts/:id/following (public)."""

    mine, other = "follower_id", "followee_id"


MAX_RELATIONSHIPS = 100


class RelationshipsView(QueryView):
    """GET /api/v1/accounts/relationships?id[]=...: the caller's follows, requests, blocks and
    mutes both ways (queries/relations.py), in the order asked, for the accounts that are shown."""

    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = [
        ids_param("id", f"The accounts (the first {MAX_RELATIONSHIPS} are read, as Mastodon)")
    ]

    scopes = {"GET": "read:follows"}

    def get(self, request: Request) -> Response:
        wanted = [as_id(v, field="id") for v in as_list(request.query_params, "id")[:MAX_RELATIONSHIPS]]
        ids = list(dict.fromkeys(i for i in wanted if i is not None))
        shown = rows.account_rows(ids)
        return Response(relations.relationships(request.user.pk, [i for i in ids if i in shown]))


# Mastodon's DEFAULT_ACCOUNTS_LIMIT: GET /api/v1/accounts?id[]= reads the first 40 distinct ids.
MAX_BATCH_ACCOUNTS = 40


class AccountsView(QueryView):
    """GET /api/v1/accounts?id[]=...: the shown accounts among the first 40 distinct ids, in the
    order asked (public, as Mastodon)."""

    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = [
        ids_param("id", f"The accounts (the first {MAX_BATCH_ACCOUNTS} distinct ones are read, as Mastodon)")
    ]

    def get(self, request: Request) -> Response:
        wanted = [as_id(v, field="id") for v in as_list(request.query_params, "id")]
        ids = list(dict.fromkeys(i for i in wanted if i is not None))[:MAX_BATCH_ACCOUNTS]
        return Response(rows.accounts(ids, base_url=rows.base_url(request)))


def _get(view: type[QueryView]) -> Any:
    return by_method(get=view.as_view())


# GET api/v1/accounts (AccountsView) shares its path with registration (POST, a command):
# socialapp/mastodon/urls.py mounts it.
urlpatterns = [
    path("api/v1/accounts/verify_credentials", _get(VerifyCredentialsView), name="mastodon-verify-credentials"),
    path("api/v1/accounts/lookup", _get(LookupView), name="mastodon-account-lookup"),
    path("api/v1/accounts/relationships", _get(RelationshipsView), name="mastodon-relationships"),
    path("api/v1/accounts/<id:account_id>", _get(AccountView), name="mastodon-account"),
    path("api/v1/accounts/<id:account_id>/statuses", _get(AccountStatusesView), name="mastodon-account-statuses"),
    path("api/v1/accounts/<id:account_id>/followers", _get(FollowersView), name="mastodon-account-followers"),
    path("api/v1/accounts/<id:account_id>/following", _get(FollowingView), name="mastodon-account-following"),
]
