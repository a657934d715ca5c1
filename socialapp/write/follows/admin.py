"""Follows in the moderators' console (read-only)."""

from django.contrib import admin

from socialapp.write.common.admin import ModeratorAdmin
from socialapp.write.follows.models import Follow


@admin.register(Follow)
class FollowAdmin(ModeratorAdmin):
    list_display = ["id", "follower", "followee", "active", "changed_at", "version"]
    list_filter = ["active", "changed_at"]
    search_fields = ["follower__username", "followee__username"]
    list_select_related = ["follower", "followee"]
    ordering = ["-id"]
