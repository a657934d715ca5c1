"""Input and output shapes of the account commands. Ids are strings in JSON."""

from rest_framework import serializers

from socialapp.common.fields import StrictBooleanField, StrictCharField
from socialapp.common.text import raw_input_cap
from socialapp.write.accounts.services import BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX

# Exact lengths and alphabets are checked by the service (one rule, one place); these fields
# take JSON strings only and cap the raw input (socialapp.common.fields).
USERNAME_INPUT_MAX = 150  # the column's length; the service allows 3 to 30
PASSWORD_INPUT_MAX = 1024  # so that hashing cannot be turned into a denial of service


class RegisterIn(serializers.Serializer):
    username = StrictCharField(trim_whitespace=False, max_length=USERNAME_INPUT_MAX)
    email = StrictCharField(max_length=EMAIL_MAX)
    password = StrictCharField(trim_whitespace=False, write_only=True, max_length=PASSWORD_INPUT_MAX)
    display_name = StrictCharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=raw_input_cap(DISPLAY_NAME_MAX)
    )
    bio = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=raw_input_cap(BIO_MAX))


class TokenIn(serializers.Serializer):
    username = StrictCharField(max_length=USERNAME_INPUT_MAX)
    password = StrictCharField(trim_whitespace=False, max_length=PASSWORD_INPUT_MAX)
    label = StrictCharField(
        required=False, allow_blank=True, max_length=100, help_text="your name for this session (e.g. 'laptop')"
    )


class PasswordIn(serializers.Serializer):
    old_password = StrictCharField(trim_whitespace=False, max_length=PASSWORD_INPUT_MAX)
    new_password = StrictCharField(trim_whitespace=False, max_length=PASSWORD_INPUT_MAX)


class ProfileIn(serializers.Serializer):
    display_name = StrictCharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=raw_input_cap(DISPLAY_NAME_MAX)
    )
    bio = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=raw_input_cap(BIO_MAX))
    locked = StrictBooleanField(
        required=False, help_text="true: you approve your followers (a follow becomes a follow request)"
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give display_name, bio, locked or several.")
        return attrs


class AccountOut(serializers.Serializer):
    """The account as the command side knows it (its owner's view: e-mail included)."""

    id = serializers.CharField()
    username = serializers.CharField()
    email = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    locked = serializers.BooleanField()
    is_moderator = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    suspended_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class RegisteredOut(AccountOut):
    token = serializers.CharField()


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    user_id = serializers.CharField()
    username = serializers.CharField()


class SessionOut(serializers.Serializer):
    """A session (login) of yours; never its token, which only the client holds."""

    id = serializers.CharField()
    label = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    scope = serializers.CharField(help_text="what it may do: OAuth scopes, space-separated (docs/oauth.md)")
    current = serializers.BooleanField(help_text="the session of this request")


class SessionListOut(serializers.Serializer):
    results = SessionOut(many=True)
