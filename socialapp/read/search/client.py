"""The Elasticsearch client, one per process (it is thread-safe and pools connections)."""

from functools import lru_cache

from django.conf import settings
from elasticsearch import Elasticsearch


@lru_cache(maxsize=1)
def get_client() -> Elasticsearch:
    return Elasticsearch(
        settings.ELASTICSEARCH_URL,
        request_timeout=settings.ELASTICSEARCH_TIMEOUT,
        retry_on_timeout=False,
        max_retries=1,
    )


def index_name(name: str) -> str:
    """Every index and alias carries the configured prefix, so test runs never meet."""
    return f"{settings.ELASTICSEARCH_INDEX_PREFIX}-{name}"
