"""OAuth 2 as Mastodon clients use it (docs/oauth.md): registered applications, authorization
codes and the tokens an application gets for itself (client_credentials).

Written only by socialapp.write.oauth.services. Secrets are credentials, not domain state: only
their SHA-256 is stored (as for session tokens), and no event is appended for any of them.
A user's token from any grant is an ordinary session (accounts.AuthToken, with the granted scope
and the application), so both sides authenticate it as they do every session.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Application(models.Model):
    """A client registered by `POST /api/v1/apps`. `client_id` is public; the secret is hashed."""

    name = models.CharField(max_length=200)
    website = models.CharField(max_length=500, blank=True, default="")
    redirect_uris = models.TextField()  # one per line, as registered
    scopes = models.CharField(max_length=500)  # space-separated: what its tokens may be granted
    client_id = models.CharField(max_length=64, unique=True)
    client_secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "oauth_application"

    def __str__(self) -> str:
        return f"{self.name} ({self.pk})"

    @property
    def redirect_uri_list(self) -> list[str]:
        return [uri for uri in self.redirect_uris.split("\n") if uri]

    @property
    def scope_tuple(self) -> tuple[str, ...]:
        return tuple(self.scopes.split())


class AuthorizationCode(models.Model):
    """A code from the authorize page: single use (deleted when exchanged), short-lived, bound to
    the application, the user, the redirect URI, the scopes and the PKCE challenge if one came."""

    code_hash = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="codes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_codes")
    redirect_uri = models.CharField(max_length=500)
    scopes = models.CharField(max_length=500)
    code_challenge = models.CharField(max_length=128, blank=True, default="")
    code_challenge_method = models.CharField(max_length=10, blank=True, default="")
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "oauth_authorization_code"

    def __str__(self) -> str:
        return f"code {self.pk} of app {self.application_id} for user {self.user_id}"


class AppToken(models.Model):
    """A client_credentials token: it belongs to the application and no user. Our two
    authentication classes look up sessions only, so it cannot act as anyone; it serves
    `GET /api/v1/apps/verify_credentials` (and app-level routes, when there are some)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="app_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "oauth_app_token"

    def __str__(self) -> str:
        return f"app token {self.pk} of app {self.application_id}"
