from django.db import models


class AppliedEvent(models.Model):
    """(projector, event) pairs already applied: the projector's exactly-once guard."""

    projector = models.CharField(max_length=64)
    event_id = models.UUIDField()
    position = models.BigIntegerField()
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "projection_applied_event"
        constraints = [
            models.UniqueConstraint(fields=["projector", "event_id"], name="applied_event_uniq"),
        ]
        indexes = [models.Index(fields=["projector", "position"], name="applied_event_pos_idx")]

    def __str__(self) -> str:
        return f"{self.projector} applied {self.event_id} (#{self.position})"
