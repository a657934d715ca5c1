"""Celery tasks of API sessions (docs/commands.md, "Sessions on the query side"): the periodic
reconciliation of the session table with the cache records the query side authenticates from,
and the retried deletion of ended sessions' records when the cache was unreachable at the time."""

from celery import shared_task

from socialapp.write.accounts import services


@shared_task(name="accounts.sync_sessions", ignore_result=True)
def sync_sessions() -> dict[str, int]:
    """Copy the last uses seen by the query side to the table; republish missing records."""
    return services.session_sync()


@shared_task(
    name="accounts.forget_sessions",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=None,
)
def forget_sessions_later(key_hashes: list[str]) -> None:
    """Delete ended sessions' cache records, retried until the cache answers. (The query side
    answers 503 while the cache is down, so none of them is accepted meanwhile.)"""
    if not services.forget_sessions_now(key_hashes):
        raise ConnectionError("cache unavailable")
