"""Posts, comments and likes as read, hashtag timelines, and home feeds.

Two projectors own these tables: `posts` (content, counts, tags) and `home_feed` (fan-out).
Each keeps its own copy of the facts it needs (authors, follows) so that either can be rebuilt
alone. Rows may be placeholders (version 0) or tombstones (deleted) so that an event arriving
before or after its aggregate's other events never resurrects anything.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Now


class PostAuthor(models.Model):
    """The posts projector's view of a user: display name (by version) and deactivation."""

    user_id = models.BigIntegerField(primary_key=True)
    username = models.CharField(max_length=150, default="")
    display_name = models.CharField(max_length=50, default="")
    version = models.PositiveIntegerField(default=0)
    deactivated = models.BooleanField(default=False)
    # Reversible hiding (user.suspended / user.unsuspended): queries filter on it, nothing is
    # scrubbed, so lifting it shows everything as before. Set by the newer of the two events.
    suspended = models.BooleanField(default=False, db_default=False)
    suspension_version = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "read_post_author"

    def __str__(self) -> str:
        return f"PostAuthor {self.pk}"


class ReadPost(models.Model):
    post_id = models.BigIntegerField(primary_key=True)
    author_id = models.BigIntegerField(default=0)
    author_username = models.CharField(max_length=150, default="")
    author_display_name = models.CharField(max_length=50, default="")
    body = models.TextField(default="")
    hashtags = ArrayField(models.CharField(max_length=100), default=list)
    mentions = models.JSONField(default=list)
    created_at = models.DateTimeField(null=True)
    edited_at = models.DateTimeField(null=True)
    like_count = models.IntegerField(default=0)
    comment_count = models.IntegerField(default=0)
    # A content warning and the sensitive flag (Mastodon's spoiler_text and sensitive).
    spoiler_text = models.CharField(max_length=500, default="", db_default="")
    sensitive = models.BooleanField(default=False, db_default=False)
    # The ISO 639-1 code its client gave (`post.created`/`post.edited`; "" = none, and for events
    # from before posts had one): Mastodon's Status `language`.
    language = models.CharField(max_length=8, default="", db_default="")
    version = models.PositiveIntegerField(default=0)  # 0 = placeholder, not shown
    deleted = models.BooleanField(default=False)
    author_deactivated = models.BooleanField(default=False)
    # Who may see it (socialapp.read.common.visibility, docs/privacy.md): public, unlisted,
    # followers or direct, fixed at creation; `audience_ids` are the users it addresses beyond
    # the visibility (those it mentions), who see a followers-only or direct post.
    visibility = models.CharField(max_length=10, default="public", db_default="public")
    audience_ids = ArrayField(models.BigIntegerField(), default=list, db_default="{}")

    class Meta:
        db_table = "read_post"
        indexes = [models.Index(fields=["author_id", "-post_id"], name="read_post_author_idx")]

    def __str__(self) -> str:
        return f"ReadPost {self.pk}"


class ReadComment(models.Model):
    comment_id = models.BigIntegerField(primary_key=True)
    post_id = models.BigIntegerField(default=0)
    author_id = models.BigIntegerField(default=0)
    author_username = models.CharField(max_length=150, default="")
    author_display_name = models.CharField(max_length=50, default="")
    body = models.TextField(default="")
    mentions = models.JSONField(default=list)
    created_at = models.DateTimeField(null=True)
    edited_at = models.DateTimeField(null=True)
    # The comment this one answers (null: it answers the post) and whose that is, as the
    # command side recorded them (a reply's `in_reply_to_id` in the Mastodon API).
    in_reply_to_id = models.BigIntegerField(null=True)
    in_reply_to_account_id = models.BigIntegerField(null=True)
    spoiler_text = models.CharField(max_length=500, default="", db_default="")
    sensitive = models.BooleanField(default=False, db_default=False)
    version = models.PositiveIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    author_deactivated = models.BooleanField(default=False)
    # At least as restricted as its post's (the command side decides, `comment.created` carries
    # it); `audience_ids`: the users it mentions, the post's author and the answered comment's.
    visibility = models.CharField(max_length=10, default="public", db_default="public")
    audience_ids = ArrayField(models.BigIntegerField(), default=list, db_default="{}")
    # The post's author as `comment.created` said (0: not seen yet): part of the audience, kept
    # so that an edit's new mentions recompute the audience without the post's row.
    post_author_id = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "read_comment"
        indexes = [
            models.Index(fields=["post_id", "comment_id"], name="read_comment_post_idx"),
            # An account's replies, newest first, paged by id (Mastodon's account statuses).
            models.Index(fields=["author_id", "-comment_id"], name="read_comment_author_idx"),
        ]

    def __str__(self) -> str:
        return f"ReadComment {self.pk}"


class ReadLike(models.Model):
    pk = models.CompositePrimaryKey("post_id", "user_id")
    post_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    # The log position of the event that set the like's current state: one integer per like,
    # newer likes higher, a re-like moves to the top, the same in every order of arrival (it
    # comes from the event). It stands in for Mastodon's favourite id (GET /api/v1/favourites).
    position = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "read_like"
        indexes = [
            models.Index(fields=["user_id"], name="read_like_user_idx"),
            # A user's active likes, newest first: every favourites cursor is one range scan.
            models.Index(
                fields=["user_id", "-position"], name="read_like_user_pos_idx", condition=models.Q(active=True)
            ),
        ]

    def __str__(self) -> str:
        return f"ReadLike {self.pk}"


