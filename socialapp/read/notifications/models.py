"""Notifications read model. A notification's id is the log position of the event that caused
it, so ids survive a rebuild from the log, and so does the read marker, which is the read
side's own state (`mark_read`), kept apart from the projected tables."""

from django.db import models


class Notification(models.Model):
    pk = models.CompositePrimaryKey("recipient_id", "position")
    recipient_id = models.BigIntegerField()
    position = models.BigIntegerField()
    kind = models.CharField(max_length=16)  # follow | like | comment | mention
    actor_id = models.BigIntegerField()
    actor_username = models.CharField(max_length=150)
    post_id = models.BigIntegerField(null=True)
    comment_id = models.BigIntegerField(null=True)
    source_key = models.CharField(max_length=64)  # what undoes it: follow:F:E, like:P:U, comment:C, post:P
    created_at = models.DateTimeField()

    class Meta:
        db_table = "read_notification"
        indexes = [
            models.Index(fields=["source_key"], name="read_notif_source_idx"),
            models.Index(fields=["post_id"], name="read_notif_post_idx"),
            models.Index(fields=["actor_id"], name="read_notif_actor_idx"),
        ]

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
    """Everything at or below `up_to` is read. Not projected: survives rebuilds."""

    recipient_id = models.BigIntegerField(primary_key=True)
    up_to = models.BigIntegerField(default=0)

    class Meta:
        db_table = "read_notification_marker"

    def __str__(self) -> str:
        return f"ReadMarker {self.pk}"
