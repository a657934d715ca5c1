"""The append-only event log: the transactional outbox and the history of the system.

Rows are inserted by `socialapp.events.log.append_event` inside the command's transaction and
never updated. `position` comes from a sequence, so it orders events globally, but positions can
commit out of order: nothing may use "the highest position seen" as a cursor.

What the relay still has to publish is a narrow side table, `event_outbox` (position only): a
statement trigger on `event_log` inserts a row there for every event appended (by any insert,
COPY included), in the same transaction, and the relay deletes it once the broker confirmed the
message. Marking a batch published is then one DELETE of small rows, instead of rewriting every
log row (and all of its indexes: a column in a partial index's predicate rules out HOT updates).
"""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTransform


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
            # The audit trail's lookups by payload (socialapp/write/audit/history.py): a user's
            # posts and follows, for their profile as it read at a past time. Partial, so only
            # those events pay for them. An aggregate's own events use the unique constraint's
            # (aggregate_type, aggregate_id, aggregate_version) index.
            models.Index(
                KeyTransform("author_id", "payload"),
                condition=Q(event_type="post.created"),
                name="event_log_post_author_idx",
            ),
            models.Index(
                KeyTransform("follower_id", "payload"),
                condition=Q(aggregate_type="follow"),
                name="event_log_follower_idx",
            ),
            models.Index(
                KeyTransform("followee_id", "payload"),
                condition=Q(aggregate_type="follow"),
                name="event_log_followee_idx",
            ),
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


class OutboxEntry(models.Model):
    """An event the relay has not published yet (the relay's work list). Filled by a trigger on
    `event_log` in the appending transaction, deleted by the relay after the broker's confirm, in
    the transaction that locked it (`FOR UPDATE SKIP LOCKED`): each row carries its own state, so
    positions committing out of order are never skipped."""

    position = models.BigIntegerField(primary_key=True)  # event_log.position

    class Meta:
        db_table = "event_outbox"

    def __str__(self) -> str:
        return f"#{self.position} unpublished"


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
