"""Every event type and aggregate type there is. docs/events.md describes each payload."""

from enum import StrEnum


class AggregateType(StrEnum):
    USER = "user"
    POST = "post"
    COMMENT = "comment"
    LIKE = "like"  # one aggregate per (post, user): liked/unliked alternate its versions
    FOLLOW = "follow"  # one aggregate per (follower, followee)
    BLOCK = "block"  # one aggregate per (blocker, blocked): blocked/unblocked alternate
    MUTE = "mute"  # one aggregate per (muter, muted): muted (again, with new options)/unmuted
    FOLLOW_REQUEST = "follow_request"  # one per (follower, followee): requested, then one ending
    REPORT = "report"  # one per report: filed, then resolved


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
    USER_BLOCKED = "user.blocked"
    USER_UNBLOCKED = "user.unblocked"
    USER_MUTED = "user.muted"
    USER_UNMUTED = "user.unmuted"
    FOLLOW_REQUESTED = "follow.requested"
    FOLLOW_REQUEST_APPROVED = "follow.request_approved"
    FOLLOW_REQUEST_REJECTED = "follow.request_rejected"
    FOLLOW_REQUEST_WITHDRAWN = "follow.request_withdrawn"
    REPORT_FILED = "report.filed"
    REPORT_RESOLVED = "report.resolved"


ALL_EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)
