"""The staff dashboard's read model: per-minute counters kept by the `activity` projector from
every event, and samples of each projector's lag and dead letters taken by Celery beat.

Counters are keyed by the event's own `occurred_at` truncated to the minute (or hour), never by
the time they were applied, and grow by additions only: any order of delivery and a rebuild from
the log give the same rows (the tracking table makes each event count once). Active users are
kept as (bucket, actor) rows, not as counts, so that distinct users stay exact across buckets
and idempotent. Rows older than the retention settings are pruned by the sampling task
(socialapp.read.activity.sampling); docs/analytics.md, "The dashboard".
"""

from django.db import models


class EventMinute(models.Model):
    """Events of one type that occurred in one minute."""

    pk = models.CompositePrimaryKey("bucket", "event_type")
    bucket = models.DateTimeField()
    event_type = models.CharField(max_length=64)
    events = models.BigIntegerField(default=0)

    class Meta:
        db_table = "activity_event_minute"

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:%M} {self.event_type}: {self.events}"


class CommandMinute(models.Model):
    """Commands of one type in one minute (a command is counted by the event it appends; see
    socialapp.read.activity.commands)."""

    pk = models.CompositePrimaryKey("bucket", "command")
    bucket = models.DateTimeField()
    command = models.CharField(max_length=64)
    commands = models.BigIntegerField(default=0)

    class Meta:
        db_table = "activity_command_minute"

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:%M} {self.command}: {self.commands}"


class ActorMinute(models.Model):
    """An account that acted (was the actor of an event) in a minute."""

    pk = models.CompositePrimaryKey("bucket", "actor_id")
    bucket = models.DateTimeField()
    actor_id = models.BigIntegerField()

    class Meta:
        db_table = "activity_actor_minute"

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:%M} user {self.actor_id}"


class ActorHour(models.Model):
    """An account that acted in an hour (the 7-day window's buckets; per-minute rows are kept
    for a shorter time)."""

    pk = models.CompositePrimaryKey("bucket", "actor_id")
    bucket = models.DateTimeField()
    actor_id = models.BigIntegerField()

    class Meta:
        db_table = "activity_actor_hour"

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H} user {self.actor_id}"


class ProjectionSample(models.Model):
    """One projector's progress at one sampling time (what `projections status` prints). Not
    derived from the log, so not the projector's table: written by the sampling task only."""

    pk = models.CompositePrimaryKey("sampled_at", "projector")
    sampled_at = models.DateTimeField()
    projector = models.CharField(max_length=64)
    applied = models.BigIntegerField()
    lag = models.BigIntegerField(null=True)  # events of its types in the log not applied yet
    ready = models.BigIntegerField(null=True)  # queue depth; None: management API unreachable
    dead = models.BigIntegerField(null=True)  # dead letters; None: management API unreachable

    class Meta:
        db_table = "activity_projection_sample"

    def __str__(self) -> str:
        return f"{self.sampled_at:%Y-%m-%d %H:%M:%S} {self.projector}: lag {self.lag}, dead {self.dead}"
