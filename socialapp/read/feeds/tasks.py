"""Celery task for one chunk of a large fan-out (see socialapp.read.feeds.fanout)."""

from celery import shared_task

from socialapp.read.feeds.fanout import run_fanout_job


@shared_task(name="feeds.fanout_chunk", acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def fanout_chunk(job_id: int) -> int:
    return run_fanout_job(job_id)
