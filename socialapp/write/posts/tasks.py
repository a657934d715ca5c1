"""Celery tasks of the posts app: pruning expired status-creation idempotency keys."""

from celery import shared_task

from socialapp.write.posts import idempotency


@shared_task(name="posts.prune_idempotency_keys", ignore_result=True)
def prune_idempotency_keys() -> int:
    """Expired keys are already ignored and replaced on write (idempotency.claim); this keeps
    the table from holding the keys of users who never post again."""
    return idempotency.prune()
