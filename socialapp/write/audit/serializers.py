"""Input and output of the audit routes (explicit fields, for the OpenAPI document).

Events are shown as the log has them (`Event.as_message`, the form the bus carries and
`manage.py events export` writes): their payloads hold no private data by rule
(docs/events.md, "What the log keeps and why"), so a staff reader sees nothing the log itself
would not hold. Ids inside payloads and states are JSON numbers, as in the log.
"""

from rest_framework import serializers

from socialapp.common.fields import StrictCharField
from socialapp.common.pagination import CURSOR_MAX_LENGTH
from socialapp.events.catalogue import AggregateType, EventType
from socialapp.write.audit.history import AS_OF_MAX_LENGTH


class AggregateEventsIn(serializers.Serializer):
    limit = StrictCharField(required=False, max_length=8, help_text="1..100, default 20")
    cursor = StrictCharField(required=False, max_length=CURSOR_MAX_LENGTH, help_text="`next` of the previous page")


class AsOfIn(serializers.Serializer):
    as_of = StrictCharField(
        required=False,
        max_length=AS_OF_MAX_LENGTH,
        help_text="a version of the aggregate (1, 2, ...) or an ISO-8601 time (UTC if no offset); absent: now",
    )


class LogEventOut(serializers.Serializer):
    position = serializers.IntegerField(help_text="global position in the log")
    event_id = serializers.UUIDField()
    event_type = serializers.ChoiceField(choices=[t.value for t in EventType])
    aggregate_type = serializers.ChoiceField(choices=[t.value for t in AggregateType])
    aggregate_id = serializers.CharField(help_text="an id, or `<a>:<b>` for a pair aggregate")
    aggregate_version = serializers.IntegerField()
    actor_id = serializers.IntegerField(allow_null=True, help_text="who issued the command")
    occurred_at = serializers.DateTimeField()
    schema_version = serializers.IntegerField()
    payload = serializers.JSONField(help_text="as in docs/events.md")


class AggregateEventsPageOut(serializers.Serializer):
    results = LogEventOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="cursor of the next page; null on the last page")


class ProfileAsOfOut(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    bio = serializers.CharField(allow_blank=True)
    locked = serializers.BooleanField()
    deactivated = serializers.BooleanField()
    suspended = serializers.BooleanField()
    follower_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    post_count = serializers.IntegerField()


class AggregateStateOut(serializers.Serializer):
    aggregate_type = serializers.ChoiceField(choices=[t.value for t in AggregateType])
    aggregate_id = serializers.CharField()
    version = serializers.IntegerField(help_text="the version folded up to")
    occurred_at = serializers.DateTimeField(help_text="when that version's event occurred")
    latest_version = serializers.IntegerField()
    state = serializers.JSONField(
        help_text="the aggregate as the replay folds it (socialapp/write/replay.py): the write model's "
        "fields, its deleted/deactivated/active flag and version"
    )
    profile = ProfileAsOfOut(
        allow_null=True, help_text="users only: the profile as it read then, counts included; null otherwise"
    )


class ProblemOut(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
