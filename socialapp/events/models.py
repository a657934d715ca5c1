"""The append-only event log: the transactional outbox and the history of the system.

Rows are inserted by `socialapp.events.log.append_event` inside the command's transaction and
never updated, except `published_at`, which the relay sets after the broker confirmed the
message. `position` comes from a sequence, so it orders events globally, but positions can
commit out of order: nothing may use "the highest position seen" as a cursor.
"""

import uuid

from django.db import models
from django.db.models import Q


class Event(models.Model):
    position = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=64)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    aggregate_version = models.PositiveIntegerField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    schema_version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "event_log"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["aggregate_type", "aggregate_id", "aggregate_version"],
                name="event_log_aggregate_version_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["event_type", "position"], name="event_log_type_pos_idx"),
            models.Index(fields=["occurred_at"], name="event_log_occurred_idx"),
            # The relay's work list: small, because published rows drop out of it.
            models.Index(fields=["position"], name="event_log_unpublished_idx", condition=Q(published_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.event_type} {self.aggregate_type}:{self.aggregate_id} v{self.aggregate_version}"

    def as_message(self) -> dict[str, object]:
        """The event as it travels on the bus and reaches projectors: JSON-safe, self-contained."""
        return {
            "event_id": str(self.event_id),
            "position": self.position,
            "event_type": self.event_type,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "aggregate_version": self.aggregate_version,
            "actor_id": self.actor_id,
            "occurred_at": self.occurred_at.isoformat(),
            "schema_version": self.schema_version,
            "payload": self.payload,
        }


class PublishFailure(models.Model):
    """A log row the broker refused (nack) or returned (unroutable even after re-declaring the
    topology): when the relay may try it again. Kept beside the log, which stays append-only, so
    a refused row backs off on its own and never holds back the rows behind it."""

    position = models.BigIntegerField(primary_key=True)  # event_log.position
    attempts = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(default="")

    class Meta:
        db_table = "event_publish_failure"

    def __str__(self) -> str:
        return f"#{self.position}: {self.attempts} attempts, next at {self.next_attempt_at}"
