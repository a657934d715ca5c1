"""The event log in the admin: browsable, filterable, never editable (it is append-only)."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from socialapp.events.catalogue import AggregateType, EventType
from socialapp.events.models import Event, OutboxEntry


class _ChoicesFilter(admin.SimpleListFilter):
    """Choices from the catalogue: no SELECT DISTINCT over the whole log to build the sidebar."""

    options: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        return [(c, c) for c in self.options]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class EventTypeFilter(_ChoicesFilter):
    title, parameter_name, options = "event type", "event_type", tuple(EventType)


class AggregateTypeFilter(_ChoicesFilter):
    title, parameter_name, options = "aggregate type", "aggregate_type", tuple(AggregateType)


class PublishedFilter(admin.SimpleListFilter):
    """Published or still waiting in the relay's work list (`event_outbox`)."""

    title, parameter_name = "published", "published"

    def lookups(self, request, model_admin):
        return [("yes", "yes"), ("no", "no")]

    def queryset(self, request, queryset):
        waiting = OutboxEntry.objects.values("position")
        if self.value() == "yes":
            return queryset.exclude(position__in=waiting)
        if self.value() == "no":
            return queryset.filter(position__in=waiting)
        return queryset


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "position",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "aggregate_version",
        "actor_id",
        "occurred_at",
        "audit_trail",
    ]
    list_filter = [EventTypeFilter, AggregateTypeFilter, "occurred_at", PublishedFilter]
    search_fields = ["=aggregate_id", "=event_id", "=actor_id"]
    date_hierarchy = "occurred_at"
    ordering = ["-position"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [f.name for f in Event._meta.fields]

    @admin.display(description="audit trail")
    def audit_trail(self, event: Event) -> str:
        """A link to the aggregate's audit page (its events and past states, /admin/audit/),
        found by the route's name: the log does not import the command side that serves it."""
        try:
            url = reverse("audit-admin-aggregate", args=[event.aggregate_type, event.aggregate_id])
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}?version={}">states</a>', url, event.aggregate_version)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
