"""Helpers for tests against the real services: waiting on conditions, child processes that
see the test databases, RabbitMQ vhosts of their own, and stopping services for fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.db import connections

from socialapp.events.status import management_api

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def wait_for(condition: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05, what: str = "") -> T:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # the condition may fail while a service comes up
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition!r}; last error: {last_error!r}")


def recreate_vhost(vhost: str) -> None:
    """A fresh, empty RabbitMQ vhost (an earlier one of that name is deleted), open to the broker user."""
    base, auth = management_api()
    user = urlsplit(settings.CELERY_BROKER_URL).username or "guest"
    requests.delete(f"{base}/api/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=10)
    requests.put(f"{base}/api/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=10).raise_for_status()
    requests.put(
        f"{base}/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        auth=auth,
        timeout=10,
    ).raise_for_status()


def delete_vhost(vhost: str) -> None:
    base, auth = management_api()
    requests.delete(f"{base}/api/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=10)


def _db_url(alias: str) -> str:
    s = connections[alias].settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process (worker, relay) that must use this test run's databases,
    vhost and indexes."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="socialapp.settings.dev",
        DJANGO_DEBUG="false",
        DATABASE_URL=_db_url("default"),
        READ_DATABASE_URL=_db_url("read"),
        DATABASE_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        ELASTICSEARCH_INDEX_PREFIX=settings.ELASTICSEARCH_INDEX_PREFIX,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class ChildProcess:
    """A real child process (its own process group), stopped and reaped on exit."""

    def __init__(self, args: list[str], env: dict[str, str], log_name: str) -> None:
        log_dir = REPO / ".services" / "logs" / "tests"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{log_name}-{os.getpid()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        self._log.close()


def celery_worker(
    queues: list[str],
    *,
    name: str,
    concurrency: int = 1,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> ChildProcess:
    args = [
        sys.executable, "-m", "celery", "-A", "socialapp", "worker",
        "-Q", ",".join(queues), "--concurrency", str(concurrency), "--loglevel", "INFO",
        "-n", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        *(extra or []),
    ]  # fmt: skip
    return ChildProcess(args, env or child_env(), name)


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
