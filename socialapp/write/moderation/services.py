"""Report commands: file a report (any user), resolve it (moderators).

Each runs in one transaction and appends its event (docs/events.md, "Safety and privacy"). The
reporter's comment stays in the write model: no event carries it (the log is kept forever and
browsed by moderators; a read model never shows a report to anyone).

Resolving acts through the services that own the change, never by writing their rows: `suspend`
is `user_suspend`, `delete_post` is `post_delete` with the moderator as actor, so each appends
its own event (user.suspended, post.deleted) in the same transaction as `report.resolved`. Lock
order (socialapp.write.common.aggregates): the action's locks (users, then posts) first, the
report row last; the report is re-read under its lock, so two moderators resolving one report
at once resolve it once (the second is a 409, its action rolled back with it).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from socialapp.common.errors import Conflict, NotAuthorized, NotFound, ValidationFailed
from socialapp.common.text import clean_text
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_suspend
from socialapp.write.common.aggregates import append_to, lock_active_actor, lock_shared, save_and_append
from socialapp.write.moderation.models import COMMENT_MAX_LENGTH, POST_IDS_MAX, Action, Category, Report, State
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_delete

CATEGORIES = tuple(Category.values)
ACTIONS = tuple(Action.values)


def _clean_post_ids(post_ids: Iterable[object]) -> list[int]:
    if isinstance(post_ids, (str, bytes)) or not isinstance(post_ids, Iterable):
        raise ValidationFailed.on("post_ids", "Must be a list of post ids.")
    ids: list[int] = []
    for raw in post_ids:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**63:
            raise ValidationFailed.on("post_ids", "Must be a list of post ids.")
        if raw not in ids:
            ids.append(raw)
        if len(ids) > POST_IDS_MAX:
            raise ValidationFailed.on("post_ids", f"At most {POST_IDS_MAX} posts per report.")
    return ids


@transaction.atomic
def report_file(
    *, reporter: User, target_id: int, post_ids: Iterable[int] = (), category: str = "other", comment: str = ""
) -> Report:
    """File a report on `target_id`'s account, optionally pointing at some of its live posts.
    The target must be a live account other than the reporter; posts must be the target's."""
    if category not in CATEGORIES:
        raise ValidationFailed.on("category", f"One of: {', '.join(CATEGORIES)}.")
    text = clean_text(comment, field="comment", max_length=COMMENT_MAX_LENGTH)
    ids = _clean_post_ids(post_ids)
    if isinstance(target_id, bool) or not isinstance(target_id, int):
        raise NotFound("No such user.")
    if target_id == reporter.pk:
        raise ValidationFailed.on("account", "You cannot report yourself.")
    users = lock_active_actor(reporter.pk, target_id)
    target = users.get(target_id)
    if target is None or target.deactivated_at is not None or target.suspended_at is not None:
        raise NotFound("No such user.")
    posts = lock_shared(Post, ids)
    wrong = [pid for pid in ids if pid not in posts or posts[pid].author_id != target_id or posts[pid].deleted_at]
    if wrong:
        raise ValidationFailed.on("post_ids", f"Not a live post of the reported account: {wrong[0]}.")
    report = Report.objects.create(
        reporter=reporter,
        target=target,
        post_ids=ids,
        category=category,
        comment=text,
        created_at=timezone.now(),
        version=1,
    )
    append_to(
        report,
        event_type=EventType.REPORT_FILED,
        actor_id=reporter.pk,
        payload={
            "report_id": report.pk,
            "reporter_id": reporter.pk,
            "target_id": target_id,
            "post_ids": ids,
            "category": category,
            "at": report.created_at.isoformat(),
        },
    )
    return report


def _suspend(report: Report, moderator: User) -> None:
    """Suspend the reported account; one already suspended or deactivated is out of sight
    already, which is what the moderator asked for (a second report on it resolves too)."""
    try:
        user_suspend(user_id=report.target_id, actor=moderator)
    except Conflict:
        target = User.objects.get(pk=report.target_id)
        if target.suspended_at is None and target.deactivated_at is None:
            raise


def _delete_posts(report: Report, moderator: User, post_id: int | None) -> None:
    """Delete the reported post `post_id`, or every reported post; those already deleted are
    skipped (their author or another moderator got there first)."""
    if post_id is not None and post_id not in report.post_ids:
        raise ValidationFailed.on("post_id", "Not one of the reported posts.")
    wanted = [post_id] if post_id is not None else list(report.post_ids)
    if not wanted:
        raise ValidationFailed.on("action", "This report names no posts to delete.")
    for pid in sorted(wanted):  # posts in ascending id order, like every multi-row lock
        try:
            post_delete(post_id=pid, actor=moderator)
        except NotFound:
            continue


@transaction.atomic
def report_resolve(*, moderator: User, report_id: int, action: str, post_id: int | None = None) -> Report:
    """Resolve an open report: `none` dismisses it, `suspend` suspends the reported account,
    `delete_post` deletes the reported post `post_id` (or all of them). Moderators only; a
    moderator never resolves a report about their own account."""
    if action not in ACTIONS:
        raise ValidationFailed.on("action", f"One of: {', '.join(ACTIONS)}.")
    if post_id is not None and action != Action.DELETE_POST:
        raise ValidationFailed.on("post_id", "Only with the delete_post action.")
    if not moderator.is_staff:
        raise NotAuthorized("Only moderators may resolve reports.")
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        raise NotFound("No such report.")
    if report.target_id == moderator.pk:
        raise NotAuthorized("Moderators cannot resolve reports about their own account.")
    if report.state != State.OPEN:
        raise Conflict("This report is already resolved.")
    if action == Action.SUSPEND:
        _suspend(report, moderator)
    elif action == Action.DELETE_POST:
        _delete_posts(report, moderator, post_id)
    else:
        lock_active_actor(moderator.pk)
    report = Report.objects.select_for_update().select_related("reporter").get(pk=report_id)
    if report.state != State.OPEN:
        raise Conflict("This report is already resolved.")
    report.state, report.action = State.RESOLVED, action
    report.resolved_by, report.resolved_at = moderator, timezone.now()
    save_and_append(
        report,
        update_fields=["state", "action", "resolved_by", "resolved_at"],
        event_type=EventType.REPORT_RESOLVED,
        actor_id=moderator.pk,
        payload={
            "report_id": report.pk,
            "reporter_id": report.reporter_id,
            "reporter_username": report.reporter.username,
            "target_id": report.target_id,
            "action": action,
            "at": report.resolved_at.isoformat(),
        },
    )
    return report
