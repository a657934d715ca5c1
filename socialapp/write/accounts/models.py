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

    objects = UserManager()

    class Meta:
        db_table = "accounts_user"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_uniq"),
        ]

    @property
    def is_moderator(self) -> bool:
        return self.is_staff
