"""Every Mastodon command route but the paths shared with queries (socialapp/mastodon/urls.py)."""

from socialapp.mastodon.commands import accounts, statuses

urlpatterns = [
    *accounts.urlpatterns,
    *statuses.urlpatterns,
]
