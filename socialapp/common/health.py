"""Liveness and readiness probes.

`/healthz` says the process answers. `/readyz` runs the checks this process needs
(READINESS_CHECKS, names of READINESS_CHECK_FUNCTIONS: a command-serving process needs the write
database, a query-serving one the read database and, for search, Elasticsearch; docs/ops.md) in
parallel, each bounded by HEALTH_CHECK_TIMEOUT, and answers 503 naming the ones that are down.
A process that checks `postgres_read` also reports each read replica (READ_REPLICA_URLS) as
`postgres_read_replica_N`, marked `"optional": true`: a replica that is down does not make the
process unready, because its queries fall back to the primary (socialapp/common/replicas.py);
the probe also takes it out of rotation at once.

The body carries names and states only: exception text (host names, addresses, driver messages)
goes to the log, never to whoever can reach the probe. The functions are injected by settings,
so this shared module imports neither the write nor the read side.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET
from kombu import Connection

from socialapp.common.replicas import mark_down, replica_aliases

log = logging.getLogger(__name__)


def check_database(alias: str) -> None:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connections[alias].close()  # the probe runs in a pool thread: leave no connection behind


def check_write_database() -> None:
    check_database("default")


def check_read_database() -> None:
    check_database("read")


def replica_checks() -> dict[str, Callable[[], None]]:
    """The optional per-replica checks reported beside `postgres_read` (empty without replicas)."""
    if "postgres_read" not in settings.READINESS_CHECKS:
        return {}
    return {f"postgres_{alias}": functools.partial(_check_replica, alias) for alias in replica_aliases()}


def _check_replica(alias: str) -> None:
    try:
        check_database(alias)
    except Exception:
        mark_down(alias)
        raise


def check_cache() -> None:
    """The shared cache (throttle counters, metrics): a round trip, not just a connect."""
    cache.set("readyz:probe", 1, timeout=10)
    if cache.get("readyz:probe") != 1:
        raise RuntimeError("cache did not keep a value")


class BrokerCheck:
    """One broker connection per process, kept between probes, and its last result reused for
    READINESS_BROKER_CACHE_SECONDS: probes every few seconds from several orchestrators must not
    open (and tear down) an AMQP connection each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._result: tuple[float, BaseException | None] | None = None
        self.connects = 0  # connections opened so far (observability, tests)

    def __call__(self) -> None:
        with self._lock:
            now = time.monotonic()
            if self._result is None or now - self._result[0] >= settings.READINESS_BROKER_CACHE_SECONDS:
                self._result = (now, self._probe())
            error = self._result[1]
        if error is not None:
            raise error

    def _probe(self) -> BaseException | None:
        timeout = settings.HEALTH_CHECK_TIMEOUT
        try:
            if self._connection is None:
                self._connection = Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, heartbeat=0)
            if not self._connection.connected:
                self.connects += 1
                self._connection.ensure_connection(max_retries=1, timeout=timeout)
            self._connection.connection.send_heartbeat()  # a frame on the wire: a dead socket raises
            return None
        except Exception as exc:
            self.reset()
            return exc

    def reset(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                self._connection.release()
        self._connection, self._result = None, None


check_rabbitmq = BrokerCheck()


def _unknown_checks() -> list[str]:
    """The READINESS_CHECKS names that READINESS_CHECK_FUNCTIONS does not define."""
    return [name for name in settings.READINESS_CHECKS if name not in settings.READINESS_CHECK_FUNCTIONS]


def readiness_settings_check(app_configs: object = None, **kwargs: object) -> list[checks.Error]:
    """System check (runs at startup and in `manage.py check`): a READINESS_CHECKS typo must stop
    the deploy, not turn every probe into a 500."""
    unknown = _unknown_checks()
    if not unknown:
        return []
    known = ", ".join(sorted(settings.READINESS_CHECK_FUNCTIONS))
    return [checks.Error(f"READINESS_CHECKS names unknown checks {unknown}", hint=f"known: {known}", id="common.E001")]


def configured_checks() -> dict[str, Callable[[], None]]:
    functions = settings.READINESS_CHECK_FUNCTIONS
    unknown = _unknown_checks()
    if unknown:
        raise ImproperlyConfigured(f"READINESS_CHECKS names unknown checks {unknown}; known: {sorted(functions)}")
    return {name: import_string(functions[name]) for name in settings.READINESS_CHECKS}


def _run(name: str, check: Callable[[], None]) -> dict[str, object]:
    started = time.monotonic()
    try:
        check()
    except Exception as exc:  # any failure means "not ready"; the reason goes to the log only
        log.warning("readyz: %s down (%s)", name, type(exc).__name__)
        return {"status": "down"}
    return {"status": "up", "ms": round((time.monotonic() - started) * 1000, 1)}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks, optional = configured_checks(), replica_checks()
    everything = {**checks, **optional}
    with ThreadPoolExecutor(max_workers=max(1, len(everything))) as pool:
        futures = {name: pool.submit(_run, name, check) for name, check in everything.items()}
        results = {name: future.result() for name, future in futures.items()}
    for name in optional:
        results[name]["optional"] = True
    ready = all(r["status"] == "up" for name, r in results.items() if name not in optional)
    body = {"status": "ready" if ready else "unavailable", "checks": results}
    return JsonResponse(body, status=200 if ready else 503)
