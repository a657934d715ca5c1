"""Every Mastodon command route but the paths shared with queries (socialapp/mastodon/urls.py)."""

from socialapp.mastodon.commands import accounts, registration, relations, reports, statuses

urlpatterns = [
    *accounts.urlpatterns,
    *registration.urlpatterns,
    *relations.urlpatterns,
    *reports.urlpatterns,
    *statuses.urlpatterns,
]
