"""`GET /api/socialapp/v1/admin/dashboard`: the staff dashboard's series as JSON.

Staff only: a staff bearer token (the query side's cached sessions), or the Django admin's
session cookie, which is how the dashboard page (socialapp.read.activity.admin) fetches it. An
anonymous caller gets a 401 problem, a non-staff one a 403 problem, an unknown window a 400.
The series come from the activity read model on the read database; the admin session, when
used, is looked up as the admin looks it up (Django's session and user tables).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.read.activity import selectors
from socialapp.read.activity.serializers import DashboardOut, DashboardQueryIn
from socialapp.read.common.authentication import CachedSessionAuthentication
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, QueryView


class IsStaff(BasePermission):
    """401 for anonymous callers (DRF: not authenticated), a 403 problem for everyone but staff."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("Staff only.")
        return True


EXAMPLE = {
    "window": "15m",
    "bucket_seconds": 60,
    "generated_at": "2026-12-02T04:00:12Z",
    "buckets": ["2026-12-02T03:46:00Z", "…", "2026-12-02T04:00:00Z"],
    "commands": [{"name": "post", "values": [3, 0, 5], "total": 8}],
    "events": [{"name": "post.created", "values": [3, 0, 5], "total": 8}],
    "active_users": {"values": [2, 0, 3], "total": 4},
    "posts_per_hour": {"buckets": ["2026-12-01T05:00:00Z", "…", "2026-12-02T04:00:00Z"], "values": [0, 12, 8]},
    "top_tags": [{"name": "django", "score": 4.5, "uses": 12, "accounts": 7}],
    "projections": [{"name": "profiles", "lag": [0, None, 2], "dead": [0, None, 0]}],
}


class DashboardView(QueryView):
    authentication_classes = [CachedSessionAuthentication, SessionAuthentication]
    permission_classes = [IsStaff]
    projectors = ("activity",)

    @extend_schema(
        operation_id="admin_dashboard",
        summary="The staff dashboard's series over a window (staff only)",
        description="Commands per bucket by type, events per type, active users, posts per hour, top tags, and "
        "each projector's sampled lag and dead letters. Buckets: 1 minute for 15m and 1h, 5 minutes for 6h, "
        "15 minutes for 24h, 1 hour for 7d. Staff bearer token or the admin's session.",
        parameters=[
            OpenApiParameter(
                "window",
                {"type": "string", "enum": list(selectors.WINDOWS)},
                OpenApiParameter.QUERY,
                description=f"default {selectors.DEFAULT_WINDOW}",
            ),
            *CONSISTENCY_PARAMETERS,
        ],
        responses={200: DashboardOut},
        examples=[OpenApiExample("Fifteen minutes", value=EXAMPLE, response_only=True)],
        tags=["admin"],
    )
    def get(self, request: Request) -> Response:
        query = DashboardQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = selectors.dashboard(query.validated_data["window"])
        return Response(DashboardOut(data).data)
