"""Mastodon reports command: `POST /api/v1/reports` (scope `write:reports`).

Parameters as Mastodon's Api::V1::ReportsController permits them: `account_id`, `status_ids[]`,
`comment`, `category` (spam, legal, violation, other; default other), `forward` and `rule_ids[]`.
`forward` has nothing to forward to (every account is local: Mastodon forwards only to remote
servers, so `forwarded` is false) and `rule_ids` are ignored (this server publishes no rules).
Statuses here are our posts: a comment's id, like any status that is not one of the account's
live posts, is `Record not found` (404), as Mastodon answers a status id it can't find among the
account's. The answer is Mastodon's Report entity (REST::ReportSerializer), built from the write
model: the report as filed, unresolved.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.common.request_schema import JSON_ID, JSON_ID_OR_BLANK, boolean, request_body, text
from socialapp.mastodon.commands import rows
from socialapp.mastodon.commands.base import CommandView
from socialapp.mastodon.commands.params import body, text_param
from socialapp.mastodon.common import entities
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.params import as_bool, as_id, as_list, as_text
from socialapp.write.moderation import services
from socialapp.write.moderation.models import COMMENT_MAX_LENGTH, POST_IDS_MAX, Category, Report


def report_entity(report: Report, *, base_url: str) -> dict[str, Any]:
    """Mastodon's Report entity (ids as strings; `rule_ids` null: no rules were cited)."""
    return {
        "id": str(report.pk),
        "action_taken": report.state == "resolved",
        "action_taken_at": entities.iso(report.resolved_at),
        "category": report.category,
        "comment": report.comment,
        "forwarded": False,
        "created_at": entities.iso(report.created_at),
        "status_ids": [str(pid) for pid in report.post_ids],
        "rule_ids": None,
        "target_account": rows.account(report.target, base_url=base_url),
    }


class ReportsView(CommandView):
    scopes: ClassVar[dict[str, str]] = {"POST": "write:reports"}
    schema_errors = {404: "No such account to report"}  # the OpenAPI document's
    schema_bodies: ClassVar[dict[str, Any]] = {
        "POST": request_body(
            {
                "account_id": {**JSON_ID, "description": "The account reported"},
                "status_ids": {
                    "type": "array",
                    "items": JSON_ID_OR_BLANK,
                    "maxItems": POST_IDS_MAX,
                    "nullable": True,
                    "description": "Its statuses the report is about (posts; a reply's id is not found)",
                },
                "comment": text(COMMENT_MAX_LENGTH, nullable=True, description="Why"),
                "category": {
                    "type": "string",
                    "enum": [*Category.values, "", None],
                    "nullable": True,
                    "description": "Blank or absent: other",
                },
                "forward": boolean("Accepted: nothing is remote"),
                "rule_ids": {"description": "Ignored: this server publishes no rules"},
            },
            required=("account_id",),
        )
    }

    def post(self, request: Request) -> Response:
        data = body(request)
        target_id = as_id(data.get("account_id"), field="account_id")
        if target_id is None:
            raise NotFound("No such user.")
        status_ids = as_list(data, "status_ids")
        if len(status_ids) > POST_IDS_MAX:
            raise ValidationFailed.on("status_ids", f"are too many (maximum is {POST_IDS_MAX})")
        post_ids = [as_id(raw, field="status_ids") for raw in status_ids]
        category = as_text(data.get("category"), field="category") or Category.OTHER
        comment = text_param(data, "comment", limit=COMMENT_MAX_LENGTH) or ""
        as_bool(data.get("forward"), field="forward")  # checked, then ignored: nowhere to forward
        try:
            report = services.report_file(
                reporter=request.user,
                target_id=target_id,
                post_ids=[pid for pid in post_ids if pid is not None],
                category=category,
                comment=comment,
            )
        except ValidationFailed as exc:
            if exc.errors and "post_ids" in exc.errors and len(status_ids) <= POST_IDS_MAX:
                raise NotFound("No such status.") from exc
            raise
        return Response(report_entity(report, base_url=rows.base_url(request)))


urlpatterns: list[URLPattern] = [
    path("api/v1/reports", by_method(post=ReportsView.as_view()), name="mastodon-reports"),
]
