"""Indexes for the audit trail's lookups by payload (socialapp/write/audit/history.py): a user's
posts (`post.created` by `author_id`) and the follows on either side of them, to fold a user's
profile as it read at a past time. Partial: only those events carry them. Built CONCURRENTLY
(outside a transaction) so that a large log keeps taking appends while they build; measured in
docs/analytics.md, "Audit trail and past state"."""

import django.db.models.fields.json
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("events", "0004_event_outbox"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="event",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("author_id", "payload"),
                condition=models.Q(("event_type", "post.created")),
                name="event_log_post_author_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="event",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("follower_id", "payload"),
                condition=models.Q(("aggregate_type", "follow")),
                name="event_log_follower_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="event",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("followee_id", "payload"),
                condition=models.Q(("aggregate_type", "follow")),
                name="event_log_followee_idx",
            ),
        ),
    ]
