"""Reports of the write model. Written only by socialapp.write.moderation.services.

A report is private: who reported whom, and why, is for the moderators (the admin) and the
reporter. The reporter's comment lives only here; the events carry ids, the category and the
outcome (docs/events.md, "Safety and privacy"; docs/moderation.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from socialapp.events.catalogue import AggregateType
from socialapp.write.common.models import Aggregate

COMMENT_MAX_LENGTH = 1000  # Mastodon's limit on a report's comment
POST_IDS_MAX = 20


class Category(models.TextChoices):
    """Mastodon's report categories."""

    SPAM = "spam"
    LEGAL = "legal"
    VIOLATION = "violation"
    OTHER = "other"


class State(models.TextChoices):
    OPEN = "open"
    RESOLVED = "resolved"


class Action(models.TextChoices):
    """What resolving did: nothing (dismissed), suspended the account, deleted reported posts."""

    NONE = "none"
    SUSPEND = "suspend"
    DELETE_POST = "delete_post"


class Report(Aggregate):
    """The report aggregate: filed (version 1), then resolved once (version 2)."""

    aggregate_type = AggregateType.REPORT

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_filed")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_received")
    # Ids of the target's posts the reporter pointed at (as filed; they may be deleted since).
    post_ids = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.OTHER)
    comment = models.TextField(blank=True, default="")  # private: never in an event
    forward = models.BooleanField(default=False)  # Mastodon's flag; nothing to forward to here
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    action = models.CharField(max_length=16, choices=Action.choices, null=True, blank=True)  # noqa: DJ001 - null: open
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "moderation_report"
        indexes = [
            models.Index(fields=["state", "id"], name="moderation_report_state_idx"),
            models.Index(fields=["target", "id"], name="moderation_report_target_idx"),
            models.Index(fields=["reporter", "id"], name="moderation_report_reporter_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reporter=F("target")), name="moderation_report_not_self"),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.state})"
