"""Users in the moderators' console: search, filters, and the "deactivate" action."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_deactivate
from socialapp.write.common.admin import ModeratorAdmin


class DeactivatedFilter(admin.SimpleListFilter):
    title = "deactivated"
    parameter_name = "deactivated"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(deactivated_at__isnull=self.value() == "no")
        return queryset


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
