"""Profile read model: built only from user and follow events (and post counts).

Rows may exist as placeholders (version 0) when an event about a user arrives before the
user's registration: counts and flags need a row to live on. A profile is shown only when it is
registered (version >= 1), not deactivated and not suspended.
"""

from django.db import models


class Profile(models.Model):
    user_id = models.BigIntegerField(primary_key=True)
    username = models.CharField(max_length=150, null=True)  # noqa: DJ001 - null until registered
    username_lower = models.CharField(max_length=150, null=True, db_index=True)  # noqa: DJ001
    display_name = models.CharField(max_length=50, default="")
    bio = models.CharField(max_length=300, default="")
    registered_at = models.DateTimeField(null=True)
    deactivated_at = models.DateTimeField(null=True)
    # Reversible hiding (user.suspended / user.unsuspended), set by the newer of the two events:
    # `suspension_version` is the user-aggregate version of the last one applied.
    suspended = models.BooleanField(default=False, db_default=False)
    suspension_version = models.PositiveIntegerField(default=0, db_default=0)
    # Highest user-aggregate version applied to display_name/bio.
    version = models.PositiveIntegerField(default=0)
    follower_count = models.IntegerField(default=0)
    following_count = models.IntegerField(default=0)
    post_count = models.IntegerField(default=0)
    # A locked account approves its followers (follow requests); from `profile.updated`.
    locked = models.BooleanField(default=False, db_default=False)

    class Meta:
        db_table = "read_profile"

    def __str__(self) -> str:
        return f"@{self.username or self.user_id}"


class FollowEdge(models.Model):
    """One row per (follower, followee) ever seen; `active` plus the follow aggregate's version
    make follow/unfollow idempotent and order-proof."""

    pk = models.CompositePrimaryKey("follower_id", "followee_id")
    follower_id = models.BigIntegerField()
    followee_id = models.BigIntegerField()
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    since = models.DateTimeField(null=True)
    # The log position of the event that set the edge's current state: one integer per follow,
    # newer follows higher, the same whatever order the events arrived in (it comes from the
    # event, not from the projector). The Mastodon API pages followers and following by it, as
    # Mastodon pages them by the follow's own id.
    position = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "read_follow_edge"
        indexes = [
            models.Index(fields=["followee_id", "-since", "-follower_id"], name="read_follow_followers_idx"),
            models.Index(fields=["follower_id", "-since", "-followee_id"], name="read_follow_following_idx"),
            models.Index(
                fields=["followee_id", "-position"],
                name="read_follow_followers_pos_idx",
                condition=models.Q(active=True),
            ),
            models.Index(
                fields=["follower_id", "-position"],
                name="read_follow_following_pos_idx",
                condition=models.Q(active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"FollowEdge {self.pk}"


class ProfilePost(models.Model):
    """Which posts a user has live: makes post_count idempotent (a tombstone when deleted)."""

    post_id = models.BigIntegerField(primary_key=True)
    author_id = models.BigIntegerField(db_index=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        db_table = "read_profile_post"

    def __str__(self) -> str:
        return f"ProfilePost {self.pk}"
