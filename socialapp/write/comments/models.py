"""Comments of the write model. Written only by socialapp.write.comments.services."""

from django.conf import settings
from django.db import models

from socialapp.common.ids import NextId
from socialapp.common.text import SPOILER_MAX_LENGTH
from socialapp.events.catalogue import AggregateType
from socialapp.write.common.models import Aggregate
from socialapp.write.posts.models import VISIBILITY_CHOICES, VISIBILITY_MAX_LENGTH


class Comment(Aggregate):
    aggregate_type = AggregateType.COMMENT

    id = models.BigIntegerField(primary_key=True, db_default=NextId(), editable=False)
    post = models.ForeignKey("posts.Post", on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField()
    mentions = models.JSONField(default=list, blank=True)
    # The comment this one answers (null: it answers the post): a comment of the same post that
    # was live when this one was written (socialapp.write.comments.services). Never changes.
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies", db_index=False
    )
    # Content warning and sensitive flag, as on posts.
    spoiler_text = models.CharField(max_length=SPOILER_MAX_LENGTH, blank=True, default="", db_default="")
    sensitive = models.BooleanField(default=False, db_default=False)
    # At least as restricted as its post's (docs/privacy.md); fixed at creation.
    visibility = models.CharField(
        max_length=VISIBILITY_MAX_LENGTH, choices=VISIBILITY_CHOICES, default="public", db_default="public"
    )
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "comments_comment"
        indexes = [models.Index(fields=["post", "id"], name="comments_post_id_idx")]

    def __str__(self) -> str:
        return f"comment {self.id} on {self.post_id}"
