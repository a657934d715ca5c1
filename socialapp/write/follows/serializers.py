"""Output shape of the follow commands (they take no body). Ids are strings in JSON."""

from typing import Any

from rest_framework import serializers


class FollowOut(serializers.Serializer):
    follower_id = serializers.CharField()
    followee_id = serializers.CharField()
    followee_username = serializers.CharField()
    following = serializers.BooleanField()
    requested = serializers.BooleanField(
        help_text="true when the followee is locked: a follow request awaits its approval (following is false)"
    )


def follow_out(*, follower_id: int, followee_id: int, followee_username: str, requested: bool) -> dict[str, Any]:
    """`FollowOut({...}).data`, built directly (as `post_out`): every follow answers with it, and the
    serializer instance deep-copied its five fields per request (tests/write/test_post_out.py)."""
    return {
        "follower_id": str(follower_id),
        "followee_id": str(followee_id),
        "followee_username": str(followee_username),
        "following": not requested,
        "requested": requested,
    }
