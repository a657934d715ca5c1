"""Celery tasks of large fan-outs (see socialapp.read.feeds.jobs): one chunk, and the periodic
sweep (Celery beat, CELERY_BEAT_SCHEDULE) that resends chunks whose task message was lost."""

from celery import shared_task
from django.conf import settings

from socialapp.read.feeds.jobs import FANOUT_CHUNK_TASK, resend_stale_jobs, run_fanout_job


@shared_task(name=FANOUT_CHUNK_TASK, acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def fanout_chunk(job_id: int) -> int:
    return run_fanout_job(job_id)


@shared_task(name="feeds.resend_stale_fanout", ignore_result=True)
def resend_stale_fanout() -> int:
    """A chunk job still waiting FEED_FANOUT_STALE_SECONDS after it was sent lost its message (a
    crash between the projector's commit and the send, a purged queue): send it again."""
    return len(resend_stale_jobs(older_than_seconds=settings.FEED_FANOUT_STALE_SECONDS))
