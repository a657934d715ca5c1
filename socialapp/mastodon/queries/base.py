"""Base of Mastodon query views: authentication from the shared cache, as every query view."""

from __future__ import annotations

from socialapp.mastodon.common.views import MastodonView
from socialapp.read.common.authentication import CachedSessionAuthentication


class QueryView(MastodonView):
    authentication_classes = [CachedSessionAuthentication]
