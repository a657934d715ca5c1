"""The Elasticsearch client, one per process (it is thread-safe and pools connections)."""

from functools import lru_cache

from django.conf import settings
from elasticsearch import Elasticsearch
from elasticsearch.serializer import OrjsonSerializer


@lru_cache(maxsize=1)
def get_client() -> Elasticsearch:
    return Elasticsearch(
        settings.ELASTICSEARCH_URL,
        request_timeout=settings.ELASTICSEARCH_TIMEOUT,
        retry_on_timeout=False,
        max_retries=1,
        serializer=OrjsonSerializer(),  # bulk responses and search hits decoded by orjson
    )


def index_name(name: str) -> str:
    """Every index and alias carries the configured prefix, so test runs never meet."""
    return f"{settings.ELASTICSEARCH_INDEX_PREFIX}-{name}"


def check_health() -> None:
    """Readiness check for /readyz (READINESS_CHECK_FUNCTIONS): raises unless the cluster answers.
    Not GET /: the integ-test distribution has no root endpoint; cluster health is everywhere."""
    get_client().options(request_timeout=settings.HEALTH_CHECK_TIMEOUT, max_retries=0).cluster.health()
