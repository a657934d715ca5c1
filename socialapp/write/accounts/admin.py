"""Users in the moderators' console: search, filters, and the "deactivate" action."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_deactivate
from socialapp.write.common.admin import ModeratorAdmin, TimestampSetFilter


class DeactivatedFilter(TimestampSetFilter):
    title = parameter_name = "deactivated"
    field = "deactivated_at"


@admin.register(User)
class UserAdmin(ModeratorAdmin):
    list_display = ["id", "username", "display_name", "email", "is_staff", "date_joined", "deactivated_at", "version"]
    list_filter = [DeactivatedFilter, "is_staff", "date_joined"]
    search_fields = ["username", "display_name", "email"]
    ordering = ["-id"]
    fields = ["username", "display_name", "bio", "email", "is_staff", "date_joined", "deactivated_at", "version"]
    actions = ["deactivate_users"]

    @admin.action(description="Deactivate selected users")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self.run_command(
            request, queryset, lambda user: user_deactivate(user_id=user.pk, actor=request.user), "Deactivated"
        )
