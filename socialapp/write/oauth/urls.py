"""OAuth routes, mounted at the root by socialapp/urls.py before the Mastodon face. Clients
differ on trailing slashes (toot: `/oauth/authorize/`), so both spellings are served."""

from django.urls import re_path

from socialapp.write.oauth import api, pages

urlpatterns = [
    re_path(r"^api/v1/apps/?$", api.AppsView.as_view(), name="oauth-apps"),
    re_path(r"^api/v1/apps/verify_credentials/?$", api.AppVerifyView.as_view(), name="oauth-apps-verify"),
    re_path(r"^oauth/authorize/?$", pages.AuthorizeView.as_view(), name="oauth-authorize"),
    re_path(r"^oauth/token/?$", api.TokenView.as_view(), name="oauth-token"),
    re_path(r"^oauth/revoke/?$", api.RevokeView.as_view(), name="oauth-revoke"),
]
