"""Blocks, mutes and follow requests of the write model. Written only by
socialapp.write.relations.services (and follow requests also by socialapp.write.follows.services).

Each is a toggled aggregate like Follow ("<a_id>:<b_id>"): the row outlives the toggle
(`active=False`), so its version keeps counting across block/unblock/block."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from socialapp.events.catalogue import AggregateType
from socialapp.write.common.models import Aggregate


class Block(Aggregate):
    """`blocker` blocks `blocked` while `active`. Symmetric in effect (neither sees the other),
    but owned by the blocker: only the blocker can lift it."""

    aggregate_type = AggregateType.BLOCK

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="blocks_made")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="blocks_received")
    active = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "relations_block"
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="relations_block_pair_uniq"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="relations_block_not_self"),
        ]

    def __str__(self) -> str:
        return f"block {self.aggregate_id} ({'active' if self.active else 'inactive'})"

    @property
    def aggregate_id(self) -> str:
        return f"{self.blocker_id}:{self.blocked_id}"


class Mute(Aggregate):
    """`muter` mutes `muted` while `active` and not past `expires_at` (null: forever). An expiry
    needs no event: whoever asks compares `expires_at` with now()."""

    aggregate_type = AggregateType.MUTE

    muter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mutes_made")
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mutes_received")
    active = models.BooleanField(default=False)
    notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "relations_mute"
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="relations_mute_pair_uniq"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="relations_mute_not_self"),
        ]

    def __str__(self) -> str:
        return f"mute {self.aggregate_id} ({'active' if self.in_effect else 'inactive'})"

    @property
    def aggregate_id(self) -> str:
        return f"{self.muter_id}:{self.muted_id}"

    @property
    def in_effect(self) -> bool:
        """Active and not expired: an expired mute counts as no mute at all."""
        return self.active and (self.expires_at is None or self.expires_at > timezone.now())


class FollowRequest(Aggregate):
    """A request of `follower` to follow the locked `followee`; `active` while pending. It ends
    approved, rejected or withdrawn (the events say which; the row only that it is over)."""

    aggregate_type = AggregateType.FOLLOW_REQUEST

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_requests_made"
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_requests_received"
    )
    active = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "relations_follow_request"
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="relations_follow_request_pair_uniq"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="relations_follow_request_not_self"),
        ]

    def __str__(self) -> str:
        return f"follow request {self.aggregate_id} ({'pending' if self.active else 'over'})"

    @property
    def aggregate_id(self) -> str:
        return f"{self.follower_id}:{self.followee_id}"
