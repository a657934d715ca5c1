"""The periodic refresh of the trends rankings (Celery beat, CELERY_BEAT_SCHEDULE "trends-refresh")."""

from celery import shared_task

from socialapp.read.trends.ranking import refresh as refresh_rankings


@shared_task(name="trends.refresh", ignore_result=True)
def refresh() -> None:
    """Rescore every window; an expired or lost run is simply replaced by the next one."""
    refresh_rankings()
