"""The abstract base of the write model's aggregates (no table of its own)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class Aggregate(models.Model):
    """A write-model row that is an aggregate: its type and id in the event log, and `version`,
    the version of its last event (socialapp.write.common.aggregates)."""

    aggregate_type: ClassVar[str]
    version = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def aggregate_id(self) -> str | int:
        return self.pk
