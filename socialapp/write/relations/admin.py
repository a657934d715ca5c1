"""Blocks, mutes and pending follow requests in the moderators' console (read-only: only the
services write them, each with its events). Private to the users who made them everywhere else
(docs/privacy.md); moderators see them to understand a report or a harassment case."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from socialapp.write.common.admin import ModeratorAdmin
from socialapp.write.relations.models import Block, FollowRequest, Mute


@admin.register(Block)
class BlockAdmin(ModeratorAdmin):
    list_display = ["id", "blocker", "blocked", "active", "changed_at", "version"]
    list_filter = ["active", "changed_at"]
    search_fields = ["blocker__username", "blocked__username"]
    list_select_related = ["blocker", "blocked"]
    ordering = ["-id"]


@admin.register(Mute)
class MuteAdmin(ModeratorAdmin):
    list_display = ["id", "muter", "muted", "active", "notifications", "expires_at", "changed_at", "version"]
    list_filter = ["active", "notifications", "changed_at"]
    search_fields = ["muter__username", "muted__username"]
    list_select_related = ["muter", "muted"]
    ordering = ["-id"]


@admin.register(FollowRequest)
class FollowRequestAdmin(ModeratorAdmin):
    """Pending requests only: an ended one's outcome (approved, rejected, withdrawn) is in the log."""

    list_display = ["id", "follower", "followee", "changed_at", "version"]
    list_filter = ["changed_at"]
    search_fields = ["follower__username", "followee__username"]
    list_select_related = ["follower", "followee"]
    ordering = ["-id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(active=True)
