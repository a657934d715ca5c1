"""Prometheus metrics of the pipeline.

Two kinds, because the processes differ:
- counters and histograms kept by the process that does the work (relay: published; projector
  worker: applied, duplicates, failed, latency), exported by that process (`manage.py relay
  --metrics-port`, worker `PROJECTOR_METRICS_PORT`);
- gauges read from the source of truth by `PipelineCollector` (events appended and published,
  relay lag, per-projector applied, queue and dead-letter depths), served by the web app at
  /metrics, so that they are right whichever process or host scrapes them.

The gauges count rows of the log and of the tracking table, so /metrics is guarded twice: it
needs a bearer secret (METRICS_TOKEN; none configured: 404), and the figures are computed at most
once per METRICS_CACHE_SECONDS across all web processes (one shared cache entry, recomputed by
whichever process takes the cache lock first; the others serve the previous figures meanwhile).
No request, however many, makes the databases count more often than that.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

EVENTS_PUBLISHED = Counter("socialapp_relay_published", "Events this relay published and marked")
RELAY_FAILED = Counter("socialapp_relay_publish_failed", "Publishes returned, nacked or unconfirmed")
RELAY_BACKED_OFF = Counter(
    "socialapp_relay_rows_backed_off", "Log rows the broker refused or returned, put on their own backoff (alert)"
)
RELAY_REDECLARED = Counter("socialapp_relay_redeclared", "Topology re-declarations after a queue disappeared")
APPLIED = Counter("socialapp_projector_applied", "Events applied by this worker", ["projector"])
DUPLICATES = Counter("socialapp_projector_duplicates", "Deliveries skipped as already applied", ["projector"])
FAILED = Counter("socialapp_projector_failed", "Failed applications", ["projector", "kind"])
LATENCY = Histogram(
    "socialapp_projector_apply_seconds",
    "Time to apply one event",
    ["projector"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
COMMIT_TO_APPLIED = Histogram(
    "socialapp_projector_commit_to_applied_seconds",
    "From the event's commit (occurred_at) to its application",
    ["projector"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


class PipelineCollector(Collector):
    """Scrape-time gauges from PostgreSQL and the RabbitMQ management API."""

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # never query anything at registration (import) time

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        from socialapp.events.status import log_counts, projector_status

        try:
            counts = log_counts()
        except Exception:
            log.warning("metrics: event log unavailable", exc_info=True)
            return
        appended = CounterMetricFamily("socialapp_events_appended", "Events in the log")
        appended.add_metric([], counts.appended)
        yield appended
        published = CounterMetricFamily("socialapp_events_published", "Events in the log marked published")
        published.add_metric([], counts.appended - counts.unpublished)
        yield published
        unpublished = GaugeMetricFamily("socialapp_relay_backlog", "Events not yet published")
        unpublished.add_metric([], counts.unpublished)
        yield unpublished
        lag = GaugeMetricFamily("socialapp_relay_lag_seconds", "Age of the oldest unpublished event")
        lag.add_metric([], counts.oldest_unpublished_age)
        yield lag

        applied = CounterMetricFamily("socialapp_projection_applied", "Events applied", labels=["projector"])
        behind = GaugeMetricFamily(
            "socialapp_projection_lag_events", "Handled events not applied", labels=["projector"]
        )
        depth = GaugeMetricFamily("socialapp_queue_depth", "Messages in the projector's queue", labels=["projector"])
        unacked = GaugeMetricFamily("socialapp_queue_unacked", "Messages delivered, not acked", labels=["projector"])
        dead = GaugeMetricFamily("socialapp_dead_letters", "Messages in the dead-letter queue", labels=["projector"])
        consumers = GaugeMetricFamily("socialapp_queue_consumers", "Workers consuming", labels=["projector"])
        for row in projector_status():
            applied.add_metric([row.name], row.applied)
            if row.lag is not None:
                behind.add_metric([row.name], row.lag)
            if row.ready is not None:
                depth.add_metric([row.name], row.ready)
                unacked.add_metric([row.name], row.unacked or 0)
                consumers.add_metric([row.name], row.consumers or 0)
            if row.dead is not None:
                dead.add_metric([row.name], row.dead)
        yield from (applied, behind, depth, unacked, dead, consumers)


PIPELINE_REGISTRY = CollectorRegistry()
PIPELINE_REGISTRY.register(PipelineCollector())


CACHE_KEY = "metrics:pipeline"
LOCK_KEY = "metrics:pipeline:computing"


def pipeline_exposition() -> tuple[bytes, float] | None:
    """The pipeline gauges in Prometheus format and their age in seconds, from the shared cache;
    recomputed (by one process at a time) when older than METRICS_CACHE_SECONDS. None while no
    figures exist yet and another process is computing them."""
    cached = cache.get(CACHE_KEY)  # (computed_at, body)
    if cached is not None and time.time() - cached[0] < settings.METRICS_CACHE_SECONDS:
        return cached[1], time.time() - cached[0]
    if cache.add(LOCK_KEY, 1, timeout=60):  # SET NX: one process computes, the others wait for it
        try:
            computed_at = time.time()
            body = generate_latest(PIPELINE_REGISTRY)
            cache.set(CACHE_KEY, (computed_at, body), timeout=None)
        finally:
            cache.delete(LOCK_KEY)
        return body, time.time() - computed_at
    return None if cached is None else (cached[1], time.time() - cached[0])


def forget_cached_metrics() -> None:
    """Drop the cached figures (tests, or an operator who wants fresh ones now)."""
    cache.delete_many([CACHE_KEY, LOCK_KEY])


def _authorised(request: HttpRequest) -> bool:
    scheme, _, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(secret.strip().encode(), settings.METRICS_TOKEN.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: the pipeline's gauges in Prometheus format, for a scraper holding the secret.

    Not public: it names projectors and queue depths. 404 when no METRICS_TOKEN is configured,
    401 without the right `Authorization: Bearer` secret (the client address proves nothing
    behind a proxy), 503 while the first figures are being computed or the cache is down.
    """
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _authorised(request):
        response = HttpResponse("metrics need Authorization: Bearer <METRICS_TOKEN>\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    try:
        exposition = pipeline_exposition()
    except Exception as exc:  # the cache is down: no coordination, so no scan either
        log.warning("metrics: shared cache unavailable (%s)", type(exc).__name__)
        exposition = None
    if exposition is None:
        response = HttpResponse("metrics are being computed\n", status=503)
        response["Retry-After"] = "1"
        return response
    body, age = exposition
    age_line = (
        "# HELP socialapp_metrics_age_seconds Age of the cached pipeline figures\n"
        "# TYPE socialapp_metrics_age_seconds gauge\n"
        f"socialapp_metrics_age_seconds {age:.3f}\n"
    ).encode()
    return HttpResponse(body + age_line, content_type=CONTENT_TYPE_LATEST)
