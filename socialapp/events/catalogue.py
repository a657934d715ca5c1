"""Every event type and aggregate type there is. docs/events.md describes each payload."""

from enum import StrEnum


class AggregateType(StrEnum):
    USER = "user"
    POST = "post"
    COMMENT = "comment"
    LIKE = "like"  # one aggregate per (post, user): liked/unliked alternate its versions
    FOLLOW = "follow"  # one aggregate per (follower, followee)


class EventType(StrEnum):
    USER_REGISTERED = "user.registered"
    PROFILE_UPDATED = "profile.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_SUSPENDED = "user.suspended"
    USER_UNSUSPENDED = "user.unsuspended"
    POST_CREATED = "post.created"
    POST_EDITED = "post.edited"
    POST_DELETED = "post.deleted"
    COMMENT_CREATED = "comment.created"
    COMMENT_EDITED = "comment.edited"
    COMMENT_DELETED = "comment.deleted"
    POST_LIKED = "post.liked"
    POST_UNLIKED = "post.unliked"
    USER_FOLLOWED = "user.followed"
    USER_UNFOLLOWED = "user.unfollowed"


ALL_EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)
