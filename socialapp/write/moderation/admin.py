"""Reports in the moderators' console: the open ones first to hand, the reporter's comment and
the reported posts' text on the report's page, and the three resolutions as actions that call
`report_resolve` (so the suspension or deletion and `report.resolved` are appended together, and
a refusal is a message, never a half-done resolution)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from socialapp.write.common.admin import ModeratorAdmin
from socialapp.write.moderation.models import Action, Report
from socialapp.write.moderation.services import report_resolve
from socialapp.write.posts.models import Post


@admin.register(Report)
class ReportAdmin(ModeratorAdmin):
    list_display = ["id", "reporter", "target", "category", "state", "action", "created_at", "resolved_at"]
    list_filter = ["state", "category", "action", "created_at"]
    search_fields = ["reporter__username", "target__username"]
    list_select_related = ["reporter", "target"]
    ordering = ["-id"]
    fields = [
        "reporter",
        "target",
        "category",
        "comment",
        "reported_posts",
        "forward",
        "state",
        "action",
        "resolved_by",
        "resolved_at",
        "created_at",
        "version",
    ]
    readonly_fields = fields
    actions = ["resolve_suspend", "resolve_delete_posts", "resolve_dismiss"]

    @admin.display(description="reported posts")
    def reported_posts(self, report: Report) -> str:
        """The reported posts as they are in the write model now (text escaped; deleted ones
        marked, as the author or a moderator may have removed them since)."""
        posts = Post.objects.in_bulk(report.post_ids)
        if not report.post_ids:
            return "(none)"
        lines = []
        for pid in report.post_ids:
            post = posts.get(pid)
            if post is None:
                lines.append((pid, "(no such post)"))
            else:
                lines.append((pid, f"{'[deleted] ' if post.deleted_at else ''}{post.body}"))
        return format_html_join("", "<div>{}: {}</div>", lines)

    def _resolve(self, request: HttpRequest, queryset: QuerySet[Report], action: str, verb: str) -> None:
        self.run_command(
            request,
            queryset,
            lambda report: report_resolve(moderator=request.user, report_id=report.pk, action=action),
            verb,
        )

    @admin.action(description="Resolve: suspend account")
    def resolve_suspend(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, Action.SUSPEND, "Resolved, account suspended")

    @admin.action(description="Resolve: delete reported posts")
    def resolve_delete_posts(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, Action.DELETE_POST, "Resolved, reported posts deleted")

    @admin.action(description="Resolve: dismiss")
    def resolve_dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, Action.NONE, "Resolved, dismissed")
