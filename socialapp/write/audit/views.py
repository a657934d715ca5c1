"""Staff routes of the audit trail: an aggregate's events, and its state at any version or time.

On the command side, not the query side: they read the event log itself on `default` (the
source of truth, which no read model copies) and fold it with the command side's replay
(socialapp/write/audit/history.py). Reads only: no event is appended, no consistency token.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from socialapp.common.errors import NotFound
from socialapp.common.pagination import CURSOR_PARAMETER, LIMIT_PARAMETER, page_request, page_response
from socialapp.common.permissions import ScopeCheckedView
from socialapp.common.throttling import RateLimitHeadersMixin
from socialapp.write.audit import history
from socialapp.write.audit.serializers import (
    AggregateEventsPageOut,
    AggregateStateOut,
    AsOfIn,
    LogEventOut,
)


class IsStaff(BasePermission):
    """Staff only (moderators and admins): the log shows who did what to whom, blocks, mutes and
    reports included (docs/events.md), which no other user may see."""

    message = "Staff only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_active and request.user.is_staff)


ERRORS = {
    401: OpenApiResponse(description="not signed in"),
    403: OpenApiResponse(description="not staff"),
    404: OpenApiResponse(description="no such aggregate (or version, or not yet at that time)"),
}


class AuditView(RateLimitHeadersMixin, ScopeCheckedView, APIView):
    permission_classes = [IsAuthenticated, IsStaff]


class AggregateEventsView(AuditView):
    @extend_schema(
        operation_id="admin_aggregate_events",
        summary="An aggregate's events, in log order (staff only)",
        parameters=[LIMIT_PARAMETER, CURSOR_PARAMETER],
        responses={
            200: AggregateEventsPageOut,
            400: OpenApiResponse(description="bad limit or cursor"),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "A post's first event",
                response_only=True,
                value={
                    "results": [
                        {
                            "position": 1041,
                            "event_id": "6c1e8a51-3f1b-4f60-9d0e-1b6a3d0c2f11",
                            "event_type": "post.created",
                            "aggregate_type": "post",
                            "aggregate_id": "7301234567890123456",
                            "aggregate_version": 1,
                            "actor_id": 42,
                            "occurred_at": "2026-12-01T10:00:00+00:00",
                            "schema_version": 1,
                            "payload": {"post_id": 7301234567890123456, "author_id": 42, "body": "hello"},
                        }
                    ],
                    "next": None,
                },
            )
        ],
    )
    def get(self, request: Request, aggregate_type: str, aggregate_id: str) -> Response:
        history.check_aggregate(aggregate_type, aggregate_id)
        scope = f"audit:{aggregate_type}:{aggregate_id}"
        page = page_request(request, scope)
        after = page.key(0)
        events = history.events_page(aggregate_type, aggregate_id, after=after, limit=page.fetch_limit)
        if after is None and not events:
            raise NotFound(f"No {aggregate_type} {aggregate_id} in the event log.")
        served = events[: page.limit]
        next_key = [served[-1]["position"]] if len(events) > page.limit else None
        return page_response(request, scope=scope, results=LogEventOut(served, many=True).data, next_key=next_key)


class AggregateStateView(AuditView):
    @extend_schema(
        operation_id="admin_aggregate_state",
        summary="An aggregate's state at a version or time, folded from the log (staff only)",
        parameters=[AsOfIn],
        responses={200: AggregateStateOut, 400: OpenApiResponse(description="bad as_of"), **ERRORS},
        examples=[
            OpenApiExample(
                "A post at version 2",
                response_only=True,
                value={
                    "aggregate_type": "post",
                    "aggregate_id": "7301234567890123456",
                    "version": 2,
                    "occurred_at": "2026-12-01T10:05:00+00:00",
                    "latest_version": 3,
                    "state": {
                        "author_id": 42,
                        "body": "hello, edited",
                        "hashtags": [],
                        "mentions": [],
                        "spoiler_text": "",
                        "sensitive": False,
                        "visibility": "public",
                        "language": "en",
                        "deleted": False,
                        "version": 2,
                    },
                    "profile": None,
                },
            )
        ],
    )
    def get(self, request: Request, aggregate_type: str, aggregate_id: str) -> Response:
        as_of = history.parse_as_of(request.query_params.get("as_of"))
        past = history.past_state(aggregate_type, aggregate_id, as_of)
        return Response(AggregateStateOut(past).data)
