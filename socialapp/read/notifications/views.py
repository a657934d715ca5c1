"""Your notifications, and the read side's own small command: mark them read."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.read.common.pagination import since_param
from socialapp.read.common.rendered import serve_rendered_page
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, PAGE_PARAMETERS, QueryView, since_parameter
from socialapp.read.notifications import selectors
from socialapp.read.notifications.markers import mark_read
from socialapp.read.notifications.serializers import MarkReadIn, MarkReadOut, NotificationOut, NotificationPageOut

extend_schema_field(NotificationOut.ActorOut)(NotificationOut.get_actor)
extend_schema_field(NotificationOut.NotificationReportOut(allow_null=True))(NotificationOut.get_report)

EXAMPLE = {
    "id": "1234",
    "kind": "like",
    "actor": {"id": "43", "username": "bob"},
    "post_id": "7301234567890123456",
    "comment_id": None,
    "report": None,
    "created_at": "2026-01-01T12:00:00Z",
    "unread": True,
}


class NotificationsView(QueryView):
    permission_classes = [IsAuthenticated]
    projectors = ("notifications", "relations")

    @extend_schema(
        operation_id="notifications_list",
        summary="Your notifications, newest first",
        parameters=[
            *PAGE_PARAMETERS,
            since_parameter(
                "Resume after a stream disconnect: the id of the last notification received. Returns only newer "
                "ones, newest first and paged as usual (your notifications' ids are given in commit order, so none "
                "can appear below one you received). Send the last event's consistency token as X-Consistency-Token."
            ),
            *CONSISTENCY_PARAMETERS,
        ],
        responses=NotificationPageOut,
        examples=[OpenApiExample("A page", value={"results": [EXAMPLE], "next": None, "unread_count": 1})],
        tags=["queries"],
    )
    def get(self, request: Request) -> HttpResponse:
        me, since = request.user.pk, since_param(request)
        return serve_rendered_page(
            request,
            scope=f"notifications:{me}",
            fetch=lambda page: selectors.notifications(
                recipient_id=me, before=page.key(0), limit=page.fetch_limit, since=since
            ),
            extra=lambda: {"unread_count": selectors.unread_count(me)},
        )


class MarkReadView(QueryView):
    permission_classes = [IsAuthenticated]
    projectors = ("notifications", "relations")

    @extend_schema(
        operation_id="notifications_mark_read",
        summary="Mark your notifications read (all, or up to an id)",
        request=MarkReadIn,
        responses=MarkReadOut,
        parameters=CONSISTENCY_PARAMETERS,  # it waits for a token and answers X-Read-Lag, as every query
        examples=[
            OpenApiExample("Up to an id", value={"up_to": "1234"}, request_only=True),
            OpenApiExample("Result", value={"unread_count": 0}, response_only=True),
        ],
        tags=["queries"],
    )
    def post(self, request: Request) -> Response:
        data = MarkReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        up_to = data.validated_data.get("up_to")
        count = mark_read(recipient_id=request.user.pk, up_to=int(up_to) if up_to is not None else None)
        return Response(MarkReadOut({"unread_count": count}).data)
