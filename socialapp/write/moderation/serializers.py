"""Input and output shapes of the report command. Ids are strings in JSON."""

from rest_framework import serializers

from socialapp.common.fields import StrictCharField, StrictRegexField
from socialapp.common.text import USERNAME_PATTERN, raw_input_cap
from socialapp.write.moderation.models import COMMENT_MAX_LENGTH, POST_IDS_MAX, Category

ID_PATTERN = r"^[0-9]{1,19}$"


class ReportIn(serializers.Serializer):
    """Whom to report (by `username`, as our paths name users, or by `user_id`: exactly one),
    which of their posts, why. The comment is for the moderators only."""

    username = StrictRegexField(rf"^{USERNAME_PATTERN}$", max_length=30, required=False)
    user_id = StrictRegexField(ID_PATTERN, max_length=19, required=False)
    post_ids = serializers.ListField(
        child=StrictRegexField(ID_PATTERN, max_length=19), max_length=POST_IDS_MAX, required=False, default=list
    )
    category = serializers.ChoiceField(choices=Category.values, required=False, default=Category.OTHER)
    comment = StrictCharField(
        trim_whitespace=False,
        allow_blank=True,
        required=False,
        default="",
        max_length=raw_input_cap(COMMENT_MAX_LENGTH),
        help_text=f"why (at most {COMMENT_MAX_LENGTH} characters); seen by moderators only",
    )

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
