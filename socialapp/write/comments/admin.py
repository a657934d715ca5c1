"""Comments in the moderators' console; removed with the "delete" action."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from socialapp.write.audit.admin_links import AuditLinkMixin
from socialapp.write.comments.models import Comment
from socialapp.write.comments.services import comment_delete
from socialapp.write.common.admin import DeletedFilter, ModeratorAdmin


@admin.register(Comment)
class CommentAdmin(AuditLinkMixin, ModeratorAdmin):
    audit_aggregate_type = "comment"
    readonly_fields = ["audit_trail"]
    list_display = ["id", "post_id", "author", "short_body", "created_at", "deleted_at", "version"]
    list_filter = [DeletedFilter, "created_at"]
    search_fields = ["body", "author__username", "post__id"]
    list_select_related = ["author"]
    ordering = ["-id"]
    actions = ["delete_comments"]

    @admin.display(description="body")
    def short_body(self, comment: Comment) -> str:
        return comment.body[:80]

    @admin.action(description="Delete selected comments")
    def delete_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self.run_command(request, queryset, lambda c: comment_delete(comment_id=c.pk, actor=request.user), "Deleted")
