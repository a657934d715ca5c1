"""Input and output shapes of the report command. Ids are strings in JSON, 1 to 2^63-1 without a
leading zero (pagination.ID_PATTERN): the schema promises exactly what the service accepts (a
bare `[0-9]{1,19}` promised `"0"`, which the service refuses)."""

from rest_framework import serializers

from socialapp.common.fields import StrictRegexField, clean_text_field
from socialapp.common.pagination import ID_PATTERN
from socialapp.common.text import USERNAME_PATTERN
from socialapp.write.moderation.models import COMMENT_MAX_LENGTH, POST_IDS_MAX, Category


class ReportIn(serializers.Serializer):
    """Whom to report (by `username`, as our paths name users, or by `user_id`: exactly one),
    which of their posts, why. The comment is for the moderators only."""

    username = StrictRegexField(rf"^{USERNAME_PATTERN}$", max_length=30, required=False)
    user_id = StrictRegexField(ID_PATTERN, max_length=19, required=False)
    post_ids = serializers.ListField(
        child=StrictRegexField(ID_PATTERN, max_length=19), max_length=POST_IDS_MAX, required=False, default=list
    )
    category = serializers.ChoiceField(choices=Category.values, required=False, default=Category.OTHER)
    comment = clean_text_field(
        COMMENT_MAX_LENGTH,
        required=False,
        default="",
        help_text=f"why (at most {COMMENT_MAX_LENGTH} characters); seen by moderators only",
    )

    # The OpenAPI document states `validate`'s rule (socialapp/common/constraints.py).
    schema_constraints = {
        "oneOf": [
            {"required": ["username"], "not": {"required": ["user_id"]}},
            {"required": ["user_id"], "not": {"required": ["username"]}},
        ]
    }

    def validate(self, attrs: dict) -> dict:
        if ("username" in attrs) == ("user_id" in attrs):
            raise serializers.ValidationError({"username": ["Give exactly one of username and user_id."]})
        return attrs


class ReportOut(serializers.Serializer):
    id = serializers.CharField()
    target_id = serializers.CharField()
    post_ids = serializers.ListField(child=serializers.CharField())
    category = serializers.ChoiceField(choices=Category.values)
    state = serializers.ChoiceField(choices=["open", "resolved"])
    created_at = serializers.DateTimeField()
