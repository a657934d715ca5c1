"""Search state on the `read` database: what the Elasticsearch documents are derived from.

Elasticsearch has no transactions and (on the stripped distribution) no scripts, so counters and
cross-aggregate facts (like counts, hashtag counts, a deactivated author hiding older posts)
cannot be maintained safely inside it. The search projector therefore keeps this small state in
PostgreSQL, applied exactly once and under row locks, and pushes the derived documents to
Elasticsearch. `doc_version` (from one sequence, bumped on every change) is the external version
of the Elasticsearch document. What Elasticsearch has not acknowledged yet is listed in the
narrow `search_pending` table (kind, key, doc_version), written in the same statement as the
change, so that a failed push is retried by the next flush and never lost, and marking a document
synced deletes a small row instead of rewriting the (wide, GIN-indexed) state row.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class SyncedDocument(models.Model):
    doc_version = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class SearchUser(SyncedDocument):
    user_id = models.BigIntegerField(primary_key=True)
    username = models.CharField(max_length=150, null=True)  # noqa: DJ001 - null: user.registered not seen yet
    display_name = models.CharField(max_length=150, default="")
    version = models.PositiveIntegerField(default=0)  # user aggregate version applied
    deactivated = models.BooleanField(default=False)  # final: never goes back
    # Reversible: hits of a suspended user (and their posts) are filtered out at query time,
    # the documents stay. Set by the newer of user.suspended / user.unsuspended.
    suspended = models.BooleanField(default=False, db_default=False)
    suspension_version = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "search_user"

    def __str__(self) -> str:
        return f"user {self.user_id} @{self.username}"


class SearchPost(SyncedDocument):
    post_id = models.BigIntegerField(primary_key=True)
    author_id = models.BigIntegerField(null=True)
    author_username = models.CharField(max_length=150, default="")
    author_display_name = models.CharField(max_length=150, default="")
    body = models.TextField(default="")
    hashtags = ArrayField(models.CharField(max_length=100), default=list)
    mentions = ArrayField(models.CharField(max_length=150), default=list)  # lower-cased usernames
    created_at = models.DateTimeField(null=True)  # null: post.created not seen yet (placeholder)
    edited_at = models.DateTimeField(null=True)
    version = models.PositiveIntegerField(default=0)  # post aggregate version of the body
    deleted = models.BooleanField(default=False)  # final tombstone
    author_deactivated = models.BooleanField(default=False)
    like_count = models.PositiveIntegerField(default=0)
    # Fixed at creation (docs/privacy.md): the query filters on it with `author_id`
    # (socialapp.read.common.visibility.search_filter). Kept on a hidden post (structure).
    visibility = models.CharField(max_length=10, default="public", db_default="public")
    # The language its client gave (ISO 639-1, from post.created / post.edited), "" when none
    # was: the document builder then detects it (socialapp.read.search.documents). Scrubbed on
    # a hidden post, like the content it describes.
    language = models.CharField(max_length=8, default="", db_default="")
    sensitive = models.BooleanField(default=False, db_default=False)  # scrubbed on a hidden post
    # Comments counted while created, not deleted and their author active (SearchComment).
    comment_count = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "search_post"
        indexes = [
            models.Index(fields=["author_id"], name="search_post_author"),
            GinIndex(fields=["hashtags"], name="search_post_hashtags"),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id}"


class SearchLike(models.Model):
    """One row per (post, user) like aggregate: counts are recomputed from these, never +1/-1."""

    post_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    liked = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "search_like"
        constraints = [models.UniqueConstraint(fields=["post_id", "user_id"], name="search_like_uniq")]
        indexes = [models.Index(fields=["user_id"], name="search_like_user")]

    def __str__(self) -> str:
        return f"like {self.post_id}:{self.user_id}"


class SearchComment(models.Model):
    """One row per comment the search projector has seen an event of, so that comment counts
    move by state transitions (created, then deleted; both final), whatever the order: a
    comment.deleted applied before its comment.created leaves `deleted` set and the creation
    then counts for nothing. A comment counts towards its post while created, not deleted and
    its author not deactivated (as read_post.comment_count in the feeds does); the author is
    kept for the deactivation, which takes the author's counted comments off their posts.
    No version column: both flags only ever go from false to true, and comment edits change
    nothing that search holds. Comments themselves are not indexed (yet)."""

    comment_id = models.BigIntegerField(primary_key=True)
    post_id = models.BigIntegerField()
    author_id = models.BigIntegerField(null=True)
    created = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)

    class Meta:
        db_table = "search_comment"
        indexes = [models.Index(fields=["author_id"], name="search_comment_author")]

    def __str__(self) -> str:
        return f"comment {self.comment_id} on post {self.post_id}"


class SearchHashtag(SyncedDocument):
    tag = models.CharField(max_length=100, primary_key=True)
    post_count = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "search_hashtag"

    def __str__(self) -> str:
        return f"#{self.tag}"


class SearchPending(models.Model):
    """A document whose latest change Elasticsearch has not acknowledged: (kind, key) at
    `doc_version`. Upserted by the projector in the statement that changes the state row; deleted
    by the flush once Elasticsearch acknowledged that version (a newer change keeps it)."""

    pk = models.CompositePrimaryKey("kind", "key")
    kind = models.CharField(max_length=8)  # posts | users | hashtags
    key = models.CharField(max_length=100)  # the document id
    doc_version = models.BigIntegerField()

    class Meta:
        db_table = "search_pending"

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}@{self.doc_version}"
