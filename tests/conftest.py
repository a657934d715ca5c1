"""Test set-up against the real services (`scripts/services up` starts them; `make test` does).

Each run gets its own RabbitMQ vhost, Elasticsearch index prefix and Redis key prefix
(settings.test), so runs with different SOCIALAPP_TEST_TAG values can share one machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from django.conf import settings

from socialapp.events.status import management_api
from tests.support import delete_vhost, recreate_vhost


@pytest.fixture(scope="session", autouse=True)
def amqp_vhost() -> Iterator[str]:
    """A fresh vhost for this run: no queue or message of an earlier run can leak in."""
    recreate_vhost(settings.TEST_AMQP_VHOST)
    yield settings.TEST_AMQP_VHOST
    delete_vhost(settings.TEST_AMQP_VHOST)


@pytest.fixture(scope="session", autouse=True)
def elasticsearch_clean() -> Iterator[None]:
    """Remove this run's indexes before and after the run."""
    from socialapp.read.search.client import get_client

    pattern = f"{settings.ELASTICSEARCH_INDEX_PREFIX}-*"
    get_client().options(ignore_status=404).indices.delete(index=pattern, expand_wildcards="all")
    yield
    get_client().options(ignore_status=404).indices.delete(index=pattern, expand_wildcards="all")


@pytest.fixture(scope="session", autouse=True)
def cache_clean() -> Iterator[None]:
    """Remove this run's keys from the shared Redis before and after the run (throttle counters,
    cached metrics of an earlier run with the same tag)."""
    from tests.support import clear_cache_keys

    clear_cache_keys()
    yield
    clear_cache_keys()


@pytest.fixture(autouse=True)
def empty_broker(amqp_vhost: str) -> None:
    """Start every test with no queue in this run's vhost.

    Test databases are flushed between tests, but messages left in a projector queue by an
    earlier test (published for a projector no worker of that test ran) would otherwise reach
    a later test's worker and project events whose rows no longer exist. Relays and workers
    declare the topology again when they start.
    """
    base, auth = management_api()
    vhost = quote(amqp_vhost, safe="")
    response = requests.get(f"{base}/api/queues/{vhost}?columns=name", auth=auth, timeout=10)
    response.raise_for_status()
    for queue in response.json():
        requests.delete(f"{base}/api/queues/{vhost}/{quote(queue['name'], safe='')}", auth=auth, timeout=10)
