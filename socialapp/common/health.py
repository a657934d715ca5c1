"""Liveness and readiness probes.

`/healthz` says the process answers. `/readyz` checks every dependency in parallel, each bounded
by HEALTH_CHECK_TIMEOUT, and answers 503 naming the ones that are down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from kombu import Connection


def check_database(alias: str) -> None:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connections[alias].close()  # the probe runs in a pool thread: leave no connection behind


def check_rabbitmq() -> None:
    timeout = settings.HEALTH_CHECK_TIMEOUT
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


def check_elasticsearch() -> None:
    from socialapp.read.search.client import get_client

    # Not GET /: the integ-test distribution has no root endpoint; cluster health is everywhere.
    get_client().options(request_timeout=settings.HEALTH_CHECK_TIMEOUT, max_retries=0).cluster.health()


CHECKS: dict[str, Callable[[], None]] = {
    "postgres_write": lambda: check_database("default"),
    "postgres_read": lambda: check_database("read"),
    "rabbitmq": check_rabbitmq,
    "elasticsearch": check_elasticsearch,
}


def _run(check: Callable[[], None]) -> dict[str, object]:
    started = time.monotonic()
    try:
        check()
    except Exception as exc:  # any failure means "not ready"; the reason goes in the body
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "up", "ms": round((time.monotonic() - started) * 1000, 1)}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    with ThreadPoolExecutor(max_workers=len(CHECKS)) as pool:
        futures = {name: pool.submit(_run, check) for name, check in CHECKS.items()}
        results = {name: future.result() for name, future in futures.items()}
    ready = all(r["status"] == "up" for r in results.values())
    body = {"status": "ready" if ready else "unavailable", "checks": results}
    return JsonResponse(body, status=200 if ready else 503)
