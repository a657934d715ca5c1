"""Notifications read model.

A notification's public id (`seq`) is NOT the log position of its cause: positions commit out of
order, so a late notification would land behind a reader's cursor or read marker. `seq` comes
from the read-DB sequence `read_notification_seq`, drawn while holding a per-recipient lock that
lasts until commit, so one recipient's ids commit in increasing order (what a reader observes).
`NotificationRef` remembers the id given to each notification and is not projected, so a rebuild
or a convergence replay gives every notification the id it had; the read marker (`ReadMarker`,
the read side's own state) compares against these ids and survives rebuilds too."""

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class Notification(models.Model):
    pk = models.CompositePrimaryKey("recipient_id", "position")
    recipient_id = models.BigIntegerField()
    position = models.BigIntegerField()  # the causing event's (a mention's: its earliest version's)
    seq = models.BigIntegerField()  # public id; see the module docstring
    kind = models.CharField(max_length=16)  # follow | like | comment | mention | follow_request | report_resolved
    actor_id = models.BigIntegerField()
    actor_username = models.CharField(max_length=150)
    post_id = models.BigIntegerField(null=True)
    comment_id = models.BigIntegerField(null=True)
    source_key = models.CharField(max_length=64)  # what undoes it: follow:F:E, like:P:U, comment:C, post:P
    created_at = models.DateTimeField()
    # A report_resolved notification's report and outcome (none | suspend | delete_post); null otherwise.
    report_id = models.BigIntegerField(null=True)
    report_action = models.CharField(max_length=16, null=True)  # noqa: DJ001 - null with report_id

    class Meta:
        db_table = "read_notification"
        indexes = [
            models.Index(fields=["source_key"], name="read_notif_source_idx"),
            models.Index(fields=["post_id"], name="read_notif_post_idx"),
            models.Index(fields=["actor_id"], name="read_notif_actor_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["recipient_id", "seq"], name="read_notif_recipient_seq_uniq")]

    def __str__(self) -> str:
        return f"Notification {self.pk}"


class NotificationGate(models.Model):
    """Per-aggregate state that orders events: the last version of a like/follow aggregate, and
    tombstones for deleted posts and comments and deactivated users."""

    key = models.CharField(max_length=64, primary_key=True)
    version = models.PositiveIntegerField(default=0)
    gone = models.BooleanField(default=False)

    class Meta:
        db_table = "read_notification_gate"

    def __str__(self) -> str:
        return f"NotificationGate {self.pk}"


class ReadMarker(models.Model):
    """Everything at or below `up_to` is read. Not projected: survives rebuilds. It is also
    Mastodon's `notifications` marker (`/api/v1/markers`): `version` counts its changes (Mastodon's
    `lock_version`), `updated_at` is when it last moved (markers.py writes all three)."""

    recipient_id = models.BigIntegerField(primary_key=True)
    up_to = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0, db_default=0)
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "read_notification_marker"

    def __str__(self) -> str:
        return f"ReadMarker {self.pk}"


class HomeMarker(models.Model):
    """Mastodon's `home` marker: the last home-timeline status its user read (`last_read_id`, a
    status id), only ever moving forward. Like the read marker beside it, the reader's own view,
    which no event records: written by the read side's small command (markers.py), not projected,
    so a rebuild keeps it."""

    user_id = models.BigIntegerField(primary_key=True)
    last_read_id = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0, db_default=0)
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "read_home_marker"

    def __str__(self) -> str:
        return f"HomeMarker {self.pk}"


class NotificationRef(models.Model):
    """The id given to a notification, kept across rebuilds (not projected). `ref` is the causing
    event's position, or `mention:<post:P|comment:C>` (a mention is one notification ever)."""

    pk = models.CompositePrimaryKey("recipient_id", "ref")
    recipient_id = models.BigIntegerField()
    ref = models.CharField(max_length=80)
    seq = models.BigIntegerField()

    class Meta:
        db_table = "read_notification_ref"

    def __str__(self) -> str:
        return f"NotificationRef {self.pk}"


class NotificationSource(models.Model):
    """Who wrote a post or comment (from its `created` event): edits do not carry the author's
    username, and a comment edit carries neither author nor post author."""

    key = models.CharField(max_length=64, primary_key=True)  # post:P | comment:C
    post_id = models.BigIntegerField()
    comment_id = models.BigIntegerField(null=True)
    author_id = models.BigIntegerField()
    author_username = models.CharField(max_length=150)
    post_author_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "read_notification_source"

    def __str__(self) -> str:
        return f"NotificationSource {self.pk}"


class NotificationMention(models.Model):
    """Every user any version of a post or comment mentioned, with the earliest such version's
    position: the union is what makes edit mentions order-independent."""

    pk = models.CompositePrimaryKey("source_key", "user_id")
    source_key = models.CharField(max_length=64)
    user_id = models.BigIntegerField()
    position = models.BigIntegerField()
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "read_notification_mention"

    def __str__(self) -> str:
        return f"NotificationMention {self.pk}"


class NotificationSuspension(models.Model):
    """Users under suspension (user.suspended / user.unsuspended, the newer wins): their
    notifications to others are filtered out at query time and come back when it is lifted."""

    user_id = models.BigIntegerField(primary_key=True)
    suspended = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)  # user-aggregate version of the last one applied

    class Meta:
        db_table = "read_notification_suspension"

    def __str__(self) -> str:
        return f"NotificationSuspension {self.pk}"


class NotificationOccurrence(models.Model):
    """The earliest like or follow of one (actor, target) aggregate in each time bucket of
    NOTIFICATIONS_DEDUP_WINDOW_SECONDS (by the events' `occurred_at`): its notification stands
    for every repetition in the bucket, so a like/unlike or follow/unfollow loop notifies once
    per window. Keeping the earliest makes it order-independent."""

    pk = models.CompositePrimaryKey("source_key", "bucket")
    source_key = models.CharField(max_length=64)
    bucket = models.BigIntegerField()
    position = models.BigIntegerField()
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "read_notification_occurrence"

    def __str__(self) -> str:
        return f"NotificationOccurrence {self.pk}"


class ClearMarker(models.Model):
    """Everything at or below `up_to` was cleared by its recipient (Mastodon's
    `POST /api/v1/notifications/clear`). Like the read marker: the reader's own view, written by
    the read side's small command (socialapp/read/notifications/dismissals.py), not projected,
    so it survives rebuilds; ids are kept across rebuilds (NotificationRef), so it stays right."""

    recipient_id = models.BigIntegerField(primary_key=True)
    up_to = models.BigIntegerField(default=0)

    class Meta:
        db_table = "read_notification_cleared"

    def __str__(self) -> str:
        return f"ClearMarker {self.pk}"


class Dismissal(models.Model):
    """One notification its recipient dismissed (`POST /api/v1/notifications/:id/dismiss`): not
    projected, survives rebuilds (see ClearMarker)."""

    pk = models.CompositePrimaryKey("recipient_id", "seq")
    recipient_id = models.BigIntegerField()
    seq = models.BigIntegerField()

    class Meta:
        db_table = "read_notification_dismissed"

    def __str__(self) -> str:
        return f"Dismissal {self.pk}"
