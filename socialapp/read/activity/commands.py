"""Which command an event stands for, for the dashboard's "commands per minute by type".

A command is one transaction of the command side, but the log carries no transaction id, so the
projector cannot group a transaction's events. Instead each event type is mapped to the command
that appends it as its main effect (`post.created` -> `post`, `post.liked` -> `like`, ...). Most
commands append exactly one event, so this counts them exactly. The exceptions, counted once per
event they append: a block also ends the follows and follow requests between the two accounts
(counted as `block` plus an `unfollow` or `withdraw_follow_request`/`reject_follow_request` per
relation ended), and approving a follow request also appends `user.followed` (counted as
`approve_follow_request` plus `follow`). docs/analytics.md, "The dashboard".
"""

from __future__ import annotations

from socialapp.events.catalogue import ALL_EVENT_TYPES, EventType

COMMAND_OF: dict[str, str] = {
    EventType.USER_REGISTERED: "register",
    EventType.PROFILE_UPDATED: "update_profile",
    EventType.USER_DEACTIVATED: "deactivate",
    EventType.USER_SUSPENDED: "suspend",
    EventType.USER_UNSUSPENDED: "unsuspend",
    EventType.POST_CREATED: "post",
    EventType.POST_EDITED: "edit_post",
    EventType.POST_DELETED: "delete_post",
    EventType.COMMENT_CREATED: "comment",
    EventType.COMMENT_EDITED: "edit_comment",
    EventType.COMMENT_DELETED: "delete_comment",
    EventType.POST_LIKED: "like",
    EventType.POST_UNLIKED: "unlike",
    EventType.USER_FOLLOWED: "follow",
    EventType.USER_UNFOLLOWED: "unfollow",
    EventType.USER_BLOCKED: "block",
    EventType.USER_UNBLOCKED: "unblock",
    EventType.USER_MUTED: "mute",
    EventType.USER_UNMUTED: "unmute",
    EventType.FOLLOW_REQUESTED: "follow",  # a follow of a locked account asks instead
    EventType.FOLLOW_REQUEST_APPROVED: "approve_follow_request",
    EventType.FOLLOW_REQUEST_REJECTED: "reject_follow_request",
    EventType.FOLLOW_REQUEST_WITHDRAWN: "withdraw_follow_request",
    EventType.REPORT_FILED: "report",
    EventType.REPORT_RESOLVED: "resolve_report",
}
COMMAND_OF = {str(k): v for k, v in COMMAND_OF.items()}

missing = set(ALL_EVENT_TYPES) - set(COMMAND_OF)
if missing:  # a new event type must say which command it stands for
    raise ImportError(f"socialapp.read.activity.commands: no command for {sorted(missing)}")


def command_of(event_type: str) -> str:
    """The command an event of this type is counted as (the type itself for an unknown one)."""
    return COMMAND_OF.get(event_type, event_type)
