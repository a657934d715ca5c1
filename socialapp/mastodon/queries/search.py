"""Mastodon search: `GET /api/v2/search` and `GET /api/v1/accounts/search`
(docs/mastodon-notifications-search.md).

Elasticsearch finds, the read database shows: the hits of the read side's search selectors
(socialapp/read/search/selectors.py) are only ids here, hydrated through rows.py, so a status
or account in a search result has the same shape and passes the same visibility rule as in a
timeline. Mirrors Api::V2::SearchController: `q` is required (400 when missing or blank), the
token is optional (read:search when given), `offset` and `resolve=true` need a signed-in caller
(401), `limit` defaults to 20 and is clamped to 40. We have no remote resources, so `resolve`
changes nothing else; `account_id` narrows statuses to one author. `following=true` (signed-in
callers; ignored otherwise, as Mastodon) keeps the accounts the caller follows and the caller
(Mastodon's AccountSearchService adds the caller too), as a terms filter of their ids inside the
Elasticsearch query, so `limit` and `offset` still count matches among them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions as drf
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import ValidationFailed
from socialapp.common.request_schema import ID_OR_BLANK
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.params import as_bool, as_id
from socialapp.mastodon.common.schema import flag_param, mastodon_schema, offset_paging, query
from socialapp.mastodon.queries import rows, trends
from socialapp.mastodon.queries.base import QueryView
from socialapp.mastodon.queries.paging import BadRequest, non_negative_int
from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import viewer_relations
from socialapp.read.search import selectors
from socialapp.read.search.query import check_query, open_ended, syntax_help

TYPES = ("accounts", "statuses", "hashtags")
# How many followees a `following=true` search filters on, newest follows first: far below
# Elasticsearch's index.max_terms_count (65,536); a caller following more searches the newest.
MAX_FOLLOWING_TERMS = 10_000
DEFAULT_LIMIT, MAX_LIMIT = 20, 40
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window: from + size beyond it is refused

PARAMETERS = [
    OpenApiParameter(
        "q",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": settings.SEARCH_MAX_QUERY_LENGTH,
            "pattern": "^[^\\x00]*[^\\s\\x00][^\\x00]*$",  # not blank (400)
        },
        required=True,
        description="What to search for. Statuses: " + syntax_help("a 422 (Mastodon's answer to a query syntax error)"),
    ),
    query("type", {"type": "string", "enum": list(TYPES)}, "Only this kind of result", blank=True),
    *offset_paging(default=DEFAULT_LIMIT, maximum=MAX_LIMIT),
    flag_param("resolve", "Ignored (no remote resources); signed-in callers only"),
    flag_param("following", "Only accounts you follow (and yourself); signed-in callers"),
    query("account_id", ID_OR_BLANK, "Statuses by this account only", blank=True),
]
ACCOUNT_PARAMETERS = [
    *[p for p in PARAMETERS if p.name in ("q", "resolve", "following")],
    *offset_paging(default=40, maximum=80),
]


class SignInRequired(drf.APIException):
    """401 with Mastodon's own wording (not the generic invalid-token text)."""

    status_code = 401


def _query(request: Request) -> str:
    q = request.query_params.get("q")
    if q is None or not q.strip():
        raise BadRequest("param is missing or the value is empty: q")
    return check_query(q)


def _signed_in(request: Request) -> bool:
    return bool(request.user and request.user.is_authenticated)


def following_ids(viewer_id: int) -> list[int]:
    """The caller and the accounts they follow (the follow read model's active edges, by the
    `read_follow_following_pos_idx` index), at most MAX_FOLLOWING_TERMS of the newest follows."""
    found = fetchall(
        "SELECT e.followee_id FROM read_follow_edge e WHERE e.follower_id = %s AND e.active"
        " ORDER BY e.position DESC LIMIT %s",
        [viewer_id, MAX_FOLLOWING_TERMS],
    )
    return [viewer_id, *(row[0] for row in found)]


