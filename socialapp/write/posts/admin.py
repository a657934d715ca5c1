"""Posts and likes in the moderators' console; posts are removed with the "delete" action."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from socialapp.write.audit.admin_links import AuditLinkMixin
from socialapp.write.common.admin import DeletedFilter, ModeratorAdmin
from socialapp.write.posts.models import Like, Post
from socialapp.write.posts.services import post_delete


@admin.register(Post)
class PostAdmin(AuditLinkMixin, ModeratorAdmin):
    audit_aggregate_type = "post"
    readonly_fields = ["audit_trail"]
    list_display = ["id", "author", "short_body", "visibility", "created_at", "edited_at", "deleted_at", "version"]
    list_filter = [DeletedFilter, "visibility", "created_at"]
    search_fields = ["body", "author__username"]
    list_select_related = ["author"]
    ordering = ["-id"]
    actions = ["delete_posts"]

    @admin.display(description="body")
    def short_body(self, post: Post) -> str:
        return post.body[:80]

    @admin.action(description="Delete selected posts")
    def delete_posts(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self.run_command(request, queryset, lambda post: post_delete(post_id=post.pk, actor=request.user), "Deleted")


@admin.register(Like)
class LikeAdmin(ModeratorAdmin):
    list_display = ["id", "post", "user", "active", "changed_at", "version"]
    list_filter = ["active", "changed_at"]
    search_fields = ["user__username", "post__id"]
    list_select_related = ["user", "post"]
    ordering = ["-id"]
