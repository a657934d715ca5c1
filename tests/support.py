"""Helpers for tests against the real services: waiting on conditions, child processes that
see the test databases, RabbitMQ vhosts of their own, and stopping services for fault tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

# Moved to devkit (the benchmarks need them too and must not import tests); re-exported here.
from devkit.processes import REPO, ChildProcess, celery_worker, child_env, wait_for  # noqa: F401
from devkit.vhosts import delete_vhost, recreate_vhost  # noqa: F401


@contextmanager
def service_stopped(name: str) -> Iterator[None]:
    """Stop a real service (postgres, rabbitmq, elasticsearch) and start it again afterwards."""
    subprocess.run([str(REPO / "scripts" / "services"), "stop", name], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([str(REPO / "scripts" / "services"), "start", name], check=True, capture_output=True)


def clear_cache_keys(pattern: str = "*") -> None:
    """Delete this run's keys matching `pattern` from the shared Redis (only keys under this run's
    prefix: `cache.clear()` would FLUSHDB every run's and every process's keys)."""
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)  # django.core.cache.backends.redis.RedisCache
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:{pattern}", count=1000))
    if keys:
        client.delete(*keys)


def clear_throttles() -> None:
    """Forget this run's throttle counters."""
    clear_cache_keys("*throttle_*")