def search(
    request: Request,
    *,
    q: str,
    kinds: tuple[str, ...],
    limit: int,
    offset: int,
    account_id: int | None = None,
    following: bool = False,
    open_end: bool = False,
) -> dict[str, list]:
    """Up to `limit` results of each kind in `kinds`, skipping `offset`, in Mastodon's shapes;
    `following` narrows accounts to the signed-in caller's followees and the caller. Statuses
    take the query syntax of our own search (operators, `from:me` for the caller, the last word
    a prefix when `open_end`); a malformed operator is a ValidationFailed, which Mastodon routes
    answer 422 `Validation failed: Q …` as Mastodon answers its SyntaxError."""
    base_url = rows.base_url(request)
    viewer = request.user.pk if _signed_in(request) else None
    out: dict[str, list[Any]] = {"accounts": [], "statuses": [], "hashtags": []}
    if offset + limit > MAX_WINDOW:
        return out
    relations = viewer_relations(viewer)  # the one visibility rule's facts, once per request
    if "accounts" in kinds:
        only = following_ids(viewer) if following and viewer is not None else None
        found = selectors.search_users(q=q, limit=limit, offset=offset, only=only, viewer=relations).results
        out["accounts"] = rows.accounts([int(hit["id"]) for hit in found], base_url=base_url)
    if "statuses" in kinds:
        author = None
        if account_id is not None:
            account = rows.account_rows([account_id]).get(account_id)
            if account is None:
                return out  # nobody visible to search the statuses of
            author = account["username"]
        found = selectors.search_posts(
            q=q, author=author, limit=limit, offset=offset, viewer=relations, open_end=open_end
        ).results
        out["statuses"] = rows.statuses([int(hit["id"]) for hit in found], viewer_id=viewer, base_url=base_url)
    if "hashtags" in kinds:
        found = selectors.search_hashtags(q=q, limit=limit, offset=offset).results
        out["hashtags"] = trends.tag_entities([hit["tag"] for hit in found], base_url=base_url)
    return out


class SearchView(QueryView):
    """Anonymous callers allowed; with a token, read:search (`authorize_if_got_token!`)."""

    projectors = ("search", "posts", "profiles", "relations")  # the session's writes it waits for (queries/base.py)
    schema_errors = {503: "Search is unavailable (Elasticsearch cannot be reached or is not initialised)"}

    scopes: dict[str, str] = {}

    def check_permissions(self, request: Request) -> None:
        if _signed_in(request):
            self.scopes = {"GET": "read:search"}
        super().check_permissions(request)

    @mastodon_schema("search", "Search accounts, statuses and hashtags", parameters=PARAMETERS)
    def get(self, request: Request) -> Response:
        q = _query(request)
        kind = request.query_params.get("type") or None
        if kind is not None and kind not in TYPES:
            raise ValidationFailed.on("type", f"must be one of {', '.join(TYPES)}")
        limit = min(
            max(non_negative_int(request.query_params.get("limit"), field="limit", default=DEFAULT_LIMIT), 1), MAX_LIMIT
        )
        offset = non_negative_int(request.query_params.get("offset"), field="offset", default=0)
        resolve = as_bool(request.query_params.get("resolve"), field="resolve")  # changes nothing signed in
        if not _signed_in(request):
            if request.query_params.get("offset") not in (None, ""):
                raise SignInRequired("Search queries pagination is not supported without authentication")
            if resolve:
                raise SignInRequired(
                    "Search queries that resolve remote resources are not supported without authentication"
                )
        account_id = as_id(request.query_params.get("account_id"), field="account_id")
        following = as_bool(request.query_params.get("following"), field="following")
        kinds = (kind,) if kind else TYPES
        found = search(
            request,
            q=q,
            kinds=kinds,
            limit=limit,
            offset=offset,
            account_id=account_id,
            following=following,
            open_end=open_ended(request.query_params.get("q")),
        )
        return Response(found)


class AccountSearchView(QueryView):
    """`GET /api/v1/accounts/search`: accounts only, read:accounts, a list (Mastodon's shape)."""

    projectors = ("search", "profiles", "relations")
    schema_errors = {503: "Search is unavailable (Elasticsearch cannot be reached or is not initialised)"}

    scopes = {"GET": "read:accounts"}

    @mastodon_schema(
        "accounts",
        "Search accounts by username or display name",
        many=True,
        parameters=ACCOUNT_PARAMETERS,
    )
    def get(self, request: Request) -> Response:
        q = _query(request)
        limit = min(max(non_negative_int(request.query_params.get("limit"), field="limit", default=40), 1), 80)
        offset = non_negative_int(request.query_params.get("offset"), field="offset", default=0)
        following = as_bool(request.query_params.get("following"), field="following")
        as_bool(request.query_params.get("resolve"), field="resolve")  # checked, then ignored (nothing remote)
        found = search(request, q=q, kinds=("accounts",), limit=limit, offset=offset, following=following)
        return Response(found["accounts"])


urlpatterns = [
    path("api/v2/search", by_method(get=SearchView.as_view()), name="mastodon-search"),
    path("api/v1/accounts/search", by_method(get=AccountSearchView.as_view()), name="mastodon-accounts-search"),
]
