from rest_framework import serializers


class ProfileOut(serializers.Serializer):
    id = serializers.CharField(source="user_id")
    username = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    registered_at = serializers.DateTimeField()
    follower_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    post_count = serializers.IntegerField()


class PublicProfileOut(ProfileOut):
    followed_by_me = serializers.BooleanField(help_text="whether you follow them (false when anonymous)")
    follows_me = serializers.BooleanField(help_text="whether they follow you (false when anonymous)")
    blocking = serializers.BooleanField(help_text="whether you block them (false when anonymous)")
    blocked_by = serializers.BooleanField(help_text="whether they block you (false when anonymous)")
    muting = serializers.BooleanField(help_text="whether you mute them, unexpired (false when anonymous)")
    requested = serializers.BooleanField(help_text="whether your request to follow them is pending")


class MeOut(ProfileOut):
    email = serializers.CharField(help_text="private: only ever served to its owner, here")


class FollowListItemOut(ProfileOut):
    since = serializers.DateTimeField(help_text="when this follow began")


class FollowPageOut(serializers.Serializer):
    results = FollowListItemOut(many=True)
    next = serializers.CharField(allow_null=True)
