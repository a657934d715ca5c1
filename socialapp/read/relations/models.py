"""Who may see whom: the relations every read path's visibility rule consults
(socialapp.read.common.visibility, docs/privacy.md).

One projector (`relations`) owns these tables, so the visibility rule depends on one projection
only: rebuilding feeds, profiles or search never changes who may see what. Each row is a toggled
aggregate of the command side (block, mute, follow request, follow) kept with the version of the
last event applied (`socialapp.read.common.sql.versioned_toggle`), so any order of delivery and a
rebuild from the log end on the same rows. `position` is the log position of the event that set
the row's current state: lists page by it, newest first, the same in every order of arrival.
"""

from django.db import models


class Block(models.Model):
    pk = models.CompositePrimaryKey("blocker_id", "blocked_id")
    blocker_id = models.BigIntegerField()
    blocked_id = models.BigIntegerField()
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    position = models.BigIntegerField(default=0)

    class Meta:
        db_table = "read_block"
        indexes = [
            # "is the viewer blocked by the author?": the reverse direction of the primary key.
            models.Index(
                fields=["blocked_id", "blocker_id"], name="read_block_blocked_idx", condition=models.Q(active=True)
            ),
            models.Index(
                fields=["blocker_id", "-position"], name="read_block_list_idx", condition=models.Q(active=True)
            ),
        ]

    def __str__(self) -> str:
        return f"Block {self.pk}"


class Mute(models.Model):
    """A mute hides the muted user's statuses from the muter's feeds and timelines, and (when
    `notifications`) their notifications; it ends by `user.unmuted` or on its own at
    `expires_at`, which queries compare with now() (no event is needed for the expiry)."""

    pk = models.CompositePrimaryKey("muter_id", "muted_id")
    muter_id = models.BigIntegerField()
    muted_id = models.BigIntegerField()
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True)
    position = models.BigIntegerField(default=0)

    class Meta:
        db_table = "read_mute"
        indexes = [
            models.Index(fields=["muter_id", "-position"], name="read_mute_list_idx", condition=models.Q(active=True)),
        ]

    def __str__(self) -> str:
        return f"Mute {self.pk}"


class FollowRequest(models.Model):
    """A pending request to follow a locked account (`active` while pending)."""

    pk = models.CompositePrimaryKey("follower_id", "followee_id")
    follower_id = models.BigIntegerField()
    followee_id = models.BigIntegerField()
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(null=True)
    position = models.BigIntegerField(default=0)

    class Meta:
        db_table = "read_follow_request"
        indexes = [
            models.Index(
                fields=["followee_id", "-position"],
                name="read_follow_request_list_idx",
                condition=models.Q(active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"FollowRequest {self.pk}"


class Follow(models.Model):
    """Approved follows, as the visibility rule needs them (followers-only posts). The feeds'
    and profiles' projectors keep their own copies for their own work."""

    pk = models.CompositePrimaryKey("follower_id", "followee_id")
    follower_id = models.BigIntegerField()
    followee_id = models.BigIntegerField()
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "read_relation_follow"

    def __str__(self) -> str:
        return f"Follow {self.pk}"
