"""The report command endpoint: thin; the service decides."""

from __future__ import annotations

from typing import ClassVar

from django.db.models.functions import Lower
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound
from socialapp.write.accounts.models import User
from socialapp.write.common.api import CommandView
from socialapp.write.moderation import services
from socialapp.write.moderation.serializers import ReportIn, ReportOut


def _target_id(data: dict) -> int:
    if "user_id" in data:
        return int(data["user_id"])
    found = (
        User.objects.annotate(lname=Lower("username"))
        .filter(lname=data["username"].lower())
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise NotFound("No such user.")
    return found


class ReportCreateView(CommandView):
    token_scopes: ClassVar[dict[str, str]] = {"POST": "write:reports"}
    schema_errors = {404: "No such user to report (unknown, deactivated or suspended)"}  # the OpenAPI document's

    @extend_schema(
        operation_id="reports_create",
        summary="Report an account (and some of its posts) to the moderators",
        request=ReportIn,
        responses={201: ReportOut},
        examples=[
            OpenApiExample(
                "Spam",
                value={"username": "bob", "post_ids": ["7301234567890123456"], "category": "spam", "comment": "ads"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = ReportIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        report = services.report_file(
            reporter=request.user,
            target_id=_target_id(values),
            post_ids=[int(pid) for pid in values["post_ids"]],
            category=values["category"],
            comment=values["comment"],
        )
        out = {
            "id": report.pk,
            "target_id": report.target_id,
            "post_ids": report.post_ids,
            "category": report.category,
            "state": report.state,
            "created_at": report.created_at,
        }
        return Response(ReportOut(out).data, status=status.HTTP_201_CREATED)
