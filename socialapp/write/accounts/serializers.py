"""Input and output shapes of the account commands. Ids are strings in JSON."""

from rest_framework import serializers


class RegisterIn(serializers.Serializer):
    # Lengths and alphabets are checked by the service (one rule, one place); these only type.
    username = serializers.CharField(trim_whitespace=False)
    email = serializers.CharField()
    # Bounded so that hashing cannot be turned into a denial of service.
    password = serializers.CharField(trim_whitespace=False, write_only=True, max_length=1024)
    display_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    bio = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(trim_whitespace=False, max_length=1024)
    label = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="your name for this session (e.g. 'laptop')"
    )


class PasswordIn(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, max_length=1024)
    new_password = serializers.CharField(trim_whitespace=False, max_length=1024)


class ProfileIn(serializers.Serializer):
    display_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    bio = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give display_name, bio or both.")
        return attrs


class AccountOut(serializers.Serializer):
    """The account as the command side knows it (its owner's view: e-mail included)."""

    id = serializers.CharField()
    username = serializers.CharField()
    email = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
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
    current = serializers.BooleanField(help_text="the session of this request")


class SessionListOut(serializers.Serializer):
    results = SessionOut(many=True)
