"""Users in the moderators' console: search, filters, and the deactivate, suspend and unsuspend
actions. Who may act on whom is the services' rule (only superusers on staff accounts)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_deactivate, user_suspend, user_unsuspend
from socialapp.write.audit.admin_links import AuditLinkMixin
from socialapp.write.common.admin import ModeratorAdmin, TimestampSetFilter


class DeactivatedFilter(TimestampSetFilter):
    title = parameter_name = "deactivated"
    field = "deactivated_at"


class SuspendedFilter(TimestampSetFilter):
    title = parameter_name = "suspended"
    field = "suspended_at"


@admin.register(User)
class UserAdmin(AuditLinkMixin, ModeratorAdmin):
    audit_aggregate_type = "user"
    list_display = [
        "id",
        "username",
        "display_name",
        "email",
        "is_staff",
        "date_joined",
        "deactivated_at",
        "suspended_at",
        "version",
    ]
    list_filter = [DeactivatedFilter, SuspendedFilter, "is_staff", "date_joined"]
    search_fields = ["username", "display_name", "email"]
    ordering = ["-id"]
    fields = [
        "username",
        "display_name",
        "bio",
        "email",
        "is_staff",
        "date_joined",
        "deactivated_at",
        "suspended_at",
        "version",
        "audit_trail",
    ]
    readonly_fields = ["audit_trail"]
    actions = ["deactivate_users", "suspend_users", "unsuspend_users"]

    @admin.action(description="Deactivate selected users (final)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self.run_command(
            request, queryset, lambda user: user_deactivate(user_id=user.pk, actor=request.user), "Deactivated"
        )

    @admin.action(description="Suspend selected users (reversible)")
    def suspend_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self.run_command(request, queryset, lambda user: user_suspend(user_id=user.pk, actor=request.user), "Suspended")

    @admin.action(description="Lift the suspension of selected users")
    def unsuspend_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self.run_command(
            request, queryset, lambda user: user_unsuspend(user_id=user.pk, actor=request.user), "Unsuspended"
        )
