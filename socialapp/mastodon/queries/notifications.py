"""Mastodon notifications: list, show, unread count, clear, dismiss
(docs/mastodon-notifications-search.md).

Our kinds map onto Mastodon's types: follow → `follow`, follow_request → `follow_request` (someone
asks to follow your locked account), like → `favourite`, a comment on your post → `mention`
(Mastodon shows a reply to you as a mention) and a mention → `mention`. Our `report_resolved` (the
outcome of your report) has no Mastodon type (Mastodon tells a reporter nothing through the API;
its `moderation_warning` is for the reported account, `admin.report` for moderators), so no
Mastodon list, count or filter ever shows it: our own API does. The id
is the notification's per-recipient `seq` (socialapp/read/notifications/models.py), which sorts
by arrival, so id paging works on it.

A notification is shown only while its actor and its status (the liked post, the comment, the
post or comment that mentions you) are visible to the recipient: the one visibility rule, as our
own API applies it (selectors.RECIPIENT_MAY_SEE: actor neither blocked either way nor muted with
notifications, status visible in the NOTIFICATIONS context) and rows.ACCOUNT_VISIBLE, written into the keyset
query so a page is never short because of hidden items; hydration through rows.py then drops
anything hidden in between. Cleared and dismissed notifications are hidden by the read side's
selectors (selectors.SHOWN); clear and dismiss write that reader-owned state (dismissals.py).
The unread count is the list's rule above the read marker (selectors.MARKER, which
`POST /api/v1/markers` and our own API's mark-read both move: queries/markers.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.common.request_schema import ID_OR_BLANK
from socialapp.mastodon.common import entities
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.paging import Page, link_header, newest_first, page_from
from socialapp.mastodon.common.params import as_id, as_list
from socialapp.mastodon.common.schema import mastodon_schema, paging, query, strings_param
from socialapp.mastodon.queries import rows
from socialapp.mastodon.queries.base import QueryView
from socialapp.read.common.sql import READ, fetchall, fetchone
from socialapp.read.notifications import dismissals
from socialapp.read.notifications.selectors import MARKER, RECIPIENT_MAY_SEE, SHOWN

# Mastodon type -> our kinds; our kind -> Mastodon type.
TYPE_KINDS: dict[str, tuple[str, ...]] = {
    "follow": ("follow",),
    "follow_request": ("follow_request",),
    "favourite": ("like",),
    "mention": ("comment", "mention"),
}
KIND_TYPE = {kind: type_ for type_, kinds in TYPE_KINDS.items() for kind in kinds}
ALL_KINDS = tuple(KIND_TYPE)

# The status a notification is about: a post (a like, a mention in a post) or a comment (a comment
# on your post, a mention in a comment); a follow or follow request has none.
STATUS_ID = (
    "CASE n.kind WHEN 'like' THEN n.post_id WHEN 'comment' THEN n.comment_id"
    " WHEN 'mention' THEN COALESCE(n.comment_id, n.post_id) END"
)
ABOUT_VISIBLE = f"""(
  EXISTS (SELECT 1 FROM read_profile pr WHERE pr.user_id = n.actor_id AND {rows.ACCOUNT_VISIBLE})
  AND {RECIPIENT_MAY_SEE}
  AND (n.kind IN ('follow', 'follow_request')
    OR ((n.kind = 'like' OR (n.kind = 'mention' AND n.comment_id IS NULL)) AND n.post_id IS NOT NULL)
    OR ((n.kind = 'comment' OR (n.kind = 'mention' AND n.comment_id IS NOT NULL)) AND n.comment_id IS NOT NULL))
)"""
_SELECT = f"SELECT n.seq, n.kind, n.actor_id, {STATUS_ID}, n.created_at FROM read_notification n"


FILTERS = [
    strings_param("types", f"Only these types ({', '.join(TYPE_KINDS)}; others select nothing)"),
    strings_param("exclude_types", "Leave out these types (unknown ones are ignored, as Mastodon does)"),
    query("account_id", ID_OR_BLANK, "Only notifications from this account", blank=True),
]


def kinds_for(types: Sequence[str], exclude_types: Sequence[str]) -> tuple[str, ...]:
    """Our kinds a `types[]`/`exclude_types[]` filter leaves (types we never produce, such as
    `reblog`, select nothing; unknown ones are ignored, as Mastodon does)."""
    wanted = [k for t in types for k in TYPE_KINDS.get(t, ())] if types else list(ALL_KINDS)
    unwanted = {k for t in exclude_types for k in TYPE_KINDS.get(t, ())}
    return tuple(k for k in ALL_KINDS if k in wanted and k not in unwanted)


def notification_page(
    *, recipient_id: int, kinds: Sequence[str], actor_id: int | None, page: Page
) -> list[tuple[int, str, int, int | None, Any]]:
    """(seq, kind, actor_id, status_id, created_at) in the order the selector reads them (oldest
    first for a `min_id` page), from the (recipient_id, seq) unique index."""
    if not kinds:
        return []
    order = "ASC" if page.ascending else "DESC"
    return fetchall(
        f"{_SELECT} WHERE n.recipient_id = %(r)s AND n.kind = ANY(%(kinds)s)"
        " AND (%(actor)s::bigint IS NULL OR n.actor_id = %(actor)s)"
        " AND (%(max)s::bigint IS NULL OR n.seq < %(max)s) AND (%(low)s::bigint IS NULL OR n.seq > %(low)s)"
        f" AND {SHOWN} AND {ABOUT_VISIBLE} ORDER BY n.seq {order} LIMIT %(n)s",
        {
            "r": recipient_id,
            "kinds": list(kinds),
            "actor": actor_id,
            "max": page.max_id,
            "low": page.lower,
            "n": page.limit,
        },
    )


def render(found: Sequence[Sequence[Any]], *, viewer_id: int, base_url: str) -> list[dict[str, Any]]:
    """Notification entities in the given order; one that lost its actor or status between the
    page query and hydration is left out."""
    actors = rows.account_rows(row[2] for row in found)
    statuses = rows.status_rows((row[3] for row in found if row[3] is not None), viewer_id=viewer_id)
    out = []
    for seq, kind, actor_id, status_id, created_at in found:
        actor = actors.get(actor_id)
        status = statuses.get(status_id) if status_id is not None else None
        if actor is None or (status_id is not None and status is None):
            continue
        out.append(
            entities.notification(
                seq,
                KIND_TYPE[kind],
                created_at,
                entities.account(actor, base_url=base_url),
                entities.status(status, base_url=base_url) if status is not None else None,
            )
        )
    return out


class NotificationsView(QueryView):
    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    scopes = {"GET": "read:notifications"}

    @mastodon_schema(
        "notifications",
        "Your notifications, newest first (Link header pages)",
        many=True,
        parameters=[*paging(default=40, maximum=80), *FILTERS],
    )
    def get(self, request: Request) -> Response:
        page = page_from(request, default=40, maximum=80)
        kinds = kinds_for(as_list(request.GET, "types"), as_list(request.GET, "exclude_types"))
        actor_id = as_id(request.GET.get("account_id"), field="account_id")
        found = newest_first(
            page, notification_page(recipient_id=request.user.pk, kinds=kinds, actor_id=actor_id, page=page)
        )
        body = render(found, viewer_id=request.user.pk, base_url=rows.base_url(request))
        headers = {}
        link = link_header(request, page, found[0][0] if found else None, found[-1][0] if found else None)
        if link:
            headers["Link"] = link
        return Response(body, headers=headers)


COUNT_DEFAULT, COUNT_MAXIMUM = 100, 1000  # Mastodon's DEFAULT_/MAX_NOTIFICATIONS_COUNT_LIMIT


def unread_count(*, recipient_id: int, kinds: Sequence[str], actor_id: int | None, limit: int) -> int:
    """How many of the shown notifications (the list's own rule) lie above the read marker,
    counting no further than `limit` (Mastodon's cap: the count stops, the scan with it)."""
    if not kinds or limit <= 0:
        return 0
    row = fetchone(
        f"SELECT count(*) FROM (SELECT 1 FROM read_notification n WHERE n.recipient_id = %(r)s"
        f" AND n.seq > {MARKER} AND n.kind = ANY(%(kinds)s) AND (%(actor)s::bigint IS NULL OR n.actor_id = %(actor)s)"
        f" AND {SHOWN} AND {ABOUT_VISIBLE} ORDER BY n.seq DESC LIMIT %(n)s) unread",
        {"r": recipient_id, "kinds": list(kinds), "actor": actor_id, "n": limit},
    )
    return int(row[0]) if row else 0


def count_limit(raw: str | None) -> int:
    """Mastodon's `limit_param(100, 1000)`: absent means 100; the absolute value, at most 1000."""
    if raw in (None, ""):
        return COUNT_DEFAULT
    try:
        return min(abs(int(raw)), COUNT_MAXIMUM)
    except ValueError:
        raise ValidationFailed.on("limit", "is not a number") from None


class UnreadCountView(QueryView):
    """`GET /api/v1/notifications/unread_count` (Mastodon 4.3; harmless to serve at 4.2.0: clients
    that gate it on the version do not call it). The read marker is ours, shared with our own
    API's read marker (socialapp/read/notifications/markers.py)."""

    scopes = {"GET": "read:notifications"}

    @mastodon_schema(
        "notifications",
        "How many of your notifications are above your read marker (capped)",
        parameters=[
            query(
                "limit",
                {"type": "integer", "default": COUNT_DEFAULT},
                f"Count at most this many: default {COUNT_DEFAULT}; its absolute value is used, at most {COUNT_MAXIMUM}",
                blank=True,
            ),
            *FILTERS,
        ],
    )
    def get(self, request: Request) -> Response:
        limit = count_limit(request.GET.get("limit"))
        kinds = kinds_for(as_list(request.GET, "types"), as_list(request.GET, "exclude_types"))
        actor_id = as_id(request.GET.get("account_id"), field="account_id")
        count = unread_count(recipient_id=request.user.pk, kinds=kinds, actor_id=actor_id, limit=limit)
        return Response({"count": count})


class NotificationView(QueryView):
    scopes = {"GET": "read:notifications"}

    @mastodon_schema("notifications", "One of your notifications")
    def get(self, request: Request, notification_id: int) -> Response:
        found = fetchall(
            f"{_SELECT} WHERE n.recipient_id = %(r)s AND n.seq = %(seq)s AND {SHOWN} AND {ABOUT_VISIBLE}",
            {"r": request.user.pk, "seq": notification_id},
        )
        body = render(found, viewer_id=request.user.pk, base_url=rows.base_url(request))
        if not body:
            raise NotFound()
        return Response(body[0])


class ClearView(QueryView):
    scopes = {"POST": "write:notifications"}

    @mastodon_schema("notifications", "Clear all your notifications (the read side's own state)", empty=True)
    def post(self, request: Request) -> Response:
        dismissals.clear(recipient_id=request.user.pk)
        return Response({})


class DismissView(QueryView):
    scopes = {"POST": "write:notifications"}

    @mastodon_schema("notifications", "Dismiss one of your notifications (the read side's own state)", empty=True)
    def post(self, request: Request, notification_id: int) -> Response:
        mine = fetchone(
            "SELECT 1 FROM read_notification n WHERE n.recipient_id = %(r)s AND n.seq = %(seq)s",
            {"r": request.user.pk, "seq": notification_id},
            using=READ,
        )
        if mine is None:
            raise NotFound()
        dismissals.dismiss(recipient_id=request.user.pk, seq=notification_id)
        return Response({})


urlpatterns = [
    path("api/v1/notifications", by_method(get=NotificationsView.as_view()), name="mastodon-notifications"),
    path(
        "api/v1/notifications/unread_count",
        by_method(get=UnreadCountView.as_view()),
        name="mastodon-notifications-unread-count",
    ),
    path("api/v1/notifications/clear", by_method(post=ClearView.as_view()), name="mastodon-notifications-clear"),
    path(
        "api/v1/notifications/<id:notification_id>",
        by_method(get=NotificationView.as_view()),
        name="mastodon-notification",
    ),
    path(
        "api/v1/notifications/<id:notification_id>/dismiss",
        by_method(post=DismissView.as_view()),
        name="mastodon-notification-dismiss",
    ),
]
