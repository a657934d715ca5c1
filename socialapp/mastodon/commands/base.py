"""Base of Mastodon command views: bearer token looked up on `default`, as every command view."""

from __future__ import annotations

from socialapp.mastodon.common.views import MastodonView
from socialapp.write.accounts.authentication import BearerTokenAuthentication


class CommandView(MastodonView):
    authentication_classes = [BearerTokenAuthentication]
    # Left out of our OpenAPI document (/api/socialapp/v1/schema): Mastodon's API is Mastodon's
    # to document, and its views have no serializers for drf-spectacular to describe (it would
    # warn, and `check --deploy` fails on warnings).
    schema = None
