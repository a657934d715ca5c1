"""Every Mastodon query route but the paths shared with commands (socialapp/mastodon/urls.py)."""

from socialapp.mastodon.queries import (
    accounts,
    favourites,
    instance,
    markers,
    notifications,
    relations,
    search,
    statuses,
    timelines,
    trends,
)

urlpatterns = [
    *instance.urlpatterns,
    *accounts.urlpatterns,
    *statuses.urlpatterns,
    *timelines.urlpatterns,
    *notifications.urlpatterns,
    *markers.urlpatterns,
    *search.urlpatterns,
    *favourites.urlpatterns,
    *relations.urlpatterns,
    *trends.urlpatterns,
]
