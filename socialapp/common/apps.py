from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared plumbing: errors, auth, ids, health. Its migrations live on the write side."""

    name = "socialapp.common"
    label = "common"
    database = "default"

    def ready(self) -> None:
        # The API's path converters must exist before the first URLconf is loaded.
        from socialapp.common import converters

        converters.register()

        # The admin's login form gets the same shared-cache throttles as the API's auth/token.
        from django.contrib import admin
        from django.core import checks

        from socialapp.common.health import readiness_settings_check
        from socialapp.common.throttling import throttled_admin_login

        checks.register(readiness_settings_check)

        if not getattr(admin.site.login, "throttled", False):
            admin.site.login = throttled_admin_login(admin.site.login)  # type: ignore[method-assign]
