"""Base of Mastodon command views: bearer token looked up on `default`, as every command view."""

from __future__ import annotations

from socialapp.mastodon.common.views import MastodonView
from socialapp.write.accounts.authentication import BearerTokenAuthentication


class CommandView(MastodonView):
    authentication_classes = [BearerTokenAuthentication]