class StatusVersion(models.Model):
    """One version of a post's or comment's content (Mastodon's status edit history): the
    original (from `*.created`) and each edit (`*.edited`), keyed by the event's aggregate
    version, so a repeated event adds nothing and any arrival order leaves the same rows. A hidden
    status (deleted, its post deleted, its author deactivated) keeps none: the posts projector
    erases them with the status's content, and a late create or edit adds none back."""

    pk = models.CompositePrimaryKey("status_id", "version")
    status_id = models.BigIntegerField()
    version = models.PositiveIntegerField()
    body = models.TextField(default="")
    spoiler_text = models.CharField(max_length=500, default="")
    sensitive = models.BooleanField(default=False)
    mentions = models.JSONField(default=list)
    # A post version's hashtags as its event carried them; null for a comment (parsed from the body).
    hashtags = ArrayField(models.CharField(max_length=100), null=True)
    created_at = models.DateTimeField()  # when this version was written (creation or edit time)

    class Meta:
        db_table = "read_status_version"

    def __str__(self) -> str:
        return f"StatusVersion {self.pk}"


class PostTag(models.Model):
    """Hashtag timeline: (tag, post) pairs; visibility is re-checked on read_post when serving."""

    pk = models.CompositePrimaryKey("tag", "post_id")
    tag = models.CharField(max_length=100)
    post_id = models.BigIntegerField()

    class Meta:
        db_table = "read_post_tag"
        indexes = [models.Index(fields=["post_id"], name="read_post_tag_post_idx")]

    def __str__(self) -> str:
        return f"PostTag {self.pk}"


# ----------------------------------------------------------------------------- home feeds


class FeedAuthor(models.Model):
    user_id = models.BigIntegerField(primary_key=True)
    follower_count = models.IntegerField(default=0)
    deactivated = models.BooleanField(default=False)
    # Set once the author has a post left to the read-time merge: readers probe only these few.
    has_unfanned = models.BooleanField(default=False)

    class Meta:
        db_table = "feed_author"
        indexes = [
            models.Index(fields=["user_id"], name="feed_author_unfanned_idx", condition=models.Q(has_unfanned=True))
        ]

    def __str__(self) -> str:
        return f"FeedAuthor {self.pk}"


class FeedFollow(models.Model):
    pk = models.CompositePrimaryKey("followee_id", "follower_id")
    followee_id = models.BigIntegerField()
    follower_id = models.BigIntegerField()
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "feed_follow"
        indexes = [models.Index(fields=["follower_id", "followee_id"], name="feed_follow_follower_idx")]

    def __str__(self) -> str:
        return f"FeedFollow {self.pk}"


class FeedPost(models.Model):
    """A post as fan-out sees it. `fanned_out` false = left to the read-time merge (the author
    had more followers than FEED_CELEBRITY_THRESHOLD when posting)."""

    post_id = models.BigIntegerField(primary_key=True)
    author_id = models.BigIntegerField(default=0)
    fanned_out = models.BooleanField(default=True)
    deleted = models.BooleanField(default=False)
    # Who the post is delivered to (docs/read-models.md, "Fan-out by visibility"), from its
    # `post.created`: followers unless `direct`; the users it mentions too when `followers` or
    # `direct` (whether or not they follow).
    visibility = models.CharField(max_length=10, default="public", db_default="public")
    audience_ids = ArrayField(models.BigIntegerField(), default=list, db_default="{}")
    # When this row was written (statement time): the read-time merge's half of a resume
    # (`?since=`, socialapp.read.feeds.resume) finds posts the projector applied late by it.
    added_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "feed_post"
        indexes = [
            # The posts addressed to a reader (regeneration, rebuild): `audience_ids @> ARRAY[r]`.
            GinIndex(
                fields=["audience_ids"],
                name="feed_post_audience_idx",
                condition=models.Q(visibility="followers") | models.Q(visibility="direct"),
            ),
            models.Index(fields=["author_id", "-post_id"], name="feed_post_author_idx"),
            models.Index(
                fields=["author_id", "-post_id"],
                name="feed_post_unfanned_idx",
                condition=models.Q(fanned_out=False, deleted=False),
            ),
        ]

    def __str__(self) -> str:
        return f"FeedPost {self.pk}"


class FeedEntry(models.Model):
    """One row per (reader, post): a home feed page is one range scan of the primary key."""

    pk = models.CompositePrimaryKey("reader_id", "post_id")
    reader_id = models.BigIntegerField()
    post_id = models.BigIntegerField()
    author_id = models.BigIntegerField()
    # When the entry was written (statement time), not when its post was: a chunked fan-out or a
    # late projection adds an older post after newer ones were pushed, and a resume (`?since=`,
    # socialapp.read.feeds.resume) must return it even though its id is below `since`.
    added_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "feed_entry"
        indexes = [models.Index(fields=["post_id"], name="feed_entry_post_idx")]

    def __str__(self) -> str:
        return f"FeedEntry {self.pk}"


class FanoutJob(models.Model):
    """A chunk of one post's fan-out (followers with after < id <= upto). Written in the same
    transaction as the post's event; deleted in the same transaction as the chunk's inserts, so
    a lost task message is found again by `resend_stale_jobs`."""

    id = models.BigAutoField(primary_key=True)
    post_id = models.BigIntegerField()
    author_id = models.BigIntegerField()
    after_follower = models.BigIntegerField()
    upto_follower = models.BigIntegerField(null=True)  # null: open-ended last chunk
    created_at = models.DateTimeField(auto_now_add=True)
    # The post.created event the chunk's push names (id, log position, time); null on jobs written
    # before pushes existed (those push nothing).
    event_id = models.UUIDField(null=True)
    event_position = models.BigIntegerField(null=True)
    occurred_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "feed_fanout_job"

    def __str__(self) -> str:
        return f"FanoutJob {self.pk}"
