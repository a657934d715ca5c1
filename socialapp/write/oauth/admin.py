"""OAuth applications in the admin: listed and deletable (deleting one ends its sessions on
both sides, through the service). Secrets are hashed: nothing to show."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from socialapp.write.oauth.models import Application
from socialapp.write.oauth.services import app_delete


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "website", "scopes", "created_at"]
    search_fields = ["name", "website", "client_id"]
    ordering = ["-id"]
    readonly_fields = ["name", "website", "redirect_uris", "scopes", "client_id", "created_at"]
    exclude = ["client_secret_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clients register themselves (POST /api/v1/apps)

    def has_change_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Application) -> None:
        app_delete(app_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        for app_id in list(queryset.values_list("pk", flat=True)):
            app_delete(app_id=app_id)
