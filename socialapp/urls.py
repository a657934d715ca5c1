"""Root URLs. The API is under /api/socialapp/v1/: command-side routes come from socialapp.write.*,
query-side routes from socialapp.read.*; both sides share one path space, as clients expect.

This is the one module that imports both sides (it belongs to neither, so the independence
contract of pyproject.toml does not cover it): a path that both serve is composed here from the
query side's view (GET) and the command side's views (the other methods), by
`socialapp.common.dispatch.by_method`.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from socialapp.common import errors, health
from socialapp.common.dispatch import by_method
from socialapp.events.metrics import metrics_view
from socialapp.read.activity.pages import dashboard_page
from socialapp.read.feeds import views as feed_queries
from socialapp.read.profiles import views as profile_queries
from socialapp.write.accounts import views as account_commands
from socialapp.write.comments import views as comment_commands
from socialapp.write.posts import views as post_commands

API_MODULES = [
    "socialapp.write.accounts.urls",
    "socialapp.write.posts.urls",
    "socialapp.write.comments.urls",
    "socialapp.write.follows.urls",
    "socialapp.write.relations.urls",
    "socialapp.write.moderation.urls",
    "socialapp.write.audit.urls",  # staff: an aggregate's events and past state, read from the log itself
    "socialapp.read.profiles.urls",
    "socialapp.read.feeds.urls",
    "socialapp.read.notifications.urls",
    "socialapp.read.search.urls",
    "socialapp.read.relations.urls",
    "socialapp.read.trends.urls",
    "socialapp.read.activity.urls",
]

post_detail_commands = post_commands.PostDetailView.as_view()

# One path, two sides: GET from the query side, every other method from the command side.
SHARED_PATHS = [
    path(
        "me",
        by_method(get=profile_queries.MeView.as_view(), patch=account_commands.MeView.as_view()),
        name="me",
    ),
    path(
        "posts/<id:post_id>",
        by_method(get=feed_queries.PostDetailView.as_view(), patch=post_detail_commands, delete=post_detail_commands),
        name="post-detail",
    ),
    path(
        "posts/<id:post_id>/comments",
        by_method(get=feed_queries.PostCommentsView.as_view(), post=comment_commands.CommentCreateView.as_view()),
        name="post-comments",
    ),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # The staff dashboard (docs/analytics.md): an admin page drawn from the `admin-dashboard` JSON.
    path("admin/dashboard/", admin.site.admin_view(dashboard_page), name="admin-dashboard-page"),
    path("admin/audit/", include("socialapp.write.audit.admin_views")),  # staff: events and past states
    path("admin/", admin.site.urls),
    path("api/socialapp/v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/socialapp/v1/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/socialapp/v1/", include(SHARED_PATHS)),
    *[path("api/socialapp/v1/", include(module)) for module in API_MODULES],
    path("", include("socialapp.write.oauth.urls")),  # OAuth for Mastodon clients: /oauth/, /api/v1/apps
    path("", include("socialapp.mastodon.urls")),  # the Mastodon client API: /api/v1/, /api/v2/
    re_path(r"^api/", errors.api_not_found_view),  # last: problem JSON for every unmatched API path
]

handler400 = "socialapp.common.errors.bad_request_view"
handler403 = "socialapp.common.errors.permission_denied_view"
handler404 = "socialapp.common.errors.not_found_view"
handler500 = "socialapp.common.errors.server_error_view"
