"""The admin as the moderators' console, without a back door around the services.

Every model admin here is read-only (no add, change or delete permission, so Django's own
forms and `delete_selected` cannot touch a row); the only writes are actions that call a
command service with the moderator as actor, so each one appends its events. Moderators are
`is_staff` users: they may view these models without per-model Django permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from socialapp.common.errors import DomainError


class ModeratorAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) on big tables is slow; the moderators page instead

    def _is_moderator(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._is_moderator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def run_command(
        self, request: HttpRequest, queryset: QuerySet, command: Callable[[Any], object], verb: str
    ) -> None:
        """Run `command(obj)` for each selected row, each in its own transaction (the service's),
        and report successes and refusals. More than ADMIN_BULK_ACTION_LIMIT rows at once are
        refused whole: one click must not be able to reach every account."""
        limit = settings.ADMIN_BULK_ACTION_LIMIT
        selected = queryset.count()
        if selected > limit:
            self.message_user(
                request,
                f"{verb}: nothing done. {selected} rows are selected; at most {limit} may be acted on at once"
                " (ADMIN_BULK_ACTION_LIMIT).",
                messages.ERROR,
            )
            return
        done, refused = 0, []
        for obj in queryset:
            try:
                command(obj)
                done += 1
            except DomainError as exc:
                refused.append(f"{obj}: {exc.detail}")
        if done:
            self.message_user(request, f"{verb}: {done}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


class TimestampSetFilter(admin.SimpleListFilter):
    """Yes/no on whether a nullable timestamp (`field`) is set: deleted, deactivated."""

    field: str

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class DeletedFilter(TimestampSetFilter):
    title = parameter_name = "deleted"
    field = "deleted_at"
