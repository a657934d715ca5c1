"""The Mastodon routes, mounted at the root (clients hard-code /api/v1/, /api/v2/).

Like socialapp/urls.py, this is where a path both halves serve is composed by method from the
query view (GET) and the command view (the rest); everything else comes from each half's own
route list. The last pattern answers unmatched /api/v1/ and /api/v2/ paths in Mastodon's shape.
OAuth (/oauth/..., POST /api/v1/apps) is the command side's socialapp.write.oauth.
"""

from django.urls import path, re_path

from socialapp.mastodon.commands import registration
from socialapp.mastodon.commands import statuses as status_commands
from socialapp.mastodon.commands import urls as command_urls
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.errors import not_found_view
from socialapp.mastodon.queries import accounts as account_queries
from socialapp.mastodon.queries import statuses as status_queries
from socialapp.mastodon.queries import urls as query_urls

status_command = status_commands.StatusView.as_view()

urlpatterns = [
    path(
        "api/v1/statuses/<id:status_id>",
        by_method(get=status_queries.StatusView.as_view(), put=status_command, delete=status_command),
        name="mastodon-status",
    ),
    path(  # GET: a batch of statuses by id; POST: a new one
        "api/v1/statuses",
        by_method(get=status_queries.StatusesView.as_view(), post=status_commands.StatusesView.as_view()),
        name="mastodon-statuses",
    ),
    path(  # GET: a batch of accounts by id; POST: registration through an app
        "api/v1/accounts",
        by_method(get=account_queries.AccountsView.as_view(), post=registration.RegisterView.as_view()),
        name="mastodon-accounts",
    ),
    *query_urls.urlpatterns,
    *command_urls.urlpatterns,
    re_path(r"^api/v[12]/", not_found_view),
]
