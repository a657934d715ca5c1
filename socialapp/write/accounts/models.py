"""The user aggregate of the write model. Written only by socialapp.write.accounts.services."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    display_name = models.CharField(max_length=50, blank=True, default="")
    bio = models.CharField(max_length=300, blank=True, default="")
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # The aggregate version: the version of the last event appended for this user.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "accounts_user"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_uniq"),
        ]

    @property
    def is_moderator(self) -> bool:
        return self.is_staff
