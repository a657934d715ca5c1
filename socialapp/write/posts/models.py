"""Posts and likes of the write model. Written only by socialapp.write.posts.services.

Deletion is soft (`deleted_at`): the row keeps its aggregate version and history, and a deleted
post's comments and likes are dead with it (commands refuse them; `post.deleted` tells the read
models to drop them) without their rows being touched.
"""

from django.conf import settings
from django.db import models

from socialapp.common.ids import NextId
from socialapp.events.catalogue import AggregateType
from socialapp.write.common.models import Aggregate


class Post(Aggregate):
    aggregate_type = AggregateType.POST

    id = models.BigIntegerField(primary_key=True, db_default=NextId(), editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    body = models.TextField()
    hashtags = models.JSONField(default=list, blank=True)
    # [{"user_id": .., "username": ..}] as resolved when the body was last written.
    mentions = models.JSONField(default=list, blank=True)
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
