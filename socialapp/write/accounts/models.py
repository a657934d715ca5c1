"""The user aggregate of the write model. Written only by socialapp.write.accounts.services.

`UserManager.create_user/create_superuser` (used by `createsuperuser` and by tests) go through
the registration service too, so even those users come with their `user.registered` event.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower

from socialapp.common import scopes as scope_rules
from socialapp.events.catalogue import AggregateType
from socialapp.write.common.models import Aggregate


class UserManager(DjangoUserManager):
    def create_user(self, username: str, email: str | None = None, password: str | None = None, **extra: Any):
        from socialapp.write.accounts.services import user_register

        known = {k: extra[k] for k in ("display_name", "bio", "is_staff", "is_superuser") if k in extra}
        return user_register(username=username, email=email or "", password=password, **known)

    def create_superuser(self, username: str, email: str | None = None, password: str | None = None, **extra: Any):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(username, email, password, **extra)


class User(AbstractUser, Aggregate):
    aggregate_type = AggregateType.USER
    display_name = models.CharField(max_length=50, blank=True, default="")
    bio = models.CharField(max_length=300, blank=True, default="")
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Reversible (user_suspend / user_unsuspend): hidden everywhere and locked out while set.
    suspended_at = models.DateTimeField(null=True, blank=True)
    # The account approves its followers: a follow becomes a follow request (docs/privacy.md).
    locked = models.BooleanField(default=False, db_default=False)

    objects = UserManager()

    class Meta:
        db_table = "accounts_user"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_uniq"),
        ]

    @property
    def is_moderator(self) -> bool:
        return self.is_staff


class AuthToken(models.Model):
    """One API session: a login's bearer token. Only the SHA-256 of the secret is stored, so a
    leak of this table (a backup, a replica) gives nobody a usable token.

    Written only by the account services (socialapp.write.accounts.services); credentials, not
    domain state, so no event is appended for them (docs/commands.md).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_tokens")
    key_hash = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the secret
    label = models.CharField(max_length=100, blank=True, default="")  # the client's own name for it
    created_at = models.DateTimeField()
    # Sliding lifetime: both move forward on use, at most once per AUTH_TOKEN_TOUCH_SECONDS.
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    # What the session may do (space-separated OAuth scopes, socialapp.common.scopes): our own
    # login grants everything; an OAuth grant what the user approved for the application.
    scope = models.CharField(max_length=500, default=scope_rules.FULL)
    # The OAuth application the session was granted to; null for our own login.
    application = models.ForeignKey(
        "oauth.Application", null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )

    class Meta:
        db_table = "accounts_auth_token"
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_token_user_idx")]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"

    @property
    def scopes(self) -> tuple[str, ...]:
        """`request.auth.scopes` on the command side (the query side's QuerySession has the same)."""
        return tuple(self.scope.split()) or tuple(scope_rules.FULL.split())
