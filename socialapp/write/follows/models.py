"""Follows of the write model. Written only by socialapp.write.follows.services."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from socialapp.events.catalogue import AggregateType
from socialapp.write.common.models import Aggregate


class Follow(Aggregate):
    """The follow aggregate ("<follower_id>:<followee_id>"). The row outlives an unfollow
    (`active=False`) so that its version keeps counting across follow/unfollow/follow."""

    aggregate_type = AggregateType.FOLLOW

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="following")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followers")
    active = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "follows_follow"
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follows_follow_pair_uniq"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follows_follow_not_self"),
        ]

    def __str__(self) -> str:
        return f"follow {self.aggregate_id} ({'active' if self.active else 'inactive'})"

    @property
    def aggregate_id(self) -> str:
        return f"{self.follower_id}:{self.followee_id}"
