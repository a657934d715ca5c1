"""Root URLs. The API is under /api/v1/: command-side routes come from socialapp.write.*,
query-side routes from socialapp.read.*; both sides share one path space, as clients expect."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from socialapp.common import errors, health
from socialapp.events.metrics import metrics_view

API_MODULES = [
    "socialapp.write.accounts.urls",
    "socialapp.write.posts.urls",
    "socialapp.write.comments.urls",
    "socialapp.write.follows.urls",
    "socialapp.read.profiles.urls",
    "socialapp.read.feeds.urls",
    "socialapp.read.notifications.urls",
    "socialapp.read.search.urls",
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    *[path("api/v1/", include(module)) for module in API_MODULES],
    re_path(r"^api/", errors.api_not_found_view),  # last: problem JSON for every unmatched API path
]

handler400 = "socialapp.common.errors.bad_request_view"
handler403 = "socialapp.common.errors.permission_denied_view"
handler404 = "socialapp.common.errors.not_found_view"
handler500 = "socialapp.common.errors.server_error_view"
