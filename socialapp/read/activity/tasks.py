"""The dashboard's periodic task (CELERY_BEAT_SCHEDULE: every ACTIVITY_SAMPLE_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from socialapp.read.activity.sampling import prune, sample_projections


@shared_task(name="activity.sample_projections", ignore_result=True)
def sample_and_prune() -> dict[str, int]:
    """Sample every projector's lag and dead letters, then drop rows past retention."""
    sampled = sample_projections()
    return {"sampled": sampled, **prune()}
