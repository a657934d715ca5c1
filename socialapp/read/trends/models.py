"""Trends: fact rows, time-bucketed counters and rank tables (docs/analytics.md, "Trends").

The `trends` projector owns the fact and counter tables (`TABLES` in projector.py): facts are one
row per aggregate that counts (a post, a like, a comment, an author), each holding the state the
newest of its events implies; counters move by exact deltas only when a fact's contribution
changes, so duplicates, any order of arrival and a rebuild from the log end on the same rows.
A counter row whose count falls to zero is deleted (absent and zero are the same state).

The rank tables are not the projector's: the refresh job (socialapp.read.trends.ranking) writes
them from the counters, one small set of rows per window, so that an endpoint reads a few rows.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class TrendPost(models.Model):
    """A post as trends need it. `created_at` is the `post.created` event's occurred_at (None
    until that event arrived); `hashtags` the newest version's tags (scrubbed on delete)."""

    post_id = models.BigIntegerField(primary_key=True)
    author_id = models.BigIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(null=True)
    public = models.BooleanField(default=False, db_default=False)
    sensitive = models.BooleanField(default=False, db_default=False)
    deleted = models.BooleanField(default=False, db_default=False)
    version = models.PositiveIntegerField(default=0, db_default=0)
    hashtags = ArrayField(models.CharField(max_length=100), default=list, db_default="{}")

    class Meta:
        db_table = "trends_post"

    def __str__(self) -> str:
        return f"TrendPost {self.pk}"


class TrendLike(models.Model):
    """One like aggregate (post, user): the newest version wins; `at` is that event's occurred_at."""

    pk = models.CompositePrimaryKey("post_id", "user_id")
    post_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    active = models.BooleanField(default=False, db_default=False)
    version = models.PositiveIntegerField(default=0, db_default=0)
    at = models.DateTimeField(null=True)

    class Meta:
        db_table = "trends_like"

    def __str__(self) -> str:
        return f"TrendLike {self.pk}"


class TrendComment(models.Model):
    """A comment: live when created and not deleted (a delete is a tombstone, in any order)."""

    comment_id = models.BigIntegerField(primary_key=True)
    post_id = models.BigIntegerField(default=0, db_default=0)
    author_id = models.BigIntegerField(default=0, db_default=0)
    at = models.DateTimeField(null=True)
    deleted = models.BooleanField(default=False, db_default=False)

    class Meta:
        db_table = "trends_comment"
        indexes = [models.Index(fields=["post_id", "author_id"], name="trends_comment_pair_idx")]

    def __str__(self) -> str:
        return f"TrendComment {self.pk}"


class TrendAuthor(models.Model):
    """Whether an account is hidden from trends: suspended (the newer of suspend/unsuspend, by
    `suspension_version`) or deactivated (final)."""

    user_id = models.BigIntegerField(primary_key=True)
    suspended = models.BooleanField(default=False, db_default=False)
    suspension_version = models.PositiveIntegerField(default=0, db_default=0)
    deactivated = models.BooleanField(default=False, db_default=False)

    class Meta:
        db_table = "trends_author"

    def __str__(self) -> str:
        return f"TrendAuthor {self.pk}"


class TagMinute(models.Model):
    """Uses of a tag per minute (of the posts' creation), the finest series."""

    pk = models.CompositePrimaryKey("tag", "minute")
    tag = models.CharField(max_length=100)
    minute = models.DateTimeField()
    uses = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = "trends_tag_minute"

    def __str__(self) -> str:
        return f"TagMinute {self.pk}"


class TagAccountHour(models.Model):
    """Uses of a tag by one account in one hour: the rows of a (tag, hour) are its distinct
    accounts that hour, which is what the score counts (one account counts once an hour)."""

    pk = models.CompositePrimaryKey("tag", "hour", "account_id")
    tag = models.CharField(max_length=100)
    hour = models.DateTimeField()
    account_id = models.BigIntegerField()
    uses = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = "trends_tag_account_hour"
        # The refresh scans a window of hours across all tags.
        indexes = [models.Index(fields=["hour"], name="trends_tah_hour_idx")]

    def __str__(self) -> str:
        return f"TagAccountHour {self.pk}"


class PostHour(models.Model):
    """Engagement of a post per hour: likers whose like is in that hour, and commenters whose
    first live comment on the post is (each account once per kind and post)."""

    pk = models.CompositePrimaryKey("post_id", "hour")
    post_id = models.BigIntegerField()
    hour = models.DateTimeField()
    likes = models.IntegerField(default=0, db_default=0)
    comments = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = "trends_post_hour"
        indexes = [models.Index(fields=["hour"], name="trends_post_hour_hour_idx")]

    def __str__(self) -> str:
        return f"PostHour {self.pk}"


class TagRank(models.Model):
    """The refresh job's ranking of tags for one window (rank 1 first)."""

    pk = models.CompositePrimaryKey("period", "rank")
    period = models.CharField(max_length=8, help_text="the window's name (WINDOWS)")
    rank = models.IntegerField()
    tag = models.CharField(max_length=100)
    score = models.FloatField()
    uses = models.IntegerField()
    accounts = models.IntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "trends_tag_rank"

    def __str__(self) -> str:
        return f"TagRank {self.pk}"


class PostRank(models.Model):
    """The refresh job's ranking of posts for one window (rank 1 first)."""

    pk = models.CompositePrimaryKey("period", "rank")
    period = models.CharField(max_length=8, help_text="the window's name (WINDOWS)")
    rank = models.IntegerField()
    post_id = models.BigIntegerField()
    score = models.FloatField()
    likes = models.IntegerField()
    comments = models.IntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "trends_post_rank"

    def __str__(self) -> str:
        return f"PostRank {self.pk}"


class TagHistory(models.Model):
    """The refresh job's 7-day history of every ranked tag (what Mastodon's trending Tag entities
    carry): uses and distinct accounts per UTC day, computed as of `day_of` (the refresh's date).
    Other tags' histories are computed when asked (a few tags, indexed)."""

    pk = models.CompositePrimaryKey("tag", "day")
    tag = models.CharField(max_length=100)
    day = models.DateField()
    uses = models.IntegerField()
    accounts = models.IntegerField()
    day_of = models.DateField(help_text="the UTC date of the refresh that wrote the row")

    class Meta:
        db_table = "trends_tag_history"

    def __str__(self) -> str:
        return f"TagHistory {self.pk}"
