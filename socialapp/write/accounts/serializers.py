"""Input and output shapes of the account commands. Ids are strings in JSON."""

from rest_framework import serializers

from socialapp.common.fields import (
    StrictBooleanField,
    StrictCharField,
    clean_text_field,
    documented_as,
    plain_text_field,
)
from socialapp.common.text import USERNAME_PATTERN
from socialapp.write.accounts.services import BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX

# Exact lengths and alphabets are checked by the service (one rule, one place); these fields
# take JSON strings only and cap the raw input (socialapp.common.fields).
USERNAME_INPUT_MAX = 150  # the column's length (a login names any account)
USERNAME_MAX = 30  # a new account's (USERNAME_PATTERN, which the service checks)
PASSWORD_INPUT_MAX = 1024  # so that hashing cannot be turned into a denial of service


class RegisterIn(serializers.Serializer):
    username = documented_as(
        StrictCharField(trim_whitespace=False, max_length=USERNAME_MAX),
        {"type": "string", "minLength": 3, "maxLength": 30, "pattern": f"^{USERNAME_PATTERN}$"},
    )
    email = documented_as(
        StrictCharField(max_length=EMAIL_MAX), {"type": "string", "format": "email", "maxLength": EMAIL_MAX}
    )
    # Django's AUTH_PASSWORD_VALIDATORS: at least 8 characters (the rest, not too common, not all
    # digits, not like the username, no schema can state: a 400 naming `password`).
    password = documented_as(
        StrictCharField(trim_whitespace=False, write_only=True, max_length=PASSWORD_INPUT_MAX),
        {"type": "string", "writeOnly": True, "minLength": 8, "maxLength": PASSWORD_INPUT_MAX},
    )
    display_name = clean_text_field(DISPLAY_NAME_MAX, multiline=False, required=False)
    bio = clean_text_field(BIO_MAX, required=False)


class TokenIn(serializers.Serializer):
    username = plain_text_field(USERNAME_INPUT_MAX)
    password = plain_text_field(PASSWORD_INPUT_MAX, trim_whitespace=False)
    label = plain_text_field(
        100, required=False, allow_blank=True, help_text="your name for this session (e.g. 'laptop')"
    )


class PasswordIn(serializers.Serializer):
    old_password = plain_text_field(PASSWORD_INPUT_MAX, trim_whitespace=False)
    new_password = plain_text_field(PASSWORD_INPUT_MAX, trim_whitespace=False)


class ProfileIn(serializers.Serializer):
    display_name = clean_text_field(DISPLAY_NAME_MAX, multiline=False, required=False)
    bio = clean_text_field(BIO_MAX, required=False)
    locked = StrictBooleanField(
        required=False, help_text="true: you approve your followers (a follow becomes a follow request)"
    )

    # The OpenAPI document states `validate`'s rule (socialapp/common/constraints.py).
    schema_constraints = {"minProperties": 1}

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
