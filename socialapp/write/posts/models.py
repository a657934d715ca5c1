"""Posts and likes of the write model. Written only by socialapp.write.posts.services.

Deletion is soft (`deleted_at`): the row keeps its aggregate version and history, and a deleted
post's comments and likes are dead with it (commands refuse them; `post.deleted` tells the read
models to drop them) without their rows being touched.
"""

from django.conf import settings
from django.db import models

from socialapp.common.ids import NextId
from socialapp.common.languages import MAX_LENGTH as LANGUAGE_MAX_LENGTH
from socialapp.common.text import SPOILER_MAX_LENGTH
from socialapp.common.visibility import MAX_LENGTH as VISIBILITY_MAX_LENGTH
from socialapp.common.visibility import VALUES as VISIBILITIES
from socialapp.events.catalogue import AggregateType
from socialapp.write.common.models import Aggregate

IDEMPOTENCY_KEY_MAX_LENGTH = 255
VISIBILITY_CHOICES = [(v, v) for v in VISIBILITIES]


class Post(Aggregate):
    aggregate_type = AggregateType.POST

    id = models.BigIntegerField(primary_key=True, db_default=NextId(), editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    body = models.TextField()
    hashtags = models.JSONField(default=list, blank=True)
    # [{"user_id": .., "username": ..}] as resolved when the body was last written.
    mentions = models.JSONField(default=list, blank=True)
    # A content warning (Mastodon's `spoiler_text`, blank for none) and the sensitive flag;
    # cleaned by the services with the body's text rules (socialapp.common.text).
    spoiler_text = models.CharField(max_length=SPOILER_MAX_LENGTH, blank=True, default="", db_default="")
    sensitive = models.BooleanField(default=False, db_default=False)
    # Who may see it (docs/privacy.md): fixed at creation, never changed by an edit.
    visibility = models.CharField(
        max_length=VISIBILITY_MAX_LENGTH, choices=VISIBILITY_CHOICES, default="public", db_default="public"
    )
    # The language the client says it is written in (ISO 639-1, lower-case, checked by the
    # services against socialapp.common.languages; "" = not given): search stems in it.
    language = models.CharField(max_length=LANGUAGE_MAX_LENGTH, blank=True, default="", db_default="")
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "posts_post"
        indexes = [models.Index(fields=["author", "id"], name="posts_post_author_id_idx")]

    def __str__(self) -> str:
        return f"post {self.id} by {self.author_id}"


class Like(Aggregate):
    """The like aggregate ("<post_id>:<user_id>"). The row outlives an unlike (`active=False`)
    so that its version keeps counting across like/unlike/like."""

    aggregate_type = AggregateType.LIKE

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="likes")
    active = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "posts_like"
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="posts_like_post_user_uniq")]

    def __str__(self) -> str:
        return f"like {self.aggregate_id} ({'active' if self.active else 'inactive'})"

    @property
    def aggregate_id(self) -> str:
        return f"{self.post_id}:{self.user_id}"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` for a status it created (POST /api/v1/statuses): a retry with
    the same key by the same user answers that status instead of creating another one.

    Written in the transaction that creates the status (socialapp.write.statuses), so a key
    exists exactly when its status does. Credentials-like bookkeeping, not domain state: no
    event. Keys live an hour, Mastodon's window (pruned on write and by a periodic task);
    `status_id` is null only inside the creating transaction, before the status has its id."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    status_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "posts_idempotency_key"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="posts_idempotency_user_key_uniq")]
        indexes = [models.Index(fields=["created_at"], name="posts_idempotency_created_idx")]

    def __str__(self) -> str:
        return f"idempotency key of {self.user_id} -> {self.status_id}"
